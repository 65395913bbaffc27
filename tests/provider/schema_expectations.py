"""What the component package schema must say about a component, derived from the component classes
themselves (their args dataclass and annotated outputs), independently of the SDK's analyzer."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import types
import typing
from collections.abc import Awaitable
from pathlib import Path
from types import ModuleType
from typing import Any

import pulumi

REPO_ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DIR = REPO_ROOT / "components"
_SIMPLE = {str: "string", int: "integer", float: "number", bool: "boolean"}
DESIGN_COMPONENTS = {  # docs/DESIGN.md "Names"
    "Cluster",
    "DataPlaneSecurityGroups",
    "NetworkControls",
    "NodeGroup",
    "AccessControl",
    "AuditTrail",
    "ImageRegistry",
    "ThreatDetection",
    "Baseline",
}


def plugin_module() -> ModuleType:
    """components/__main__.py, imported under another name (importing it starts nothing)."""
    spec = importlib.util.spec_from_file_location("eksguard_component_plugin", PLUGIN_DIR / "__main__.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def args_type(component: type) -> type:
    hint = inspect.get_annotations(component.__init__, eval_str=True)["args"]
    candidates = [a for a in (*typing.get_args(hint), hint) if isinstance(a, type) and dataclasses.is_dataclass(a)]
    assert candidates, f"{component.__name__}.__init__ must take `args` annotated with its args dataclass"
    return candidates[0]


def outputs(component: type) -> dict[str, Any]:
    """The component's annotated outputs (its own class annotations, public ones)."""
    return {k: v for k, v in inspect.get_annotations(component, eval_str=True).items() if not k.startswith("_")}


def field_hints(dataclass_type: type) -> dict[str, Any]:
    """Evaluated field annotations (typing.get_type_hints would choke on pulumi.Input's inner forward ref)."""
    hints: dict[str, Any] = {}
    for cls in reversed(dataclass_type.__mro__):
        hints.update(inspect.get_annotations(cls, eval_str=True))
    return {f.name: hints[f.name] for f in dataclasses.fields(dataclass_type)}


def required_fields(dataclass_type: type) -> set[str]:
    return {
        f.name
        for f in dataclasses.fields(dataclass_type)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


def base_type(hint: Any) -> Any:
    """``T`` out of ``Optional[T]``, ``Input[T]``, ``Output[T]`` (and their unions)."""
    origin = typing.get_origin(hint)
    if origin is pulumi.Output:
        return base_type(typing.get_args(hint)[0])
    if origin in (typing.Union, types.UnionType):
        plain = [
            a
            for a in typing.get_args(hint)
            if a is not type(None)
            and typing.get_origin(a) not in (pulumi.Output, Awaitable)
            and not isinstance(a, typing.ForwardRef)
        ]
        assert len(plain) == 1, f"unsupported union {hint}"
        return base_type(plain[0])
    return hint


def expected_shape(hint: Any) -> dict[str, Any]:
    """The schema shape of a Python annotation: ``{"type": ...}`` or ``{"$ref": ...}`` (with items or
    additionalProperties for lists and dicts)."""
    hint = base_type(hint)
    if hint in _SIMPLE:
        return {"type": _SIMPLE[hint]}
    if hint is Any:
        return {"$ref": "pulumi.json#/Any"}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return {"$ref": f"#/types/eksguard:index:{hint.__name__}"}
    origin = typing.get_origin(hint)
    if origin is list:
        return {"type": "array", "items": expected_shape(typing.get_args(hint)[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": expected_shape(typing.get_args(hint)[1])}
    raise AssertionError(f"annotation {hint!r} has no schema shape (see docs/DESIGN.md: allowed arg types)")


def shape_of(prop: dict[str, Any]) -> dict[str, Any]:
    """The same shape read from a schema property."""
    out: dict[str, Any] = {k: prop[k] for k in ("type", "$ref") if k in prop}
    if "items" in prop:
        out["items"] = shape_of(prop["items"])
    if "additionalProperties" in prop:
        out["additionalProperties"] = shape_of(prop["additionalProperties"])
    return out


def nested_dataclasses(dataclass_type: type) -> set[type]:
    found: set[type] = set()

    def walk(hint: Any) -> None:
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            if hint in found:
                return
            found.add(hint)
            for field_hint in field_hints(hint).values():
                walk(field_hint)
            return
        for arg in typing.get_args(hint):
            walk(arg)

    for field_hint in field_hints(dataclass_type).values():
        walk(field_hint)
    return found


def load(module_name: str, class_name: str) -> type:
    return getattr(importlib.import_module(module_name), class_name)
