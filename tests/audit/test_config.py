"""The audit judges with the policy config ``check`` takes (``--policy-pack-config``), sent to the pack as the
Pulumi CLI sends it: settings (thresholds), enforcement levels and exemptions, validated against the pack's
own schemas."""

from __future__ import annotations

import json

import boto3
import pytest

from eksguard.audit.cli import main
from eksguard.audit.session import ReadOnlySession
from eksguard.judge.packs import PackRun
from eksguard.protocol.analyzer import config_with_defaults
from tests.audit.helpers import AS_OF, audit
from tests.audit.moto_gaps import MotoGaps
from tests.audit.seed import ASSUME_EKS, CLUSTER_ADMIN, network, role, set_access_config

REGION = "eu-central-1"
ACCOUNT = "123456789012"  # moto's account for the environment's credentials, which the CLI uses
TRAIL = "stack-multi-region-trail"
JUDGED = {
    "sg-open-ingress",
    "sg-kubelet-exposed",
    "nacl-admin-ports-open",
    "eks-authentication-mode",
    "access-policy-cluster-admin-broad",
}


@pytest.fixture(scope="module")
def account(endpoint) -> MotoGaps:
    """A cluster open on port 80, whose kubelet is reachable from 198.51.100.0/24, in subnets whose ACL allows
    8080 from the internet, in API_AND_CONFIG_MAP mode, with PlatformAdmins as cluster admin."""

    def make(service):
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint)

    ec2 = make("ec2")
    vpc, subnets = network(ec2)
    group = ec2.create_security_group(GroupName="cli", Description="x", VpcId=vpc)["GroupId"]
    ec2.revoke_security_group_egress(
        GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    for port, cidr in ((80, "0.0.0.0/0"), (10250, "198.51.100.0/24")):
        source = {"CidrIp": cidr, "Description": "d"}
        ec2.authorize_security_group_ingress(
            GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [source]}]
        )
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=100,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="0.0.0.0/0",
        PortRange={"From": 8080, "To": 8080},
    )
    found = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": subnets}])
    for assoc in found["NetworkAcls"][0]["Associations"]:
        ec2.replace_network_acl_association(AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=acl)
    cluster_role = role(make("iam"), "cli-cluster", ASSUME_EKS, [])
    config = {"subnetIds": subnets, "securityGroupIds": [group]}
    make("eks").create_cluster(name="cli-weak", version="1.35", roleArn=cluster_role, resourcesVpcConfig=config)
    set_access_config(ACCOUNT, REGION, "cli-weak", "API_AND_CONFIG_MAP", False)
    gaps = MotoGaps()
    admins = f"arn:aws:iam::{ACCOUNT}:role/PlatformAdmins"
    gaps.access["cli-weak"] = {admins: [{"policyArn": CLUSTER_ADMIN, "accessScope": {"type": "cluster"}}]}
    return gaps


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, {"sg-kubelet-exposed", "eks-authentication-mode"}),
        (
            {"sg-open-ingress": {"allowedPublicPorts": [443]}},
            {"sg-open-ingress", "sg-kubelet-exposed", "eks-authentication-mode"},
        ),
        ({"sg-kubelet-exposed": {"trustedCidrs": ["198.51.100.0/24"]}}, {"eks-authentication-mode"}),
        (
            {"nacl-admin-ports-open": {"adminPorts": [8080]}},
            {"nacl-admin-ports-open", "sg-kubelet-exposed", "eks-authentication-mode"},
        ),
        ({"eks-authentication-mode": {"allowApiAndConfigMap": True}}, {"sg-kubelet-exposed"}),
        (
            {"access-policy-cluster-admin-broad": {"broadPrincipals": ["*:role/PlatformAdmins"]}},
            {"access-policy-cluster-admin-broad", "sg-kubelet-exposed", "eks-authentication-mode"},
        ),
    ],
)
def test_settings_of_the_policy_config_reach_the_rules(endpoint, pack, account, config, expected):
    run = PackRun(pack.process, pack.info, config_with_defaults(pack.info, {**AS_OF, **config}))
    session = ReadOnlySession(boto_session=_default_session(account), endpoint_url=endpoint)
    _, report = audit(session, run, [REGION], {**AS_OF, **config})
    assert {r.control.id for r in report.results if r.status == "violated"} & JUDGED == expected


def _default_session(gaps: MotoGaps) -> boto3.Session:
    session = boto3.Session(region_name=REGION)
    session.events.register("before-send", gaps)
    return session


def _write(tmp_path, config: dict):
    path = tmp_path / "policy-config.json"
    path.write_text(json.dumps(config))
    return path


def _run(endpoint, config_path, capsys) -> tuple[int, dict]:
    args = ["--region", REGION, "--endpoint-url", endpoint, "--format", "json", "--no-progress", "--no-kubernetes"]
    code = main([*args, "--policy-pack-config", str(config_path)])
    out = capsys.readouterr()
    document = json.loads(out.out) if out.out else {}
    return code, {c["id"]: c for area in document.get("areas", []) for c in area["controls"]}


def test_cli_default_level_fails_the_run(endpoint, account, tmp_path, capsys):
    code, controls = _run(endpoint, _write(tmp_path, {}), capsys)
    assert (code, controls[TRAIL]["status"]) == (1, "violated")
    levels = {c["severity"]: {f["level"] for f in c["findings"]} for c in controls.values() if c["findings"]}
    assert levels["high"] == {"mandatory"} and levels["medium"] == {"advisory"}  # the pack's defaults


def test_cli_advisory_level_reports_without_failing(endpoint, account, tmp_path, capsys):
    code, controls = _run(endpoint, _write(tmp_path, {"all": "advisory"}), capsys)
    assert (code, controls[TRAIL]["status"]) == (0, "violated")
    assert {f["level"] for c in controls.values() for f in c["findings"]} == {"advisory"}


def test_cli_disabled_policy_is_not_applicable(endpoint, account, tmp_path, capsys):
    _, controls = _run(endpoint, _write(tmp_path, {TRAIL: "disabled"}), capsys)
    assert controls[TRAIL]["status"] == "not_applicable"
    assert controls[TRAIL]["reason"] == "disabled by the policy configuration"


def test_cli_exemption_removes_the_finding_and_says_why(endpoint, account, tmp_path, capsys):
    exemption = {"pattern": "cli-*", "reason": "the organization trail lives in the management account"}
    _, controls = _run(endpoint, _write(tmp_path, {TRAIL: {"exemptions": [exemption]}}), capsys)
    assert (controls[TRAIL]["status"], controls[TRAIL]["findings"]) == ("passed", [])
    exemption = {"pattern": "urn:pulumi:eu-central-1::*", "reason": "legacy cluster, replaced in Q1"}
    _, controls = _run(endpoint, _write(tmp_path, {"eks-endpoint-public-access": {"exemptions": [exemption]}}), capsys)
    result = controls["eks-endpoint-public-access"]
    assert (result["status"], result["reason"]) == ("not_applicable", "exempted: legacy cluster, replaced in Q1")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"no-such-policy": "advisory"}, "names policy 'no-such-policy', which pack 'eksguard' does not have"),
        ({TRAIL: "loud"}, "enforcement level 'loud' is not one of"),
        ({"nodegroup-ami-age": {"maxAmiAgeDays": "thirty"}}, "setting maxAmiAgeDays"),
        ({TRAIL: {"exemptions": [{"pattern": "x"}]}}, "'reason' is a required property"),
    ],
)
def test_cli_invalid_config_exits_2_with_one_clear_error(endpoint, tmp_path, capsys, config, message):
    code = main(["--region", REGION, "--endpoint-url", endpoint, "--policy-pack-config", str(_write(tmp_path, config))])
    assert code == 2 and message in capsys.readouterr().err
