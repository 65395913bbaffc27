"""Argument checks of AccessControl: every invalid input raises one InvalidArgumentError naming the argument
and the accepted values, before any resource is registered."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from components._common import InvalidArgumentError, Segment, require_choice
from components.eks_access_policies import ACCESS_POLICIES, SECRET_READING_ACCESS_POLICIES
from components.namespace_hardening import POD_SECURITY_LEVELS, RESERVED_NAMESPACES
from components.rbac_templates import ROLES

if TYPE_CHECKING:
    from components.access import AccessControlArgs, AccessMapping, ManagedNamespace

_C = "AccessControl"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
_PSA_VERSION = re.compile(r"^(latest|v1\.\d+)$")


def validate(name: str, args: AccessControlArgs) -> None:
    """Raise the InvalidArgumentError that ``AccessControl(name, args)`` would raise, registering nothing."""
    if isinstance(args.cluster_name, str) and not args.cluster_name:
        raise InvalidArgumentError(_C, "cluster_name", "is empty", "the name of an EKS cluster")
    if (args.cluster_endpoint is None) != (args.cluster_certificate_authority is None):
        raise InvalidArgumentError(
            _C,
            "cluster_certificate_authority",
            "must be given together with cluster_endpoint",
            "both (a cluster created in this stack) or neither (looked up by cluster_name)",
        )
    if not _PSA_VERSION.match(str(args.pod_security_version)):
        raise InvalidArgumentError(
            _C, "pod_security_version", f"is {args.pod_security_version!r}", "'latest' or 'v1.<minor>' such as 'v1.35'"
        )
    managed = _validate_namespaces(args.namespaces)
    _validate_mappings(args.access_mappings, managed)
    _validate_admins(args)


def _validate_label(argument: tuple[Segment, ...], value: Any) -> None:
    if not isinstance(value, str) or not _DNS_LABEL.match(value):
        raise InvalidArgumentError(_C, argument, f"is {value!r}", "a DNS-1123 label (lowercase a-z, 0-9, '-')")


def _validate_namespaces(namespaces: list[ManagedNamespace]) -> set[str]:
    seen: set[str] = set()
    for i, ns in enumerate(namespaces):
        where = ("namespaces", i)
        _validate_label((*where, "name"), ns.name)
        if ns.name in RESERVED_NAMESPACES or ns.name.startswith("kube-"):
            raise InvalidArgumentError(
                _C,
                (*where, "name"),
                f"is the reserved namespace {ns.name!r}",
                "a namespace other than default and kube-*",
            )
        if ns.name in seen:
            raise InvalidArgumentError(_C, (*where, "name"), f"repeats {ns.name!r}", "unique namespace names")
        seen.add(ns.name)
        require_choice(_C, (*where, "pod_security_level"), ns.pod_security_level, POD_SECURITY_LEVELS)
        for role in ns.secrets_access_roles:
            require_choice(_C, (*where, "secrets_access_roles"), role, ROLES)
    return seen


def _validate_principal(argument: tuple[Segment, ...], arn: Any) -> None:
    if isinstance(arn, str) and not _PRINCIPAL_ARN.match(arn):
        raise InvalidArgumentError(
            _C, argument, f"is {arn!r}", "an IAM role or user ARN (arn:aws:iam::<account>:role/<name>), no wildcards"
        )


def _validate_mappings(mappings: list[AccessMapping], managed: set[str]) -> None:
    names: set[str] = set()
    accepted = sorted(managed) or "a namespace listed in namespaces (none is)"
    for i, m in enumerate(mappings):
        where = ("access_mappings", i)
        _validate_label((*where, "name"), m.name)
        if m.name in names:
            raise InvalidArgumentError(_C, (*where, "name"), f"repeats {m.name!r}", "unique mapping names")
        names.add(m.name)
        _validate_principal((*where, "principal_arn"), m.principal_arn)
        require_choice(_C, (*where, "role"), m.role, ROLES)
        if not m.namespaces:
            raise InvalidArgumentError(_C, (*where, "namespaces"), "is empty", accepted)
        for ns in m.namespaces:
            if ns not in managed:
                raise InvalidArgumentError(_C, (*where, "namespaces"), f"names {ns!r}, which is not managed", accepted)
        require_choice(_C, (*where, "access_policy"), m.access_policy, ACCESS_POLICIES)
        if m.access_policy in SECRET_READING_ACCESS_POLICIES and m.allow_secrets_access is not True:
            raise InvalidArgumentError(
                _C,
                (*where, "access_policy"),
                f"is {m.access_policy!r}, which grants access to Secrets, without allow_secrets_access=True",
                ["view", "none", "edit or admin with allow_secrets_access=True"],
            )


def _validate_admins(args: AccessControlArgs) -> None:
    names = {m.name for m in args.access_mappings}
    principals = [m.principal_arn for m in args.access_mappings]
    for i, admin in enumerate(args.cluster_admins):
        where = ("cluster_admins", i)
        _validate_label((*where, "name"), admin.name)
        if admin.name in names:
            raise InvalidArgumentError(
                _C,
                (*where, "name"),
                f"repeats {admin.name!r}",
                "names unique across access_mappings and cluster_admins",
            )
        names.add(admin.name)
        _validate_principal((*where, "principal_arn"), admin.principal_arn)
        principals.append(admin.principal_arn)
    literal = [p for p in principals if isinstance(p, str)]
    duplicates = sorted({p for p in literal if literal.count(p) > 1})
    if duplicates:
        raise InvalidArgumentError(
            _C,
            "access_mappings",
            f"gives {duplicates[0]!r} more than one access entry",
            "one mapping or cluster admin per principal",
        )
