"""Readers of config values into args dataclasses, derived from their fields: the type says how a value is parsed,
the default applies when it is not given, the docstring says what a missing one should be. Values come as the
Pulumi engine hands them to a program: strings, with lists and objects as JSON. A bad value raises one
StackConfigError naming its key and the accepted values.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import itertools
import json
import textwrap
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components._common import Segment, field_hints, plain_hint

NAMESPACE = "eksguard"


class StackConfigError(pulumi.RunError, ValueError):
    """The stack configuration is missing a key or holds an invalid value (reported without a stack trace)."""

    def __init__(self, key: str, problem: str, accepted: str) -> None:
        super().__init__(f"stack config {NAMESPACE}:{key} {problem}; accepted values: {accepted}")
        self.key = key
        self.problem = problem
        self.accepted = accepted


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True)
class Layout:
    """How a config's objects differ from the args dataclasses they build."""

    skipped: Mapping[type, frozenset[str]] = dataclasses.field(default_factory=dict)
    """Fields a caller may not set, by args type (set by someone else)."""
    flat: Mapping[type, str] = dataclasses.field(default_factory=dict)
    """Args types whose one nested args field is read beside their own fields."""


class Reader:
    """Parses one config value (reporting a bad one under its key) and maps an argument path below the value
    to the config path that sets it."""

    accepted = ""

    def read(self, key: str, value: Any) -> Any:
        raise NotImplementedError

    def locate(self, path: tuple[Segment, ...]) -> tuple[Segment, ...]:
        return tuple(_camel_segment(s) for s in path)


class Scalar(Reader):
    def __init__(self, kind: type) -> None:
        self.kind = kind
        self.accepted = {str: "a non-empty string", int: "a whole number", bool: "true, false"}[kind]

    def read(self, key: str, value: Any) -> Any:
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
        elif self.kind is int:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                return int(value)
        elif isinstance(value, str) and value.strip():
            return value
        raise StackConfigError(key, f"is {value!r}", self.accepted)


class ListOf(Reader):
    def __init__(self, item: Reader) -> None:
        self.item = item
        self.accepted = f"a list (each item {item.accepted})"

    def read(self, key: str, value: Any) -> list[Any]:
        return [self.item.read(f"{key}[{i}]", v) for i, v in enumerate(_json(key, value, list, self.accepted))]

    def locate(self, path: tuple[Segment, ...]) -> tuple[Segment, ...]:
        if path and isinstance(path[0], int):
            return (path[0], *self.item.locate(path[1:]))
        return super().locate(path)


class StringMap(Reader):
    accepted = "an object of strings"

    def read(self, key: str, value: Any) -> dict[str, str]:
        value = _json(key, value, dict, self.accepted)
        for k, v in value.items():
            Scalar(str).read(f"{key}.{k}", v)
        return value


@dataclass(frozen=True)
class Setting:
    """One field of an object: where it goes (a path of Python names), how it is read, and what it is."""

    path: tuple[str, ...]
    reader: Reader
    required: bool
    doc: str


class Object(Reader):
    """An args dataclass as a JSON object of its settable fields' camelCase names; unknown keys are refused."""

    def __init__(self, cls: type, settings: dict[str, Setting], layout: Layout) -> None:
        self.cls = cls
        self.settings = settings
        self.layout = layout
        self.accepted = f"an object with {', '.join(settings)}"

    @classmethod
    def of(cls, args_type: type, layout: Layout) -> Object:
        settings = {}
        flat = layout.flat.get(args_type)
        for f, reader, doc in settable_fields(args_type, layout):
            if f.name == flat:
                inner = typing.cast(Object, reader)
                settings.update({k: dataclasses.replace(s, path=(f.name, *s.path)) for k, s in inner.settings.items()})
            else:
                settings[camel(f.name)] = Setting((f.name,), reader, _required(f), doc)
        return cls(args_type, settings, layout)

    def without(self, names: set[str]) -> Object:
        """This object without the settings of these fields (set by other keys)."""
        return Object(self.cls, {k: s for k, s in self.settings.items() if s.path[0] not in names}, self.layout)

    def read_fields(self, key: str, value: Any) -> dict[tuple[str, ...], Any]:
        """The given settings as {path: parsed value}."""
        value = _json(key, value, dict, self.accepted)
        unknown = sorted(set(value) - set(self.settings))
        if unknown:
            raise StackConfigError(f"{key}.{unknown[0]}", "is not a setting", ", ".join(self.settings))
        fields = {}
        for name, setting in self.settings.items():
            if name in value:
                fields[setting.path] = setting.reader.read(f"{key}.{name}", value[name])
            elif setting.required:
                raise StackConfigError(f"{key}.{name}", "is missing", _describe(setting))
        return fields

    def build(self, fields: Mapping[tuple[str, ...], Any]) -> Any:
        nested: dict[str, dict[tuple[str, ...], Any]] = {}
        kwargs = {}
        for path, value in fields.items():
            if len(path) > 1:
                nested.setdefault(path[0], {})[path[1:]] = value
            else:
                kwargs[path[0]] = value
        hints = field_hints(self.cls)
        for name, inner in nested.items():
            kwargs[name] = Object.of(_dataclass_in(hints[name]), self.layout).build(inner)
        return self.cls(**kwargs)

    def read(self, key: str, value: Any) -> Any:
        return self.build(self.read_fields(key, value))

    def locate(self, path: tuple[Segment, ...]) -> tuple[Segment, ...]:
        by_path = {setting.path: name for name, setting in self.settings.items()}
        for n in range(1, len(path) + 1):
            head, last = path[: n - 1], path[n - 1]
            if (*head, last) in by_path:
                name = by_path[(*head, last)]  # type: ignore[index]
                return (name, *self.settings[name].reader.locate(path[n:]))
            if isinstance(last, tuple) and all((*head, f) in by_path for f in last):
                return (tuple(by_path[(*head, f)] for f in last), *path[n:])
        return super().locate(path)


def reader_for(hint: Any, layout: Layout) -> Reader:
    """The reader of a field annotated ``hint`` (pulumi.Input and Optional read the plain value)."""
    hint = plain_hint(hint)
    origin = typing.get_origin(hint)
    if hint in (str, int, bool):
        return Scalar(hint)
    if origin is list:
        return ListOf(reader_for(typing.get_args(hint)[0], layout))
    if origin is dict and typing.get_args(hint) == (str, str):
        return StringMap()
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return Object.of(hint, layout)
    raise TypeError(f"no stack config reader for a field annotated {hint!r}")


def _dataclass_in(hint: Any) -> type:
    plain = plain_hint(hint)
    assert isinstance(plain, type) and dataclasses.is_dataclass(plain), hint
    return plain


def settable_fields(args_type: type, layout: Layout) -> list[tuple[dataclasses.Field, Reader, str]]:
    """Every field of ``args_type`` the config may set, with its reader and docstring."""
    hints = field_hints(args_type)
    docs = field_docs(args_type)
    skipped = layout.skipped.get(args_type, frozenset())
    return [
        (f, reader_for(hints[f.name], layout), docs.get(f.name, ""))
        for f in dataclasses.fields(args_type)
        if f.name not in skipped
    ]


def _required(f: dataclasses.Field) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


@functools.cache
def field_docs(args_type: type) -> dict[str, str]:
    """The docstring after each field of a dataclass (what the component package's schema describes it with)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(args_type)))
    body = typing.cast(ast.ClassDef, tree.body[0]).body
    docs = {}
    for field_node, doc_node in itertools.pairwise(body):
        if (
            isinstance(field_node, ast.AnnAssign)
            and isinstance(field_node.target, ast.Name)
            and isinstance(doc_node, ast.Expr)
            and isinstance(doc_node.value, ast.Constant)
            and isinstance(doc_node.value.value, str)
        ):
            docs[field_node.target.id] = " ".join(doc_node.value.value.split())
    return docs


def _describe(setting: Setting) -> str:
    return f"{setting.reader.accepted} ({setting.doc})" if setting.doc else setting.reader.accepted


def _json(key: str, value: Any, kind: type, described: str) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise StackConfigError(key, f"is {value!r}, not {described}", described) from None
    if not isinstance(value, kind):
        raise StackConfigError(key, f"is {value!r}, not {described}", described)
    return value


def _camel_segment(segment: Segment) -> Segment:
    if isinstance(segment, tuple):
        return tuple(camel(s) for s in segment)
    return camel(segment) if isinstance(segment, str) else segment
