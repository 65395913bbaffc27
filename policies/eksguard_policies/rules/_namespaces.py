"""Which namespace a Kubernetes object lands in, and a stack-wide survey of the namespaces that run workloads
and the ones a network policy covers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from ._k8s import LIMIT_RANGE_TYPES, NAMESPACE_TYPES, WORKLOAD_TYPES, get, get_path, items

KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"


def provider_namespace(provider: Any) -> Any:
    """The namespace a Kubernetes provider puts resources without one into (its ``namespace`` input), or None.
    https://www.pulumi.com/registry/packages/kubernetes/api-docs/provider/#namespace_python"""
    if getattr(provider, "resource_type", None) != KUBERNETES_PROVIDER:
        return None
    return get(provider.props, "namespace")


def namespace_of(resource: Any) -> str | None:
    """The namespace a namespaced object lands in: its own, else its Kubernetes provider's, else "default";
    None when oddly typed."""
    namespace = get_path(resource.props, "metadata", "namespace")
    if namespace in (None, ""):
        namespace = provider_namespace(resource.provider)
    if namespace in (None, ""):
        return "default"
    return namespace if isinstance(namespace, str) else None


@dataclass
class NamespaceSurvey:
    """Where a stack's workloads and network policies land."""

    covered: set[str] = field(default_factory=set)
    """Namespaces holding at least one network policy."""
    namespace_urns: dict[str, str] = field(default_factory=dict)
    """The URN of each declared Namespace, by name."""
    workloads: dict[str, list[Any]] = field(default_factory=dict)
    """Workload resources by the namespace they land in."""
    unplaced: list[tuple[Any, UnknownValueError]] = field(default_factory=list)
    """Workloads whose namespace is known only at apply."""
    policy_unknown: UnknownValueError | None = None
    """Set when some network policy's namespace is known only at apply."""

    def uncovered(self) -> list[tuple[str, list[Any]]]:
        """(namespace, workloads) of every namespace that runs workloads and has no network policy."""
        return [(ns, members) for ns, members in self.workloads.items() if ns not in self.covered]


def survey_namespaces(resources: Iterable[Any], policy_types: set[str]) -> NamespaceSurvey:
    """Sort ``resources`` into the survey; ``policy_types`` are the resource types that count as a network policy."""
    survey = NamespaceSurvey()
    for resource in resources:
        try:
            if resource.resource_type in policy_types:
                namespace = namespace_of(resource)
                if namespace is not None:
                    survey.covered.add(namespace)
            elif resource.resource_type in NAMESPACE_TYPES:
                name = get_path(resource.props, "metadata", "name")
                if isinstance(name, str):
                    survey.namespace_urns.setdefault(name, resource.urn)
            elif resource.resource_type in WORKLOAD_TYPES:
                namespace = namespace_of(resource)
                if namespace is not None:
                    survey.workloads.setdefault(namespace, []).append(resource)
        except UnknownValueError as exc:
            if resource.resource_type in policy_types:
                survey.policy_unknown = survey.policy_unknown or exc
            elif resource.resource_type in WORKLOAD_TYPES:
                survey.unplaced.append((resource, exc))
    return survey


def limit_range_defaults(resources: Iterable[Any]) -> tuple[dict[str, set[tuple[str, str]]], UnknownValueError | None]:
    """For each namespace, the (limits|requests, resource) pairs its LimitRanges fill in for containers that leave
    them out, and the error of a LimitRange that cannot be read until apply. The API server defaults a Container
    item's default limit to its max, and its default request to its min or default limit
    (https://kubernetes.io/docs/concepts/policy/limit-range/)."""
    defaults: dict[str, set[tuple[str, str]]] = {}
    pending: UnknownValueError | None = None
    for limit_range in (r for r in resources if r.resource_type in LIMIT_RANGE_TYPES):
        try:
            namespace = namespace_of(limit_range)
            filled = defaults.setdefault(namespace or "", set())
            for _, item in items(get_path(limit_range.props, "spec", "limits")):
                if get(item, "type") != "Container":
                    continue
                for key, kinds in (("default", "lr"), ("max", "lr"), ("defaultRequest", "r"), ("min", "r")):
                    for name in get(item, key) or {}:
                        filled |= {("limits", name), ("requests", name)} if kinds == "lr" else {("requests", name)}
        except UnknownValueError as exc:
            pending = pending or exc
    return defaults, pending
