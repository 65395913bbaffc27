"""Security group controls over the real protocol, in every Pulumi form of a rule.

Forms: inline ingress/egress on aws.ec2.SecurityGroup (and DefaultSecurityGroup), aws.ec2.SecurityGroupRule,
aws.vpc.SecurityGroupIngressRule / SecurityGroupEgressRule. One compliant baseline per type, one change per case.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from eksguard.protocol.wire import UNKNOWN, Secret

from .cases import Case, case, run_case

SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_IN = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC_OUT = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"

OPEN = "sg-open-ingress"
KUBELET = "sg-kubelet-exposed"
DESC = "sg-rule-description"

SG_BASE: dict[str, Any] = {
    "description": "EKS worker nodes",
    "vpcId": "vpc-0123",
    "ingress": [
        {
            "protocol": "tcp",
            "fromPort": 10250,
            "toPort": 10250,
            "securityGroups": ["sg-cluster"],
            "description": "Control plane to kubelet",
        },
        {"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True, "description": "Node to node"},
        {"protocol": "tcp", "fromPort": 10250, "toPort": 10250, "cidrBlocks": ["10.0.0.0/16"], "description": "VPC"},
    ],
    "egress": [
        {"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"], "description": "All egress"}
    ],
}
RULE_BASE: dict[str, Any] = {
    "type": "ingress",
    "securityGroupId": "sg-nodes",
    "protocol": "tcp",
    "fromPort": 443,
    "toPort": 443,
    "sourceSecurityGroupId": "sg-cluster",
    "description": "Control plane to node webhooks",
}
VPC_IN_BASE: dict[str, Any] = {
    "securityGroupId": "sg-nodes",
    "ipProtocol": "tcp",
    "fromPort": 10250,
    "toPort": 10250,
    "referencedSecurityGroupId": "sg-cluster",
    "description": "Control plane to kubelet",
}
VPC_OUT_BASE: dict[str, Any] = {
    "securityGroupId": "sg-nodes",
    "ipProtocol": "-1",
    "cidrIpv4": "0.0.0.0/0",
    "description": "All egress",
}


def sg(*extra_ingress: dict[str, Any], **changes: Any) -> dict[str, Any]:
    props = copy.deepcopy(SG_BASE)
    props["ingress"].extend(extra_ingress)
    props.update(changes)
    return props


def ingress(protocol: Any, ports: tuple[Any, Any], *cidrs: Any, ipv6: tuple[Any, ...] = (), **kw: Any) -> dict:
    rule = {"protocol": protocol, "fromPort": ports[0], "toPort": ports[1], "description": "extra"}
    if cidrs:
        rule["cidrBlocks"] = list(cidrs)
    if ipv6:
        rule["ipv6CidrBlocks"] = list(ipv6)
    rule.update(kw)
    return rule


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    props = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return props


def rule(**changes: Any) -> dict[str, Any]:
    return with_(RULE_BASE, **changes)


def vpc_in(**changes: Any) -> dict[str, Any]:
    return with_(VPC_IN_BASE, **changes)


def vpc_out(**changes: Any) -> dict[str, Any]:
    return with_(VPC_OUT_BASE, **changes)


CASES: list[Case] = [
    # inline rules
    case("sg-baseline", SG, sg()),
    case("sg-ssh-open", SG, sg(ingress("tcp", (22, 22), "0.0.0.0/0")), {OPEN}),
    case("sg-https-open-allowed", SG, sg(ingress("tcp", (443, 443), "0.0.0.0/0"))),
    case("sg-http-https-range-open", SG, sg(ingress("tcp", (80, 443), "0.0.0.0/0")), {OPEN}),
    case(
        "sg-https-open-no-allowed-ports",
        SG,
        sg(ingress("tcp", (443, 443), "0.0.0.0/0")),
        {OPEN},
        config={OPEN: {"allowedPublicPorts": []}},
    ),
    case(
        "sg-extra-allowed-port",
        SG,
        sg(ingress("tcp", (8443, 8443), "0.0.0.0/0")),
        config={OPEN: {"allowedPublicPorts": [443, 8443]}},
    ),
    case("sg-all-traffic-ipv6-open", SG, sg(ingress("-1", (0, 0), ipv6=("::/0",))), {OPEN, KUBELET}),
    case("sg-all-traffic-named-all", SG, sg(ingress("all", (0, 0), "0.0.0.0/0")), {OPEN, KUBELET}),
    case("sg-protocol-number-6", SG, sg(ingress("6", (22, 22), "0.0.0.0/0")), {OPEN}),
    case("sg-ports-as-strings", SG, sg(ingress("tcp", ("22", "22"), "0.0.0.0/0")), {OPEN}),
    case("sg-open-cidr-other-spelling", SG, sg(ingress("tcp", (22, 22), "0.0.0.0/00")), {OPEN}),
    case("sg-icmp-open", SG, sg(ingress("icmp", (-1, -1), "0.0.0.0/0")), {OPEN}),
    case("sg-kubelet-open", SG, sg(ingress("tcp", (10250, 10250), "0.0.0.0/0")), {OPEN, KUBELET}),
    case("sg-kubelet-public-cidr", SG, sg(ingress("tcp", (10250, 10250), "203.0.113.0/24")), {KUBELET}),
    case("sg-kubelet-in-wide-range", SG, sg(ingress("tcp", (10000, 11000), "198.51.100.7/32")), {KUBELET}),
    case(
        "sg-kubelet-trusted-by-config",
        SG,
        sg(ingress("tcp", (10250, 10250), "203.0.113.0/24")),
        config={KUBELET: {"trustedCidrs": ["10.0.0.0/8", "203.0.113.0/24"]}},
    ),
    case("sg-kubelet-udp-public", SG, sg(ingress("udp", (10250, 10250), "203.0.113.0/24"))),
    case("sg-kubelet-private-ipv6", SG, sg(ingress("tcp", (10250, 10250), ipv6=("fd00:10::/64",)))),
    case("sg-kubelet-public-ipv6", SG, sg(ingress("tcp", (10250, 10250), ipv6=("2600:1f18::/56",))), {KUBELET}),
    case("sg-egress-open-is-fine", SG, sg(egress=[ingress("-1", (0, 0), "0.0.0.0/0", ipv6=("::/0",))])),
    case("sg-ingress-no-description", SG, sg(ingress("tcp", (443, 443), "10.0.0.0/8", description=None)), {DESC}),
    case("sg-egress-blank-description", SG, sg(egress=[ingress("-1", (0, 0), "0.0.0.0/0", description="  ")]), {DESC}),
    case("sg-description-secret", SG, sg(ingress("tcp", (443, 443), "10.0.0.0/8", description=Secret("why")))),
    case("sg-no-rules", SG, {"description": "empty", "vpcId": "vpc-0123"}),
    case("sg-ingress-garbage", SG, sg(ingress="tcp/22")),
    case("sg-ingress-items-garbage", SG, sg(ingress=[None, 22, "x"])),
    case("sg-ingress-unknown", SG, sg(ingress=UNKNOWN), not_checkable={OPEN, KUBELET, DESC}),
    case("sg-cidr-unknown", SG, sg(ingress("tcp", (22, 22), UNKNOWN)), not_checkable={OPEN}),
    case("sg-cidr-unknown-and-open", SG, sg(ingress("tcp", (22, 22), UNKNOWN, "0.0.0.0/0")), {OPEN}),
    case(
        "sg-ports-unknown-open", SG, sg(ingress("tcp", (UNKNOWN, UNKNOWN), "0.0.0.0/0")), not_checkable={OPEN, KUBELET}
    ),
    case("sg-ports-unknown-private", SG, sg(ingress("tcp", (UNKNOWN, 22), "10.0.0.0/8")), not_checkable={KUBELET}),
    case(
        "sg-one-rule-unknown-other-open",
        SG,
        sg(UNKNOWN, ingress("tcp", (22, 22), "0.0.0.0/0")),
        {OPEN},
        not_checkable={KUBELET, DESC},
    ),
    case("default-sg-ssh-open", DEFAULT_SG, sg(ingress("tcp", (22, 22), "0.0.0.0/0")), {OPEN}),
    case("default-sg-baseline", DEFAULT_SG, sg()),
    # aws.ec2.SecurityGroupRule
    case("rule-baseline", RULE, rule()),
    case(
        "rule-ssh-open",
        RULE,
        rule(fromPort=22, toPort=22, sourceSecurityGroupId=None, cidrBlocks=["0.0.0.0/0"]),
        {OPEN},
    ),
    case("rule-https-open", RULE, rule(sourceSecurityGroupId=None, ipv6CidrBlocks=["::/0"])),
    case(
        "rule-all-from-public-cidr",
        RULE,
        rule(protocol="-1", fromPort=0, toPort=0, cidrBlocks=["8.8.8.0/24"]),
        {KUBELET},
    ),
    case("rule-egress-open", RULE, rule(type="egress", protocol="-1", fromPort=0, toPort=0, cidrBlocks=["0.0.0.0/0"])),
    case("rule-egress-no-description", RULE, rule(type="egress", description=None), {DESC}),
    case("rule-no-description", RULE, rule(description=None), {DESC}),
    case("rule-type-garbage-open", RULE, rule(type="both", cidrBlocks=["0.0.0.0/0"], fromPort=22, toPort=22)),
    case(
        "rule-type-unknown-open",
        RULE,
        rule(type=UNKNOWN, cidrBlocks=["0.0.0.0/0"], fromPort=22, toPort=22),
        not_checkable={OPEN, KUBELET},
    ),
    case("rule-cidrs-unknown", RULE, rule(cidrBlocks=UNKNOWN, fromPort=22, toPort=22), not_checkable={OPEN}),
    # aws.vpc.SecurityGroupIngressRule / EgressRule
    case("vpc-in-baseline", VPC_IN, vpc_in()),
    case(
        "vpc-in-ssh-open",
        VPC_IN,
        vpc_in(fromPort=22, toPort=22, referencedSecurityGroupId=None, cidrIpv4="0.0.0.0/0"),
        {OPEN},
    ),
    case(
        "vpc-in-all-ipv6-open",
        VPC_IN,
        vpc_in(ipProtocol="-1", fromPort=None, toPort=None, cidrIpv6="::/0"),
        {OPEN, KUBELET},
    ),
    case("vpc-in-kubelet-public", VPC_IN, vpc_in(referencedSecurityGroupId=None, cidrIpv4="192.0.2.10/32"), {KUBELET}),
    case("vpc-in-prefix-list", VPC_IN, vpc_in(referencedSecurityGroupId=None, prefixListId="pl-0123")),
    case("vpc-in-no-description", VPC_IN, vpc_in(description=None), {DESC}),
    case("vpc-in-description-number", VPC_IN, vpc_in(description=7), {DESC}),
    case(
        "vpc-in-cidr-unknown",
        VPC_IN,
        vpc_in(referencedSecurityGroupId=None, cidrIpv4=UNKNOWN),
        not_checkable={OPEN, KUBELET},
    ),
    case("vpc-in-description-unknown", VPC_IN, vpc_in(description=UNKNOWN), not_checkable={DESC}),
    case("vpc-out-baseline", VPC_OUT, vpc_out()),
    case("vpc-out-no-description", VPC_OUT, vpc_out(description=None), {DESC}),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_security_group_case(pack, c: Case) -> None:
    run_case(pack, c)


def test_messages_show_ports_as_integers_and_the_cidr(pack) -> None:
    props = sg(ingress("tcp", (22, 22), "0.0.0.0/0"), ingress("tcp", (10000, 11000), "0.0.0.0/0", ipv6=("::/0",)))
    assert pack.messages(SG, props).get(OPEN, []) == [
        "ingress[3] allows tcp 22 from 0.0.0.0/0",
        "ingress[4] allows tcp 10000-11000 from 0.0.0.0/0, ::/0",
    ]
    assert pack.messages(SG, props).get(KUBELET, []) == [
        "ingress[4] allows tcp 10000-11000 (kubelet 10250) from 0.0.0.0/0, ::/0, outside trustedCidrs"
    ]
    assert pack.messages(VPC_OUT, vpc_out(description=None)).get(DESC, []) == ["egress rule has no description"]


def test_security_group_controls_have_no_remediation(pack) -> None:
    with pack.configured({"all": "remediate"}):
        assert pack.remediate(SG, sg(ingress("tcp", (22, 22), "0.0.0.0/0", description=None))) is None
