"""nacl-admin-ports-open over the real protocol (AnalyzeStack): a network ACL is judged whole, rule order decides.

Each STACK_CASES entry is (id, resources, exact {(policy, urn)} violations, config). Standalone NetworkAclRule
resources find their ACL through the property dependency of ``networkAclId`` (its value is unknown during a
preview) or, without one, through the id string.
"""

from __future__ import annotations

from typing import Any

import pytest

from eksguard.protocol.wire import UNKNOWN

from .pack_driver import resource, urn_for

NACL = "nacl-admin-ports-open"
ACL = "aws:ec2/networkAcl:NetworkAcl"
DEFAULT_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
ADMIN_PORTS = [22, 23, 2379, 2380, 3389, 5985, 5986, 10250]
ONLY_SSH = {NACL: {"adminPorts": [22]}}


def entry(number: Any, action: str, protocol: Any, ports: tuple[Any, Any], cidr: Any, **kw: Any) -> dict[str, Any]:
    field = "ipv6CidrBlock" if isinstance(cidr, str) and ":" in cidr else "cidrBlock"
    return {
        "ruleNo": number,
        "action": action,
        "protocol": protocol,
        "fromPort": ports[0],
        "toPort": ports[1],
        field: cidr,
        **kw,
    }


def acl(name: str, *ingress: dict[str, Any], kind: str = ACL) -> Any:
    return resource(kind, {"vpcId": "vpc-0123", "ingress": list(ingress)}, name=name)


def acl_rule(
    name: str,
    number: Any,
    action: str,
    protocol: Any,
    ports: tuple[Any, Any],
    cidr: Any,
    acl_name: str | None = "nacl",
    **props: Any,
) -> Any:
    """A standalone rule; with ``acl_name`` its networkAclId is unknown and depends on that ACL's URN."""
    body = entry(number, action, protocol, ports, cidr)
    body = {"ruleNumber": body.pop("ruleNo"), "ruleAction": body.pop("action"), **body}
    deps = {}
    if acl_name is not None:
        body["networkAclId"] = UNKNOWN
        deps = {"networkAclId": [urn_for(ACL, acl_name)]}
    body.update(props)
    return resource(ACL_RULE, body, name=name, property_dependencies=deps)


def u(kind: str, name: str) -> str:
    return urn_for(kind, name)


def reference_rules(with_denies: bool = True) -> list[Any]:
    """What eksguard NetworkControls creates: VPC allow, admin-port denies, then ephemeral-port allows."""
    rules = [acl("nacl"), acl_rule("in-vpc", 100, "allow", "-1", (0, 0), "10.0.0.0/16")]
    if with_denies:
        for i, (low, high) in enumerate([(22, 22), (23, 23), (3389, 3389), (5985, 5986), (2379, 2380), (10250, 10250)]):
            rules.append(acl_rule(f"deny-{low}-v4", 200 + 2 * i, "deny", "tcp", (low, high), "0.0.0.0/0"))
            rules.append(acl_rule(f"deny-{low}-v6", 201 + 2 * i, "deny", "tcp", (low, high), "::/0"))
    for n, (protocol, cidr) in enumerate((("tcp", "0.0.0.0/0"), ("tcp", "::/0"), ("udp", "0.0.0.0/0"))):
        rules.append(acl_rule(f"ephemeral-{n}", 300 + n, "allow", protocol, (1024, 65535), cidr))
    rules.append(acl_rule("egress-all", 100, "allow", "-1", (0, 0), "0.0.0.0/0", egress=True))
    return rules


STACK_CASES: list[tuple[str, list[Any], set[tuple[str, str]], dict[str, Any]]] = [
    ("nacl-no-acls", [], set(), {}),
    ("nacl-empty", [acl("nacl")], set(), {}),
    ("nacl-ssh-open", [acl("nacl", entry(100, "allow", "tcp", (22, 22), "0.0.0.0/0"))], {(NACL, u(ACL, "nacl"))}, {}),
    ("nacl-vpc-only", [acl("nacl", entry(100, "allow", "-1", (0, 0), "10.0.0.0/16"))], set(), {}),
    ("nacl-udp-only", [acl("nacl", entry(100, "allow", "udp", (0, 65535), "0.0.0.0/0"))], set(), {}),
    (
        "nacl-protocol-number",
        [acl("nacl", entry(100, "allow", "6", (22, 22), "0.0.0.0/0"))],
        {(NACL, u(ACL, "nacl"))},
        {},
    ),
    ("nacl-all-traffic", [acl("nacl", entry(100, "allow", "all", (0, 0), "::/0"))], {(NACL, u(ACL, "nacl"))}, {}),
    (
        "nacl-deny-first",
        [acl("nacl", entry(90, "deny", "tcp", (22, 22), "0.0.0.0/0"), entry(100, "allow", "-1", (0, 0), "0.0.0.0/0"))],
        set(),
        ONLY_SSH,
    ),
    (
        "nacl-deny-after",
        [acl("nacl", entry(200, "deny", "tcp", (22, 22), "0.0.0.0/0"), entry(100, "allow", "-1", (0, 0), "0.0.0.0/0"))],
        {(NACL, u(ACL, "nacl"))},
        ONLY_SSH,
    ),
    (
        "nacl-partial-deny-first",
        [
            acl(
                "nacl",
                entry(90, "deny", "tcp", (22, 22), "198.51.100.0/24"),
                entry(100, "allow", "tcp", (22, 22), "0.0.0.0/0"),
            )
        ],
        {(NACL, u(ACL, "nacl"))},
        ONLY_SSH,
    ),
    (
        "nacl-ipv4-deny-ipv6-open",
        [acl("nacl", entry(90, "deny", "tcp", (22, 22), "0.0.0.0/0"), entry(100, "allow", "tcp", (0, 65535), "::/0"))],
        {(NACL, u(ACL, "nacl"))},
        ONLY_SSH,
    ),
    (
        "nacl-rule-number-garbage",
        [
            acl(
                "nacl",
                entry(90, "deny", "tcp", (22, 22), "0.0.0.0/0"),
                entry("first", "allow", "tcp", (22, 22), "0.0.0.0/0"),
            )
        ],
        {(NACL, u(ACL, "nacl"))},
        ONLY_SSH,
    ),
    (
        "nacl-admin-port-not-listed",
        [acl("nacl", entry(100, "allow", "tcp", (22, 22), "0.0.0.0/0"))],
        set(),
        {NACL: {"adminPorts": [3389]}},
    ),
    ("nacl-ingress-garbage", [resource(ACL, {"vpcId": "vpc-0123", "ingress": "all"}, name="nacl")], set(), {}),
    ("nacl-entry-unknown", [acl("nacl", entry(100, "allow", "tcp", (22, 22), UNKNOWN))], set(), {}),
    (
        "nacl-default-acl-allows-all",
        [acl("default", entry(100, "allow", "-1", (0, 0), "0.0.0.0/0"), kind=DEFAULT_ACL)],
        {(NACL, u(DEFAULT_ACL, "default"))},
        {},
    ),
    (
        "nacl-exempted",
        [acl("legacy", entry(100, "allow", "tcp", (22, 22), "0.0.0.0/0"))],
        set(),
        {NACL: {"exemptions": [{"pattern": "legacy", "reason": "bastion subnet, removed in Q1"}]}},
    ),
    # standalone NetworkAclRule resources
    ("nacl-reference-layout", reference_rules(), set(), {}),
    (
        "nacl-reference-without-denies",
        reference_rules(with_denies=False),
        {(NACL, u(ACL_RULE, "ephemeral-0")), (NACL, u(ACL_RULE, "ephemeral-1"))},
        {},
    ),
    (
        "nacl-rule-ssh-open",
        [acl("nacl"), acl_rule("ssh", 100, "allow", "tcp", (22, 22), "0.0.0.0/0")],
        {(NACL, u(ACL_RULE, "ssh"))},
        {},
    ),
    ("nacl-rule-egress", [acl_rule("out", 100, "allow", "-1", (0, 0), "0.0.0.0/0", egress=True)], set(), {}),
    (
        "nacl-rule-deny-in-other-acl",
        [
            acl("a"),
            acl("b"),
            acl_rule("deny-a", 90, "deny", "tcp", (22, 22), "0.0.0.0/0", acl_name="a"),
            acl_rule("allow-b", 100, "allow", "tcp", (22, 22), "0.0.0.0/0", acl_name="b"),
        ],
        {(NACL, u(ACL_RULE, "allow-b"))},
        ONLY_SSH,
    ),
    (
        "nacl-rule-grouped-by-id",
        [
            acl_rule("deny", 90, "deny", "tcp", (22, 22), "0.0.0.0/0", acl_name=None, networkAclId="acl-0123"),
            acl_rule("allow", 100, "allow", "-1", (0, 0), "0.0.0.0/0", acl_name=None, networkAclId="acl-0123"),
            acl_rule("other", 100, "allow", "-1", (0, 0), "0.0.0.0/0", acl_name=None, networkAclId="acl-0456"),
        ],
        {(NACL, u(ACL_RULE, "other"))},
        ONLY_SSH,
    ),
    (
        "nacl-rule-acl-unknown",
        [acl_rule("ssh", 100, "allow", "tcp", (22, 22), "0.0.0.0/0", acl_name=None, networkAclId=UNKNOWN)],
        set(),
        {},
    ),
    (
        "nacl-rule-cidr-unknown-deny",
        [
            acl("nacl"),
            acl_rule("deny", 90, "deny", "tcp", (22, 22), UNKNOWN),
            acl_rule("ssh", 100, "allow", "tcp", (22, 22), "0.0.0.0/0"),
        ],
        set(),
        ONLY_SSH,
    ),
    (
        "nacl-unknown-elsewhere-definite-here",
        [
            acl("a"),
            acl("b"),
            acl_rule("deny-a", 90, "deny", "tcp", (22, 22), UNKNOWN, acl_name="a"),
            acl_rule("ssh-b", 100, "allow", "tcp", (22, 22), "0.0.0.0/0", acl_name="b"),
        ],
        {(NACL, u(ACL_RULE, "ssh-b"))},
        ONLY_SSH,
    ),
]


@pytest.mark.parametrize("c", STACK_CASES, ids=lambda c: c[0])
def test_stack_case(pack, c) -> None:
    _, resources, expected, config = c
    with pack.configured(config):
        assert pack.stack_violations(resources) == expected


def _preview(pack, resources: list[Any], config: dict[str, Any]) -> set[str]:
    with pack.configured(config):
        result = pack.process.analyze_stack(resources)
    return {d.policy for d in result.diagnostics if "during preview" in d.message}


@pytest.mark.parametrize(
    "resources",
    [
        [acl("nacl", entry(100, "allow", "tcp", (22, 22), UNKNOWN))],
        [acl_rule("ssh", 100, "allow", "tcp", (22, 22), "0.0.0.0/0", acl_name=None, networkAclId=UNKNOWN)],
        [
            acl("nacl"),
            acl_rule("deny", 90, "deny", "tcp", (22, 22), UNKNOWN),
            acl_rule("ssh", 100, "allow", "tcp", (22, 22), "0.0.0.0/0"),
        ],
    ],
    ids=["inline-cidr", "rule-acl-id", "deny-cidr"],
)
def test_a_verdict_that_depends_on_an_unknown_is_not_checkable(pack, resources) -> None:
    assert _preview(pack, resources, ONLY_SSH) == {NACL}


def test_message_names_rule_ports_and_source(pack) -> None:
    with pack.configured({}):
        result = pack.process.analyze_stack(reference_rules(with_denies=False))
    messages = sorted(d.message.splitlines()[-1] for d in result.diagnostics if d.policy == NACL)
    assert messages == [
        "ephemeral-0 (rule 300) allows tcp 1024-65535 from 0.0.0.0/0 with no lower-numbered deny: admin port(s) "
        "2379, 2380, 3389, 5985, 5986, 10250 are open to the internet",
        "ephemeral-1 (rule 301) allows tcp 1024-65535 from ::/0 with no lower-numbered deny: admin port(s) "
        "2379, 2380, 3389, 5985, 5986, 10250 are open to the internet",
    ]


def test_default_admin_ports_are_the_documented_ones(pack) -> None:
    assert pack.defaults[NACL]["adminPorts"] == ADMIN_PORTS
