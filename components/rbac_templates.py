"""Least-privilege Kubernetes Role templates (viewer, developer, operator) as data, and the namespace-scoped
groups they are bound to.

RBAC good practices: https://kubernetes.io/docs/concepts/security/rbac-good-practices/
"""

from __future__ import annotations

ROLES = ("viewer", "developer", "operator")

_READ = ["get", "list", "watch"]
_WRITE = ["get", "list", "watch", "create", "update", "patch", "delete"]
_WORKLOADS = ["deployments", "replicasets", "statefulsets", "daemonsets"]
_BATCH = ["jobs", "cronjobs"]
_CORE_READ = ["pods", "pods/log", "services", "endpoints", "configmaps", "persistentvolumeclaims", "events"]

# (api group, resources, verbs) rules, no wildcards and no Secrets (added per namespace only through
# ManagedNamespace.secrets_access_roles). No role can write RBAC, NetworkPolicies or exec into pods.
ROLE_RULES: dict[str, list[tuple[str, list[str], list[str]]]] = {
    "viewer": [
        ("", _CORE_READ, _READ),
        ("apps", _WORKLOADS, _READ),
        ("batch", _BATCH, _READ),
        ("networking.k8s.io", ["ingresses"], _READ),
        ("autoscaling", ["horizontalpodautoscalers"], _READ),
    ],
    "developer": [
        ("", ["pods", "pods/log", "endpoints", "events"], _READ),
        ("", ["services", "configmaps", "persistentvolumeclaims"], _WRITE),
        ("", ["pods"], ["delete"]),
        ("apps", ["deployments", "statefulsets"], _WRITE),
        ("apps", ["replicasets", "daemonsets"], _READ),
        ("batch", _BATCH, _WRITE),
        ("networking.k8s.io", ["ingresses"], _READ),
        ("autoscaling", ["horizontalpodautoscalers"], _READ),
    ],
    "operator": [
        ("", ["pods", "pods/log", "endpoints", "events"], _READ),
        ("", ["services", "configmaps", "persistentvolumeclaims"], _WRITE),
        ("", ["pods"], ["delete"]),
        ("apps", _WORKLOADS, _WRITE),
        ("apps", ["deployments/scale", "statefulsets/scale"], ["get", "update", "patch"]),
        ("batch", _BATCH, _WRITE),
        ("networking.k8s.io", ["ingresses"], _WRITE),
        ("autoscaling", ["horizontalpodautoscalers"], _WRITE),
        ("policy", ["poddisruptionbudgets"], _WRITE),
    ],
}
# A role granted Secrets gets the verbs it has on ConfigMaps.
SECRET_VERBS = {"viewer": _READ, "developer": _WRITE, "operator": _WRITE}


def kubernetes_group(role: str, namespace: str) -> str:
    """The Kubernetes group bound to ``role`` in ``namespace`` only (groups are cluster-wide names)."""
    return f"eksguard:{role}:{namespace}"


def role_rules(role: str, with_secrets: bool) -> list[dict[str, list[str]]]:
    """The PolicyRule inputs of ``role``'s template, plus access to Secrets when ``with_secrets``."""
    rules = [
        {"api_groups": [group], "resources": resources, "verbs": verbs} for group, resources, verbs in ROLE_RULES[role]
    ]
    if with_secrets:
        rules.append({"api_groups": [""], "resources": ["secrets"], "verbs": SECRET_VERBS[role]})
    return rules
