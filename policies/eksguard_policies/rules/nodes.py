"""Rules for controls/nodes.toml: worker node launch templates and configurations, instances and managed node
groups (``node-public-ip``, which follows nodes to their subnets, is the stack rule in rules/placement.py).

Missing fields mean the AWS default: a launch template or instance without metadataOptions allows IMDSv1
(httpTokens defaults to "optional"), and without a hop limit the AMI decides it (2 for AMIs that declare
IMDSv2 support, such as Amazon Linux 2023), so the hop limit must be set to 1 explicitly.
pulumi-aws types launch template booleans as strings ("true"/"false"); instances use real booleans.

A managed node group without a launch template runs on the one EKS creates, judged by what AWS documents of
it: on AL2023, IMDSv2 required with hop limit 1 (https://docs.aws.amazon.com/eks/latest/userguide/al2023.html);
volumes encrypted only by the account's EBS encryption by default
(https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html). For other AMI families AWS
documents no metadata options: not checkable offline.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy.proxy import UnknownValueError, _is_unknown
from pulumi_policy.secret import Secret

from .. import facts
from ..framework import NotApplicable, RuleContext, not_checkable_offline, remediation, resource_rule
from ..values import UNKNOWN_VALUE, as_bool, as_list, as_map, editable_props, get, has, peek, raw
from ._amis import default_family, family_of
from ._ec2 import Verdict, as_int, show

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
LAUNCH_CONFIGURATION = "aws:ec2/launchConfiguration:LaunchConfiguration"
INSTANCE = "aws:ec2/instance:Instance"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
NODE_TYPES = (LAUNCH_TEMPLATE, INSTANCE, LAUNCH_CONFIGURATION, NODE_GROUP)
EDITABLE = (LAUNCH_TEMPLATE, INSTANCE, LAUNCH_CONFIGURATION)
"""The node types whose metadata options and volumes a remediation writes (other rules of these controls judge
node classes and Auto Mode clusters)."""

MAX_HOP_LIMIT = facts.IMDS_HOP_LIMIT
SSH_PORT, RDP_PORT = facts.ADMIN_PORTS["ssh"][0], facts.ADMIN_PORTS["rdp"][0]
AL2023_PAGE = "https://docs.aws.amazon.com/eks/latest/userguide/al2023.html"
MANAGED_NODE_GROUPS_PAGE = "https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html"


# --- managed node groups on the launch template EKS creates ---------------------------------------------
def node_group_family(props: Any) -> str | None:
    """The AMI family of a managed node group (amiType, else the EKS default for its version)."""
    ami_type = get(props, "amiType")
    return default_family(get(props, "version")) if ami_type is None else family_of(ami_type)


def eks_template_imds(family: str | None, what: str) -> list[str]:
    """IMDS on the launch template EKS creates for a managed node group of ``family`` (``what`` names it)."""
    if family == "AL2023":
        return []  # IMDSv2 required, hop limit 1: AL2023_PAGE
    if family is None:
        raise not_checkable_offline(f"the AMI type of {what} is not one EKS documents, nor are its metadata options")
    raise not_checkable_offline(
        f"EKS creates the launch template of {what} ({family}); AWS documents its metadata options for AL2023 "
        f"only (IMDSv2 required, hop limit 1: {AL2023_PAGE})"
    )


def eks_template_ebs(by_default: bool, what: str) -> list[str]:
    if by_default:
        return []
    return [
        f"{what} runs on the launch template EKS creates, whose volumes are encrypted only when the account "
        f"enables EBS encryption by default ({MANAGED_NODE_GROUPS_PAGE}): give it a launch template with "
        "encrypted blockDeviceMappings"
    ]


def _judged_on_template(props: Any) -> None:
    template = get(props, "launchTemplate")
    if template is not None:
        raise NotApplicable(
            "the nodes' settings come from its launchTemplate, where this control is judged (not checkable "
            "offline when that launch template is not declared in this stack)"
        )


# --- IMDSv2 -------------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html#_identities_and_credentials_for_eks_pods
def _imds_findings(options: Any) -> list[str]:
    verdict = Verdict()
    with verdict.checking():
        tokens = get(options, "httpTokens")
        if tokens is None:
            verdict.add("metadataOptions.httpTokens is not set (AWS default 'optional'): IMDSv1 is allowed")
        elif not (isinstance(tokens, str) and tokens.strip().lower() == "required"):
            verdict.add(f"metadataOptions.httpTokens is {show(tokens)}: IMDSv1 is allowed")
    with verdict.checking():
        hops = get(options, "httpPutResponseHopLimit")
        limit = as_int(hops)
        if hops is None:
            verdict.add(
                "metadataOptions.httpPutResponseHopLimit is not set: the AMI decides (2 for IMDSv2 AMIs such as "
                "AL2023), so pods can reach the node's credentials"
            )
        elif limit is None or not 1 <= limit <= 64:
            verdict.add(f"metadataOptions.httpPutResponseHopLimit is {show(hops)}, not a hop count from 1 to 64")
        elif limit > MAX_HOP_LIMIT:
            verdict.add(
                f"metadataOptions.httpPutResponseHopLimit is {limit}: pods can reach the node's IMDS credentials"
            )
    endpoint = peek(options, "httpEndpoint")
    if isinstance(endpoint, str) and endpoint.strip().lower() == "disabled":
        return []  # no metadata service at all
    messages = verdict.done()
    if messages and endpoint is UNKNOWN_VALUE:
        get(options, "httpEndpoint")  # raises: whether these findings stand depends on the endpoint
    return messages


@resource_rule("node-imdsv2-required", types=NODE_TYPES)
def imdsv2_required(ctx: RuleContext) -> list[str]:
    if ctx.resource_type == NODE_GROUP:
        _judged_on_template(ctx.props)
        return eks_template_imds(node_group_family(ctx.props), "this managed node group")
    options = get(ctx.props, "metadataOptions")
    if options is None and ctx.resource_type == INSTANCE and has(ctx.props, "launchTemplate"):
        return []  # the launch template's metadata options apply; this control checks the template
    if options is None:
        return [
            "metadataOptions is not set: IMDSv1 is allowed (httpTokens defaults to 'optional') and the hop limit "
            "is left to the AMI"
        ]
    if as_map(options) is None:
        return [f"metadataOptions is {show(options)}, not an object: IMDSv2 is not required"]
    return _imds_findings(options)


@remediation("node-imdsv2-required")
def require_imdsv2(ctx: RuleContext) -> dict[str, Any] | None:
    if ctx.resource_type not in EDITABLE:
        return None  # EKS's own launch template, a node class, an Auto Mode cluster: nothing of these fields
    props = editable_props(ctx.props)
    options = props.get("metadataOptions")
    if options is None and ctx.resource_type == INSTANCE and props.get("launchTemplate") is not None:
        return None
    if _is_unknown(options):
        raise UnknownValueError(options, ["metadataOptions"])
    secret = isinstance(options, Secret)
    if secret:
        options = raw(options.value)
    options = dict(options) if isinstance(options, dict) else {}
    endpoint = options.get("httpEndpoint")
    if isinstance(endpoint, str) and endpoint.strip().lower() == "disabled":
        return None
    wanted = {"httpTokens": "required", "httpPutResponseHopLimit": MAX_HOP_LIMIT, "httpEndpoint": "enabled"}
    hops = as_int(options.get("httpPutResponseHopLimit"))
    if hops is not None and 1 <= hops <= MAX_HOP_LIMIT:
        wanted["httpPutResponseHopLimit"] = hops
    if isinstance(endpoint, str) and endpoint.strip().lower() == "enabled":
        wanted["httpEndpoint"] = endpoint
    if all(options.get(key) == value for key, value in wanted.items()):
        return None
    fixed = {**options, **wanted}
    props["metadataOptions"] = Secret(fixed) if secret else fixed
    return props


# --- EBS encryption -------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html
_EBS_CONFIG = {
    "accountEncryptionByDefault": {
        "type": "boolean",
        "default": False,
        "description": "The account and region enable EBS encryption by default (aws.ebs.EncryptionByDefault), "
        "so volumes whose encryption is not set are encrypted anyway. Explicitly unencrypted volumes still fail.",
    }
}


def _unencrypted(value: Any, by_default: bool) -> str | None:
    """Why a volume's ``encrypted`` value leaves it unencrypted, or None when it is encrypted."""
    flag = as_bool(value, default=by_default)
    if flag:
        return None
    if value is None:
        return "is not set (unencrypted unless the account enables EBS encryption by default)"
    return f"is {show(value)}"


def _launch_template_volumes(props: Any, by_default: bool, verdict: Verdict) -> None:
    with verdict.checking():
        mappings = get(props, "blockDeviceMappings")
        items = as_list(mappings)
        if mappings is None or (items is not None and len(items) == 0):
            if not by_default:
                verdict.add(
                    "blockDeviceMappings is not set: the root volume follows the AMI's snapshot (unencrypted for "
                    "EKS-optimized AMIs) unless the account enables EBS encryption by default"
                )
            return
        items = items or []
        for i in range(len(items)):
            with verdict.checking():
                ebs = get(items[i], "ebs")
                if as_map(ebs) is None:
                    continue  # instance store or no device: no EBS volume
                problem = _unencrypted(get(ebs, "encrypted"), by_default)
                if problem:
                    verdict.add(f"blockDeviceMappings[{i}].ebs.encrypted {problem}")


def _instance_volumes(props: Any, by_default: bool, verdict: Verdict) -> None:
    with verdict.checking():
        root = get(props, "rootBlockDevice")
        if root is None:
            if not by_default and not has(props, "launchTemplate"):
                verdict.add(
                    "rootBlockDevice is not set: the root volume follows the AMI's snapshot (unencrypted for "
                    "EKS-optimized AMIs) unless the account enables EBS encryption by default"
                )
        else:
            problem = _unencrypted(get(root, "encrypted"), by_default)
            if problem:
                verdict.add(f"rootBlockDevice.encrypted {problem}")
    with verdict.checking():
        devices = as_list(get(props, "ebsBlockDevices")) or []
        for i in range(len(devices)):
            with verdict.checking():
                problem = _unencrypted(get(devices[i], "encrypted"), by_default)
                if problem:
                    verdict.add(f"ebsBlockDevices[{i}].encrypted {problem}")


@resource_rule("node-ebs-encrypted", types=NODE_TYPES, config=_EBS_CONFIG)
def ebs_encrypted(ctx: RuleContext) -> list[str]:
    by_default = ctx.config.get("accountEncryptionByDefault") is True
    if ctx.resource_type == NODE_GROUP:
        _judged_on_template(ctx.props)
        return eks_template_ebs(by_default, "this managed node group")
    verdict = Verdict()
    if ctx.resource_type == LAUNCH_TEMPLATE:
        _launch_template_volumes(ctx.props, by_default, verdict)
    else:
        _instance_volumes(ctx.props, by_default, verdict)
    return verdict.done()


def _needs_encryption(volume: Any, by_default: bool) -> bool:
    if not isinstance(volume, dict):
        return False
    value = volume.get("encrypted")
    if _is_unknown(value):
        return False
    return _unencrypted(value, by_default) is not None


@remediation("node-ebs-encrypted")
def encrypt_volumes(ctx: RuleContext) -> dict[str, Any] | None:
    """Set encrypted on every EBS volume the template or instance declares (replaces an existing instance)."""
    if ctx.resource_type not in EDITABLE:
        return None
    by_default = ctx.config.get("accountEncryptionByDefault") is True
    props = editable_props(ctx.props)
    changed = False
    if ctx.resource_type == LAUNCH_TEMPLATE:
        for mapping in props.get("blockDeviceMappings") or []:
            ebs = mapping.get("ebs") if isinstance(mapping, dict) else None
            if _needs_encryption(ebs, by_default):
                ebs["encrypted"] = "true"
                changed = True
        return props if changed else None
    root = props.get("rootBlockDevice")
    if root is None and not by_default and props.get("launchTemplate") is None:
        props["rootBlockDevice"] = {"encrypted": True}
        changed = True
    elif _needs_encryption(root, by_default):
        root["encrypted"] = True
        changed = True
    devices = props.get("ebsBlockDevices")
    for device in devices if isinstance(devices, list) else []:
        if _needs_encryption(device, by_default):
            device["encrypted"] = True
            changed = True
    return props if changed else None


# --- SSH to managed nodes -----------------------------------------------------------------------------
# https://docs.aws.amazon.com/eks/latest/APIReference/API_RemoteAccessConfig.html
# eks.ManagedNodeGroup passes remoteAccess through to its node group (data/components/pulumi-eks.json).
@resource_rule("nodegroup-ssh-remote-access", types=(NODE_GROUP, facts.EKS_MANAGED_NODE_GROUP))
def ssh_remote_access(ctx: RuleContext) -> list[str]:
    remote = get(ctx.props, "remoteAccess")
    key = peek(remote, "ec2SshKey")
    if key is None or (isinstance(key, str) and not key.strip()):
        return []
    shown = "(computed during apply)" if key is UNKNOWN_VALUE else show(key)
    sources = peek(remote, "sourceSecurityGroupIds")
    if sources is UNKNOWN_VALUE or as_list(sources):
        return [f"remoteAccess.ec2SshKey {shown} enables SSH to the nodes from remoteAccess.sourceSecurityGroupIds"]
    return [
        f"remoteAccess.ec2SshKey {shown} is set without sourceSecurityGroupIds: EKS opens port {SSH_PORT} "
        f"({RDP_PORT} on Windows) on the nodes to 0.0.0.0/0"
    ]


# --- the account's defaults ---------------------------------------------------------------------------------
# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html#set-imdsv2-account-defaults
INSTANCE_METADATA_DEFAULTS = "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults"
NO_PREFERENCE = "no-preference"
NO_HOP_PREFERENCE = -1


@resource_rule("ec2-imds-account-defaults", types=(INSTANCE_METADATA_DEFAULTS,))
def account_imds_defaults(ctx: RuleContext) -> list[str]:
    verdict = Verdict()
    with verdict.checking():
        tokens = get(ctx.props, "httpTokens")
        if not (isinstance(tokens, str) and tokens.strip().lower() == "required"):
            shown = "not set (no preference)" if tokens in (None, NO_PREFERENCE) else show(tokens)
            verdict.add(f"httpTokens is {shown}: instances launched without metadata options allow IMDSv1")
    with verdict.checking():
        hops = get(ctx.props, "httpPutResponseHopLimit")
        limit = as_int(hops)
        if hops is not None and limit != NO_HOP_PREFERENCE:
            if limit is None or not 1 <= limit <= 64:
                verdict.add(f"httpPutResponseHopLimit is {show(hops)}, not a hop count from 1 to 64 (or -1)")
            elif limit > MAX_HOP_LIMIT:
                verdict.add(
                    f"httpPutResponseHopLimit is {limit}: pods on instances launched without metadata options reach "
                    "the instance role's credentials"
                )
    endpoint = peek(ctx.props, "httpEndpoint")
    if isinstance(endpoint, str) and endpoint.strip().lower() == "disabled":
        return []  # no metadata service by default at all
    return verdict.done()
