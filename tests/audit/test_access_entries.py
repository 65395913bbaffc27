"""Access entries and their access policies, read page by page (EKS ListAccessEntries and
ListAssociatedAccessPolicies follow nextToken), become AccessEntry and AccessPolicyAssociation declarations;
only cluster-wide admin policies of broad principals are findings."""

from __future__ import annotations

from tests.audit.conftest import account_session
from tests.audit.helpers import audit, audit_session
from tests.audit.moto_gaps import MotoGaps
from tests.audit.parity import fresh_account
from tests.audit.seed import ASSUME_EKS, REGION, clients, network, role

POLICY = "arn:aws:eks::aws:cluster-access-policy/{}"


def _cluster(endpoint: str, account: str) -> None:
    make = clients(account_session(endpoint, account), endpoint, REGION)
    _, subnets = network(make("ec2"))
    cluster_role = role(make("iam"), "cluster", ASSUME_EKS, [])
    make("eks").create_cluster(
        name="prod", version="1.35", roleArn=cluster_role, resourcesVpcConfig={"subnetIds": subnets}
    )


def test_every_entry_and_policy_is_read_across_pages_and_judged(endpoint, pack):
    account = fresh_account()
    admin, dev, root = (f"arn:aws:iam::{account}:{p}" for p in ("role/Admin", "role/Developer", "root"))
    gaps = MotoGaps(page_size=1)
    gaps.access["prod"] = {
        admin: [{"policyArn": POLICY.format("AmazonEKSClusterAdminPolicy"), "accessScope": {"type": "cluster"}}],
        dev: [
            {
                "policyArn": POLICY.format("AmazonEKSAdminPolicy"),
                "accessScope": {"type": "namespace", "namespaces": ["team-a"]},
            },
            {"policyArn": POLICY.format("AmazonEKSViewPolicy"), "accessScope": {"type": "cluster"}},
        ],
        root: [{"policyArn": POLICY.format("AmazonEKSClusterAdminPolicy"), "accessScope": {"type": "cluster"}}],
    }
    _cluster(endpoint, account)
    inventory, report = audit(audit_session(endpoint, account, gaps), pack, [REGION])
    assert gaps.calls.count("ListAccessEntries") == 3  # one entry per page
    assert gaps.calls.count("ListAssociatedAccessPolicies") == 4  # dev's two policies take two pages
    associations = sorted(
        (r.props["principalArn"], r.props["policyArn"].rsplit("/", 1)[-1], r.props["accessScope"]["type"])
        for r in inventory.resources.values()
        if r.type == "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
    )
    assert associations == [
        (admin, "AmazonEKSClusterAdminPolicy", "cluster"),
        (dev, "AmazonEKSAdminPolicy", "namespace"),
        (dev, "AmazonEKSViewPolicy", "cluster"),
        (root, "AmazonEKSClusterAdminPolicy", "cluster"),
    ]
    result = next(r for r in report.results if r.control.id == "access-policy-cluster-admin-broad")
    assert [(f.resource, f.fix["import_id"]) for f in result.findings] == [
        (root, f"prod#{root}#{POLICY.format('AmazonEKSClusterAdminPolicy')}")
    ]  # a named role holding cluster admin is not broad
    assert result.resources_evaluated == 4
