"""Rules for controls/storage.toml: the volumes pods get are encrypted at rest.

EBS volumes provisioned through a StorageClass are encrypted only when its ``encrypted`` parameter is "true"
(https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md), unless the account turns
on EBS encryption by default; EFS file systems are encrypted only when created so (``encrypted`` defaults to false
and cannot be changed later).
"""

from __future__ import annotations

from typing import Any

from ..framework import NotApplicable, RuleContext, remediation, resource_rule
from ..values import as_bool, editable_props, get, show
from ._k8s import STORAGE_CLASS_TYPES

EFS = "aws:efs/fileSystem:FileSystem"
EBS_PROVISIONERS = ("ebs.csi.aws.com", "ebs.csi.eks.amazonaws.com", "kubernetes.io/aws-ebs")


@resource_rule("storage-encrypted", types=(*STORAGE_CLASS_TYPES, EFS))
def storage_encrypted(ctx: RuleContext) -> list[str]:
    if ctx.resource_type == EFS:
        value = get(ctx.props, "encrypted")
        if as_bool(value, False) is not True:
            shown = "is not set (default false)" if value is None else f"is {show(value)}"
            return [f"encrypted {shown}: the file system's data is stored unencrypted (fixed at creation)"]
        return []
    provisioner = get(ctx.props, "provisioner")
    if provisioner not in EBS_PROVISIONERS:
        raise NotApplicable(f"provisioner {show(provisioner)} is not an EBS provisioner: its backing store decides")
    value = get(get(ctx.props, "parameters"), "encrypted")
    if not (isinstance(value, str) and value.strip().lower() == "true"):
        shown = "is not set" if value is None else f"is {show(value)}"
        return [
            f'parameters.encrypted {shown}, not "true": its EBS volumes are unencrypted unless the account '
            "encrypts EBS by default"
        ]
    return []


@remediation("storage-encrypted")
def encrypt_storage_class(ctx: RuleContext) -> dict[str, Any] | None:
    """Adds parameters.encrypted "true" to an EBS StorageClass that does not set it (new volumes only; the class is
    replaced, existing volumes keep their encryption). An explicit "false" and EFS file systems are left alone."""
    if ctx.resource_type == EFS:
        return None
    props = editable_props(ctx.props)
    if props.get("provisioner") not in EBS_PROVISIONERS:
        return None
    parameters = props.setdefault("parameters", {})
    if not isinstance(parameters, dict) or parameters.get("encrypted") is not None:
        return None
    parameters["encrypted"] = "true"
    return props
