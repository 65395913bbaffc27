"""The audit against a moto server over real HTTP: an insecure account and a compliant one."""

from __future__ import annotations

import pytest

from eksguard.audit.runner import run_audit
from eksguard.audit.session import ReadOnlySession
from tests.audit.conftest import account_session
from tests.audit.helpers import audit_catalogue, finding_set, statuses
from tests.audit.seed import REGION, SECOND_REGION, TODAY, seed_compliant, seed_insecure

INSECURE, COMPLIANT = "111111111111", "222222222222"


@pytest.fixture(scope="module")
def insecure(endpoint):
    session = account_session(endpoint, INSECURE)
    seeded = seed_insecure(session, endpoint, INSECURE)
    audit = ReadOnlySession(boto_session=account_session(endpoint, INSECURE), endpoint_url=endpoint)
    return seeded, run_audit(audit, [REGION, SECOND_REGION], today=TODAY, catalogue=audit_catalogue())


@pytest.fixture(scope="module")
def compliant(endpoint):
    session = account_session(endpoint, COMPLIANT)
    seeded = seed_compliant(session, endpoint, COMPLIANT)
    audit = ReadOnlySession(boto_session=account_session(endpoint, COMPLIANT), endpoint_url=endpoint)
    return seeded, run_audit(audit, [REGION], today=TODAY, catalogue=audit_catalogue())


def test_insecure_account_every_weakness_found_exactly(insecure):
    seeded, report = insecure
    assert finding_set(report) == seeded.expected


def test_compliant_account_has_no_findings(compliant):
    _, report = compliant
    assert finding_set(report) == set()


def test_compliant_account_statuses(compliant):
    """Everything is evaluated and passes, except access entries, which moto does not implement (404)."""
    _, report = compliant
    got = statuses(report)
    assert {cid for cid, status in got.items() if status != "passed"} == {"access-policy-cluster-admin-broad"}
    assert got["access-policy-cluster-admin-broad"] == "not_assessed"
    reason = next(r.reason for r in report.results if r.control.id == "access-policy-cluster-admin-broad")
    assert "ListAccessEntries" in reason and "404" in reason


def test_report_target_and_exit_code(insecure, compliant):
    _, bad = insecure
    _, good = compliant
    assert bad.target["account"] == INSECURE and bad.target["regions"] == [REGION, SECOND_REGION]
    assert (bad.exit_code(), good.exit_code()) == (1, 0)


def test_ami_age_reports_releases_and_days(insecure):
    _, report = insecure
    (finding,) = [f for r in report.results for f in r.findings if f.control_id == "nodegroup-ami-age"]
    assert "2 release(s), 61 days behind the recommended 1.33.6-20261101 (more than 30 days)" in finding.message


def test_remediation_plan_names_import_and_component(insecure):
    seeded, report = insecure
    by_key = {(f.control_id, f.resource): f for r in report.results for f in r.findings}
    cluster = by_key[
        ("eks-secrets-encryption", next(res for cid, res in seeded.expected if cid == "eks-secrets-encryption"))
    ]
    assert cluster.fix["import_command"] == "pulumi import aws:eks/cluster:Cluster weak weak"
    assert cluster.fix["component"] == cluster.fix["component"].strip() and cluster.fix["component"].startswith(
        "eksguard:index:"
    )
    assert "cluster_name='weak'" in cluster.fix["snippet"]
    lt = by_key[("node-imdsv2-required", seeded.names["lt"])]
    assert (
        lt.fix["import_command"]
        == f"pulumi import aws:ec2/launchTemplate:LaunchTemplate {seeded.names['lt'].lower()} {seeded.names['lt']}"
    )
    stale = by_key[("nodegroup-ami-age", seeded.names["stale"])]
    assert stale.fix["import_id"] == "weak:stale"


def test_every_snippet_compiles_with_known_arguments_only(insecure):
    _, report = insecure
    for finding in (f for r in report.results for f in r.findings):
        snippet = finding.fix["snippet"]
        compile(snippet, finding.control_id, "exec")
        assert "no such argument" not in snippet and "not found" not in snippet, snippet
        assert finding.fix["component"] == next(
            r.control.component for r in report.results if r.control.id == finding.control_id
        )


def test_nodegroup_snippet_carries_observed_values(insecure):
    _, report = insecure
    (finding,) = [f for r in report.results for f in r.findings if f.control_id == "nodegroup-ami-age"]
    assert "cluster_name='weak'" in finding.fix["snippet"]
    assert "ami_family='AL2023'" in finding.fix["snippet"] and "kubernetes_version='1.33'" in finding.fix["snippet"]


def test_node_group_without_launch_template(endpoint):
    """EBS follows the region's default (read even when no node group has a launch template); IMDSv2 and
    public IPs are not assessed, since AWS does not document the template EKS generates."""
    account, region = "555555555555", "ap-southeast-2"
    session = account_session(endpoint, account)
    ec2 = session.client("ec2", region_name=region, endpoint_url=endpoint)
    eks = session.client("eks", region_name=region, endpoint_url=endpoint)
    iam = session.client("iam", region_name=region, endpoint_url=endpoint)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    role = iam.create_role(RoleName="node", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    eks.create_cluster(name="plain", version="1.35", roleArn=role, resourcesVpcConfig={"subnetIds": subnets})
    eks.create_nodegroup(clusterName="plain", nodegroupName="ng", nodeRole=role, subnets=subnets)
    ec2.enable_ebs_encryption_by_default()
    audit = ReadOnlySession(boto_session=account_session(endpoint, account), endpoint_url=endpoint)
    report = run_audit(audit, [region], today=TODAY, catalogue=audit_catalogue())
    results = {r.control.id: r for r in report.results}
    assert (results["node-ebs-encrypted"].status, results["node-ebs-encrypted"].resources_evaluated) == ("passed", 1)
    for control_id in ("node-imdsv2-required", "node-public-ip"):
        assert results[control_id].status == "not_assessed"
        assert results[control_id].reason == (
            f"not assessed in {region}: node group ng uses the launch template EKS generates, "
            "whose settings AWS does not document"
        )
