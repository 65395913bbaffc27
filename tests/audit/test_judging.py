"""How the audit names what the pack said: a finding about a live resource by its ARN and region, with its
remediation plan; one about the whole account (a stack policy that names no resource) by the account."""

from __future__ import annotations

from eksguard.audit.judging import _named
from eksguard.audit.live import GLOBAL, Inventory, LiveResource, stack_urn
from eksguard.reporters.model import Finding

ACCOUNT = "111122223333"


def test_a_finding_on_a_live_resource_gets_its_arn_region_and_plan():
    inventory = Inventory(ACCOUNT)
    live = LiveResource("aws:eks/cluster:Cluster", "prod", "eu-west-1", {"name": "prod"}, arn="arn:aws:eks:prod")
    live.observed = {"cluster_name": "prod"}
    inventory.add(live)
    finding = Finding("eks-endpoint-public-access", inventory.urn_of(live), "public")
    named = _named(finding, {inventory.urn_of(live): live}, "eksguard:index:Cluster", stack_urn(ACCOUNT))
    assert (named.resource, named.region, named.resource_type, named.resource_name) == (
        "arn:aws:eks:prod",
        "eu-west-1",
        "aws:eks/cluster:Cluster",
        "prod",
    )
    assert named.fix["import_command"] == "pulumi import aws:eks/cluster:Cluster prod prod"


def test_a_finding_on_the_whole_stack_names_the_account():
    finding = Finding("stack-multi-region-trail", stack_urn(ACCOUNT), "no trail", resource_type="pulumi:pulumi:Stack")
    named = _named(finding, {}, "eksguard:index:AuditTrail", stack_urn(ACCOUNT))
    assert (named.resource, named.region, named.resource_type, named.fix) == (f"account {ACCOUNT}", GLOBAL, "", {})
