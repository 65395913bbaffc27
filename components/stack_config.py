"""The reference stack's configuration (``eksguard:*`` keys in stacks/Pulumi.<stack>.yaml), read into
:class:`BaselineArgs` and validated before any resource is registered.

Nothing here restates a component argument. Each key reads the field of the args dataclasses it sets
(config_readers: its type, default and docstring), and the components judge the values (``baseline.validate``).
Their InvalidArgumentError names the Baseline argument at fault, which :func:`config_key` maps back to the key.
What this module states is only the layout, where the keys differ from the Baseline's arguments:

- ``clusterName`` names the Baseline and its cluster: the one it creates (``createCluster``, the default) or
  the existing one it hardens;
- ``privateSubnetIds``, ``kubernetesVersion`` and ``publicEndpointCidrs`` are RENAMED arguments;
- the fields of ``access`` are top-level keys (``namespaces``, ``accessMappings``, ...);
- a node group is one object, its ``name`` beside its NodeGroupArgs fields.

Every other argument is the key (or the object field) of its camelCase name. A missing or invalid key raises
one :class:`StackConfigError` naming the key and the accepted values.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.runtime.config as runtime_config

from components import baseline
from components._common import InvalidArgumentError, Segment, render_path
from components.baseline import BaselineArgs, BaselineNodeGroup
from components.config_readers import (
    NAMESPACE,
    Layout,
    Object,
    Scalar,
    Setting,
    StackConfigError,
    camel,
    settable_fields,
)

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
LAYOUT = Layout(skipped=baseline.FILLED_IN, flat=FLAT)
NAMED_BY_CLUSTER_NAME = (("name",), ("cluster", "cluster_name"), ("existing_cluster_name",))


# --- the top-level keys ------------------------------------------------------------------------------------
@functools.cache
def keys() -> dict[str, Setting]:
    """Every top-level key but clusterName and createCluster, derived from BaselineArgs and the layout above."""
    found: dict[str, Setting] = {}
    for f, reader, doc in settable_fields(BaselineArgs, LAYOUT):
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
            given = setting.reader.read_fields(key, values[key])
            fields.update({(*setting.path, *p): v for p, v in given.items()})
            if not given:  # an empty object asks for the argument with its defaults (an opt-in component)
                fields[setting.path] = setting.reader.build({})
        else:
            fields[setting.path] = setting.reader.read(key, values[key])
    if create:
        fields[("cluster", "cluster_name")] = name
    else:
        fields[("existing_cluster_name",)] = name
    return Settings(name=name, args=Object.of(BaselineArgs, LAYOUT).build(fields))


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
    return render_path((key, *inner))


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
