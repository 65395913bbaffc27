"""Component-level rules for the pulumi-eks components users declare: ``eks:index:Cluster``, ``NodeGroup``,
``NodeGroupV2`` and ``ManagedNodeGroup``.

Each judges the component's inputs (wire form: camelCase, as the engine sends them) plus what that pulumi-eks
version does with the ones left unset (data/components/pulumi-eks.json, with the source line of each default),
for the same catalogue controls the resources it creates are judged by. Messages name the component argument
that fixes the weakness, or say that no argument does. The children a real preview also sends are not judged
again for these controls (framework.RuleSpec.declared_by). ``node-public-ip``, which follows nodes to their
subnets, is the stack rule in rules/placement.py; the inputs pulumi-eks passes through unchanged
(``enabledClusterLogTypes``, ``version``, ``remoteAccess``) are judged by the resource rules themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..components import ComponentDefaults, UnknownMajorVersion, defaults_for
from ..facts import EKS_CLUSTER, EKS_MANAGED_NODE_GROUP, EKS_NODE_GROUP, EKS_NODE_GROUP_V2
from ..framework import NotApplicable, RuleContext, not_checkable_offline, resource_rule
from ..values import as_bool, as_map, get, has, peek, show
from ._amis import family_of
from .eks_cluster import (
    deletion_protection_findings,
    mode_findings,
    not_a_key,
    open_cidr_findings,
    private_access_findings,
)
from .nodes import _imds_findings, eks_template_ebs, eks_template_imds, node_group_family
from .patching import AL2_EOL, ami_family, image_age, release_age

SELF_MANAGED = (EKS_CLUSTER, EKS_NODE_GROUP, EKS_NODE_GROUP_V2)
NODE_COMPONENTS = (*SELF_MANAGED, EKS_MANAGED_NODE_GROUP)
OPERATING_SYSTEMS = {"AL2": "AL2", "AL2023": "AL2023", "BOTTLEROCKET": "BOTTLEROCKET"}


def _defaults(ctx: RuleContext) -> ComponentDefaults:
    try:
        return defaults_for(ctx.resource_type, ctx.provider)
    except UnknownMajorVersion as exc:
        raise not_checkable_offline(str(exc)) from None


def _set(value: Any) -> bool:
    """An argument that switches something on: true, or any object (pulumi-eks tests truthiness)."""
    if isinstance(value, Mapping):
        return True
    return as_bool(value, default=False) is True


# --- eks:index:Cluster: the control plane -----------------------------------------------------------------
@resource_rule("eks-endpoint-public-access", types=(EKS_CLUSTER,))
def cluster_endpoint_public_access(ctx: RuleContext) -> Iterator[str]:
    value = get(ctx.props, "endpointPublicAccess")
    public = as_bool(value, default=True)
    if public is None:
        yield f"endpointPublicAccess is {show(value)}, not a boolean; EKS treats the endpoint as public"
    elif public and value is None:
        cite = _defaults(ctx).cite("endpointPublicAccess")
        yield f"endpointPublicAccess is not set: pulumi-eks sends none ({cite}), so the API endpoint is public"
    elif public:
        yield "endpointPublicAccess is true: the API server endpoint is public"


@resource_rule("eks-public-access-cidrs-open", types=(EKS_CLUSTER,))
def cluster_public_access_cidrs(ctx: RuleContext) -> Iterator[str]:
    _defaults(ctx)  # unset means "AWS default" only in the versions eksguard has read
    if as_bool(get(ctx.props, "endpointPublicAccess"), default=True) is False:
        return
    yield from open_cidr_findings(get(ctx.props, "publicAccessCidrs"), "publicAccessCidrs", "not set")


@resource_rule("eks-secrets-encryption", types=(EKS_CLUSTER,))
def cluster_secrets_encryption(ctx: RuleContext) -> Iterator[str]:
    key = peek(ctx.props, "encryptionConfigKeyArn")  # unknown: a key created in this stack
    if key is None:
        cite = _defaults(ctx).cite("encryptionConfigKeyArn")
        yield (
            f"encryptionConfigKeyArn is not set: pulumi-eks configures no secrets encryption ({cite}), so "
            "Secrets are not envelope-encrypted with a customer-managed KMS key"
        )
    elif not_a_key(key):
        yield f"encryptionConfigKeyArn is {show(key)}, not a KMS key ARN"


@resource_rule("eks-authentication-mode", types=(EKS_CLUSTER,))
def cluster_authentication_mode(ctx: RuleContext) -> Iterator[str]:
    mode = get(ctx.props, "authenticationMode")
    if mode is None:
        cite = _defaults(ctx).cite("authenticationMode")
        yield f"authenticationMode is not set: pulumi-eks sends no accessConfig ({cite}), so EKS uses CONFIG_MAP"
        return
    yield from mode_findings(mode, "authenticationMode", ctx.config)


@resource_rule("eks-bootstrap-cluster-creator-admin", types=(EKS_CLUSTER,))
def cluster_creator_admin(ctx: RuleContext) -> Iterator[str]:
    defaults = _defaults(ctx)
    if get(ctx.props, "authenticationMode") is None:
        cite = defaults.cite("authenticationMode")
        yield (
            f"authenticationMode is not set, so pulumi-eks sends no accessConfig ({cite}) and EKS makes the "
            "cluster creator admin (AWS default)"
        )
        return
    yield (
        "pulumi-eks always sets accessConfig.bootstrapClusterCreatorAdminPermissions true "
        f"({defaults.cite('bootstrapClusterCreatorAdminPermissions')}) and no argument changes it: the cluster "
        "creator stays admin until its access entry is removed"
    )


# --- node settings of the default node group and the self-managed node groups -----------------------------
@dataclass(frozen=True)
class Nodes:
    """Where a component's node settings are: the mapping holding them and the argument path to name."""

    settings: Any
    prefix: str
    group: str
    """The node group as messages name it."""
    template: str
    """What its nodes launch from."""


def _nodes(ctx: RuleContext) -> Nodes:
    return node_settings(ctx.resource_type, ctx.name, ctx.props)


def node_settings(resource_type: str, name: str, props: Any) -> Nodes:
    """The node settings of a self-managed node group component, or of the cluster's default node group (raises
    NotApplicable when the cluster creates none)."""
    if resource_type != EKS_CLUSTER:
        kind = "launch configuration" if resource_type == EKS_NODE_GROUP else "launch template"
        return Nodes(props, "", f"node group {name}", f"the {kind} of node group {name}")
    for flag in ("skipDefaultNodeGroup", "fargate"):
        if _set(get(props, flag)):
            raise NotApplicable(f"{flag} is set: the cluster creates no default node group")
    if _set(get(get(props, "autoMode"), "enabled")):
        raise NotApplicable("autoMode.enabled is set: the cluster creates no default node group")
    options = get(props, "nodeGroupOptions")
    group = f"the default node group of cluster {name}"
    template = f"the launch template of {group}"
    if as_map(options) is not None:
        return Nodes(options, "nodeGroupOptions.", group, template)
    return Nodes(props, "", group, template)


def _family(nodes: Nodes, defaults: ComponentDefaults) -> str | None:
    ami_type = get(nodes.settings, "amiType")
    if ami_type is not None:
        return family_of(ami_type)
    system = get(nodes.settings, "operatingSystem") or defaults["operatingSystem"].value
    return OPERATING_SYSTEMS.get(str(system).upper()) if isinstance(system, str) else None


@resource_rule("node-imdsv2-required", types=SELF_MANAGED)
def self_managed_imds(ctx: RuleContext) -> list[str]:
    nodes = _nodes(ctx)
    options = get(nodes.settings, "metadataOptions")
    if as_map(options) is not None:  # not in the multi-language schema, but pulumi-eks reads it if it comes
        return _imds_findings(options)
    cite = _defaults(ctx).cite("metadataOptions")
    return [
        f"{nodes.template} sets no metadataOptions and pulumi-eks offers no argument for them ({cite}): IMDSv1 is "
        "allowed and the hop limit is left to the AMI (2 on AL2023). Run these nodes from a launch template that "
        "requires IMDSv2 with hop limit 1 (eks.ManagedNodeGroup with launchTemplate, or eksguard NodeGroup)"
        + (" and set skipDefaultNodeGroup" if ctx.resource_type == EKS_CLUSTER else "")
    ]


@resource_rule("node-ebs-encrypted", types=SELF_MANAGED)
def self_managed_root_volume(ctx: RuleContext) -> list[str]:
    nodes = _nodes(ctx)
    defaults = _defaults(ctx)
    label = f"{nodes.prefix}nodeRootVolumeEncrypted"
    value = get(nodes.settings, "nodeRootVolumeEncrypted")
    flag = as_bool(value, default=False) if value is not None else None
    if value is not None and flag is None:
        return [f"{label} is {show(value)}, not a boolean"]
    if flag:
        return []
    if flag is False:
        return [f"{label} is false: the root volumes of {nodes.group} are unencrypted"]
    ignored = ""
    if get(nodes.settings, "encryptRootBlockDevice") is not None:
        cite = defaults.cite("encryptRootBlockDevice")
        ignored = f"; encryptRootBlockDevice is set, but pulumi-eks ignores it ({cite})"
    if _family(nodes, defaults) == "AL2":
        return [
            f"{label} is not set: on Amazon Linux 2 pulumi-eks writes encrypted false "
            f"({defaults.cite('nodeRootVolumeEncrypted')}){ignored}"
        ]
    if ctx.config.get("accountEncryptionByDefault") is True:
        return []
    return [
        f"{label} is not set ({defaults.cite('nodeRootVolumeEncrypted')}): the root volumes of {nodes.group} follow "
        f"the AMI's unencrypted snapshot unless the account enables EBS encryption by default{ignored}"
    ]


def _creates_security_groups(ctx: RuleContext) -> list[str]:
    """pulumi-eks's own security group rules are described and open nothing to the internet or to the kubelet
    from outside the cluster (nodes/securitygroup.ts:113-200): nothing to report once they are created."""
    props = ctx.props
    if ctx.resource_type == EKS_CLUSTER:
        skip = get(props, "skipDefaultSecurityGroups")
        if skip is None:
            skip = get(get(props, "autoMode"), "enabled")
        if _set(skip):
            raise NotApplicable("the cluster creates no security groups (skipDefaultSecurityGroups or autoMode)")
    elif has(props, "nodeSecurityGroup") or has(props, "nodeSecurityGroupId"):
        raise NotApplicable("nodeSecurityGroup is given: the node group creates no security group")
    _defaults(ctx)  # a major version whose rules eksguard has not read is not checkable offline
    return []


@resource_rule("sg-open-ingress", types=SELF_MANAGED)
def component_open_ingress(ctx: RuleContext) -> list[str]:
    return _creates_security_groups(ctx)


@resource_rule("sg-kubelet-exposed", types=SELF_MANAGED)
def component_kubelet(ctx: RuleContext) -> list[str]:
    return _creates_security_groups(ctx)


@resource_rule("sg-rule-description", types=SELF_MANAGED)
def component_rule_description(ctx: RuleContext) -> list[str]:
    return _creates_security_groups(ctx)


# --- eks:index:ManagedNodeGroup ----------------------------------------------------------------------------
def own_template_args(props: Any, defaults: ComponentDefaults) -> list[str]:
    """The arguments that make pulumi-eks create a launch template of its own for the node group."""
    return [arg for arg in defaults["customLaunchTemplateArgs"].value if get(props, arg) is not None]


def _template(ctx: RuleContext) -> tuple[ComponentDefaults, list[str]]:
    """Defaults and pulumi-eks's own-template arguments; NotApplicable when the program gives a launchTemplate."""
    if get(ctx.props, "launchTemplate") is not None:
        raise NotApplicable(
            "launchTemplate is given: the nodes' settings come from it, where this control is judged (not "
            "checkable offline when that launch template is not declared in this stack)"
        )
    defaults = _defaults(ctx)
    return defaults, own_template_args(ctx.props, defaults)


def _managed_family(props: Any) -> str | None:
    system = get(props, "operatingSystem")
    if get(props, "amiType") is None and isinstance(system, str):
        return OPERATING_SYSTEMS.get(system.upper())
    return node_group_family(props)


@resource_rule("node-imdsv2-required", types=(EKS_MANAGED_NODE_GROUP,))
def managed_imds(ctx: RuleContext) -> list[str]:
    defaults, own = _template(ctx)
    if not own:
        return eks_template_imds(_managed_family(ctx.props), f"managed node group {ctx.name}")
    value = get(ctx.props, "enableIMDSv2")
    cite = defaults.cite("enableIMDSv2")
    if value is None:
        return [
            f"the launch template pulumi-eks creates for {', '.join(own)} sets no metadataOptions ({cite}): IMDSv1 "
            "is allowed and the hop limit is left to the AMI"
        ]
    if as_bool(value, default=False):
        return [
            f"enableIMDSv2 true makes pulumi-eks set httpPutResponseHopLimit 2 ({cite}): pods can reach the node's "
            "IMDS credentials, and no argument gives hop limit 1; pass a launchTemplate whose metadataOptions "
            "require IMDSv2 with httpPutResponseHopLimit 1"
        ]
    return [f"enableIMDSv2 is {show(value)}: pulumi-eks sets httpTokens optional ({cite}), so IMDSv1 is allowed"]


@resource_rule("node-ebs-encrypted", types=(EKS_MANAGED_NODE_GROUP,))
def managed_root_volume(ctx: RuleContext) -> list[str]:
    defaults, own = _template(ctx)
    by_default = ctx.config.get("accountEncryptionByDefault") is True
    if not own:
        return eks_template_ebs(by_default, f"managed node group {ctx.name}")
    if by_default:
        return []
    return [
        f"the launch template pulumi-eks creates for {', '.join(own)} does not encrypt the volumes "
        f"({defaults.cite('diskSize')}): pass a launchTemplate with encrypted blockDeviceMappings, or enable EBS "
        "encryption by default in the account"
    ]


def _image_from_own_template(ctx: RuleContext, defaults: ComponentDefaults) -> None:
    """amiId, userData and the custom user data arguments make pulumi-eks drop amiType, releaseVersion and
    version and run the image of its own launch template."""
    own = [arg for arg in own_template_args(ctx.props, defaults) if arg not in ("enableIMDSv2", "enableEfaSupport")]
    if own:
        raise not_checkable_offline(
            f"with {', '.join(own)} the nodes run the image of the launch template pulumi-eks creates "
            f"({defaults.cite('amiDeleted')}), whose family and age the node group does not show"
        )


@resource_rule("nodegroup-ami-family", types=(EKS_MANAGED_NODE_GROUP,))
def managed_ami_family(ctx: RuleContext) -> list[str]:
    defaults = _defaults(ctx)
    _image_from_own_template(ctx, defaults)
    system = get(ctx.props, "operatingSystem")
    if get(ctx.props, "amiType") is None and system is not None:
        if not isinstance(system, str) or system.upper() not in OPERATING_SYSTEMS:
            return [f"operatingSystem is {show(system)}, not one of AL2, AL2023, Bottlerocket"]
        if system.upper() == "AL2":
            return [f"operatingSystem is AL2: Amazon Linux 2 EKS AMIs reached end of support on {AL2_EOL}"]
        return []
    if get(ctx.props, "amiType") is None and own_template_args(ctx.props, defaults):
        raise not_checkable_offline(
            "amiType is not set and the nodes run on the launch template pulumi-eks creates "
            f"({defaults.cite('customLaunchTemplateArgs')}): EKS reads the AMI from it, which the node group does "
            "not show"
        )
    return ami_family(ctx)  # amiType, launchTemplate and version mean what they mean on aws.eks.NodeGroup


@resource_rule("nodegroup-ami-age", types=(EKS_MANAGED_NODE_GROUP,))
def managed_ami_age(ctx: RuleContext) -> list[str]:
    defaults = _defaults(ctx)
    image = get(ctx.props, "amiId")
    if isinstance(image, str) and image.strip():
        return image_age(ctx, "amiId", image.strip())
    _image_from_own_template(ctx, defaults)
    return release_age(ctx)  # releaseVersion passes through to the node group


@resource_rule("eks-endpoint-private-access", types=(EKS_CLUSTER,))
def cluster_endpoint_private_access(ctx: RuleContext) -> Iterator[str]:
    cite = _defaults(ctx).cite("endpointPrivateAccess")
    unset = f"is not set: pulumi-eks sends none ({cite}), so EKS keeps the private endpoint off"
    yield from private_access_findings(get(ctx.props, "endpointPrivateAccess"), "", unset)


@resource_rule("eks-deletion-protection", types=(EKS_CLUSTER,))
def cluster_deletion_protection(ctx: RuleContext) -> Iterator[str]:
    cite = _defaults(ctx).cite("deletionProtection")
    unset = f"is not set: pulumi-eks sends none ({cite}), so EKS does not protect the cluster"
    yield from deletion_protection_findings(get(ctx.props, "deletionProtection"), unset)
