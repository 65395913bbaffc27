"""Reading wire-form property values safely inside rules.

``ctx.props`` is pulumi_policy's unknown-checking proxy: reading an unknown value raises UnknownValueError
(which makes the policy "not checkable until apply"), and ``key in mapping`` READS the value, so it raises too.
These helpers test presence without reading, and turn oddly typed values into None/() instead of exceptions.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import proxy as _sdk_proxy
from pulumi_policy.proxy import UnknownValueError
from pulumi_policy.secret import Secret as SdkSecret

UNKNOWN_SENTINELS = frozenset(
    getattr(_sdk_proxy, name) for name in dir(_sdk_proxy) if name.startswith("UNKNOWN_") and name.endswith("_VALUE")
)
"""The SDK's sentinels for values unknown during preview."""

MISSING: Any = object()


def has(mapping: Any, key: str) -> bool:
    """``key`` is set (possibly to an unknown value), without reading the value."""
    if isinstance(mapping, dict):
        return key in mapping
    if not isinstance(mapping, Mapping):
        return False
    try:
        target = mapping["__target"]  # the SDK's proxy: its plain dict, where membership reads no value
    except (KeyError, TypeError, UnknownValueError):
        target = None
    return key in target if isinstance(target, dict) else any(k == key for k in mapping)


def get(mapping: Any, key: str, default: Any = None) -> Any:
    """``mapping[key]`` (raises UnknownValueError when unknown), ``default`` when absent, None or not a map."""
    if not has(mapping, key):
        return default
    value = mapping[key]
    return default if value is None else value


def as_map(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def as_list(value: Any) -> Sequence[Any] | None:
    """A list-like value (not a string), or None."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return value
    return None


def as_bool(value: Any, default: bool) -> bool | None:
    """A wire boolean: True/False, ``default`` when None, None when oddly typed (e.g. the string "yes")."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def strings(value: Any) -> list[str]:
    """The string items of a list (reading each; other items skipped), or [] when not a list."""
    items = as_list(value)
    if items is None:
        return []
    return [item for item in (items[i] for i in range(len(items))) if isinstance(item, str)]


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """A JSON object given as JSON text or an object (an IAM policy document, an add-on's configuration values);
    None when unparsable or not an object."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, Mapping) else None


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = document.get("Statement")
    if isinstance(raw, Mapping):
        return [raw]
    return [s for s in (as_list(raw) or []) if isinstance(s, Mapping)]


def string_set(value: Any) -> set[str]:
    """A policy element that may be a string or a list of strings."""
    if isinstance(value, str):
        return {value}
    return set(strings(value))


def editable_props(props: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of the raw property tree behind the SDK's proxies, for a remediation to change and return
    (secrets stay wrapped so the engine keeps them secret)."""
    return copy.deepcopy(raw(props))


UNKNOWN_VALUE: Any = object()
"""Returned by :func:`peek` for a value that is unknown until apply."""


def peek(mapping: Any, key: str, default: Any = None) -> Any:
    """Like :func:`get`, but an unknown value gives UNKNOWN_VALUE instead of raising: for rules where a value
    computed during apply (say, the ARN of a key created in the stack) is as good as any."""
    try:
        return get(mapping, key, default)
    except UnknownValueError:
        return UNKNOWN_VALUE


def raw(value: Any) -> Any:
    """The plain value tree behind the SDK's proxies (for messages and remediation copies)."""
    while isinstance(value, Mapping | Sequence) and not isinstance(value, dict | list | str | bytes | tuple):
        try:
            value = value["__target"]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):  # some other mapping or sequence: taken as it is
            break
    if isinstance(value, dict):
        return {k: raw(v) for k, v in value.items()}
    if isinstance(value, list):
        return [raw(v) for v in value]
    return value


def show(value: Any) -> str:
    """A value as a message shows it: ``'x'``, ``['a', 1.0]``, never a proxy object's repr."""
    return repr(raw(value))


def known(props: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """For remediations, whose props the SDK does not unknown-check: ``props[key]`` with secrets unwrapped;
    raises UnknownValueError (reported as "can't run remediation during preview") for an unknown value."""
    plain = raw(props)
    value = plain.get(key, default) if isinstance(plain, dict) else default
    if isinstance(value, SdkSecret):
        value = value.value
    if isinstance(value, str) and value in UNKNOWN_SENTINELS:
        raise UnknownValueError(value, [key])
    return default if value is None else value


def split_known(value: Any) -> tuple[list[Any], UnknownValueError | None]:
    """The known items of a list and the error of its first unknown item (None when all are known), so a rule
    can report a definite violation first and be not checkable only when the verdict depends on the rest."""
    items = as_list(value)
    if items is None:
        return [], None
    known_items: list[Any] = []
    pending: UnknownValueError | None = None
    for i in range(len(items)):
        try:
            known_items.append(items[i])
        except UnknownValueError as exc:
            pending = pending or exc
    return known_items, pending
