"""The node controls of controls/nodes.toml on the node templates of Karpenter and of EKS Auto Mode.

Karpenter launches nodes from an ``EC2NodeClass`` (karpenter.k8s.aws), the launch template it generates holding its
``metadataOptions`` and ``blockDeviceMappings``; what the class leaves unset, Karpenter's defaults fill in
(https://karpenter.sh/docs/concepts/nodeclasses/): in v1, IMDSv2 required with hop limit 1 (each field defaulted
on its own by the CRD) and, for every AMI family but Custom, an encrypted root volume; in v1beta1 the hop limit
defaulted to 2, so pods reach the node role's credentials
(https://github.com/aws/karpenter-provider-aws/blob/v0.37.0/website/content/en/v0.37/concepts/nodeclasses.md).
A volume mapping the class declares is encrypted only when it says so (EC2 then follows the snapshot or the
account's EBS encryption by default).

An EKS Auto Mode ``NodeClass`` (eks.amazonaws.com) cannot weaken either: the instance metadata options are AWS's
(rules/auto_mode.py) and the volumes are always encrypted, with the AWS managed key or the class's
``ephemeralStorage.kmsKeyID`` (https://docs.aws.amazon.com/eks/latest/userguide/auto-kms.html). What it can weaken
(public IP addresses) is node-public-ip's, in rules/placement.py.
"""

from __future__ import annotations

from typing import Any

from ..framework import RuleContext, resource_rule
from ..values import as_list, as_map, get, raw
from ._ec2 import Verdict, show
from ._k8s import AUTO_MODE_NODE_CLASS_TYPES, KARPENTER_NODE_CLASS_TYPES
from .nodes import _EBS_CONFIG, _imds_findings, _unencrypted

KARPENTER_V1BETA1 = KARPENTER_NODE_CLASS_TYPES[1]
KARPENTER_HOP_LIMIT_DEFAULT = {KARPENTER_NODE_CLASS_TYPES[0]: 1, KARPENTER_V1BETA1: 2}
KARPENTER_IMDS_DEFAULTS = {"httpEndpoint": "enabled", "httpTokens": "required"}
NO_DEFAULT_VOLUMES = "Custom"
"""The AMI family Karpenter gives no default block device mappings (its AMI's own snapshot decides)."""
NODE_CLASS_TYPES = (*KARPENTER_NODE_CLASS_TYPES, *AUTO_MODE_NODE_CLASS_TYPES)


@resource_rule("node-imdsv2-required", types=NODE_CLASS_TYPES)
def node_class_imds(ctx: RuleContext) -> list[str]:
    if ctx.resource_type in AUTO_MODE_NODE_CLASS_TYPES:
        return []  # AWS-managed: EKS Auto Mode sets the instances' metadata options
    given = get(get(ctx.props, "spec"), "metadataOptions")
    if given is not None and as_map(given) is None:
        return [f"spec.metadataOptions is {show(given)}, not an object"]
    defaults = {**KARPENTER_IMDS_DEFAULTS, "httpPutResponseHopLimit": KARPENTER_HOP_LIMIT_DEFAULT[ctx.resource_type]}
    options = {**defaults, **(raw(given) if isinstance(raw(given), dict) else {})}
    findings = [f"spec.{m}" for m in _imds_findings(options)]
    if findings and ctx.resource_type == KARPENTER_V1BETA1 and get(given, "httpPutResponseHopLimit") is None:
        findings = [f"{m} (Karpenter v1beta1's default; v1 defaults to 1)" for m in findings]
    return findings


@resource_rule("node-ebs-encrypted", types=NODE_CLASS_TYPES, config=_EBS_CONFIG)
def node_class_volumes(ctx: RuleContext) -> list[str]:
    if ctx.resource_type in AUTO_MODE_NODE_CLASS_TYPES:
        return []  # always encrypted, with the AWS managed key unless ephemeralStorage.kmsKeyID names one
    by_default = ctx.config.get("accountEncryptionByDefault") is True
    spec = get(ctx.props, "spec")
    mappings = get(spec, "blockDeviceMappings")
    if mappings is None:
        family = get(spec, "amiFamily")
        if family == NO_DEFAULT_VOLUMES and not by_default:
            return [
                "spec.blockDeviceMappings is not set and amiFamily Custom has no default mappings: the root volume "
                "follows the AMI's snapshot unless the account enables EBS encryption by default"
            ]
        return []  # Karpenter's default mappings are encrypted
    items = as_list(mappings)
    if items is None:
        return [f"spec.blockDeviceMappings is {show(mappings)}, not a list"]
    verdict = Verdict()
    for i in range(len(items)):
        with verdict.checking():
            problem = _volume_problem(items[i], by_default)
            if problem:
                verdict.add(f"spec.blockDeviceMappings[{i}].ebs.encrypted {problem}")
    return verdict.done()


def _volume_problem(mapping: Any, by_default: bool) -> str | None:
    ebs = get(mapping, "ebs") if as_map(mapping) is not None else None
    return _unencrypted(get(ebs, "encrypted"), by_default) if as_map(ebs) is not None else None
