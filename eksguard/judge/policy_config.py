"""Policy configuration in Pulumi's ``--policy-pack-config`` format: read a file, reject what the engine would
reject, and take the initial config a pack publishes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
from pulumi.runtime.proto import analyzer_pb2

from eksguard.engine import UsageError
from eksguard.protocol.messages import LEVEL_NAMES, LEVELS, struct_to_dict


def read_policy_config(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; UsageError when it cannot be read or is not an object."""
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise UsageError(f"cannot read policy config {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"policy config {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"policy config {path} must be a JSON object of policy name to level or settings")
    return data


def _check_level(value: Any, where: str) -> None:
    if value not in LEVELS:
        raise UsageError(f"{where}: enforcement level {value!r} is not one of {', '.join(LEVELS)}")


def validate_policy_config(config: Mapping[str, Any], info: analyzer_pb2.AnalyzerInfo, source: Path | None) -> None:
    """Reject what the engine would reject: unknown policies, bad levels, settings outside the schema."""
    policies = {p.name: p for p in info.policies}
    for name, entry in config.items():
        where = f"policy config {source}, policy {name!r}"
        if name != "all" and name not in policies:
            raise UsageError(
                f"policy config {source} names policy {name!r}, which pack {info.name!r} does not have "
                f"(its policies: {', '.join(sorted(policies))})"
            )
        if isinstance(entry, str):
            _check_level(entry, where)
            continue
        if not isinstance(entry, dict):
            raise UsageError(f"{where}: expected a level or an object, got {type(entry).__name__}")
        if "enforcementLevel" in entry:
            _check_level(entry["enforcementLevel"], where)
        settings = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        if name == "all":
            if settings:
                raise UsageError(f"{where}: 'all' takes only an enforcement level")
            continue
        policy = policies[name]
        schema: dict[str, Any] = {"type": "object", "properties": {}}
        if policy.HasField("configSchema"):
            schema["properties"] = struct_to_dict(policy.configSchema.properties)
        try:
            jsonschema.validate(settings, schema)
        except jsonschema.ValidationError as exc:
            at = "/".join(str(p) for p in exc.absolute_path) or "(top)"
            raise UsageError(f"{where}: setting {at}: {exc.message}") from None


def initial_config(info: analyzer_pb2.AnalyzerInfo) -> dict[str, Any]:
    """The config the pack itself ships (its ``initialConfig``), in the ``--policy-pack-config`` format."""
    out: dict[str, Any] = {}
    for name, entry in info.initialConfig.items():
        value: dict[str, Any] = struct_to_dict(entry.properties) if entry.HasField("properties") else {}
        if entry.enforcementLevel or not value:
            value["enforcementLevel"] = LEVEL_NAMES.get(entry.enforcementLevel, "advisory")
        out[name] = value
    return out
