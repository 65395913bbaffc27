"""Rules for controls/rbac.toml: Kubernetes RBAC bindings and roles (CIS Amazon EKS Benchmark 4.1).

A role rule is judged by what it grants, the way the API server's RBAC authorizer matches it
(https://kubernetes.io/docs/reference/access-authn-authz/rbac/): "*" matches any verb, resource or API group,
"*/<sub>" any resource's subresource, and a rule without apiGroups matches nothing; a namespaced Role cannot grant
cluster-scoped permissions. So a wildcard rule is also reported by every control whose permission it includes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from ..framework import NotApplicable, RuleContext, resource_rule
from ..values import has
from ._k8s import (
    BINDING_TYPES,
    ROLE_TYPES,
    StringList,
    definite_first,
    get,
    is_list,
    kind_of,
    string_list,
)

RBAC_GROUP = "rbac.authorization.k8s.io"
ADMISSION_GROUP = "admissionregistration.k8s.io"
CERTIFICATES_GROUP = "certificates.k8s.io"
_WEBHOOK_VERBS = ("create", "update", "patch", "delete")


@dataclass(frozen=True)
class Permission:
    group: str
    resource: str
    verbs: tuple[str, ...]
    cluster_scoped: bool = False
    """A namespaced Role cannot grant it (the request has no namespace)."""


SECRETS_READ = (Permission("", "secrets", ("get", "list", "watch")),)
ESCALATION = (
    # bind on clusterroles is checked in the RoleBinding's namespace, so a Role can grant it; escalate cannot.
    Permission(RBAC_GROUP, "clusterroles", ("bind",)),
    Permission(RBAC_GROUP, "clusterroles", ("escalate",), cluster_scoped=True),
    Permission(RBAC_GROUP, "roles", ("bind", "escalate")),
    Permission("", "users", ("impersonate",), cluster_scoped=True),
    Permission("", "groups", ("impersonate",), cluster_scoped=True),
    Permission("", "serviceaccounts", ("impersonate",)),
    Permission("authentication.k8s.io", "uids", ("impersonate",), cluster_scoped=True),
)
DANGEROUS_CREATE = (
    Permission("", "pods", ("create",)),  # CIS 4.1.4
    # exec and attach: websocket upgrades are authorized as "get" until the create check (Kubernetes 1.35)
    Permission("", "pods/exec", ("create", "get")),
    Permission("", "pods/attach", ("create", "get")),
    Permission("", "pods/ephemeralcontainers", ("update", "patch")),
    Permission("", "persistentvolumes", ("create",), cluster_scoped=True),  # CIS 4.1.9: hostPath volumes
    Permission("", "nodes/proxy", ("create", "get"), cluster_scoped=True),  # CIS 4.1.10: the kubelet API
    Permission("", "serviceaccounts/token", ("create",)),  # CIS 4.1.12
    Permission(ADMISSION_GROUP, "validatingwebhookconfigurations", _WEBHOOK_VERBS, cluster_scoped=True),  # 4.1.11
    Permission(ADMISSION_GROUP, "mutatingwebhookconfigurations", _WEBHOOK_VERBS, cluster_scoped=True),
)
# https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#authorization: approving
# takes update on the approval subresource and approve on the signer; either half is a step to client certificates
# for any user the signer signs for.
CSR_APPROVAL = (
    Permission(CERTIFICATES_GROUP, "certificatesigningrequests/approval", ("update", "patch"), cluster_scoped=True),
    Permission(CERTIFICATES_GROUP, "signers", ("approve",), cluster_scoped=True),
)


# --- matching -------------------------------------------------------------------------------------------------


def _dimension(found: bool, values: StringList) -> bool | None:
    """True: matches; False: cannot match; None: no known value matches but an unknown one might."""
    if found:
        return True
    return None if values.unknown is not None else False


def _resource_matches(resources: StringList, resource: str) -> bool:
    if resources.has("*", resource):
        return True
    _, _, sub = resource.partition("/")
    return bool(sub) and resources.has(f"*/{sub}")


_RULE_FIELDS = ("apiGroups", "resources", "verbs", "resourceNames")


def _granted_verbs(fields: tuple[Any, ...], perm: Permission, *, scoped_by_names: bool) -> list[str]:
    """The verbs of ``perm`` the rule grants; raises UnknownValueError when that depends on an unknown."""
    groups, resources, verbs, names = fields
    if groups.unknown is None and not groups.has("*", perm.group):
        return []  # another API group: the commonest answer, decided before the costlier dimensions
    hits = [v for v in perm.verbs if verbs.has("*", v)]
    dimensions = [
        (_dimension(groups.has("*", perm.group), groups), groups),
        (_dimension(_resource_matches(resources, perm.resource), resources), resources),
        (_dimension(bool(hits), verbs), verbs),
    ]
    if scoped_by_names:  # a rule naming its objects (resourceNames) grants only those
        dimensions.append((False if names.values else (None if names.unknown else True), names))
    if any(verdict is False for verdict, _ in dimensions):
        return []
    for verdict, values in dimensions:
        if verdict is None and values.unknown is not None:
            raise values.unknown
    return hits


def _grants(rule: Any, perms: Iterable[Permission], *, scoped_by_names: bool = False) -> list[str]:
    found, unknown = [], None
    fields = tuple(string_list(rule, k) for k in _RULE_FIELDS)  # read once: each read goes through the SDK proxy
    for perm in perms:
        try:
            verbs = _granted_verbs(fields, perm, scoped_by_names=scoped_by_names)
        except UnknownValueError as exc:
            unknown = unknown or exc
            continue
        shown = f"{perm.group}/{perm.resource}" if perm.group else perm.resource
        found.extend(f"{verb} on {shown}" for verb in verbs)
    if unknown is not None and not found:
        raise unknown
    return found


def _has_aggregation(props: Mapping[str, Any]) -> bool:
    if not has(props, "aggregationRule"):
        return False
    try:
        return props["aggregationRule"] is not None
    except UnknownValueError:
        return True


def _rule_parts(ctx: RuleContext, check: Callable[[int, Any], Iterable[str]]) -> list[Callable[[], Iterable[str]]]:
    rules = get(ctx.props, "rules")
    if not is_list(rules) or len(rules) == 0:
        if _has_aggregation(ctx.props):
            raise NotApplicable(
                "aggregated ClusterRole: its rules come from the ClusterRoles its aggregationRule "
                "selects, each checked on its own"
            )
        return []

    def part(i: int) -> Callable[[], Iterable[str]]:
        return lambda: check(i, rules[i]) if isinstance(rules[i], Mapping) else []

    return [part(i) for i in range(len(rules))]


def _permission_rule(perms: tuple[Permission, ...], *, scoped_by_names: bool = False) -> Callable[..., list[str]]:
    def check(ctx: RuleContext) -> list[str]:
        namespaced = kind_of(ctx.resource_type) == "Role"
        grantable = [p for p in perms if not (namespaced and p.cluster_scoped)]
        if not grantable:
            return []

        def rule_check(i: int, rule: Any) -> list[str]:
            granted = _grants(rule, grantable, scoped_by_names=scoped_by_names)
            return [f"rules[{i}] grants {', '.join(granted)}"] if granted else []

        return definite_first(_rule_parts(ctx, rule_check))

    return check


# --- roles ----------------------------------------------------------------------------------------------------


@resource_rule("rbac-wildcards", types=ROLE_TYPES)
def wildcards(ctx: RuleContext) -> list[str]:
    def rule_check(i: int, rule: Any) -> list[str]:
        messages, unknown = [], None
        for key in ("apiGroups", "resources", "verbs"):
            values = string_list(rule, key)
            starred = sorted(v for v in values.values if "*" in v)
            if starred:
                messages.append(f"rules[{i}].{key} uses the wildcard {', '.join(repr(s) for s in starred)}")
            elif values.unknown is not None:
                unknown = unknown or values.unknown
        if unknown is not None and not messages:
            raise unknown
        return messages

    return definite_first(_rule_parts(ctx, rule_check))


secrets_read = resource_rule("rbac-secrets-read", types=ROLE_TYPES)(
    _permission_rule(SECRETS_READ, scoped_by_names=True)
)
privilege_escalation_verbs = resource_rule("rbac-privilege-escalation-verbs", types=ROLE_TYPES)(
    _permission_rule(ESCALATION)
)
dangerous_create = resource_rule("rbac-dangerous-create", types=ROLE_TYPES)(_permission_rule(DANGEROUS_CREATE))
csr_approval = resource_rule("rbac-csr-approval", types=ROLE_TYPES)(_permission_rule(CSR_APPROVAL))


# --- bindings -------------------------------------------------------------------------------------------------


@resource_rule("rbac-cluster-admin-binding", types=BINDING_TYPES)
def cluster_admin_binding(ctx: RuleContext) -> Iterator[str]:
    role_ref = get(ctx.props, "roleRef")
    if get(role_ref, "name") != "cluster-admin":
        return
    kind = get(role_ref, "kind")
    if kind not in (None, "ClusterRole"):
        return
    scope = "the whole cluster" if "Cluster" in kind_of(ctx.resource_type) else "its namespace"
    yield f"roleRef.name is ClusterRole cluster-admin: the subjects get full control of {scope}"


# The built-in user-facing roles (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles):
# admin and edit are meant to be granted within a namespace; bound cluster-wide they give read and write access to
# every namespace's workloads and Secrets (edit), and RBAC within every namespace (admin).
NAMESPACE_SCOPED_ROLES = {
    "admin": "manage every namespace, RBAC included",
    "edit": "change every namespace's workloads and read its Secrets",
}


@resource_rule("rbac-admin-edit-cluster-binding", types=BINDING_TYPES)
def admin_edit_cluster_binding(ctx: RuleContext) -> Iterator[str]:
    if "Cluster" not in kind_of(ctx.resource_type):
        return
    role_ref = get(ctx.props, "roleRef")
    name = get(role_ref, "name")
    if name not in NAMESPACE_SCOPED_ROLES or get(role_ref, "kind") not in (None, "ClusterRole"):
        return
    yield (
        f"roleRef is ClusterRole {name} in a ClusterRoleBinding: the subjects can {NAMESPACE_SCOPED_ROLES[name]}; "
        "bind it with a RoleBinding per namespace instead"
    )


DEFAULT_BROAD_SUBJECTS = ["system:anonymous", "system:unauthenticated", "system:authenticated"]


@resource_rule(
    "rbac-anonymous-subjects",
    types=BINDING_TYPES,
    config={
        "forbiddenSubjects": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_BROAD_SUBJECTS,
            "description": "User and Group names no binding may name: every anonymous or every authenticated caller.",
        }
    },
)
def anonymous_subjects(ctx: RuleContext) -> list[str]:
    configured = ctx.config.get("forbiddenSubjects")
    forbidden = {s for s in configured if isinstance(s, str)} if isinstance(configured, list) else set()
    subjects = get(ctx.props, "subjects")

    def part(i: int) -> Callable[[], list[str]]:
        def run() -> list[str]:
            subject = subjects[i]
            name = get(subject, "name")
            if not isinstance(name, str) or name not in forbidden:
                return []
            kind = get(subject, "kind")
            if kind == "ServiceAccount":
                return []
            return [f"subjects[{i}] is {kind if isinstance(kind, str) else 'subject'} {name}"]

        return run

    if not is_list(subjects):
        return []
    return definite_first(part(i) for i in range(len(subjects)))
