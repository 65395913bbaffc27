"""Property values in the form the Pulumi engine sends them to an analyzer.

The engine speaks ``google.protobuf.Struct``: camelCase names, every number a float, unknown (computed)
values as a sentinel string and secrets as a signed object. :func:`to_struct` builds exactly that from
plain Python values, with :data:`UNKNOWN` and :class:`Secret` marking the special cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2

# The engine's sentinel for a value not known until apply (pulumi/sdk/go/common/resource/plugin/rpc.go).
UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
"""Marks a value that is computed during apply (a preview sees only the sentinel)."""


@dataclass(frozen=True)
class Secret:
    """Marks a secret value; on the wire it travels wrapped in the secret signature."""

    value: Any


def to_wire(value: Any) -> Any:
    """Plain Python value to the JSON-able wire form (unknowns and secrets encoded)."""
    if value is UNKNOWN:
        return UNKNOWN_SENTINEL
    if isinstance(value, Secret):
        return {SIG_KEY: SECRET_SIG, "value": to_wire(value.value)}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    raise TypeError(f"cannot send a {type(value).__name__} to an analyzer")


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(to_wire(props))
    return struct


def from_wire(value: Any) -> Any:
    """Inverse of :func:`to_wire` (used to read remediated properties back)."""
    if value == UNKNOWN_SENTINEL:
        return UNKNOWN
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return Secret(from_wire(value.get("value")))
        return {k: from_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_wire(v) for v in value]
    return value


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return from_wire(json_format.MessageToDict(struct))
