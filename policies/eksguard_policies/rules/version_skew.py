"""The stack rule of ``nodegroup-version-skew`` (controls/patching.toml): node groups against their cluster.

A kubelet must not be newer than the API server and may be at most ``facts.KUBELET_MAX_MINOR_SKEW`` minor versions
older (https://kubernetes.io/releases/version-skew-policy/#kubelet); EKS updates the control plane only when the
nodes are at its version (https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html), so the policy's
``maxMinorVersionsBehind`` can be lowered to 0 to keep every node group ready for the next upgrade. A node group
without ``version`` runs its cluster's (the EKS default); a cluster without one runs the newest EKS creates.
"""

from __future__ import annotations

from typing import Any

from .. import facts
from ..facts import AWS_EKS_CLUSTER, EKS_CLUSTER, EKS_MANAGED_NODE_GROUP, EKS_NODE_GROUP, EKS_NODE_GROUP_V2
from ..framework import NotApplicable, StackContext, not_checkable_offline, stack_rule
from ..graph import OutsideStack
from ..values import get, has, show
from ..versions import latest_version
from ._amis import minor_version
from ._ec2 import Verdict, as_int
from .nodes import NODE_GROUP

CLUSTERS = (AWS_EKS_CLUSTER, EKS_CLUSTER)
NODE_GROUPS = (NODE_GROUP, EKS_MANAGED_NODE_GROUP, EKS_NODE_GROUP, EKS_NODE_GROUP_V2)
CLUSTER_PROPERTIES = ("clusterName", "cluster")
"""Where a node group names its cluster: aws.eks.NodeGroup's name, the pulumi-eks components' cluster object."""


def _owner(graph: Any, resource: Any) -> Any:
    """A pulumi-eks Cluster's child cluster stands for the component (the version is the component's input)."""
    parent = getattr(resource, "parent", None)
    owner = graph.by_urn.get(parent) if isinstance(parent, str) else None
    return owner if owner is not None and owner.resource_type == EKS_CLUSTER else resource


def _cluster_of(graph: Any, group: Any) -> Any | None:
    for prop in CLUSTER_PROPERTIES:
        if has(group.props, prop):
            cluster = graph.source_of(group, prop, CLUSTERS)
            return _owner(graph, cluster) if cluster is not None and cluster.resource_type in CLUSTERS else None
    return None


def _version(resource: Any) -> tuple[int, int] | None:
    value = get(resource.props, "version")
    return minor_version(latest_version() if value is None and resource.resource_type in CLUSTERS else value)


@stack_rule(
    "nodegroup-version-skew",
    types=(*NODE_GROUPS, *CLUSTERS),
    config={
        "maxMinorVersionsBehind": {
            "type": "integer",
            "minimum": 0,
            "maximum": facts.KUBELET_MAX_MINOR_SKEW,
            "default": facts.KUBELET_MAX_MINOR_SKEW,
            "description": "How many minor versions a node group may run behind its cluster: the Kubernetes skew "
            "policy allows 3; 0 keeps every node group at the control plane's version, ready for its next upgrade.",
        }
    },
)
def version_skew(ctx: StackContext) -> list[tuple[str, str | None]]:
    groups = ctx.subjects(*NODE_GROUPS)
    if not groups:
        raise NotApplicable("the stack declares no node groups")
    allowed = ctx.config.get("maxMinorVersionsBehind")
    allowed = (
        as_int(allowed) if as_int(allowed) is not None else facts.KUBELET_MAX_MINOR_SKEW
    )  # JSON numbers arrive as floats
    verdict, offline = Verdict(), []
    for group in groups:
        with verdict.checking():
            if get(group.props, "version") is None:
                continue  # the node group runs its cluster's version
            try:
                cluster = _cluster_of(ctx.graph, group)
            except OutsideStack as exc:
                offline.append(f"{group.name}: {exc.reason}")
                continue
            if cluster is None:
                continue
            node, control_plane = _version(group), _version(cluster)
            if node is None:
                verdict.add(
                    (f"node group {group.name}: version {show(get(group.props, 'version'))} is no version", group.urn)
                )
                continue
            if control_plane is None:
                continue
            shown = f"{node[0]}.{node[1]}"
            plane = f"{control_plane[0]}.{control_plane[1]}"
            behind = control_plane[1] - node[1] if node[0] == control_plane[0] else None
            if node > control_plane:
                verdict.add(
                    (
                        f"node group {group.name} runs Kubernetes {shown}, newer than its cluster {cluster.name} "
                        f"({plane}): a kubelet must not be newer than the API server",
                        group.urn,
                    )
                )
            elif behind is None or behind > allowed:
                verdict.add(
                    (
                        f"node group {group.name} runs Kubernetes {shown}, {behind} minor versions behind its cluster "
                        f"{cluster.name} ({plane}); maxMinorVersionsBehind is {allowed}",
                        group.urn,
                    )
                )
    if verdict.messages:
        return verdict.messages
    verdict.done()
    if offline:
        raise not_checkable_offline("; ".join(offline))
    return []
