"""DataPlaneSecurityGroups: exactly the rules EKS requires, opt-ins, caller rules, rejections (under mocks)."""

from __future__ import annotations

import pytest

from components._common import InvalidArgumentError
from components.cluster import Cluster, ClusterArgs
from components.security_groups import (
    DataPlaneSecurityGroups,
    DataPlaneSecurityGroupsArgs,
    SecurityGroupRuleArgs,
    rule_table,
)
from tests.components.harness import attempt, existing_cluster, run

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG = "aws:ec2/securityGroup:SecurityGroup"
EXISTING_SG = "sg-0cluster0000000001"  # harness.existing_cluster's EKS-managed cluster security group
GROUP_ROLES = {"dp-node-id": "node", "dp-cluster-id": "cluster", EXISTING_SG: "cluster"}

# (rule id, direction, group, protocol, from, to, peer) — peer is a group role or a CIDR.
REQUIRED = {
    ("cluster-ingress-nodes-443", "ingress", "cluster", "tcp", 443, 443, "node"),
    ("node-ingress-cluster-443", "ingress", "node", "tcp", 443, 443, "cluster"),
    ("node-ingress-cluster-kubelet", "ingress", "node", "tcp", 10250, 10250, "cluster"),
    ("node-ingress-self-coredns-tcp", "ingress", "node", "tcp", 53, 53, "node"),
    ("node-ingress-self-coredns-udp", "ingress", "node", "udp", 53, 53, "node"),
    ("node-ingress-self-ephemeral", "ingress", "node", "tcp", 1025, 65535, "node"),
}
OWN_CLUSTER_EGRESS = {
    ("cluster-egress-nodes-443", "egress", "cluster", "tcp", 443, 443, "node"),
    ("cluster-egress-nodes-kubelet", "egress", "cluster", "tcp", 10250, 10250, "node"),
}
EGRESS_ALL = {("node-egress-all", "egress", "node", "-1", None, None, "0.0.0.0/0")}


def groups(**overrides):
    return run(lambda: DataPlaneSecurityGroups("dp", DataPlaneSecurityGroupsArgs(**{"vpc_id": "vpc-1", **overrides})))


def rules(result):
    """Registered rules as comparable tuples; asserts every rule has a description and one peer."""
    out = set()
    for r in result.of_type(INGRESS) + result.of_type(EGRESS):
        inputs = r.inputs
        assert inputs["description"].strip(), r.name
        peers = [inputs[k] for k in ("referencedSecurityGroupId", "cidrIpv4", "cidrIpv6") if k in inputs]
        assert len(peers) == 1, r.name
        peer = GROUP_ROLES.get(peers[0], peers[0])
        direction = "ingress" if r.type == INGRESS else "egress"
        ports = (inputs.get("fromPort"), inputs.get("toPort"))
        out.add(
            (
                r.name.removeprefix("dp-"),
                direction,
                GROUP_ROLES[inputs["securityGroupId"]],
                inputs["ipProtocol"],
                *ports,
                peer,
            )
        )
    return out


def test_default_rules_are_exactly_the_documented_minimum_plus_node_egress():
    assert rules(groups()) == REQUIRED | OWN_CLUSTER_EGRESS | EGRESS_ALL


def test_two_groups_in_the_vpc_with_no_inline_rules():
    result = groups()
    assert {r.name for r in result.of_type(SG)} == {"dp-cluster", "dp-node"}
    for sg in result.of_type(SG):
        assert sg.inputs["vpcId"] == "vpc-1"
        assert "ingress" not in sg.inputs and "egress" not in sg.inputs


def test_no_rule_admits_the_internet():
    for r in groups(egress_mode="restricted", vpc_cidr_blocks=["10.0.0.0/16"]).of_type(INGRESS):
        assert r.inputs.get("cidrIpv4") != "0.0.0.0/0" and r.inputs.get("cidrIpv6") != "::/0"


def test_restricted_egress_is_the_vpc_and_https_only():
    result = groups(egress_mode="restricted", vpc_cidr_blocks=["10.0.0.0/16", "2001:db8::/56"])
    assert rules(result) == REQUIRED | OWN_CLUSTER_EGRESS | {
        ("node-egress-vpc-0", "egress", "node", "-1", None, None, "10.0.0.0/16"),
        ("node-egress-vpc-1", "egress", "node", "-1", None, None, "2001:db8::/56"),
        ("node-egress-https", "egress", "node", "tcp", 443, 443, "0.0.0.0/0"),
    }


@pytest.mark.parametrize("port", [4443, 6443, 8443, 9443, 10251])
def test_each_webhook_port_is_an_opt_in_in_both_directions(port):
    added = rules(groups(webhook_ports=[port])) - (REQUIRED | OWN_CLUSTER_EGRESS | EGRESS_ALL)
    assert added == {
        (f"node-ingress-cluster-webhook-{port}", "ingress", "node", "tcp", port, port, "cluster"),
        (f"cluster-egress-nodes-webhook-{port}", "egress", "cluster", "tcp", port, port, "node"),
    }


CALLER_RULES = [
    SecurityGroupRuleArgs(
        rule_id="node-ingress-alb",
        description="ALB to NodePorts",
        protocol="tcp",
        from_port=30000,
        to_port=32767,
        referenced_security_group_id="sg-0alb",
    ),
    SecurityGroupRuleArgs(
        rule_id="node-ingress-bastion-vpn",
        description="VPN range to node exporter",
        from_port=9100,
        cidr_ipv4="10.8.0.0/16",
    ),
    SecurityGroupRuleArgs(
        rule_id="cluster-egress-nodes-all",
        description="Control plane to nodes, all ports",
        target="cluster",
        direction="egress",
        protocol="-1",
        peer="node",
    ),
]


def test_caller_rules_are_created_with_their_descriptions_after_the_required_ones():
    args = DataPlaneSecurityGroupsArgs(vpc_id="vpc-1", extra_rules=CALLER_RULES)
    assert list(rule_table(args, own_cluster_group=True))[-3:] == [r.rule_id for r in CALLER_RULES]
    added = rules(run(lambda: DataPlaneSecurityGroups("dp", args))) - (REQUIRED | OWN_CLUSTER_EGRESS | EGRESS_ALL)
    assert added == {
        ("node-ingress-alb", "ingress", "node", "tcp", 30000, 32767, "sg-0alb"),
        ("node-ingress-bastion-vpn", "ingress", "node", "tcp", 9100, 9100, "10.8.0.0/16"),
        ("cluster-egress-nodes-all", "egress", "cluster", "-1", None, None, "node"),
    }


def test_caller_egress_to_the_internet_is_allowed():
    rule = SecurityGroupRuleArgs(
        rule_id="node-egress-ntp", description="NTP", protocol="udp", from_port=123, cidr_ipv4="0.0.0.0/0"
    )
    assert ("node-egress-ntp", "egress", "node", "udp", 123, 123, "0.0.0.0/0") not in rules(groups())
    result = groups(extra_rules=[SecurityGroupRuleArgs(**{**rule.__dict__, "direction": "egress"})])
    assert ("node-egress-ntp", "egress", "node", "udp", 123, 123, "0.0.0.0/0") in rules(result)


def test_existing_cluster_rules_reference_its_eks_managed_group():
    result = run(
        lambda: DataPlaneSecurityGroups("dp", DataPlaneSecurityGroupsArgs(cluster_name="existing")),
        clusters={"existing": existing_cluster("existing", vpc_id="vpc-0looked-up")},
    )
    assert result.invokes("aws:eks/getCluster:getCluster") == [{"name": "existing"}]
    assert {r.name for r in result.of_type(SG)} == {"dp-node"}
    assert result.one(SG).inputs["vpcId"] == "vpc-0looked-up"
    assert rules(result) == REQUIRED | EGRESS_ALL  # the EKS-managed group already allows all egress
    assert result.output(result.value.cluster_security_group_id) == EXISTING_SG


def test_same_stack_cluster_gets_the_cluster_group_and_no_lookup_is_needed():
    def program():
        sgs = DataPlaneSecurityGroups("dp", DataPlaneSecurityGroupsArgs(vpc_id="vpc-1"))
        args = ClusterArgs(
            subnet_ids=["subnet-0a", "subnet-0b"], cluster_security_group_id=sgs.cluster_security_group_id
        )
        Cluster("prod", args)

    result = run(program)
    assert result.one("aws:eks/cluster:Cluster").inputs["vpcConfig"]["securityGroupIds"] == ["dp-cluster-id"]
    assert result.invokes("aws:eks/getCluster:getCluster") == []
    assert rules(result) == REQUIRED | OWN_CLUSTER_EGRESS | EGRESS_ALL


def test_children_parented_to_the_component():
    result = groups()
    component = result.one("eksguard:index:DataPlaneSecurityGroups")
    assert len(result.children_of(component)) == len(result.resources) - 1
    assert all(r.name.startswith("dp-") for r in result.children_of(component))


def test_dict_args_with_nested_rules_are_coerced():
    raw = {"vpc_id": "vpc-1", "extra_rules": [{"rule_id": "node-ingress-x", "description": "x", "from_port": 8080,
                                                "peer": "node"}]}  # fmt: skip
    result = run(lambda: DataPlaneSecurityGroups("dp", raw))
    assert ("node-ingress-x", "ingress", "node", "tcp", 8080, 8080, "node") in rules(result)


def rule(**kw):
    base = {"rule_id": "node-ingress-x", "description": "why", "from_port": 8080, "cidr_ipv4": "10.0.0.0/8"}
    return SecurityGroupRuleArgs(**{**base, **kw})


C = "DataPlaneSecurityGroups: argument"
X = "extra_rules[0]"
ONE_PEER = "exactly one of peer, referenced_security_group_id, cidr_ipv4, cidr_ipv6"
PEERS = "peer/referenced_security_group_id/cidr_ipv4/cidr_ipv6"
INTERNET = "CIDR blocks such as '10.0.0.0/16' or '2001:db8::/56' (not 0.0.0.0/0 or ::/0)"
REJECTED = [
    ({"vpc_id": None}, f"{C} 'vpc_id' is missing (and no cluster_name to look it up); accepted values: a VPC id"),
    ({"egress_mode": "none"}, f"{C} 'egress_mode' is 'none'; accepted values: 'all', 'restricted'"),
    ({"webhook_ports": [22]}, f"{C} 'webhook_ports' is 22; accepted values: 4443, 6443, 8443, 9443, 10251"),
    (
        {"egress_mode": "restricted"},
        f"{C} 'vpc_cidr_blocks' is empty but egress_mode is 'restricted'; accepted values: the VPC's CIDR blocks",
    ),
    (
        {"vpc_cidr_blocks": ["0.0.0.0/0"]},
        f"{C} 'vpc_cidr_blocks' contains '0.0.0.0/0', the whole internet; accepted values: {INTERNET}",
    ),
    (
        {"extra_rules": [rule(cidr_ipv4="0.0.0.0/0")]},
        f"{C} '{X}.cidr_ipv4' contains '0.0.0.0/0', the whole internet; accepted values: {INTERNET}",
    ),
    (
        {"extra_rules": [rule(cidr_ipv4=None, cidr_ipv6="::/0")]},
        f"{C} '{X}.cidr_ipv6' contains '::/0', the whole internet; accepted values: {INTERNET}",
    ),
    (
        {"extra_rules": [rule(cidr_ipv4="10.0.0.1/8")]},
        f"{C} '{X}.cidr_ipv4' contains '10.0.0.1/8', not a CIDR block; accepted values: {INTERNET}",
    ),
    (
        {"extra_rules": [rule(description=" ")]},
        f"{C} '{X}.description' is empty; accepted values: a sentence saying why the rule exists",
    ),
    (
        {"extra_rules": [rule(rule_id="Node_Rule")]},
        f"{C} '{X}.rule_id' is 'Node_Rule'; accepted values: lowercase letters, digits, '-'",
    ),
    (
        {"extra_rules": [rule(rule_id="node-egress-all")]},
        f"{C} '{X}.rule_id' is 'node-egress-all', already used; accepted values: a new id",
    ),
    (
        {"extra_rules": [rule(), rule()]},
        f"{C} 'extra_rules[1].rule_id' is 'node-ingress-x', already used; accepted values: a new id",
    ),
    ({"extra_rules": [rule(target="pods")]}, f"{C} '{X}.target' is 'pods'; accepted values: 'node', 'cluster'"),
    ({"extra_rules": [rule(direction="in")]}, f"{C} '{X}.direction' is 'in'; accepted values: 'ingress', 'egress'"),
    (
        {"extra_rules": [rule(protocol="all")]},
        f"{C} '{X}.protocol' is 'all'; accepted values: 'tcp', 'udp', 'icmp', 'icmpv6', '-1'",
    ),
    (
        {"extra_rules": [rule(peer="node")]},
        f"{C} '{X}.{PEERS}' name 2 peers; accepted values: {ONE_PEER}",
    ),
    (
        {"extra_rules": [rule(cidr_ipv4=None)]},
        f"{C} '{X}.{PEERS}' name 0 peers; accepted values: {ONE_PEER}",
    ),
    (
        {"extra_rules": [rule(cidr_ipv4="2001:db8::/56")]},
        f"{C} '{X}.cidr_ipv4/cidr_ipv6' hold a CIDR of the wrong family; "
        "accepted values: IPv4 in cidr_ipv4, IPv6 in cidr_ipv6",
    ),
    (
        {"extra_rules": [rule(from_port=9000, to_port=8000)]},
        f"{C} '{X}.from_port/to_port' are (9000, 8000); accepted values: 0 <= from_port <= to_port <= 65535",
    ),
    (
        {"extra_rules": [rule(from_port=None)]},
        f"{C} '{X}.from_port/to_port' are (None, None); accepted values: 0 <= from_port <= to_port <= 65535",
    ),
]


@pytest.mark.parametrize(("overrides", "message"), REJECTED, ids=[m.split(" argument ")[1][:60] for _, m in REJECTED])
def test_invalid_arguments_are_rejected_before_anything_is_registered(overrides, message):
    args = {"vpc_id": "vpc-1", **overrides}
    result = attempt(lambda: DataPlaneSecurityGroups("dp", DataPlaneSecurityGroupsArgs(**args)))
    assert isinstance(result.error, InvalidArgumentError)
    assert str(result.error) == message
    assert result.resources == []
