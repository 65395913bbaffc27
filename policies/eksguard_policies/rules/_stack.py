"""Reading a stack's resources for stack rules: resources by type, and what a property points at."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from ..values import get, peek


def by_type(resources: Iterable[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for r in resources:
        grouped.setdefault(r.resource_type, []).append(r)
    return grouped


def target_keys(resource: Any, field: str) -> tuple[set[str], UnknownValueError | None]:
    """What a property points at: the URNs it depends on and its literal value when known; the unknown error
    when it is unknown and depends on nothing in the stack (so the target cannot be told)."""
    keys = {dep.urn for dep in (resource.property_dependencies or {}).get(field, [])}
    try:
        value = get(resource.props, field)
    except UnknownValueError as exc:
        return keys, None if keys else exc
    if isinstance(value, str) and value:
        keys.add(value)
    return keys, None


def identities(resource: Any, *fields: str) -> set[str]:
    """The keys another resource may point at this one by: its URN and the known string values of ``fields``."""
    ids = {resource.urn}
    for field in fields:
        value = peek(resource.props, field)
        if isinstance(value, str) and value:
            ids.add(value)
    return ids


def kind_and_name(resource: Any) -> str:
    return f"{resource.resource_type.rsplit(':', 1)[-1]} {resource.name}"
