"""Rules for controls/eks_cluster.toml: the aws:eks/cluster:Cluster resource (the pulumi-eks ``eks:index:Cluster``
component's rules are in rules/pulumi_eks.py and share the judgements below).

A missing field means the AWS default (mocks and previews never see provider defaults):
https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..facts import AWS_EKS_CLUSTER, CONTROL_PLANE_LOG_TYPES, EKS_CLUSTER, INTERNET_CIDRS
from ..framework import RuleContext, as_of_date, remediation, resource_rule
from ..values import (
    UNKNOWN_VALUE,
    as_bool,
    as_list,
    as_map,
    editable_props,
    get,
    has,
    known,
    peek,
    show,
    split_known,
    strings,
)
from ..versions import load_versions

CLUSTER = AWS_EKS_CLUSTER
CLUSTERS = (CLUSTER, EKS_CLUSTER)
"""Every way a program declares an EKS cluster: the resource, or the pulumi-eks component (rules/pulumi_eks.py)."""
LOG_TYPES = CONTROL_PLANE_LOG_TYPES
OPEN_CIDRS = INTERNET_CIDRS


def _public_endpoint(props: Any) -> bool | None:
    """True when the endpoint is public (AWS default), None when the field is oddly typed."""
    return as_bool(get(get(props, "vpcConfig"), "endpointPublicAccess"), default=True)


# https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html
@resource_rule("eks-endpoint-public-access", types=(CLUSTER,))
def endpoint_public_access(ctx: RuleContext) -> Iterator[str]:
    public = _public_endpoint(ctx.props)
    if public is None:
        yield "vpcConfig.endpointPublicAccess is not a boolean; EKS treats the endpoint as public"
    elif public:
        explicit = has(get(ctx.props, "vpcConfig"), "endpointPublicAccess")
        where = "is true" if explicit else "is not set (AWS default true)"
        yield f"vpcConfig.endpointPublicAccess {where}: the API server endpoint is public"


@resource_rule("eks-public-access-cidrs-open", types=(CLUSTER,))
def public_access_cidrs_open(ctx: RuleContext) -> Iterator[str]:
    if _public_endpoint(ctx.props) is False:
        return
    cidrs = get(get(ctx.props, "vpcConfig"), "publicAccessCidrs")
    yield from open_cidr_findings(cidrs, "vpcConfig.publicAccessCidrs", "not set while the endpoint is public")


def open_cidr_findings(cidrs: Any, label: str, unset: str) -> Iterator[str]:
    """The public endpoint CIDRs ``cidrs`` (``label`` names the field) that open it to the internet."""
    if cidrs is None:
        yield f"{label} is {unset} (AWS default 0.0.0.0/0)"
        return
    if as_list(cidrs) is None:
        yield f"{label} is {show(cidrs)}, not a list of CIDRs"
        return
    items, pending = split_known(cidrs)
    open_cidrs = [c.strip() for c in items if isinstance(c, str) and c.strip() in OPEN_CIDRS]
    if not open_cidrs and pending:
        raise pending
    for cidr in open_cidrs:
        yield f"{label} contains {cidr}: the public endpoint is open to the internet"


# https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html
# pulumi-eks passes enabledClusterLogTypes through as it is (data/components/pulumi-eks.json).
@resource_rule("eks-control-plane-logging", types=(CLUSTER, EKS_CLUSTER))
def control_plane_logging(ctx: RuleContext) -> Iterator[str]:
    given = get(ctx.props, "enabledClusterLogTypes")
    if given is not None and as_list(given) is None:
        yield f"enabledClusterLogTypes is {show(given)}, not a list of log types"
        return
    items, pending = split_known(given)
    missing = [t for t in LOG_TYPES if t not in items]
    if missing and pending:
        raise pending
    if missing:
        yield f"enabledClusterLogTypes lacks {', '.join(missing)}"


@remediation("eks-control-plane-logging")
def enable_all_log_types(ctx: RuleContext) -> dict[str, Any] | None:
    props = editable_props(ctx.props)
    current = known(props, "enabledClusterLogTypes", [])
    current = [t for t in current if isinstance(t, str)] if isinstance(current, list) else []
    wanted = current + [t for t in LOG_TYPES if t not in current]
    if wanted == props.get("enabledClusterLogTypes"):
        return None
    props["enabledClusterLogTypes"] = wanted
    return props


# https://docs.aws.amazon.com/eks/latest/userguide/enable-kms.html
@resource_rule("eks-secrets-encryption", types=(CLUSTER,))
def secrets_encryption(ctx: RuleContext) -> Iterator[str]:
    config = get(ctx.props, "encryptionConfig")
    if config is None:
        yield "encryptionConfig is not set: Secrets are not envelope-encrypted with a customer-managed KMS key"
        return
    blocks = [config] if as_map(config) is not None else list(as_list(config) or [])
    if not blocks:
        yield f"encryptionConfig is {show(config)}, not an encryption configuration"
        return
    for block in blocks:
        if "secrets" in strings(get(block, "resources")):
            key = peek(get(block, "provider"), "keyArn")  # unknown: a key created in this stack
            if key is None:
                yield "encryptionConfig covers secrets but provider.keyArn is not set"
            elif not_a_key(key):
                yield f"encryptionConfig.provider.keyArn is {show(key)}, not a KMS key ARN"
            return
    yield 'encryptionConfig.resources does not include "secrets"'


def not_a_key(key: Any) -> bool:
    """A set key ARN that cannot name a key (an unknown one, made in this stack, is as good as any)."""
    return key is not UNKNOWN_VALUE and (not isinstance(key, str) or not key.strip())


# https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html
# pulumi-eks passes version through as it is (data/components/pulumi-eks.json).
@resource_rule(
    "eks-version-standard-support",
    types=(CLUSTER, EKS_CLUSTER),
    config={
        "asOf": {
            "type": "string",
            "default": "",
            "description": "Judge support on this date (YYYY-MM-DD) instead of today (UTC); for tests and planning.",
        }
    },
)
def version_standard_support(ctx: RuleContext) -> Iterator[str]:
    version = get(ctx.props, "version")
    if version is None:
        return  # EKS creates the newest version, which is in standard support
    today = as_of_date(ctx.config)
    if isinstance(version, float | int) and not isinstance(version, bool):
        version = f"{version:.2f}".rstrip("0")  # 1.3 -> "1.3"; wire numbers are floats
    known = load_versions()
    if not isinstance(version, str) or version.strip() not in known:
        yield f"version {show(version)} is not an EKS Kubernetes version eksguard knows ({', '.join(known)})"
        return
    entry = known[version.strip()]
    if today < entry.released:
        yield f"version {entry.version} is not released on EKS until {entry.released}"
    elif today >= entry.standard_support_end:
        yield (
            f"version {entry.version} left EKS standard support on {entry.standard_support_end} "
            f"(extended support ends {entry.extended_support_end})"
        )


# https://docs.aws.amazon.com/eks/latest/userguide/grant-k8s-access.html#set-cam
@resource_rule(
    "eks-authentication-mode",
    types=(CLUSTER,),
    config={
        "allowApiAndConfigMap": {
            "type": "boolean",
            "default": False,
            "description": "Accept API_AND_CONFIG_MAP (a migration step) as well as API.",
        }
    },
)
def authentication_mode(ctx: RuleContext) -> Iterator[str]:
    mode = get(get(ctx.props, "accessConfig"), "authenticationMode")
    if mode is None:
        yield "accessConfig.authenticationMode is not set (AWS default CONFIG_MAP): access comes from aws-auth"
        return
    yield from mode_findings(mode, "accessConfig.authenticationMode", ctx.config)


def mode_findings(mode: Any, label: str, config: Any) -> Iterator[str]:
    """What is wrong with the authentication mode ``mode`` (set), ``label`` naming the field."""
    if mode == "API":
        return
    if mode == "API_AND_CONFIG_MAP":
        if config.get("allowApiAndConfigMap") is not True:
            yield f"{label} is API_AND_CONFIG_MAP: the aws-auth ConfigMap still grants access"
    elif mode == "CONFIG_MAP":
        yield f"{label} is CONFIG_MAP: access comes from the aws-auth ConfigMap"
    else:
        yield f"{label} is {show(mode)}, not one of API, API_AND_CONFIG_MAP, CONFIG_MAP"


@resource_rule("eks-bootstrap-cluster-creator-admin", types=(CLUSTER,))
def bootstrap_creator_admin(ctx: RuleContext) -> Iterator[str]:
    access = get(ctx.props, "accessConfig")
    value = get(access, "bootstrapClusterCreatorAdminPermissions")
    flag = as_bool(value, default=True)
    if flag is None:
        yield f"accessConfig.bootstrapClusterCreatorAdminPermissions is {show(value)}, not a boolean"
    elif flag:
        where = "is true" if value is not None else "is not set (AWS default true)"
        yield f"accessConfig.bootstrapClusterCreatorAdminPermissions {where}: the creator becomes cluster admin"


# https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html
@resource_rule("eks-endpoint-private-access", types=(CLUSTER,))
def endpoint_private_access(ctx: RuleContext) -> Iterator[str]:
    yield from private_access_findings(get(get(ctx.props, "vpcConfig"), "endpointPrivateAccess"), "vpcConfig.")


def private_access_findings(value: Any, prefix: str, unset: str = "is not set (AWS default false)") -> Iterator[str]:
    private = as_bool(value, default=False)
    if private is None:
        yield f"{prefix}endpointPrivateAccess is {show(value)}, not a boolean"
    elif not private:
        where = "is false" if value is not None else unset
        yield (
            f"{prefix}endpointPrivateAccess {where}: nodes and in-VPC clients reach the API server only through its "
            "public endpoint, over the internet"
        )


# https://docs.aws.amazon.com/eks/latest/userguide/deletion-protection.html
@resource_rule("eks-deletion-protection", types=(CLUSTER,))
def deletion_protection(ctx: RuleContext) -> Iterator[str]:
    yield from deletion_protection_findings(get(ctx.props, "deletionProtection"))


def deletion_protection_findings(value: Any, unset: str = "is not set (AWS default false)") -> Iterator[str]:
    protected = as_bool(value, default=False)
    if protected is None:
        yield f"deletionProtection is {show(value)}, not a boolean"
    elif not protected:
        where = "is false" if value is not None else unset
        yield f"deletionProtection {where}: one DeleteCluster call (or pulumi destroy) removes the cluster"


@remediation("eks-deletion-protection")
def protect_from_deletion(ctx: RuleContext) -> dict[str, Any] | None:
    props = editable_props(ctx.props)
    if as_bool(known(props, "deletionProtection"), default=False) is True:
        return None
    props["deletionProtection"] = True
    return props
