"""Check a declaration's inputs against the pulumi-aws SDK: every property name must be an input of the type
(the name on the SDK's ``@pulumi.getter``), every value of the type the SDK declares (launch template booleans
are strings there, a port is an int, a tag map maps strings to strings)."""

from __future__ import annotations

import collections.abc
import importlib
import sys
import typing
from typing import Any

import pulumi_aws

SCALARS = (str, bool, int, float)


def args_class(type_token: str) -> type:
    """``aws:eks/cluster:Cluster`` -> ``pulumi_aws.eks.ClusterArgs``."""
    _, module, name = type_token.split(":")
    return getattr(importlib.import_module(f"{pulumi_aws.__name__}.{module.split('/')[0]}"), f"{name}Args")


def _inputs(cls: type) -> dict[str, Any]:
    """Wire name -> the getter's annotation, for every input of an args class."""
    found = {}
    for klass in reversed(cls.__mro__):
        for attribute in vars(klass).values():
            getter = getattr(attribute, "fget", None)
            if getter is not None and hasattr(getter, "_pulumi_name"):
                found[getter._pulumi_name] = (getter.__annotations__.get("return"), sys.modules[klass.__module__])
    return found


def _alternatives(annotation: Any, module: Any) -> list[Any]:
    """What a value may be: scalar types, ``("list", item)``, ``("map", value)`` or an args class."""
    if isinstance(annotation, typing.ForwardRef):
        name = annotation.__forward_arg__
        if name.startswith("Output["):
            return []
        namespace = {**vars(importlib.import_module(module.__name__.rsplit(".", 1)[0] + "._inputs")), **vars(module)}
        return _alternatives(namespace[name], module)
    if isinstance(annotation, str):
        return _alternatives(typing.ForwardRef(annotation), module)
    origin = typing.get_origin(annotation)
    if origin is typing.Union:
        return [alt for arg in typing.get_args(annotation) for alt in _alternatives(arg, module)]
    if origin is collections.abc.Awaitable or annotation is type(None):
        return []
    if origin is collections.abc.Sequence:
        return [("list", typing.get_args(annotation)[0])]
    if origin is collections.abc.Mapping:
        return [("map", typing.get_args(annotation)[1])]
    return [annotation]


def problems(value: Any, annotation: Any, module: Any, path: str) -> list[str]:
    """Where ``value`` is not what ``annotation`` accepts."""
    alternatives = _alternatives(annotation, module)
    for alternative in alternatives:
        if alternative in SCALARS and type(value) is alternative:
            return []
        if alternative is float and type(value) is int:
            return []
        if isinstance(alternative, tuple) and alternative[0] == "list" and isinstance(value, list):
            return [p for i, item in enumerate(value) for p in problems(item, alternative[1], module, f"{path}[{i}]")]
        if isinstance(alternative, tuple) and alternative[0] == "map" and isinstance(value, dict):
            return [p for k, item in value.items() for p in problems(item, alternative[1], module, f"{path}.{k}")]
        if isinstance(alternative, type) and alternative.__name__.endswith("Args") and isinstance(value, dict):
            return object_problems(value, alternative, path)
    return [f"{path}: {value!r} is not one of {alternatives}"]


def object_problems(props: dict[str, Any], cls: type, path: str = "") -> list[str]:
    inputs = _inputs(cls)
    out = []
    for key, value in props.items():
        where = f"{path}.{key}" if path else key
        if key not in inputs:
            out.append(f"{where}: not an input of {cls.__name__}")
        else:
            annotation, module = inputs[key]
            out += problems(value, annotation, module, where)
    return out
