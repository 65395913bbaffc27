"""Rules for controls/security_groups.toml: security group rules in all their Pulumi forms.

A rule can be inline on the group (``ingress[]``/``egress[]`` of aws.ec2.SecurityGroup and
aws.ec2.DefaultSecurityGroup), an aws.ec2.SecurityGroupRule, or an aws.vpc.SecurityGroupIngressRule /
SecurityGroupEgressRule. Each form spells the same things differently; :data:`FORMS` maps them.
Rules that name a security group or prefix list as their peer are not judged by CIDR.
https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .. import facts
from ..framework import RuleContext, resource_rule
from ..values import as_list, as_map, get
from ._ec2 import (
    ALL_TRAFFIC,
    Verdict,
    covers_tcp_port,
    is_internet,
    network,
    networks,
    port_set,
    port_span,
    protocol_name,
    show,
    traffic_text,
    within,
)

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS_TYPES = (SECURITY_GROUP, DEFAULT_SECURITY_GROUP, SECURITY_GROUP_RULE, VPC_INGRESS_RULE)
ALL_TYPES = (*INGRESS_TYPES, VPC_EGRESS_RULE)

KUBELET_PORT = facts.KUBELET_PORT
# Security Hub EC2.18's default authorized ports: what a public load balancer serves.
DEFAULT_ALLOWED_PUBLIC_PORTS = [80, 443]
# RFC 1918, RFC 6598 (EKS custom networking often uses 100.64.0.0/10) and IPv6 unique local addresses.
DEFAULT_TRUSTED_CIDRS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"]


@dataclass(frozen=True)
class Form:
    protocol: str
    cidr_fields: tuple[str, ...]
    cidr_lists: bool


INLINE = Form("protocol", ("cidrBlocks", "ipv6CidrBlocks"), cidr_lists=True)
RULE = Form("protocol", ("cidrBlocks", "ipv6CidrBlocks"), cidr_lists=True)
VPC_RULE = Form("ipProtocol", ("cidrIpv4", "cidrIpv6"), cidr_lists=False)


@dataclass(frozen=True)
class Entry:
    label: str
    direction: str | None
    """"ingress", "egress", or None when the resource does not say (oddly typed)."""
    body: Any
    form: Form
    unknown: UnknownValueError | None = None
    """Set when the rule itself (or its direction) is unknown during preview."""


def _entries(ctx: RuleContext) -> Iterator[Entry]:
    props = ctx.props
    if ctx.resource_type in (SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        for direction in ("ingress", "egress"):
            try:
                items = as_list(get(props, direction)) or []
            except UnknownValueError as exc:
                yield Entry(direction, direction, None, INLINE, exc)
                continue
            for i in range(len(items)):
                label = f"{direction}[{i}]"
                try:
                    item = items[i]
                except UnknownValueError as exc:
                    yield Entry(label, direction, None, INLINE, exc)
                    continue
                yield Entry(label, direction, item, INLINE)
    elif ctx.resource_type == SECURITY_GROUP_RULE:
        try:
            kind = get(props, "type")
        except UnknownValueError as exc:
            yield Entry("rule", None, props, RULE, exc)
            return
        direction = kind if kind in ("ingress", "egress") else None
        yield Entry(f"{direction or 'security group'} rule", direction, props, RULE)
    elif ctx.resource_type == VPC_INGRESS_RULE:
        yield Entry("ingress rule", "ingress", props, VPC_RULE)
    elif ctx.resource_type == VPC_EGRESS_RULE:
        yield Entry("egress rule", "egress", props, VPC_RULE)


def _cidrs(entry: Entry) -> tuple[list[str], UnknownValueError | None]:
    """The CIDR strings a rule names (IPv4 and IPv6), and the first unknown met while reading them."""
    found: list[str] = []
    unknown: UnknownValueError | None = None
    for field in entry.form.cidr_fields:
        try:
            value = get(entry.body, field)
            if not entry.form.cidr_lists:
                found.extend([value] if isinstance(value, str) else [])
                continue
            items = as_list(value) or []
            for i in range(len(items)):
                try:
                    item = items[i]
                except UnknownValueError as exc:
                    unknown = unknown or exc
                    continue
                if isinstance(item, str):
                    found.append(item)
        except UnknownValueError as exc:
            unknown = unknown or exc
    return found, unknown


def _traffic(entry: Entry) -> tuple[str | None, tuple[int, int] | None, str]:
    raw = get(entry.body, entry.form.protocol)
    protocol = protocol_name(raw)
    span = port_span(protocol, get(entry.body, "fromPort"), get(entry.body, "toPort"))
    text = traffic_text(protocol, span) if protocol else f"protocol {show(raw)}"
    return protocol, span, text


def _ingress(ctx: RuleContext, verdict: Verdict) -> Iterator[Entry]:
    for entry in _entries(ctx):
        if entry.unknown is not None:
            verdict.note(entry.unknown)
        elif entry.direction == "ingress":
            yield entry


# https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-18
@resource_rule(
    "sg-open-ingress",
    types=INGRESS_TYPES,
    config={
        "allowedPublicPorts": {
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 65535},
            "default": DEFAULT_ALLOWED_PUBLIC_PORTS,
            "description": "Ports that may be open to 0.0.0.0/0 and ::/0 (tcp or udp), e.g. a public load "
            "balancer's 80 and 443. Everything else from the internet is a violation.",
        }
    },
)
def open_ingress(ctx: RuleContext) -> list[str]:
    allowed = port_set(ctx.config.get("allowedPublicPorts"))
    verdict = Verdict()
    for entry in _ingress(ctx, verdict):
        with verdict.checking():
            cidrs, unknown = _cidrs(entry)
            internet = [c for c in cidrs if is_internet(network(c))]
            if not internet:
                if unknown is not None:
                    raise unknown
                continue
            protocol, span, text = _traffic(entry)
            if protocol != ALL_TRAFFIC and span is not None and _only_allowed(span, allowed):
                continue
            verdict.add(f"{entry.label} allows {text} from {', '.join(internet)}")
    return verdict.done()


def _only_allowed(span: tuple[int, int], allowed: frozenset[int]) -> bool:
    low, high = span
    return high - low < len(allowed) and all(port in allowed for port in range(low, high + 1))


@resource_rule(
    "sg-kubelet-exposed",
    types=INGRESS_TYPES,
    config={
        "trustedCidrs": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_TRUSTED_CIDRS,
            "description": f"Networks that may reach the kubelet (tcp {KUBELET_PORT}): the VPC and peered private "
            "ranges. A rule naming any CIDR outside these is a violation; rules naming a security group are fine. "
            "IPv6 clusters add their VPC's IPv6 CIDR here.",
        }
    },
)
def kubelet_exposed(ctx: RuleContext) -> list[str]:
    trusted = networks(ctx.config.get("trustedCidrs"))
    verdict = Verdict()
    for entry in _ingress(ctx, verdict):
        with verdict.checking():
            protocol, span, text = _traffic(entry)
            if not covers_tcp_port(protocol, span, KUBELET_PORT):
                continue
            cidrs, unknown = _cidrs(entry)
            outside = [c for c in cidrs if (net := network(c)) is not None and not within(net, trusted)]
            if outside:
                verdict.add(
                    f"{entry.label} allows {text} (kubelet {KUBELET_PORT}) from {', '.join(outside)}, "
                    "outside trustedCidrs"
                )
            elif unknown is not None:
                raise unknown
    return verdict.done()


@resource_rule("sg-rule-description", types=ALL_TYPES)
def rule_description(ctx: RuleContext) -> list[str]:
    verdict = Verdict()
    for entry in _entries(ctx):
        with verdict.checking():
            if entry.unknown is not None and entry.body is None:
                raise entry.unknown
            if as_map(entry.body) is None:
                continue  # not a rule at all (oddly typed list item)
            description = get(entry.body, "description")
            if not isinstance(description, str) or not description.strip():
                shown = "" if description is None else f" ({show(description)})"
                verdict.add(f"{entry.label} has no description{shown}")
    return verdict.done()
