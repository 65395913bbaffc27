"""NetworkControls: NACL rules as an exact table, flow logs, opt-outs, rejections (under mocks)."""

from __future__ import annotations

import json

import pytest

from components._common import InvalidArgumentError
from components.cluster import Cluster, ClusterArgs
from components.network import NetworkControls, NetworkControlsArgs
from tests.components.harness import ACCOUNT_ID, REGION, attempt, existing_cluster, run

ACL = "aws:ec2/networkAcl:NetworkAcl"
ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY = "aws:kms/key:Key"
SUBNETS = ["subnet-0a", "subnet-0b"]
ANY4, ANY6 = "0.0.0.0/0", "::/0"

# (number, egress, action, protocol, cidr, from, to)
VPC_ALLOW = {(100, False, "allow", "-1", "10.0.0.0/16", 0, 0)}
ADMIN_DENIES = {
    (number + family, False, "deny", "tcp", cidr, low, high)
    for number, (low, high) in zip(
        range(200, 212, 2), [(22, 22), (23, 23), (3389, 3389), (5985, 5986), (2379, 2380), (10250, 10250)], strict=True
    )
    for family, cidr in ((0, ANY4), (1, ANY6))
}
RETURN_TRAFFIC = {
    (300, False, "allow", "tcp", ANY4, 1024, 65535),
    (301, False, "allow", "tcp", ANY6, 1024, 65535),
    (302, False, "allow", "udp", ANY4, 1024, 65535),
    (303, False, "allow", "udp", ANY6, 1024, 65535),
}
EGRESS = {(100, True, "allow", "-1", ANY4, 0, 0), (101, True, "allow", "-1", ANY6, 0, 0)}


def controls(**overrides):
    args = {"vpc_cidr_blocks": ["10.0.0.0/16"], "vpc_id": "vpc-1", "subnet_ids": SUBNETS, **overrides}
    return run(lambda: NetworkControls("net", NetworkControlsArgs(**args)))


def acl_rules(result):
    out = set()
    for r in result.of_type(ACL_RULE):
        i = r.inputs
        assert i["networkAclId"] == "net-nacl-id"
        cidr = i.get("cidrBlock", i.get("ipv6CidrBlock"))
        assert ("cidrBlock" in i) != ("ipv6CidrBlock" in i)
        out.add((i["ruleNumber"], i["egress"], i["ruleAction"], i["protocol"], cidr, i["fromPort"], i["toPort"]))
    return out


@pytest.fixture(scope="module")
def default():
    return controls()


def test_nacl_is_exactly_vpc_allow_admin_denies_return_traffic_and_egress(default):
    assert acl_rules(default) == VPC_ALLOW | ADMIN_DENIES | RETURN_TRAFFIC | EGRESS


def test_every_admin_port_deny_precedes_the_ephemeral_allow_that_covers_it(default):
    rules = acl_rules(default)
    allows = [r for r in rules if r[2] == "allow" and not r[1] and r[4] in (ANY4, ANY6)]
    for deny in (r for r in rules if r[2] == "deny"):
        covering = [a for a in allows if a[4] == deny[4] and a[3] == "tcp" and a[5] <= deny[5] and deny[6] <= a[6]]
        assert all(deny[0] < a[0] for a in covering), deny


def test_rule_numbers_are_unique_per_direction(default):
    rules = acl_rules(default)
    for egress in (False, True):
        numbers = [r[0] for r in rules if r[1] is egress]
        assert len(numbers) == len(set(numbers))


def test_nacl_is_on_the_node_subnets_in_the_vpc(default):
    acl = default.one(ACL)
    assert acl.inputs["vpcId"] == "vpc-1"
    assert acl.inputs["subnetIds"] == SUBNETS
    assert "ingress" not in acl.inputs and "egress" not in acl.inputs


def test_flow_logs_capture_all_traffic_into_an_encrypted_retained_log_group(default):
    flow = default.one(FLOW_LOG)
    group = default.one(LOG_GROUP)
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["vpcId"] == "vpc-1"
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow.inputs["logDestination"] == f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/vpc/flow-logs/net"
    assert flow.inputs["iamRoleArn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/net-flow-logs-role"
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["kmsKeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/net-kms-key-id"
    assert group.inputs["name"] == "/aws/vpc/flow-logs/net"
    assert default.one(KEY).inputs["enableKeyRotation"] is True


def test_delivery_role_is_trusted_by_flow_logs_and_may_only_write_its_group(default):
    role = default.one("aws:iam/role:Role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": ["sts:AssumeRole"]}
    ]
    group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/vpc/flow-logs/net"
    policy = json.loads(default.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert policy["Statement"] == [
        {
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
            ],
            "Resource": [group_arn, f"{group_arn}:*"],
        }
    ]
    assert default.one("aws:iam/rolePolicy:RolePolicy").urn in default.one(FLOW_LOG).dependencies


def test_children_parented_to_the_component(default):
    component = default.one("eksguard:index:NetworkControls")
    assert len(default.children_of(component)) == len(default.resources) - 1


# Opt-outs and alternatives


def test_removing_an_admin_port_deny_is_explicit():
    result = controls(denied_admin_ports=["ssh", "rdp"])
    denies = {(r[4], r[5]) for r in acl_rules(result) if r[2] == "deny"}
    assert denies == {(ANY4, 22), (ANY6, 22), (ANY4, 3389), (ANY6, 3389)}


def test_ipv6_vpc_block_is_allowed_through_ipv6_rules():
    rules = acl_rules(controls(vpc_cidr_blocks=["10.0.0.0/16", "2001:db8::/56"]))
    assert {r for r in rules if r[2] == "allow" and r[3] == "-1" and not r[1]} == VPC_ALLOW | {
        (101, False, "allow", "-1", "2001:db8::/56", 0, 0)
    }


def test_caller_key_and_retention():
    key = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/caller"
    result = controls(kms_key_arn=key, flow_log_retention_days=731)
    assert result.of_type(KEY) == []
    assert result.one(LOG_GROUP).inputs["kmsKeyId"] == key
    assert result.one(LOG_GROUP).inputs["retentionInDays"] == 731


def test_existing_cluster_supplies_vpc_and_subnets():
    cluster = existing_cluster("existing", vpc_id="vpc-0looked-up")
    result = run(
        lambda: NetworkControls("net", NetworkControlsArgs(vpc_cidr_blocks=["10.0.0.0/16"], cluster_name="existing")),
        clusters={"existing": cluster},
    )
    assert result.invokes("aws:eks/getCluster:getCluster") == [{"name": "existing"}]
    assert result.one(ACL).inputs["vpcId"] == "vpc-0looked-up"
    assert result.one(ACL).inputs["subnetIds"] == cluster["vpcConfig"]["subnetIds"]
    assert result.one(FLOW_LOG).inputs["vpcId"] == "vpc-0looked-up"


def test_cluster_created_in_the_same_stack_supplies_vpc_and_subnets():
    def program():
        cluster = Cluster("prod", ClusterArgs(subnet_ids=SUBNETS))
        NetworkControls("net", NetworkControlsArgs(vpc_cidr_blocks=["10.0.0.0/16"], cluster_name=cluster.cluster_name))

    result = run(program)
    assert result.invokes("aws:eks/getCluster:getCluster") == [{"name": "prod"}]
    assert result.one(ACL).inputs["subnetIds"] == SUBNETS
    assert result.one(ACL).inputs["vpcId"] == result.one(FLOW_LOG).inputs["vpcId"] == "vpc-0existing00000001"


C = "NetworkControls: argument"
CIDRS = "CIDR blocks such as '10.0.0.0/16' or '2001:db8::/56' (not 0.0.0.0/0 or ::/0)"
REJECTED = [
    (
        {"vpc_cidr_blocks": []},
        f"{C} 'vpc_cidr_blocks' is empty; accepted values: the VPC's CIDR blocks, e.g. ['10.0.0.0/16']",
    ),
    (
        {"vpc_cidr_blocks": ["0.0.0.0/0"]},
        f"{C} 'vpc_cidr_blocks' contains '0.0.0.0/0', the whole internet; accepted values: {CIDRS}",
    ),
    (
        {"vpc_cidr_blocks": ["10.0.0/16"]},
        f"{C} 'vpc_cidr_blocks' contains '10.0.0/16', not a CIDR block; accepted values: {CIDRS}",
    ),
    (
        {"vpc_id": None},
        f"{C} 'cluster_name' is missing and vpc_id or subnet_ids is not given; "
        "accepted values: a cluster name, or both",
    ),
    ({"subnet_ids": []}, f"{C} 'subnet_ids' is []; accepted values: a non-empty list of subnet ids"),
    (
        {"denied_admin_ports": ["ssh", "http"]},
        f"{C} 'denied_admin_ports' is 'http'; accepted values: 'ssh', 'telnet', 'rdp', 'winrm', 'etcd', 'kubelet'",
    ),
    (
        {"flow_log_retention_days": 10},
        f"{C} 'flow_log_retention_days' is 10; accepted values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, "
        "545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
    ),
]


@pytest.mark.parametrize(("overrides", "message"), REJECTED, ids=[m.split(" argument ")[1][:50] for _, m in REJECTED])
def test_invalid_arguments_are_rejected_before_anything_is_registered(overrides, message):
    args = {"vpc_cidr_blocks": ["10.0.0.0/16"], "vpc_id": "vpc-1", "subnet_ids": SUBNETS, **overrides}
    result = attempt(lambda: NetworkControls("net", NetworkControlsArgs(**args)))
    assert isinstance(result.error, InvalidArgumentError)
    assert str(result.error) == message
    assert result.resources == []
