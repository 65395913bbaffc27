"""Baseline: every eksguard component for one EKS cluster (created here, or an existing one by name), and for
each of the customer's six responsibility areas the URNs of the resources that implement it.

Composition only: the hardening lives in the components. Every child's arguments are validated before the
Baseline registers anything, so a bad nested argument leaves nothing half-created.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components import (
    access,
    audit_trail,
    cluster,
    image_registry,
    network,
    nodegroup,
    security_groups,
    threat_detection,
)
from components._common import InvalidArgumentError, Segment, coerce_args, require_choice, type_token
from components.access import AccessControl, AccessControlArgs
from components.audit_trail import AuditTrail, AuditTrailArgs
from components.cluster import Cluster, ClusterArgs
from components.image_registry import ImageRegistry, ImageRegistryArgs
from components.network import NetworkControls, NetworkControlsArgs
from components.nodegroup import NodeGroup, NodeGroupArgs
from components.security_groups import DataPlaneSecurityGroups, DataPlaneSecurityGroupsArgs
from components.threat_detection import ThreatDetection, ThreatDetectionArgs

# Stand-ins for values that exist only once a sibling is registered; used for validation, never registered.
_PENDING_SECURITY_GROUP = "sg-pending"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass
class BaselineNodeGroup:
    name: str
    """Stable id of the node group, used in resource names."""
    args: NodeGroupArgs = field(default_factory=NodeGroupArgs)
    """Node group settings; cluster_name and node_security_group_id are filled in by the Baseline, and
    subnet_ids default to the Baseline's subnet_ids. aws-node has one identity per cluster: a cluster created here
    gives it Pod Identity (every cni_identity is set to 'external'; 'irsa' is refused); for an existing cluster the
    first node group's cni_identity provides it, and the others are set to 'external'."""


@dataclass
class BaselineArgs:
    vpc_cidr_blocks: list[str] = field(default_factory=list)
    """The VPC's CIDR blocks (network ACL and restricted egress)."""
    subnet_ids: pulumi.Input[list[pulumi.Input[str]]] = field(default_factory=list)
    """Private subnets for the nodes (and the control plane of a created cluster); NACL-protected."""
    vpc_id: pulumi.Input[str] | None = None
    """The VPC; required to create a cluster, looked up from an existing cluster otherwise."""
    cluster: ClusterArgs | None = None
    """Create a cluster with these settings (subnet_ids default to the Baseline's). Exclusive with
    existing_cluster_name."""
    existing_cluster_name: pulumi.Input[str] | None = None
    """Harden an existing cluster, referenced by name. Exclusive with cluster."""
    security_groups: DataPlaneSecurityGroupsArgs = field(default_factory=DataPlaneSecurityGroupsArgs)
    """Data-plane security group settings; VPC and cluster fields are filled in by the Baseline."""
    network: NetworkControlsArgs = field(default_factory=NetworkControlsArgs)
    """Network ACL and flow-log settings; VPC, subnet and cluster fields are filled in by the Baseline."""
    node_groups: list[BaselineNodeGroup] = field(default_factory=list)
    """Managed node groups."""
    access: AccessControlArgs = field(default_factory=AccessControlArgs)
    """Namespaces, access mappings and RBAC; cluster fields are filled in by the Baseline."""
    audit_trail: AuditTrailArgs = field(default_factory=AuditTrailArgs)
    """The account's CloudTrail audit trail."""
    image_registry: ImageRegistryArgs | None = None
    """Opt-in: hardened ECR repositories for the cluster's images."""
    threat_detection: ThreatDetectionArgs | None = None
    """Opt-in: the account's GuardDuty EKS protection and Amazon Inspector scanning of nodes and images."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags for every child that takes tags (merged under each child's own tags)."""


@dataclass
class _Plan:
    """Every child's arguments, validated; placeholders stand for sibling outputs until creation."""

    cluster: ClusterArgs | None
    cluster_name: pulumi.Input[str]
    security_groups: DataPlaneSecurityGroupsArgs
    network: NetworkControlsArgs
    node_groups: list[tuple[str, NodeGroupArgs]]
    access: AccessControlArgs
    audit_trail: AuditTrailArgs
    image_registry: ImageRegistryArgs | None
    threat_detection: ThreatDetectionArgs | None


class Baseline(pulumi.ComponentResource):
    """Every eksguard component for one EKS cluster, created here or existing, grouped by responsibility area."""

    cluster_name: pulumi.Output[str]
    """Name of the EKS cluster the baseline hardens."""
    responsibilities: pulumi.Output[dict[str, list[str]]]
    """For each responsibility area (catalogue.AREAS keys), the URNs of the resources implementing it."""

    def __init__(self, name: str, args: BaselineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = coerce_args(BaselineArgs, args)
        plan = _plan(name, args)
        super().__init__(type_token(Baseline), name, None, opts)
        self._name = name
        opts_child = pulumi.ResourceOptions(parent=self)

        sgs = DataPlaneSecurityGroups(f"{name}-security-groups", plan.security_groups, opts_child)
        eks = None
        if plan.cluster is not None:
            eks_args = dataclasses.replace(plan.cluster, cluster_security_group_id=sgs.cluster_security_group_id)
            eks = Cluster(f"{name}-cluster", eks_args, opts_child)
        cluster_name: pulumi.Input[str] = eks.cluster_name if eks else plan.cluster_name

        controls = NetworkControls(
            f"{name}-network", dataclasses.replace(plan.network, cluster_name=cluster_name), opts_child
        )
        nodes = [
            NodeGroup(
                f"{name}-{ng_name}",
                dataclasses.replace(
                    ng_args,
                    cluster_name=cluster_name,
                    node_security_group_id=sgs.node_security_group_id,
                    # The version the cluster is created with, so the patched-AMI lookup resolves at preview.
                    kubernetes_version=ng_args.kubernetes_version or (eks.version if eks else None),
                ),
                pulumi.ResourceOptions(parent=self, depends_on=eks.node_prerequisites if eks else None),
            )
            for ng_name, ng_args in plan.node_groups
        ]
        access_args = dataclasses.replace(plan.access, cluster_name=cluster_name)
        if eks is not None:
            access_args = dataclasses.replace(
                access_args, cluster_endpoint=eks.endpoint, cluster_certificate_authority=eks.certificate_authority
            )
        rbac = AccessControl(f"{name}-access", access_args, opts_child)
        trail = AuditTrail(f"{name}-audit", plan.audit_trail, opts_child)
        registry = [ImageRegistry(f"{name}-images", plan.image_registry, opts_child)] if plan.image_registry else []
        detection = (
            [ThreatDetection(f"{name}-detection", plan.threat_detection, opts_child)] if plan.threat_detection else []
        )

        managed_cluster = [eks] if eks else []
        areas: dict[str, list[pulumi.Resource]] = {
            "data-plane-security-groups": [sgs],
            "worker-nodes-containers": [*nodes, *rbac.workload_resources, *registry],
            "guest-os-patching": [*managed_cluster, *nodes, *detection],
            "network-controls": [*managed_cluster, controls, *rbac.network_resources],
            "platform-iam-rbac": [*managed_cluster, *rbac.iam_resources, *rbac.rbac_resources, *registry],
            "audit-logging": [*managed_cluster, trail, *detection],
        }
        self.cluster_name = pulumi.Output.from_input(cluster_name)
        self.responsibilities = pulumi.Output.all(
            **{area: pulumi.Output.all(*[r.urn for r in resources]) for area, resources in areas.items()}
        )
        self.register_outputs({"cluster_name": self.cluster_name, "responsibilities": self.responsibilities})


def validate(name: str, args: BaselineArgs) -> None:
    """Raise the InvalidArgumentError that ``Baseline(name, args)`` would raise, registering nothing."""
    _plan(name, args)


def _plan(name: str, args: BaselineArgs) -> _Plan:
    c = "Baseline"
    if (args.cluster is None) == (args.existing_cluster_name is None):
        raise InvalidArgumentError(
            c,
            "cluster",
            "and existing_cluster_name are both given or both missing",
            "exactly one: cluster (create) or existing_cluster_name (harden)",
        )
    if args.cluster is not None and args.vpc_id is None:
        raise InvalidArgumentError(c, "vpc_id", "is missing but a cluster is to be created", "the VPC id")
    # An Output (e.g. a VPC component's subnet ids or an existing cluster's name) is checked by AWS at deploy time.
    if not isinstance(args.subnet_ids, pulumi.Output | list) or args.subnet_ids == []:
        raise InvalidArgumentError(c, "subnet_ids", f"is {args.subnet_ids!r}", "a non-empty list of private subnet ids")
    if args.existing_cluster_name is not None and not (
        isinstance(args.existing_cluster_name, pulumi.Output)
        or (isinstance(args.existing_cluster_name, str) and args.existing_cluster_name)
    ):
        raise InvalidArgumentError(
            c, "existing_cluster_name", f"is {args.existing_cluster_name!r}", "the name of an existing EKS cluster"
        )
    names = [ng.name for ng in args.node_groups]
    for i, ng_name in enumerate(names):
        if not isinstance(ng_name, str) or not _DNS_LABEL.match(ng_name) or names.index(ng_name) != i:
            raise InvalidArgumentError(
                c, ("node_groups", i, "name"), f"is {ng_name!r}", "unique DNS-1123 labels (lowercase a-z, 0-9, '-')"
            )
    identities = [ng.args.cni_identity for ng in args.node_groups]
    for i, identity in enumerate(identities):  # judged here too: a created cluster replaces them with 'external'
        require_choice(c, ("node_groups", i, "args", "cni_identity"), identity, nodegroup.CNI_IDENTITIES)
    provided = [identity for identity in identities if identity != "external"]
    if args.cluster is not None and "irsa" in identities:
        raise InvalidArgumentError(
            c,
            ("node_groups", identities.index("irsa"), "args", "cni_identity"),
            "is 'irsa' but the created cluster gives aws-node its identity through Pod Identity",
            ["pod-identity", "external"],
        )
    if len(set(provided)) > 1:
        i = identities.index(next(identity for identity in provided if identity != provided[0]))
        raise InvalidArgumentError(
            c,
            ("node_groups", i, "args", "cni_identity"),
            f"is {identities[i]!r} but the first node group's is {provided[0]!r}",
            "one identity for aws-node per cluster, set on the first node group",
        )
    _refuse_filled_in(args)

    if args.cluster is not None:
        cluster_name: pulumi.Input[str] = args.cluster.cluster_name or f"{name}-cluster"
        cluster_name_from: tuple[Segment, ...] = ("cluster", "cluster_name") if args.cluster.cluster_name else ("name",)
    else:
        cluster_name, cluster_name_from = args.existing_cluster_name, ("existing_cluster_name",)  # type: ignore[assignment]
    inherit = _Inheritance(args, cluster_name_from)
    cluster_args = None
    if args.cluster is not None:
        cluster_args = dataclasses.replace(
            args.cluster,
            cluster_name=inherit.cluster_name("cluster", cluster_name),
            subnet_ids=inherit.subnets("cluster", args.cluster.subnet_ids),
            tags={**args.tags, **args.cluster.tags},
        )
    plan = _Plan(
        cluster=cluster_args,
        cluster_name=cluster_name,
        security_groups=dataclasses.replace(
            args.security_groups,
            vpc_id=inherit.vpc_id("security_groups", args.security_groups.vpc_id),
            cluster_name=args.existing_cluster_name,
            vpc_cidr_blocks=inherit.vpc_cidrs("security_groups", args.security_groups.vpc_cidr_blocks),
            tags={**args.tags, **args.security_groups.tags},
        ),
        network=dataclasses.replace(
            args.network,
            vpc_cidr_blocks=inherit.vpc_cidrs("network", args.network.vpc_cidr_blocks),
            vpc_id=inherit.vpc_id("network", args.network.vpc_id),
            subnet_ids=inherit.subnets("network", args.network.subnet_ids),
            cluster_name=inherit.cluster_name("network", cluster_name),
            tags={**args.tags, **args.network.tags},
        ),
        node_groups=[
            (
                ng.name,
                dataclasses.replace(
                    ng.args,
                    cluster_name=inherit.cluster_name(("node_groups", i, "args"), cluster_name),
                    subnet_ids=inherit.subnets(("node_groups", i, "args"), ng.args.subnet_ids),
                    node_security_group_id=_PENDING_SECURITY_GROUP,
                    # One identity for aws-node per cluster: the created Cluster's, else the first node group's.
                    cni_identity=ng.args.cni_identity if i == 0 and args.cluster is None else "external",
                    oidc_provider_arn=ng.args.oidc_provider_arn if i == 0 else None,
                    tags={**args.tags, **ng.args.tags},
                ),
            )
            for i, ng in enumerate(args.node_groups)
        ],
        access=dataclasses.replace(args.access, cluster_name=inherit.cluster_name("access", cluster_name)),
        audit_trail=args.audit_trail,
        image_registry=dataclasses.replace(args.image_registry, tags={**args.tags, **args.image_registry.tags})
        if args.image_registry
        else None,
        threat_detection=dataclasses.replace(args.threat_detection, tags={**args.tags, **args.threat_detection.tags})
        if args.threat_detection
        else None,
    )
    _validate_children(name, plan, inherit)
    return plan


# Child arguments the Baseline sets itself, from its own arguments or from a sibling's outputs; giving one is refused.
FILLED_IN: dict[type, frozenset[str]] = {
    ClusterArgs: frozenset({"cluster_security_group_id"}),
    DataPlaneSecurityGroupsArgs: frozenset({"cluster_name"}),
    NetworkControlsArgs: frozenset({"cluster_name"}),
    NodeGroupArgs: frozenset({"cluster_name", "node_security_group_id"}),
    AccessControlArgs: frozenset({"cluster_name", "cluster_endpoint", "cluster_certificate_authority"}),
}


def _refuse_filled_in(args: BaselineArgs) -> None:
    children: list[tuple[tuple[Segment, ...], object]] = [
        (("cluster",), args.cluster),
        (("security_groups",), args.security_groups),
        (("network",), args.network),
        (("access",), args.access),
        *((("node_groups", i, "args"), ng.args) for i, ng in enumerate(args.node_groups)),
    ]
    for where, child in children:
        for f in dataclasses.fields(child) if child is not None else ():  # type: ignore[arg-type]
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            if f.name in FILLED_IN.get(type(child), ()) and getattr(child, f.name) != default:
                raise InvalidArgumentError(
                    "Baseline", (*where, f.name), "is set, but the Baseline sets it itself", "unset"
                )


class _Inheritance:
    """Fills a child's arguments in from the Baseline's own and remembers which, so that a child's complaint about
    one names the Baseline argument it came from."""

    def __init__(self, args: BaselineArgs, cluster_name_from: tuple[Segment, ...]) -> None:
        self._args = args
        self._cluster_name_from = cluster_name_from
        self.sources: dict[tuple[Segment, ...], tuple[Segment, ...]] = {}

    def add(self, child: str | tuple[Segment, ...], field_name: str, source: tuple[Segment, ...]) -> None:
        where = (child,) if isinstance(child, str) else child
        self.sources[(*where, field_name)] = source

    def subnets(self, child: str | tuple[Segment, ...], own: object) -> pulumi.Input[list[pulumi.Input[str]]]:
        if own:
            return own  # type: ignore[return-value]
        self.add(child, "subnet_ids", ("subnet_ids",))
        return _copied(self._args.subnet_ids)

    def vpc_cidrs(self, child: str, own: list[str]) -> list[str]:
        if own:
            return own
        self.add(child, "vpc_cidr_blocks", ("vpc_cidr_blocks",))
        return list(self._args.vpc_cidr_blocks)

    def vpc_id(self, child: str, own: pulumi.Input[str] | None) -> pulumi.Input[str] | None:
        if self._args.vpc_id is None:
            return own
        self.add(child, "vpc_id", ("vpc_id",))
        return self._args.vpc_id

    def cluster_name(self, child: str | tuple[Segment, ...], cluster_name: pulumi.Input[str]) -> pulumi.Input[str]:
        self.add(child, "cluster_name", self._cluster_name_from)
        return cluster_name

    def origin(self, where: tuple[Segment, ...], path: tuple[Segment, ...]) -> tuple[Segment, ...]:
        """The Baseline argument behind a child's ``path``: an inherited one, else the child's own settings."""
        if path[:1] == ("name",):
            return ("name",)  # children are named after the Baseline
        source = self.sources.get((*where, *path[:1]))
        return (*source, *path[1:]) if source is not None else (*where, *path)


def _validate_children(name: str, plan: _Plan, inherit: _Inheritance) -> None:
    children: list[tuple[Callable[[str, Any], None], str, object, tuple[Segment, ...]]] = [
        (security_groups.validate, f"{name}-security-groups", plan.security_groups, ("security_groups",)),
    ]
    if plan.cluster is not None:
        children.append((cluster.validate, f"{name}-cluster", plan.cluster, ("cluster",)))
    children.append((network.validate, f"{name}-network", plan.network, ("network",)))
    for i, (ng_name, ng_args) in enumerate(plan.node_groups):
        children.append((nodegroup.validate, f"{name}-{ng_name}", ng_args, ("node_groups", i, "args")))
    children.append((access.validate, f"{name}-access", plan.access, ("access",)))
    children.append((audit_trail.validate, f"{name}-audit", plan.audit_trail, ("audit_trail",)))
    if plan.image_registry is not None:
        children.append((image_registry.validate, f"{name}-images", plan.image_registry, ("image_registry",)))
    if plan.threat_detection is not None:
        children.append((threat_detection.validate, f"{name}-detection", plan.threat_detection, ("threat_detection",)))
    for validate_child, child_name, child_args, where in children:
        try:
            validate_child(child_name, child_args)
        except InvalidArgumentError as exc:
            raise exc.relocated("Baseline", inherit.origin(where, exc.path)) from None


def _copied(subnet_ids: pulumi.Input[list[pulumi.Input[str]]]) -> pulumi.Input[list[pulumi.Input[str]]]:
    """A child's own copy of a plain list (children never share one); an Output is passed on as it is."""
    return list(subnet_ids) if isinstance(subnet_ids, list) else subnet_ids
