"""The reference stack's configuration (``eksguard:*`` keys in stacks/Pulumi.<stack>.yaml), read into
:class:`BaselineArgs` and validated before any resource is registered.

Nothing here restates a component argument. Each key reads the field of the args dataclasses it sets: its type
(how the value is parsed), its default (when the key is unset) and its docstring (what a missing value should
be) come from there, and the components judge the values (``baseline.validate``). Their InvalidArgumentError
names the Baseline argument at fault, which :func:`config_key` maps back to the key. What this module states is
only the layout, where the keys differ from the Baseline's arguments:

- ``clusterName`` names the Baseline and its cluster: the one it creates (``createCluster``, the default) or
  the existing one it hardens;
- ``privateSubnetIds``, ``kubernetesVersion`` and ``publicEndpointCidrs`` are RENAMED arguments;
- the fields of ``access`` are top-level keys (``namespaces``, ``accessMappings``, ...);
- a node group is one object, its ``name`` beside its NodeGroupArgs fields.

Every other argument is the key (or the object field) of its camelCase name. A missing or invalid key raises
one :class:`StackConfigError` naming the key and the accepted values. The Pulumi engine hands every value to
the program as a string (lists and objects as JSON), so that is what is parsed here.
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
import pulumi.runtime.config as runtime_config

from components import baseline
from components._common import InvalidArgumentError, Segment, field_hints, plain_hint, render_path
from components.baseline import BaselineArgs, BaselineNodeGroup

NAMESPACE = "eksguard"
CLUSTER_NAME, CREATE_CLUSTER = "clusterName", "createCluster"
RENAMED: dict[tuple[str, ...], str] = {
    ("subnet_ids",): "privateSubnetIds",
    ("cluster", "version"): "kubernetesVersion",
    ("cluster", "allow_public_endpoint_cidrs"): "publicEndpointCidrs",
}
"""Arguments read from a key other than their camelCase name; a nested one becomes a top-level key."""
LIFTED = ("access",)
"""Nested arguments whose fields are all top-level keys."""
FLAT = {BaselineNodeGroup: "args"}
"""Objects whose nested args sit beside their own fields."""
NAMED_BY_CLUSTER_NAME = (("name",), ("cluster", "cluster_name"), ("existing_cluster_name",))


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


# --- readers, derived from field types ---------------------------------------------------------------------
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

    def __init__(self, cls: type, settings: dict[str, Setting]) -> None:
        self.cls = cls
        self.settings = settings
        self.accepted = f"an object with {', '.join(settings)}"

    @classmethod
    def of(cls, args_type: type) -> Object:
        settings = {}
        flat = FLAT.get(args_type)
        for f, reader, doc in _settable_fields(args_type):
            if f.name == flat:
                inner = typing.cast(Object, reader)
                settings.update({k: dataclasses.replace(s, path=(f.name, *s.path)) for k, s in inner.settings.items()})
            else:
                settings[camel(f.name)] = Setting((f.name,), reader, _required(f), doc)
        return cls(args_type, settings)

    def without(self, names: set[str]) -> Object:
        """This object without the settings of these fields (set by other keys)."""
        return Object(self.cls, {k: s for k, s in self.settings.items() if s.path[0] not in names})

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
            kwargs[name] = Object.of(_dataclass_in(hints[name])).build(inner)
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


def reader_for(hint: Any) -> Reader:
    """The reader of a field annotated ``hint`` (pulumi.Input and Optional read the plain value)."""
    hint = plain_hint(hint)
    origin = typing.get_origin(hint)
    if hint in (str, int, bool):
        return Scalar(hint)
    if origin is list:
        return ListOf(reader_for(typing.get_args(hint)[0]))
    if origin is dict and typing.get_args(hint) == (str, str):
        return StringMap()
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return Object.of(hint)
    raise TypeError(f"no stack config reader for a field annotated {hint!r}")


def _dataclass_in(hint: Any) -> type:
    plain = plain_hint(hint)
    assert isinstance(plain, type) and dataclasses.is_dataclass(plain), hint
    return plain


def _settable_fields(args_type: type) -> list[tuple[dataclasses.Field, Reader, str]]:
    """Every field the stack config may set: all but those the Baseline fills in itself."""
    hints = field_hints(args_type)
    docs = field_docs(args_type)
    filled_in = baseline.FILLED_IN.get(args_type, frozenset())
    return [
        (f, reader_for(hints[f.name]), docs.get(f.name, ""))
        for f in dataclasses.fields(args_type)
        if f.name not in filled_in
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


# --- the top-level keys ------------------------------------------------------------------------------------
@functools.cache
def keys() -> dict[str, Setting]:
    """Every top-level key but clusterName and createCluster, derived from BaselineArgs and the layout above."""
    found: dict[str, Setting] = {}
    for f, reader, doc in _settable_fields(BaselineArgs):
        if (f.name,) in NAMED_BY_CLUSTER_NAME:
            continue
        key = RENAMED.get((f.name,), camel(f.name))
        if not isinstance(reader, Object):
            found[key] = Setting((f.name,), reader, False, doc)
            continue
        lifted = {s.path[0] for s in reader.settings.values() if f.name in LIFTED or (f.name, *s.path) in RENAMED}
        for name, setting in reader.settings.items():
            if setting.path[0] in lifted:
                path = (f.name, *setting.path)
                found[RENAMED.get(path, name)] = dataclasses.replace(setting, path=path, required=False)
        rest = reader.without(lifted | {p[1] for p in NAMED_BY_CLUSTER_NAME if p[0] == f.name and len(p) == 2})
        if rest.settings:
            found[key] = Setting((f.name,), rest, False, doc)
    return found


def all_keys() -> list[str]:
    return [CLUSTER_NAME, CREATE_CLUSTER, *keys()]


@dataclass(frozen=True)
class Settings:
    """The parsed stack configuration: the Baseline's name and arguments."""

    name: str
    args: BaselineArgs


def load_settings(config: pulumi.Config | None = None) -> Settings:
    """Read and validate every ``eksguard:*`` key; raises one StackConfigError for the first problem."""
    config = config or pulumi.Config(NAMESPACE)
    _refuse_unknown_keys()
    given = {key: value for key in all_keys() if (value := config.get(key)) is not None}
    settings = read_settings(given)
    try:
        baseline.validate(settings.name, settings.args)
    except InvalidArgumentError as exc:
        raise as_stack_config_error(exc, set(given)) from None
    return settings


def read_settings(values: Mapping[str, Any]) -> Settings:
    """Parse the given keys (raw config values) into the Baseline's name and arguments; the components have not
    judged them yet."""
    if CLUSTER_NAME not in values:
        raise StackConfigError(
            CLUSTER_NAME, "is missing", "a non-empty string (the cluster to create, or the existing one to harden)"
        )
    name = Scalar(str).read(CLUSTER_NAME, values[CLUSTER_NAME])
    create = Scalar(bool).read(CREATE_CLUSTER, values.get(CREATE_CLUSTER, "true"))
    fields: dict[tuple[str, ...], Any] = {}
    for key, setting in keys().items():
        if key not in values:
            continue
        if setting.path[0] == "cluster" and not create:
            raise StackConfigError(
                key, "is set but createCluster is false", "unset (an existing cluster keeps its settings)"
            )
        if isinstance(setting.reader, Object):
            fields.update({(*setting.path, *p): v for p, v in setting.reader.read_fields(key, values[key]).items()})
        else:
            fields[setting.path] = setting.reader.read(key, values[key])
    if create:
        fields[("cluster", "cluster_name")] = name
    else:
        fields[("existing_cluster_name",)] = name
    return Settings(name=name, args=Object.of(BaselineArgs).build(fields))


def config_location(path: tuple[Segment, ...]) -> tuple[str, tuple[Segment, ...]]:
    """Where the Baseline argument at ``path`` is set: (top-level key, path inside its value)."""
    if path in NAMED_BY_CLUSTER_NAME:
        return CLUSTER_NAME, ()
    matches = [(key, s) for key, s in keys().items() if path[: len(s.path)] == s.path]
    if not matches:
        return CLUSTER_NAME, ()  # the rest the Baseline derives from the cluster's name
    key, setting = max(matches, key=lambda m: len(m[1].path))
    return key, setting.reader.locate(path[len(setting.path) :])


def config_key(path: tuple[Segment, ...]) -> str:
    """The config key that sets the Baseline argument at ``path``, e.g. ``nodeGroups[1].amiFamily``."""
    key, inner = config_location(path)
    if not inner:
        return key
    return key + (render_path(inner) if isinstance(inner[0], int) else f".{render_path(inner)}")


def as_stack_config_error(exc: InvalidArgumentError, given: set[str]) -> StackConfigError:
    """A Baseline argument's error in the stack config's terms: its key, and the accepted values as config
    writes them; a key not ``given`` whose default the components reject is reported missing."""
    accepted = ", ".join(_config_literal(c) for c in exc.choices) if exc.choices else exc.accepted
    problem = exc.problem if config_location(exc.path)[0] in given else "is missing"
    return StackConfigError(config_key(exc.path), problem, accepted)


def _config_literal(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _refuse_unknown_keys() -> None:
    """A misspelt key would otherwise be ignored silently, leaving its default in place."""
    present = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    for full_key in sorted(present):
        namespace, _, key = full_key.partition(":")
        if namespace == NAMESPACE and key not in all_keys():
            raise StackConfigError(key, "is not a setting", ", ".join(all_keys()))
