"""Baseline: every eksguard component for one EKS cluster (created here, or an existing one by name), and for
each of the customer's six responsibility areas the URNs of the resources that implement it.

Composition only: the hardening lives in the components. Every child's arguments are validated before the
Baseline registers anything, so a bad nested argument leaves nothing half-created.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

import pulumi

from components import access, audit_trail, cluster, network, nodegroup, security_groups
from components._common import InvalidArgumentError, coerce_args, type_token
from components.access import AccessControl, AccessControlArgs
from components.audit_trail import AuditTrail, AuditTrailArgs
from components.cluster import Cluster, ClusterArgs
from components.network import NetworkControls, NetworkControlsArgs
from components.nodegroup import NodeGroup, NodeGroupArgs
from components.security_groups import DataPlaneSecurityGroups, DataPlaneSecurityGroupsArgs

# Stand-ins for values that exist only once a sibling is registered; used for validation, never registered.
_PENDING_SECURITY_GROUP = "sg-pending"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass
class BaselineNodeGroup:
    name: str
    """Stable id of the node group, used in resource names."""
    args: NodeGroupArgs = field(default_factory=NodeGroupArgs)
    """Node group settings; cluster_name and node_security_group_id are filled in by the Baseline, and
    subnet_ids default to the Baseline's subnet_ids. aws-node has one identity per cluster: the first node
    group's cni_identity provides it, and the others are set to 'external'."""


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
                opts_child,
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

        managed_cluster = [eks] if eks else []
        areas: dict[str, list[pulumi.Resource]] = {
            "data-plane-security-groups": [sgs],
            "worker-nodes-containers": [*nodes, *rbac.workload_resources],
            "guest-os-patching": [*managed_cluster, *nodes],
            "network-controls": [*managed_cluster, controls, *rbac.network_resources],
            "platform-iam-rbac": [*managed_cluster, *rbac.iam_resources, *rbac.rbac_resources],
            "audit-logging": [*managed_cluster, trail],
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
    for ng_name in names:
        if not isinstance(ng_name, str) or not _DNS_LABEL.match(ng_name) or names.count(ng_name) > 1:
            raise InvalidArgumentError(
                c, "node_groups.name", f"is {ng_name!r}", "unique DNS-1123 labels (lowercase a-z, 0-9, '-')"
            )
    identities = {ng.args.cni_identity for ng in args.node_groups} - {"external"}
    if len(identities) > 1:
        raise InvalidArgumentError(
            c,
            "node_groups.args.cni_identity",
            f"differs between node groups ({', '.join(sorted(identities))})",
            "one identity for aws-node per cluster, set on the first node group",
        )

    cluster_args = None
    if args.cluster is not None:
        cluster_args = dataclasses.replace(
            args.cluster,
            subnet_ids=args.cluster.subnet_ids or _copied(args.subnet_ids),
            tags={**args.tags, **args.cluster.tags},
        )
        cluster_name = cluster_args.cluster_name or f"{name}-cluster"
        cluster_args.cluster_name = cluster_name
    else:
        cluster_name = args.existing_cluster_name  # type: ignore[assignment]

    existing = args.existing_cluster_name
    plan = _Plan(
        cluster=cluster_args,
        cluster_name=cluster_name,
        security_groups=dataclasses.replace(
            args.security_groups,
            vpc_id=args.vpc_id if args.vpc_id is not None else args.security_groups.vpc_id,
            cluster_name=existing,
            vpc_cidr_blocks=args.security_groups.vpc_cidr_blocks or list(args.vpc_cidr_blocks),
            tags={**args.tags, **args.security_groups.tags},
        ),
        network=dataclasses.replace(
            args.network,
            vpc_cidr_blocks=args.network.vpc_cidr_blocks or list(args.vpc_cidr_blocks),
            vpc_id=args.vpc_id if args.vpc_id is not None else args.network.vpc_id,
            subnet_ids=args.network.subnet_ids or _copied(args.subnet_ids),
            cluster_name=cluster_name,
            tags={**args.tags, **args.network.tags},
        ),
        node_groups=[
            (
                ng.name,
                dataclasses.replace(
                    ng.args,
                    cluster_name=cluster_name,
                    subnet_ids=ng.args.subnet_ids or _copied(args.subnet_ids),
                    node_security_group_id=_PENDING_SECURITY_GROUP,
                    cni_identity=ng.args.cni_identity if i == 0 else "external",
                    oidc_provider_arn=ng.args.oidc_provider_arn if i == 0 else None,
                    tags={**args.tags, **ng.args.tags},
                ),
            )
            for i, ng in enumerate(args.node_groups)
        ],
        access=dataclasses.replace(args.access, cluster_name=cluster_name),
        audit_trail=args.audit_trail,
    )
    _validate_children(name, plan)
    return plan


def _validate_children(name: str, plan: _Plan) -> None:
    security_groups.validate(f"{name}-security-groups", plan.security_groups)
    if plan.cluster is not None:
        cluster.validate(f"{name}-cluster", plan.cluster)
    network.validate(f"{name}-network", plan.network)
    for ng_name, ng_args in plan.node_groups:
        nodegroup.validate(f"{name}-{ng_name}", ng_args)
    access.validate(f"{name}-access", plan.access)
    audit_trail.validate(f"{name}-audit", plan.audit_trail)


def _copied(subnet_ids: pulumi.Input[list[pulumi.Input[str]]]) -> pulumi.Input[list[pulumi.Input[str]]]:
    """A child's own copy of a plain list (children never share one); an Output is passed on as it is."""
    return list(subnet_ids) if isinstance(subnet_ids, list) else subnet_ids
