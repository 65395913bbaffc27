"""The stack rule of ``node-public-ip`` (controls/nodes.toml): nodes and the subnets they are placed in.

Whether a node gets a public IPv4 address is said by its launch settings when they set
``associatePublicIpAddress``, and otherwise by its subnet's ``mapPublicIpOnLaunch``, which lives in another
resource; so the control is decided here, over the resource graph, for every kind of node the stack declares:

- launch templates and launch configurations that set the address themselves;
- instances (their own flag, else their subnet);
- managed node groups (their launch template's flag, else their subnets: the case of the template EKS creates);
- the pulumi-eks components: ``Cluster``'s default node group, ``NodeGroup`` and ``NodeGroupV2`` set the flag
  from ``nodeAssociatePublicIpAddress`` (default true); ``ManagedNodeGroup`` places its nodes in ``subnetIds`` or
  in every subnet of its cluster;
- node classes: a Karpenter ``EC2NodeClass``'s ``spec.associatePublicIPAddress`` and an EKS Auto Mode
  ``NodeClass``'s ``spec.advancedNetworking.associatePublicIPAddress``; unset, the subnets their selector terms
  pick decide, which the program does not show (https://karpenter.sh/docs/concepts/nodeclasses/,
  https://docs.aws.amazon.com/eks/latest/userguide/create-node-class.html).

Subnets declared in the stack (or an awsx VPC's) are read; subnets outside the stack are not checkable offline,
with the reason; the default VPC's subnets map public IPs (AWS default).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..components import UnknownMajorVersion, defaults_for
from ..facts import AWSX_VPC, EKS_CLUSTER, EKS_MANAGED_NODE_GROUP
from ..framework import NotApplicable, StackContext, not_checkable_offline, stack_rule
from ..graph import OutsideStack, ResourceGraph
from ..values import as_bool, as_list, as_map, get, peek, show
from ._ec2 import Verdict
from ._k8s import AUTO_MODE_NODE_CLASS_TYPES, KARPENTER_NODE_CLASS_TYPES
from ._subnets import DEFAULT_SUBNET, SUBNET, Placement, explicit_public_ip, read_subnets
from .nodes import INSTANCE, LAUNCH_CONFIGURATION, LAUNCH_TEMPLATE, NODE_GROUP
from .pulumi_eks import SELF_MANAGED, node_settings

NODE_CLASSES = {
    **dict.fromkeys(KARPENTER_NODE_CLASS_TYPES, ("associatePublicIPAddress",)),
    **dict.fromkeys(AUTO_MODE_NODE_CLASS_TYPES, ("advancedNetworking", "associatePublicIPAddress")),
}
"""Where a node class says whether its nodes get public addresses, under ``spec``."""
SUBJECTS = (
    LAUNCH_TEMPLATE,
    LAUNCH_CONFIGURATION,
    INSTANCE,
    NODE_GROUP,
    *SELF_MANAGED,
    EKS_MANAGED_NODE_GROUP,
    *NODE_CLASSES,
)
"""The nodes this control is reported on; it also reads where they are placed (the subnets, an awsx VPC's)."""
DEFAULT_VPC_PAGE = "https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html"


def _flag(value: Any) -> bool | None:
    return None if value is None else as_bool(value, default=False)


def _launch_template(template: Any) -> Iterator[str]:
    interfaces = as_list(get(template.props, "networkInterfaces")) or []
    for i in range(len(interfaces)):
        value = get(interfaces[i], "associatePublicIpAddress") if as_map(interfaces[i]) is not None else None
        if _flag(value):
            yield (
                f"launch template {template.name}: networkInterfaces[{i}].associatePublicIpAddress is {show(value)}: "
                "nodes get a public IPv4 address"
            )


def _self_managed(resource: Any) -> Iterator[str]:
    """pulumi-eks's self-managed nodes: nodeAssociatePublicIpAddress decides, default true."""
    try:
        nodes = node_settings(resource.resource_type, resource.name, resource.props)
    except NotApplicable:
        return  # a cluster without a default node group
    label = f"{nodes.prefix}nodeAssociatePublicIpAddress"
    value = get(nodes.settings, "nodeAssociatePublicIpAddress")
    if value is None:
        cite = defaults_for(resource.resource_type, getattr(resource, "provider", None)).cite(
            "nodeAssociatePublicIpAddress"
        )
        yield f"{label} is not set: pulumi-eks defaults it to true ({cite}), so {nodes.group} gets public IPs"
    elif _flag(value) is not False:
        yield f"{label} is {show(value)}: {nodes.group} gets public IPs"


class _Nodes:
    """The stack's nodes judged one by one into one verdict."""

    def __init__(self, graph: ResourceGraph) -> None:
        self.graph = graph
        self.verdict = Verdict()
        self.offline: list[str] = []

    def placed(self, resource: Any, what: str, read: Any) -> None:
        """Judge nodes whose address their subnets decide; ``read(placement)`` reads those subnets."""
        placement = Placement()
        read(placement)
        if placement.unknown is not None:
            self.verdict.note(placement.unknown)
        self.offline.extend(placement.offline)
        if placement.public:
            where = ", ".join(placement.public)
            self.verdict.add((f"{what} is placed in {where}: its nodes get public IPv4 addresses", resource.urn))

    def template_decides(self, resource: Any, prop: str) -> bool:
        """True when the launch template ``resource.props[prop]`` names sets the address itself (it is judged
        as a launch template then); False when it leaves it to the subnets."""
        try:
            template = self.graph.source_of(resource, prop)
        except OutsideStack as exc:
            self.offline.append(f"{resource.name}: {exc.reason}")
            return True
        if template is None or template.resource_type != LAUNCH_TEMPLATE:
            if template is not None:
                self.offline.append(f"{resource.name}: its launch template comes from {template.resource_type}")
            return template is not None
        return explicit_public_ip(template) is not None

    def node_group(self, group: Any) -> None:
        if get(group.props, "launchTemplate") is not None and self.template_decides(group, "launchTemplate"):
            return
        self.placed(group, f"node group {group.name}", lambda p: read_subnets(self.graph, group, "subnetIds", p))

    def managed_component(self, group: Any) -> None:
        if get(group.props, "launchTemplate") is not None and self.template_decides(group, "launchTemplate"):
            return
        what = f"managed node group {group.name}"

        def read(placement: Placement) -> None:
            if read_subnets(self.graph, group, "subnetIds", placement):
                return
            self._cluster_subnets(group, placement)

        self.placed(group, what, read)

    def _cluster_subnets(self, group: Any, placement: Placement) -> None:
        """No subnetIds: pulumi-eks places the nodes in every subnet of the cluster (nodes/nodegroup.ts:1958-1972)."""
        try:
            cluster = self.graph.source_of(group, "cluster")
        except OutsideStack as exc:
            placement.offline.append(f"{group.name}: {exc.reason}")
            return
        if cluster is None or cluster.resource_type != EKS_CLUSTER:
            placement.offline.append(f"{group.name}: its subnets come from a cluster eksguard cannot read")
            return
        if read_subnets(self.graph, cluster, "subnetIds", placement):
            return
        public = read_subnets(self.graph, cluster, "publicSubnetIds", placement, hint="Public")
        private = read_subnets(self.graph, cluster, "privateSubnetIds", placement, hint="Private")
        if not public and not private and peek(cluster.props, "vpcId") is None:
            placement.public.append(f"the default VPC's subnets of cluster {cluster.name} ({DEFAULT_VPC_PAGE})")

    def node_class(self, node_class: Any) -> None:
        path = NODE_CLASSES[node_class.resource_type]
        value: Any = get(node_class.props, "spec")
        for step in path:
            value = get(value, step)
        label = f"{node_class.resource_type.rsplit(':', 1)[-1]} {node_class.name}: spec.{'.'.join(path)}"
        if _flag(value):
            self.verdict.add((f"{label} is {show(value)}: its nodes get public IPv4 addresses", node_class.urn))
        elif value is None:
            self.offline.append(
                f"{label} is not set, so the subnets its subnetSelectorTerms pick decide whether its nodes get "
                "public addresses (set it to false)"
            )

    def instance(self, instance: Any) -> None:
        value = get(instance.props, "associatePublicIpAddress")
        what = f"instance {instance.name}"
        if _flag(value):
            message = f"{what}: associatePublicIpAddress is {show(value)}: it gets a public IPv4 address"
            self.verdict.add((message, instance.urn))
        elif value is None and get(instance.props, "launchTemplate") is None:
            self.placed(instance, what, lambda p: read_subnets(self.graph, instance, "subnetId", p))


@stack_rule("node-public-ip", types=(*SUBJECTS, SUBNET, DEFAULT_SUBNET, AWSX_VPC))
def public_ip(ctx: StackContext) -> list[tuple[str, str | None]]:
    subjects = ctx.subjects(*SUBJECTS)
    if not subjects:
        raise NotApplicable("the stack declares no nodes (launch templates, instances or node groups)")
    nodes = _Nodes(ctx.graph)
    for resource in subjects:
        kind = resource.resource_type
        with nodes.verdict.checking():
            try:
                if kind == LAUNCH_TEMPLATE:
                    nodes.verdict.messages.extend((m, resource.urn) for m in _launch_template(resource))
                elif kind == LAUNCH_CONFIGURATION:
                    value = get(resource.props, "associatePublicIpAddress")
                    if _flag(value):
                        message = f"launch configuration {resource.name}: associatePublicIpAddress is {show(value)}"
                        nodes.verdict.add((message, resource.urn))
                elif kind == INSTANCE:
                    nodes.instance(resource)
                elif kind == NODE_GROUP:
                    nodes.node_group(resource)
                elif kind == EKS_MANAGED_NODE_GROUP:
                    nodes.managed_component(resource)
                elif kind in NODE_CLASSES:
                    nodes.node_class(resource)
                else:
                    nodes.verdict.messages.extend((m, resource.urn) for m in _self_managed(resource))
            except (OutsideStack, UnknownMajorVersion) as exc:
                nodes.offline.append(str(exc))
    if nodes.verdict.messages:
        return nodes.verdict.messages
    findings = nodes.verdict.done()  # raises when the verdict depends on an unknown value
    if nodes.offline:
        shown = "; ".join(dict.fromkeys(nodes.offline))
        raise not_checkable_offline(shown)
    return findings
