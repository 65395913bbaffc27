"""Rules for controls/network.toml: network ACLs that let the internet reach admin ports.

A network ACL is judged whole, because rule order decides: for each admin port, the lowest-numbered ingress
rule that matches all of 0.0.0.0/0 (or ::/0) and tcp on that port wins, so a lower-numbered deny makes a
later allow harmless (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html). Rules arrive inline
(``ingress[]`` of aws.ec2.NetworkAcl / DefaultNetworkAcl) or as separate aws.ec2.NetworkAclRule resources,
so this is a stack policy: it groups NetworkAclRule resources by the ACL their ``networkAclId`` depends on
(or by the id string when no dependency is recorded).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from ..facts import admin_port_numbers
from ..framework import StackContext, stack_rule
from ..graph import ResourceGraph
from ..values import as_bool, as_list, get
from ._ec2 import (
    IpNetwork,
    Verdict,
    as_int,
    covers_tcp_port,
    is_internet,
    network,
    port_set,
    port_span,
    protocol_name,
    traffic_text,
)

NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl"
DEFAULT_NETWORK_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
NETWORK_ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
ACLS = (NETWORK_ACL, DEFAULT_NETWORK_ACL)
DEFAULT_ADMIN_PORTS = admin_port_numbers()


@dataclass(frozen=True)
class AclEntry:
    urn: str
    label: str
    number: int | None
    allow: bool
    protocol: str | None
    span: tuple[int, int] | None
    cidr: str
    net: IpNetwork

    def order(self) -> float:
        """Rule number; an unreadable one sorts an allow first and a deny last (a deny must be proven first)."""
        if self.number is not None:
            return self.number
        return -1 if self.allow else math.inf


def _entry(urn: str, label: str, body: Any, action_field: str, number_field: str) -> AclEntry | None:
    """An ingress rule that matches a whole address family (others cannot open an admin port to everyone)."""
    for cidr_field in ("cidrBlock", "ipv6CidrBlock"):
        cidr = get(body, cidr_field)
        net = network(cidr)
        if is_internet(net):
            break
    else:
        return None
    action = get(body, action_field)
    protocol = protocol_name(get(body, "protocol"))
    number = as_int(get(body, number_field))
    return AclEntry(
        urn=urn,
        label=f"{label} (rule {number if number is not None else '?'})",
        number=number,
        allow=isinstance(action, str) and action.strip().lower() == "allow",
        protocol=protocol,
        span=port_span(protocol, get(body, "fromPort"), get(body, "toPort")),
        cidr=cidr.strip(),
        net=net,  # type: ignore[arg-type]
    )


def _group_key(graph: ResourceGraph, rule: Any) -> str:
    """The network ACL a rule belongs to: the stack's ACL it names, else the id it names, else the rule alone."""
    acl = graph.sources_of(rule, "networkAclId", ACLS)
    if acl.unknown is not None:
        raise acl.unknown  # unknown and no dependency: the ACL can't be told
    if acl.resources:
        return acl.resources[0].urn
    return f"id:{acl.literals[0]}" if acl.literals else f"rule:{rule.urn}"


def _collect(ctx: StackContext) -> tuple[dict[str, list[AclEntry]], set[str], Verdict]:
    groups: dict[str, list[AclEntry]] = {}
    unsure: set[str] = set()  # groups with an entry unknown during preview: no definite verdict
    verdict = Verdict()
    for resource in ctx.graph.of_type(*ACLS, NETWORK_ACL_RULE):
        kind, urn = resource.resource_type, resource.urn
        if kind in ACLS:
            groups.setdefault(urn, [])
            try:
                items = as_list(get(resource.props, "ingress")) or []
            except UnknownValueError as exc:
                unsure.add(urn)
                verdict.note(exc)
                continue
            for i in range(len(items)):
                try:
                    entry = _entry(urn, f"{resource.name} ingress[{i}]", items[i], "action", "ruleNo")
                except UnknownValueError as exc:
                    unsure.add(urn)
                    verdict.note(exc)
                    continue
                if entry is not None:
                    groups[urn].append(entry)
        elif kind == NETWORK_ACL_RULE:
            key: str | None = None
            try:
                if as_bool(get(resource.props, "egress"), default=False) is not False:
                    continue  # egress (or an unreadable direction): not an ingress rule
                key = _group_key(ctx.graph, resource)
                entry = _entry(urn, resource.name, resource.props, "ruleAction", "ruleNumber")
            except UnknownValueError as exc:
                if key is not None:
                    unsure.add(key)
                verdict.note(exc)
                continue
            groups.setdefault(key, [])
            if entry is not None:
                groups[key].append(entry)
    return groups, unsure, verdict


@stack_rule(
    "nacl-admin-ports-open",
    types=(*ACLS, NETWORK_ACL_RULE),
    config={
        "adminPorts": {
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 65535},
            "default": DEFAULT_ADMIN_PORTS,
            "description": "TCP ports no network ACL may allow from 0.0.0.0/0 or ::/0 (unless a lower-numbered "
            "rule denies them).",
        }
    },
)
def admin_ports_open(ctx: StackContext) -> list[tuple[str, str | None]]:
    ports = sorted(port_set(ctx.config.get("adminPorts")))
    groups, unsure, verdict = _collect(ctx)
    for key, entries in groups.items():
        if key in unsure:
            continue
        opened: dict[AclEntry, list[int]] = {}
        for version in (4, 6):
            family = sorted((e for e in entries if e.net.version == version), key=AclEntry.order)
            for port in ports:
                first = next((e for e in family if covers_tcp_port(e.protocol, e.span, port)), None)
                if first is not None and first.allow:
                    opened.setdefault(first, []).append(port)
        for entry, open_ports in opened.items():
            listed = ", ".join(str(p) for p in open_ports)
            verdict.add(
                (
                    f"{entry.label} allows {traffic_text(entry.protocol, entry.span)} from {entry.cidr} with no "
                    f"lower-numbered deny: admin port(s) {listed} are open to the internet",
                    entry.urn,
                )
            )
    return verdict.done()
