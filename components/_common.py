"""Conventions shared by every eksguard component."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import pulumi
from eksguard_policies import facts

T = TypeVar("T")


def type_token(cls: type) -> str:
    """The one type token scheme, facts.component_token (it is also the component package's)."""
    return facts.component_token(cls.__name__)


Segment = str | int | tuple[str, ...]
"""One step of an argument path: a field name, a list index, or several fields judged together."""


class InvalidArgumentError(ValueError):
    """A component argument is invalid. Raised before any resource is registered.

    The fields hold what the message says, for callers that report the problem in their own terms (the stack
    config maps it back to its keys) without reading the message: ``component``; ``path``, the argument as field
    names and list indices of the args dataclass, e.g. ``("access_mappings", 0, "namespaces")`` (``("name",)`` is
    the component's resource name); ``problem``, what is wrong with the value; and what is accepted, as
    ``choices`` (the accepted values, when they can be listed) or else ``accepted`` (a description).
    """

    def __init__(
        self, component: str, argument: str | Sequence[Segment], problem: str, accepted: str | Iterable[Any] = ""
    ) -> None:
        self.component = component
        self.path: tuple[Segment, ...] = (argument,) if isinstance(argument, str) else tuple(argument)
        self.problem = problem
        self.choices: tuple[Any, ...] = () if isinstance(accepted, str) else tuple(accepted)
        self.accepted = accepted if isinstance(accepted, str) else ", ".join(repr(a) for a in self.choices)
        message = f"{component}: argument {self.argument!r} {problem}"
        if self.accepted:
            message += f"; accepted values: {self.accepted}"
        super().__init__(message)

    @property
    def argument(self) -> str:
        """The path as Python reads it: ``access_mappings[0].namespaces``, ``min_size/desired_size/max_size``."""
        return render_path(self.path)

    def relocated(self, component: str, path: Sequence[Segment]) -> InvalidArgumentError:
        """The same problem as an argument of another component, e.g. of the Baseline that passed it on."""
        return InvalidArgumentError(component, path, self.problem, self.choices or self.accepted)


def render_path(path: Sequence[Segment]) -> str:
    """``("a", 0, ("b", "c"))`` as ``a[0].b/c``."""
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
            continue
        fields = "/".join(segment) if isinstance(segment, tuple) else segment
        text += f".{fields}" if text else fields
    return text


def require_choice(component: str, argument: str | Sequence[Segment], value: Any, accepted: Iterable[Any]) -> None:
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
    hints = field_hints(args_type)
    known = {f.name for f in dataclasses.fields(args_type)}  # type: ignore[arg-type]
    unknown = sorted(set(args) - known)
    if unknown:
        raise InvalidArgumentError(args_type.__name__, unknown[0], "is not an argument", sorted(known))
    return args_type(**{name: _coerce_value(args_type, name, hints.get(name), value) for name, value in args.items()})


def field_hints(args_type: type) -> dict[str, Any]:
    """The evaluated annotations of an args dataclass's fields."""
    # pulumi.Input[...] names 'Output' as a forward reference that the args module does not import.
    return typing.get_type_hints(args_type, localns={"Output": pulumi.Output, "T": T})


def plain_hint(hint: Any) -> Any:
    """What a caller writes for a field annotated ``hint``: pulumi.Input[X] and Optional[X] are X."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        members = [
            m
            for m in typing.get_args(hint)
            if m is not type(None) and typing.get_origin(m) not in (Awaitable, pulumi.Output)
        ]
        if len(members) == 1:
            return plain_hint(members[0])
    return hint


def _coerce_value(owner: type, name: str, hint: Any, value: Any) -> Any:
    for candidate in _dataclass_candidates(hint):
        if isinstance(value, Mapping):
            return _coerce_nested(owner, (name,), candidate, value)
        if isinstance(value, list):
            return [
                _coerce_nested(owner, (name, i), candidate, v) if isinstance(v, Mapping) else v
                for i, v in enumerate(value)
            ]
    return _restore_ints(hint, value)


def _coerce_nested(owner: type, at: tuple[Segment, ...], args_type: type, value: Mapping[str, Any]) -> Any:
    try:
        return coerce_args(args_type, value)
    except InvalidArgumentError as exc:
        raise exc.relocated(owner.__name__, (*at, *exc.path)) from None


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
