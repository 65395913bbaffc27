"""Conventions shared by every eksguard component."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import pulumi
from eksguard_policies import facts

T = TypeVar("T")


def type_token(cls: type) -> str:
    """``eksguard:index:<Class>``: the one type token scheme (it is also the component package's)."""
    return facts.component_token(cls.__name__)


class InvalidArgumentError(ValueError):
    """A component argument is invalid. Raised before any resource is registered."""

    def __init__(self, component: str, argument: str, problem: str, accepted: str | Iterable[Any] = "") -> None:
        if not isinstance(accepted, str):
            accepted = ", ".join(repr(a) for a in accepted)
        message = f"{component}: argument {argument!r} {problem}"
        if accepted:
            message += f"; accepted values: {accepted}"
        super().__init__(message)
        self.component = component
        self.argument = argument


def require_choice(component: str, argument: str, value: Any, accepted: Iterable[Any]) -> None:
    accepted = list(accepted)
    if value not in accepted:
        raise InvalidArgumentError(component, argument, f"is {value!r}", accepted)


def coerce_args(args_type: type[T], args: T | Mapping[str, Any] | None) -> T:
    """Accept the args dataclass itself, or the dict of Python-named inputs that the component provider
    host passes (``pulumi package add`` consumers); nested dataclass fields are converted too."""
    if args is None:
        return args_type()  # type: ignore[call-arg]
    if isinstance(args, args_type):
        return args
    if not isinstance(args, Mapping):
        raise TypeError(f"{args_type.__name__}: expected {args_type.__name__} or a mapping, got {type(args).__name__}")
    # pulumi.Input[...] names 'Output' as a forward reference that the args module does not import.
    hints = typing.get_type_hints(args_type, localns={"Output": pulumi.Output, "T": T})
    known = {f.name for f in dataclasses.fields(args_type)}  # type: ignore[arg-type]
    unknown = sorted(set(args) - known)
    if unknown:
        raise InvalidArgumentError(args_type.__name__, unknown[0], "is not an argument", sorted(known))
    values = {name: _coerce_value(hints.get(name), value) for name, value in args.items()}
    return args_type(**values)


def _coerce_value(hint: Any, value: Any) -> Any:
    for candidate in _dataclass_candidates(hint):
        if isinstance(value, Mapping):
            return coerce_args(candidate, value)
        if isinstance(value, list):
            return [coerce_args(candidate, v) if isinstance(v, Mapping) else v for v in value]
    return _restore_ints(hint, value)


def _restore_ints(hint: Any, value: Any) -> Any:
    """Numbers cross the Pulumi wire as floats, and the component provider host passes them on so (a port
    from a TypeScript program arrives as 8443.0): int-annotated arguments get their ints back."""
    members = _union_members(hint)
    if isinstance(value, float) and value.is_integer() and int in members:
        return int(value)
    if isinstance(value, list):
        item_hints = [typing.get_args(m)[0] for m in members if typing.get_origin(m) is list and typing.get_args(m)]
        if item_hints:
            return [_restore_ints(item_hints[0], v) for v in value]
    return value


def _union_members(hint: Any) -> list[Any]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(hint) for m in _union_members(arg)]
    return [hint]


def _dataclass_candidates(hint: Any) -> list[type]:
    if hint is None:
        return []
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return [hint]
    out: list[type] = []
    for arg in typing.get_args(hint):
        out.extend(_dataclass_candidates(arg))
    return out
