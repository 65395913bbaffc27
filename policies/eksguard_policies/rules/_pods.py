"""What the workload rules read from a pod spec: per-container checks, the effective securityContext, Linux
capability names, hostPath volumes, image references and Secret references in the environment.

Readers follow the conventions of :mod:`._k8s`: missing means the Kubernetes default, oddly typed values are
skipped and unknown values raise UnknownValueError.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from ..framework import NotApplicable, RuleContext
from ..values import has, show
from ._k8s import Container, container_parts, definite_first, get, get_path, is_list, pod_spec

HostPathPart = Callable[[], list[tuple[str, str]]]
"""Reads one volume: [(volume label, normalised hostPath)] when it mounts one, else []."""


def check_containers(ctx: RuleContext, check: Callable[[Container], Iterable[str]]) -> list[str]:
    """``check`` run on every init, regular and ephemeral container of the workload's pod spec."""
    path, spec = pod_spec(ctx.resource_type, ctx.props)
    return definite_first(container_parts(path, spec, check))


def effective_security_value(c: Container, spec: Any, key: str) -> Any:
    """The container's securityContext ``key``, else the pod's; an unknown pod securityContext raises."""
    pod_security_context = get(spec, "securityContext")
    value = get(c.security_context(), key)
    return value if value is not None else get(pod_security_context, key)


def capability_name(name: str) -> str:
    """A Linux capability as Kubernetes spells it: upper case, without the CAP_ prefix."""
    upper = name.strip().upper()
    return upper[4:] if upper.startswith("CAP_") else upper


def host_path_volumes(ctx: RuleContext) -> list[HostPathPart]:
    """One independent part per volume of the workload's pod spec (see :data:`HostPathPart`)."""
    path, spec = pod_spec(ctx.resource_type, ctx.props)
    volumes = get(spec, "volumes")

    def part(i: int) -> HostPathPart:
        def run() -> list[tuple[str, str]]:
            volume = volumes[i]
            host_path = get_path(volume, "hostPath", "path")
            if not isinstance(host_path, str) or not host_path.startswith("/"):
                return []
            try:
                name = get(volume, "name")
            except UnknownValueError:
                name = None
            label = f"{path}.volumes[{i}]" + (f" ({name})" if isinstance(name, str) and name else "")
            return [(label, posixpath.normpath(host_path).replace("//", "/"))]

        return run

    return [part(i) for i in range(len(volumes))] if is_list(volumes) else []


def windows_pod(ctx: RuleContext, what: str) -> Any:
    """The pod spec, after refusing a Windows pod (spec.os.name windows) for a Linux-only control ``what``."""
    path, spec = pod_spec(ctx.resource_type, ctx.props)
    if get_path(spec, "os", "name") == "windows":
        raise NotApplicable(f"{path}.os.name is windows: {what} is a Linux feature")
    return spec


def container_image(c: Container) -> tuple[str | None, str | None]:
    """(image, problem): the container's image reference, or why it has none usable."""
    image = get(c.value, "image")
    if image is None:
        return None, f"{c.label} sets no image"
    if not isinstance(image, str) or not image.strip():
        return None, f"{c.label} has image {show(image)}, not an image reference"
    return image.strip(), None


def refers_to(holder: Any, ref_key: str) -> bool:
    """Whether ``holder`` sets ``ref_key``; a reference whose value is unknown is still a reference."""
    if not has(holder, ref_key):
        return False
    try:
        return holder[ref_key] is not None
    except UnknownValueError:
        return True


def secret_env_message(c: Container, key: str, i: int, entry: Any, holder: Any, ref_key: str) -> str:
    """The finding for ``c``'s ``key[i]`` (env or envFrom) reading a Secret through ``holder[ref_key]``."""
    try:
        secret = get(get(holder, ref_key), "name")
    except UnknownValueError:
        secret = None
    try:
        variable = get(entry, "name") if key == "env" else None
    except UnknownValueError:
        variable = None
    where = f"{c.label} {key}[{i}]" + (f" ({variable})" if isinstance(variable, str) else "")
    what = f"Secret {secret}" if isinstance(secret, str) else "a Secret"
    return f"{where} reads {what} into the environment ({ref_key}); mount it as a file instead"
