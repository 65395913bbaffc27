"""The checks on inventories built by hand: AWS defaults for missing fields, rule order, trusted ranges."""

from __future__ import annotations

import datetime as dt

import pytest

from eksguard.audit.checks import evaluate
from eksguard.audit.collect import AccountInventory, RegionInventory

TODAY = dt.date(2026, 11, 28)
REGION = "eu-west-1"


def _findings(inv: RegionInventory, account: AccountInventory | None = None) -> set[tuple[str, str]]:
    ev = evaluate([inv], account or AccountInventory(account_id="1"), TODAY)
    return {(f.control_id, f.resource) for f in ev.findings if not f.control_id.startswith("stack-")}


def test_bare_cluster_takes_the_aws_defaults():
    cluster = {"name": "c", "arn": "arn:c", "version": "1.35", "nodegroups": []}
    assert _findings(RegionInventory(REGION, clusters=[cluster])) == {
        ("eks-endpoint-public-access", "arn:c"),
        ("eks-public-access-cidrs-open", "arn:c"),
        ("eks-control-plane-logging", "arn:c"),
        ("eks-secrets-encryption", "arn:c"),
        ("eks-authentication-mode", "arn:c"),
        ("eks-bootstrap-cluster-creator-admin", "arn:c"),
    }


@pytest.mark.parametrize(
    ("vpc", "expected"),
    [
        ({"endpointPublicAccess": False}, set()),
        ({"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]}, {"eks-endpoint-public-access"}),
        (
            {"endpointPublicAccess": True, "publicAccessCidrs": ["::/0"]},
            {"eks-endpoint-public-access", "eks-public-access-cidrs-open"},
        ),
    ],
)
def test_endpoint_access(vpc, expected):
    cluster = {
        "name": "c",
        "arn": "arn:c",
        "version": "1.35",
        "nodegroups": [],
        "resourcesVpcConfig": vpc,
        "logging": {
            "clusterLogging": [
                {"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"], "enabled": True}
            ]
        },
        "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": "k"}}],
        "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
    }
    assert {cid for cid, _ in _findings(RegionInventory(REGION, clusters=[cluster]))} == expected


def _sg(*permissions: dict) -> dict:
    return {"GroupId": "sg-1", "VpcId": "vpc-1", "IpPermissions": list(permissions), "IpPermissionsEgress": []}


def _rule(protocol: str, low: int | None, high: int | None, cidr: str, description: str | None = "d") -> dict:
    rng = {"CidrIpv6": cidr} if ":" in cidr else {"CidrIp": cidr}
    if description:
        rng["Description"] = description
    rule = {"IpProtocol": protocol, "Ipv6Ranges" if ":" in cidr else "IpRanges": [rng]}
    if low is not None:
        rule.update(FromPort=low, ToPort=high)
    return rule


@pytest.mark.parametrize(
    ("permissions", "expected"),
    [
        ([_rule("tcp", 443, 443, "0.0.0.0/0"), _rule("tcp", 80, 80, "::/0")], set()),
        ([_rule("tcp", 80, 443, "0.0.0.0/0")], {"sg-open-ingress"}),  # the range holds more than 80 and 443
        ([_rule("-1", None, None, "::/0")], {"sg-open-ingress", "sg-kubelet-exposed"}),
        ([_rule("tcp", 10250, 10250, "100.64.0.0/16"), _rule("tcp", 10250, 10250, "fd00::/8")], set()),
        ([_rule("tcp", 10000, 11000, "198.51.100.7/32")], {"sg-kubelet-exposed"}),
        ([_rule("udp", 10250, 10250, "198.51.100.7/32")], set()),
        (
            [{"IpProtocol": "tcp", "FromPort": 10250, "ToPort": 10250, "UserIdGroupPairs": [{"GroupId": "sg-2"}]}],
            {"sg-rule-description"},
        ),
        ([_rule("tcp", 22, 22, "10.0.0.0/8", description=None)], {"sg-rule-description"}),
    ],
)
def test_security_group_rules(permissions, expected):
    inv = RegionInventory(REGION, security_groups={"sg-1": _sg(*permissions)})
    assert {cid for cid, _ in _findings(inv)} == expected


def test_undescribed_egress_is_reported():
    group = _sg()
    group["IpPermissionsEgress"] = [_rule("-1", None, None, "0.0.0.0/0", description=None)]
    assert _findings(RegionInventory(REGION, security_groups={"sg-1": group})) == {("sg-rule-description", "sg-1")}


def _acl(*entries: tuple[int, str, str, tuple[int, int] | None, str]) -> dict:
    rows = []
    for number, action, protocol, ports, cidr in entries:
        row = {"RuleNumber": number, "RuleAction": action, "Protocol": protocol, "Egress": False, "CidrBlock": cidr}
        if ports:
            row["PortRange"] = {"From": ports[0], "To": ports[1]}
        rows.append(row)
    return {"NetworkAclId": "acl-1", "VpcId": "vpc-1", "Entries": rows, "nodeSubnets": ["subnet-1"]}


@pytest.mark.parametrize(
    ("entries", "open_ports"),
    [
        ([(100, "allow", "-1", None, "0.0.0.0/0")], "22, 23, 2379, 2380, 3389, 5985, 5986, 10250"),
        ([(90, "deny", "-1", None, "0.0.0.0/0"), (100, "allow", "-1", None, "0.0.0.0/0")], None),
        ([(100, "allow", "6", (1024, 65535), "0.0.0.0/0")], "2379, 2380, 3389, 5985, 5986, 10250"),
        ([(100, "allow", "6", (32768, 65535), "0.0.0.0/0"), (200, "allow", "-1", None, "10.0.0.0/16")], None),
        ([(200, "allow", "6", (22, 22), "0.0.0.0/0"), (100, "deny", "6", (0, 1023), "0.0.0.0/0")], None),
        ([(100, "allow", "17", (0, 65535), "0.0.0.0/0")], None),
    ],
)
def test_nacl_first_matching_rule_decides(entries, open_ports):
    ev = evaluate([RegionInventory(REGION, network_acls=[_acl(*entries)])], AccountInventory(account_id="1"), TODAY)
    found = [f.message for f in ev.findings if f.control_id == "nacl-admin-ports-open"]
    ports = (
        None if not found else ", ".join(p.split(" ")[0] for p in found[0].split(": ", 1)[1].split("; ")[0].split(", "))
    )
    assert ports == open_ports


def _trail(**fields) -> dict:
    trail = {
        "TrailARN": "arn:t",
        "Name": "t",
        "HomeRegion": REGION,
        "IsMultiRegionTrail": True,
        "LogFileValidationEnabled": True,
        "KmsKeyId": "k",
        "CloudWatchLogsLogGroupArn": "arn:lg",
        "S3BucketName": "b",
        "status": {"IsLogging": True},
        "bucketPublicAccessBlock": {},
    }
    trail.update(fields)
    return trail


@pytest.mark.parametrize(
    ("account_block", "expected"),
    [
        ({}, {("cloudtrail-bucket-public-access-block", "arn:aws:s3:::b")}),
        (
            {
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
            set(),
        ),
    ],
)
def test_account_level_public_access_block_counts(account_block, expected):
    account = AccountInventory(account_id="1", public_access_block=account_block)
    assert _findings(RegionInventory(REGION, trails=[_trail()]), account) == expected


def test_stopped_multi_region_trail_leaves_the_account_without_one():
    inv = RegionInventory(REGION, trails=[_trail(status={"IsLogging": False})])
    ev = evaluate([inv], AccountInventory(account_id="1"), TODAY)
    assert {(f.control_id, f.resource) for f in ev.findings} == {
        ("cloudtrail-logging-enabled", "arn:t"),
        ("cloudtrail-bucket-public-access-block", "arn:aws:s3:::b"),
        ("stack-multi-region-trail", "account 1"),
    }


def test_only_rotatable_customer_keys_are_checked():
    keys = {
        "arn:k1": {"KeyManager": "CUSTOMER", "KeyRotationEnabled": False},
        "arn:k2": {"KeyManager": "AWS", "KeyRotationEnabled": None},
        "arn:k3": {"KeyManager": "CUSTOMER", "KeyRotationEnabled": None},  # asymmetric or custom key store
        "arn:k4": {"KeyManager": "CUSTOMER", "KeyRotationEnabled": True},
    }
    ev = evaluate([RegionInventory(REGION, kms_keys=keys)], AccountInventory(account_id="1"), TODAY)
    assert {f.resource for f in ev.findings if f.control_id == "kms-key-rotation"} == {"arn:k1"}
    assert ev.evaluated["kms-key-rotation"] == 2


@pytest.mark.parametrize(
    ("attached", "inline", "expected"),
    [
        (["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"], {}, set()),
        (["arn:aws:iam::aws:policy/PowerUserAccess"], {}, {"iam-node-role-admin"}),
        (
            ["arn:aws:iam::123456789012:policy/AdministratorAccess"],
            {},
            set(),
        ),  # a customer policy's name proves nothing
        (
            [],
            {"p": {"Statement": {"Effect": "Allow", "Action": ["*"], "Resource": "*"}}},
            {"iam-policy-admin-wildcard"},
        ),
        ([], {"p": {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}}, set()),
        ([], {"p": "not a document"}, set()),
    ],
)
def test_node_role_policies(attached, inline, expected):
    account = AccountInventory(account_id="1", node_roles={"arn:r": {"attached": attached, "inline": inline}})
    ev = evaluate([], account, TODAY)
    assert {f.control_id for f in ev.findings} == expected


@pytest.mark.parametrize(
    ("account_block", "scope"),
    [({}, "(bucket or account)"), (None, "(bucket; the account-level block was not read)")],
)
def test_bucket_message_says_whether_the_account_block_was_read(account_block, scope):
    account = AccountInventory(account_id="1", public_access_block=account_block)
    ev = evaluate([RegionInventory(REGION, trails=[_trail()])], account, TODAY)
    (message,) = [f.message for f in ev.findings if f.control_id == "cloudtrail-bucket-public-access-block"]
    assert message == f"trail t: bucket b public access block {scope} off: " + ", ".join(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    )


def test_launch_template_version_not_found_is_not_assessed():
    ng = {"nodegroupName": "ng", "amiType": "AL2023_x86_64_STANDARD", "launchTemplate": {"id": "lt-1", "version": "7"}}
    cluster = {"name": "c", "arn": "arn:c", "version": "1.35", "nodegroups": [ng]}
    ev = evaluate([RegionInventory(REGION, clusters=[cluster])], AccountInventory(account_id="1"), TODAY)
    why = [f"{REGION}: node group ng: launch template lt-1 version not found"]
    assert {cid: r for cid, r in ev.not_assessed.items() if cid.startswith("node-")} == {
        "node-imdsv2-required": why,
        "node-ebs-encrypted": why,
        "node-public-ip": why,
    }
    assert not any(f.control_id.startswith("node-") for f in ev.findings)


@pytest.mark.parametrize(
    ("metadata", "found"),
    [
        ({"HttpTokens": "required", "HttpPutResponseHopLimit": 1}, False),
        ({"HttpTokens": "required", "HttpPutResponseHopLimit": 2}, True),
        ({"HttpTokens": "required"}, True),  # the AMI decides: 2 for AL2023
        ({"HttpTokens": "optional", "HttpPutResponseHopLimit": 1}, True),
        ({}, True),
        ({"HttpEndpoint": "disabled"}, False),  # no metadata service at all, as the pack's rule
    ],
)
def test_imdsv2_of_a_launch_template(metadata, found):
    data = {
        "MetadataOptions": metadata,
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True}}],
    }
    ng = {
        "nodegroupName": "ng",
        "launchTemplate": {"id": "lt-1"},
        "launchTemplateId": "lt-1",
        "launchTemplateData": data,
    }
    cluster = {"name": "c", "arn": "arn:c", "version": "1.35", "nodegroups": [ng]}
    found_ids = {cid for cid, _ in _findings(RegionInventory(REGION, clusters=[cluster]))}
    assert ("node-imdsv2-required" in found_ids) is found
    assert not found_ids & {"node-ebs-encrypted", "node-public-ip"}
