"""The audit judges with the pack configuration ``check`` takes (``--policy-pack-config``): thresholds,
enforcement levels and exemptions, validated against the pack's own schemas."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from eksguard.audit.checks import evaluate
from eksguard.audit.collect import AccountInventory, RegionInventory
from eksguard.audit.config import Thresholds, load_pack_config

from eksguard.audit.cli import main
from eksguard.engine.errors import UsageError

TODAY = dt.date(2026, 11, 28)
REGION = "eu-west-1"
CLI_REGION = "eu-central-1"  # the environment's credentials act in moto's default account, empty here
TRAIL = "stack-multi-region-trail"


def _write(tmp_path, config: dict):
    path = tmp_path / "policy-config.json"
    path.write_text(json.dumps(config))
    return path


def _ingress(port: int, cidr: str) -> dict:
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr, "Description": "d"}]}


def _cluster(mode: str) -> dict:
    return {
        "name": "c",
        "arn": "arn:c",
        "version": "1.35",
        "nodegroups": [],
        "resourcesVpcConfig": {"endpointPublicAccess": False},
        "logging": {
            "clusterLogging": [
                {"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"], "enabled": True}
            ]
        },
        "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": "k"}}],
        "accessConfig": {"authenticationMode": mode, "bootstrapClusterCreatorAdminPermissions": False},
        "accessEntries": [
            {
                "principalArn": "arn:aws:iam::111122223333:role/PlatformAdmins",
                "associatedAccessPolicies": [
                    {"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"}
                ],
            }
        ],
    }


def _acl(port: int) -> dict:
    entry = {"RuleNumber": 100, "RuleAction": "allow", "Protocol": "6", "Egress": False, "CidrBlock": "0.0.0.0/0"}
    entry["PortRange"] = {"From": port, "To": port}
    return {"NetworkAclId": "acl-1", "VpcId": "vpc-1", "Entries": [entry], "nodeSubnets": ["subnet-1"]}


INVENTORY = RegionInventory(
    REGION,
    clusters=[_cluster("API_AND_CONFIG_MAP")],
    security_groups={
        "sg-1": {
            "GroupId": "sg-1",
            "IpPermissions": [_ingress(80, "0.0.0.0/0"), _ingress(10250, "198.51.100.0/24")],
            "IpPermissionsEgress": [],
        }
    },
    network_acls=[_acl(8080)],
)


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
            {"access-policy-cluster-admin-broad": {"broadPrincipals": ["*:role/platformadmins"]}},
            {"access-policy-cluster-admin-broad", "sg-kubelet-exposed", "eks-authentication-mode"},
        ),
    ],
)
def test_settings_of_the_pack_config_are_the_thresholds(tmp_path, config, expected):
    thresholds = Thresholds.from_config(load_pack_config(_write(tmp_path, config)))
    ev = evaluate([INVENTORY], AccountInventory(account_id="1"), TODAY, thresholds)
    assert {f.control_id for f in ev.findings if f.control_id != TRAIL} == expected


def test_max_ami_age_days_comes_from_the_pack_config(tmp_path):
    assert Thresholds.defaults().max_ami_age_days == 30
    assert (
        Thresholds.from_config(
            load_pack_config(_write(tmp_path, {"nodegroup-ami-age": {"maxAmiAgeDays": 90}}))
        ).max_ami_age_days
        == 90
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"no-such-policy": "advisory"}, "names policy 'no-such-policy', which pack 'eksguard' does not have"),
        ({TRAIL: "loud"}, "enforcement level 'loud' is not one of"),
        ({"nodegroup-ami-age": {"maxAmiAgeDays": "thirty"}}, "setting maxAmiAgeDays"),
        ({TRAIL: {"exemptions": [{"pattern": "x"}]}}, "'reason' is a required property"),
    ],
)
def test_invalid_config_is_one_clear_error(tmp_path, config, message):
    with pytest.raises(UsageError, match=message):
        load_pack_config(_write(tmp_path, config))


def _run(endpoint, config_path, capsys) -> tuple[int, dict]:
    args = ["--region", CLI_REGION, "--endpoint-url", endpoint, "--format", "json", "--no-progress"]
    code = main([*args, "--policy-pack-config", str(config_path)])
    out = capsys.readouterr()
    document = json.loads(out.out) if out.out else {}
    return code, {c["id"]: c for area in document.get("areas", []) for c in area["controls"]}


def test_cli_default_level_fails_the_run(endpoint, tmp_path, capsys):
    code, controls = _run(endpoint, _write(tmp_path, {}), capsys)
    assert (code, controls[TRAIL]["status"]) == (1, "violated")


def test_cli_advisory_level_reports_without_failing(endpoint, tmp_path, capsys):
    code, controls = _run(endpoint, _write(tmp_path, {TRAIL: "advisory"}), capsys)
    assert (code, controls[TRAIL]["status"]) == (0, "violated")
    assert {f["level"] for f in controls[TRAIL]["findings"]} == {"advisory"}


def test_cli_disabled_policy_is_not_applicable(endpoint, tmp_path, capsys):
    code, controls = _run(endpoint, _write(tmp_path, {TRAIL: "disabled"}), capsys)
    assert (code, controls[TRAIL]["status"]) == (0, "not_applicable")
    assert controls[TRAIL]["reason"] == "disabled by the policy configuration"


def test_cli_exemption_removes_the_finding_and_says_why(endpoint, tmp_path, capsys):
    exemption = {"pattern": "account *", "reason": "the organization trail lives in the management account"}
    code, controls = _run(endpoint, _write(tmp_path, {TRAIL: {"exemptions": [exemption]}}), capsys)
    assert (code, controls[TRAIL]["status"], controls[TRAIL]["findings"]) == (0, "passed", [])
    assert controls[TRAIL]["reason"].endswith("exempted: the organization trail lives in the management account")


def test_cli_invalid_config_exits_2(endpoint, tmp_path, capsys):
    code = main(
        [
            "--region",
            CLI_REGION,
            "--endpoint-url",
            endpoint,
            "--policy-pack-config",
            str(_write(tmp_path, {"nope": "advisory"})),
        ]
    )
    assert code == 2 and "'nope'" in capsys.readouterr().err
