"""Reading Kubernetes resources in wire form: pod specs inside every workload kind, containers, string lists.

Every reader treats missing values as the Kubernetes default, skips oddly typed values (the API server would
reject them) and lets an unknown value raise UnknownValueError. :func:`definite_first` runs independent checks
so that a definite violation is reported even when another part of the resource is not known until apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError

_K8S = "kubernetes:"
POD_TYPES = (f"{_K8S}core/v1:Pod",)
TEMPLATE_TYPES = tuple(
    f"{_K8S}{group}:{kind}"
    for group, kind in (
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("apps/v1", "ReplicaSet"),
        ("core/v1", "ReplicationController"),
        ("batch/v1", "Job"),
        # Removed API versions still reach the engine from old charts and manifests.
        ("apps/v1beta1", "Deployment"),
        ("apps/v1beta1", "StatefulSet"),
        ("apps/v1beta2", "Deployment"),
        ("apps/v1beta2", "StatefulSet"),
        ("apps/v1beta2", "DaemonSet"),
        ("apps/v1beta2", "ReplicaSet"),
        ("extensions/v1beta1", "Deployment"),
        ("extensions/v1beta1", "DaemonSet"),
        ("extensions/v1beta1", "ReplicaSet"),
    )
)
CRONJOB_TYPES = tuple(f"{_K8S}{group}:CronJob" for group in ("batch/v1", "batch/v1beta1", "batch/v2alpha1"))
WORKLOAD_TYPES = POD_TYPES + TEMPLATE_TYPES + CRONJOB_TYPES

NAMESPACE_TYPES = (f"{_K8S}core/v1:Namespace",)
SERVICE_ACCOUNT_TYPES = (f"{_K8S}core/v1:ServiceAccount",)
NETWORK_POLICY_TYPES = (f"{_K8S}networking.k8s.io/v1:NetworkPolicy", f"{_K8S}extensions/v1beta1:NetworkPolicy")
_RBAC_VERSIONS = ("v1", "v1beta1", "v1alpha1")
ROLE_TYPES = tuple(f"{_K8S}rbac.authorization.k8s.io/{v}:{k}" for v in _RBAC_VERSIONS for k in ("ClusterRole", "Role"))
LIMIT_RANGE_TYPES = (f"{_K8S}core/v1:LimitRange",)
SERVICE_TYPES = (f"{_K8S}core/v1:Service",)
INGRESS_TYPES = tuple(
    f"{_K8S}{group}:Ingress" for group in ("networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1")
)
STORAGE_CLASS_TYPES = (f"{_K8S}storage.k8s.io/v1:StorageClass", f"{_K8S}storage.k8s.io/v1beta1:StorageClass")
BINDING_TYPES = tuple(
    f"{_K8S}rbac.authorization.k8s.io/{v}:{k}" for v in _RBAC_VERSIONS for k in ("ClusterRoleBinding", "RoleBinding")
)

CONFIG_MAP_TYPES = (f"{_K8S}core/v1:ConfigMap", f"{_K8S}core/v1:ConfigMapPatch")
HELM_TYPES = (f"{_K8S}helm.sh/v3:Release", f"{_K8S}helm.sh/v3:Chart", f"{_K8S}helm.sh/v4:Chart")
KARPENTER_NODE_CLASS_TYPES = (
    f"{_K8S}karpenter.k8s.aws/v1:EC2NodeClass",
    f"{_K8S}karpenter.k8s.aws/v1beta1:EC2NodeClass",
)
"""Karpenter's node templates (https://karpenter.sh/docs/concepts/nodeclasses/), as pulumi-kubernetes types a
CustomResource of that apiVersion and kind."""
AUTO_MODE_NODE_CLASS_TYPES = (f"{_K8S}eks.amazonaws.com/v1:NodeClass",)
"""EKS Auto Mode's node templates (https://docs.aws.amazon.com/eks/latest/userguide/create-node-class.html)."""

CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")


def kind_of(resource_type: str) -> str:
    return resource_type.rsplit(":", 1)[-1]


def get(value: Any, key: str) -> Any:
    """``value[key]`` when value is a mapping holding key, else None (unknown values raise)."""
    if isinstance(value, Mapping) and key in value:
        return value[key]
    return None


def get_path(value: Any, *keys: str) -> Any:
    for key in keys:
        value = get(value, key)
    return value


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def items(value: Any) -> Iterator[tuple[int, Any]]:
    """(index, element) of a list; an unknown element raises when reached, a non-list yields nothing."""
    if is_list(value):
        for i in range(len(value)):
            yield i, value[i]


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def pod_spec_path(resource_type: str) -> tuple[str, ...]:
    """Where a workload kind keeps its pod spec."""
    if resource_type in POD_TYPES:
        return ("spec",)
    if resource_type in CRONJOB_TYPES:
        return ("spec", "jobTemplate", "spec", "template", "spec")
    return ("spec", "template", "spec")


def pod_spec(resource_type: str, props: Mapping[str, Any]) -> tuple[str, Any]:
    """(path, pod spec) of any workload kind; the spec is None when absent or not an object."""
    path = pod_spec_path(resource_type)
    spec = get_path(props, *path)
    return ".".join(path), spec if isinstance(spec, Mapping) else None


@dataclass(frozen=True)
class Container:
    path: str
    """Where the pod spec sits, e.g. ``spec.template.spec``."""
    field: str
    index: int
    value: Mapping[str, Any]

    @property
    def label(self) -> str:
        try:
            name = get(self.value, "name")
        except UnknownValueError:
            name = None
        shown = f" ({name})" if isinstance(name, str) and name else ""
        return f"{self.path}.{self.field}[{self.index}]{shown}"

    def security_context(self) -> Any:
        sc = get(self.value, "securityContext")
        return sc if isinstance(sc, Mapping) else None


def container_parts(
    path: str, spec: Any, check: Callable[[Container], Iterable[str]]
) -> list[Callable[[], Iterable[str]]]:
    """One independent part per container list, each running ``check`` on its containers one by one."""

    def part_for(list_field: str) -> Callable[[], Iterable[str]]:
        def run() -> list[str]:
            messages, unknown = [], None
            for index_and_container in _safe_items(get(spec, list_field)):
                if isinstance(index_and_container, UnknownValueError):
                    unknown = unknown or index_and_container
                    continue
                i, container = index_and_container
                if not isinstance(container, Mapping):
                    continue
                try:
                    messages.extend(check(Container(path, list_field, i, container)))
                except UnknownValueError as exc:
                    unknown = unknown or exc
            if unknown is not None and not messages:
                raise unknown
            return messages

        return run

    return [part_for(f) for f in CONTAINER_FIELDS]


def known_items(value: Any) -> tuple[list[tuple[int, Any]], UnknownValueError | None]:
    """(index, element) of a list's known elements, and the error of its first unknown one (or of the list)."""
    found, unknown = [], None
    try:
        for entry in _safe_items(value):
            if isinstance(entry, UnknownValueError):
                unknown = unknown or entry
            else:
                found.append(entry)
    except UnknownValueError as exc:
        unknown = unknown or exc
    return found, unknown


def _safe_items(value: Any) -> Iterator[tuple[int, Any] | UnknownValueError]:
    if not is_list(value):
        return
    for i in range(len(value)):
        try:
            yield i, value[i]
        except UnknownValueError as exc:
            yield exc


def definite_first(parts: Iterable[Callable[[], Iterable[str]]]) -> list[str]:
    """Run every part; an unknown value only decides the verdict (by raising) when no part found a violation."""
    messages: list[str] = []
    unknown: UnknownValueError | None = None
    for part in parts:
        try:
            messages.extend(part())
        except UnknownValueError as exc:
            unknown = unknown or exc
    if unknown is not None and not messages:
        raise unknown
    return messages


@dataclass(frozen=True)
class StringList:
    """The known strings of a list value, and whether some element (or the list itself) is unknown."""

    values: frozenset[str]
    unknown: UnknownValueError | None = None

    def has(self, *wanted: str) -> bool:
        return not self.values.isdisjoint(wanted)


_READ: dict[tuple[int, str], tuple[Any, StringList]] = {}
"""string_list answers by container identity: the RBAC rules read every rule's lists once per policy, the same
plain dicts (servicer.checked_props) within one request. An entry holds its container, so its id is not reused
while cached; rules never change props."""


def string_list(container: Any, key: str) -> StringList:
    cached = _READ.get((id(container), key))
    if cached is not None and cached[0] is container:
        return cached[1]
    if len(_READ) >= 4096:
        _READ.clear()
    found = _read_string_list(container, key)
    _READ[(id(container), key)] = (container, found)
    return found


def _read_string_list(container: Any, key: str) -> StringList:
    try:
        value = get(container, key)
    except UnknownValueError as exc:
        return StringList(frozenset(), exc)
    found: set[str] = set()
    unknown = None
    for entry in _safe_items(value):
        if isinstance(entry, UnknownValueError):
            unknown = unknown or entry
        elif isinstance(entry[1], str):
            found.add(entry[1])
    return StringList(frozenset(found), unknown)
