"""Whether nodes placed in some subnets get public IPv4 addresses, read through the resource graph.

A node whose launch settings do not say (a managed node group without a launch template, a launch template
or instance without ``associatePublicIpAddress``) gets a public address exactly when its subnet maps public IPs
on launch: EKS requires ``MapPublicIpOnLaunch`` on public subnets of managed node groups and uses it
(https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html). The subnets come from:

- ``aws.ec2.Subnet`` resources (``mapPublicIpOnLaunch``, default false) and ``aws.ec2.DefaultSubnet`` (default
  subnets map public IPs: https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html);
- an awsx ``ec2.Vpc`` component, whose Public subnets map public IPs (data/components/pulumi-awsx.json). A
  reference to the whole VPC (what a program sees before its children exist) tells which of its subnets only
  through the argument it was passed as (pulumi-eks ``publicSubnetIds``/``privateSubnetIds``); otherwise it is
  one only when all its subnets are alike;
- anything else, or something outside the stack: not checkable offline, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from ..components import UnknownMajorVersion, defaults_for
from ..facts import AWSX_VPC
from ..graph import ResourceGraph
from ..values import as_bool, as_list, as_map, get, peek, show

SUBNET = "aws:ec2/subnet:Subnet"
DEFAULT_SUBNET = "aws:ec2/defaultSubnet:DefaultSubnet"
SUBNET_KINDS = ("Public", "Private", "Isolated")


@dataclass
class Placement:
    """What the subnets of one set of nodes say about public addresses."""

    public: list[str] = field(default_factory=list)
    """Phrases naming the subnets that map public IPs on launch."""
    offline: list[str] = field(default_factory=list)
    """Why part of the placement cannot be read offline."""
    unknown: UnknownValueError | None = None


def awsx_subnet_kinds(vpc: Any) -> set[str]:
    """The kinds of subnet an awsx VPC creates (Public, Private, Isolated), from its subnetSpecs or awsx's default."""
    specs = get(vpc.props, "subnetSpecs")
    if specs is None:
        default = defaults_for(AWSX_VPC, getattr(vpc, "provider", None))["subnetSpecs"].value
        return {s["type"] for s in default}
    kinds = set()
    for spec in as_list(specs) or []:
        kind = get(spec, "type")
        if isinstance(kind, str) and kind.strip().capitalize() in SUBNET_KINDS:
            kinds.add(kind.strip().capitalize())
    return kinds


def _awsx_vpc(vpc: Any, hint: str | None, placement: Placement) -> None:
    try:
        cite = defaults_for(AWSX_VPC, getattr(vpc, "provider", None)).cite("mapPublicIpOnLaunch")
    except UnknownMajorVersion as exc:
        placement.offline.append(str(exc))
        return
    kinds = awsx_subnet_kinds(vpc)
    if hint == "Public" or kinds == {"Public"}:
        if "Public" in kinds:
            placement.public.append(f"the public subnets of awsx VPC {vpc.name} (mapPublicIpOnLaunch true, {cite})")
        return
    if hint is not None or "Public" not in kinds:
        return
    placement.offline.append(
        f"the subnets come from awsx VPC {vpc.name}, which has public subnets that map public IPs on launch "
        f"({cite}) and others that do not; the reference names the VPC, not which of its subnets (a real "
        "`pulumi preview` sends the subnets themselves)"
    )


def read_subnets(graph: ResourceGraph, resource: Any, prop: str, placement: Placement, hint: str | None = None) -> bool:
    """Add what ``resource.props[prop]`` (subnet ids) says to ``placement``; False when the property is unset.

    ``hint``: "Public" or "Private" when the argument the subnets were passed as says which they are."""
    try:
        if peek(resource.props, prop) is None and not (resource.property_dependencies or {}).get(prop):
            return False
        sources = graph.sources_of(resource, prop)
    except UnknownValueError as exc:
        placement.unknown = placement.unknown or exc
        return True
    placement.offline.extend(f"{resource.name}: {reason}" for reason in sources.outside)
    for source in sources.resources:
        try:
            _read_subnet(source, hint, placement)
        except UnknownValueError as exc:
            placement.unknown = placement.unknown or exc
    return True


def _read_subnet(source: Any, hint: str | None, placement: Placement) -> None:
    kind = source.resource_type
    if kind in (SUBNET, DEFAULT_SUBNET):
        value = get(source.props, "mapPublicIpOnLaunch")
        maps = as_bool(value, default=kind == DEFAULT_SUBNET)
        if maps is None:
            placement.offline.append(f"subnet {source.name} has mapPublicIpOnLaunch {show(value)}, not a boolean")
        elif maps:
            where = "mapPublicIpOnLaunch true" if value is not None else "a default subnet maps public IPs"
            placement.public.append(f"subnet {source.name} ({where})")
    elif kind == AWSX_VPC:
        _awsx_vpc(source, hint, placement)
    else:
        placement.offline.append(f"the subnets come from {kind} {source.name}, whose subnets eksguard cannot read")


def explicit_public_ip(template: Any) -> bool | None:
    """A launch template's own say: True/False when a network interface sets associatePublicIpAddress, else None."""
    said: bool | None = None
    for interface in as_list(get(template.props, "networkInterfaces")) or []:
        if as_map(interface) is None:
            continue
        value = get(interface, "associatePublicIpAddress")
        flag = as_bool(value, default=False) if value is not None else None
        if flag:
            return True
        if flag is False:
            said = False
    return said
