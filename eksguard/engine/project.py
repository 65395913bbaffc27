"""A Pulumi Python project on disk: Pulumi.yaml, the stack's config file and the program's entry file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eksguard.engine.errors import UsageError

SECURE_PLACEHOLDER = "[secret]"
"""Encrypted (``secure:``) config values cannot be decrypted offline; programs see this placeholder."""


@dataclass(frozen=True)
class Project:
    directory: Path
    name: str
    main: Path
    stack: str
    stack_config_file: Path
    config: dict[str, str] = field(default_factory=dict)
    """Fully qualified keys (``ns:key``) to string values, as the engine passes them to the program."""
    secret_keys: tuple[str, ...] = ()
    runtime_options: dict[str, Any] = field(default_factory=dict)
    """``runtime.options`` of Pulumi.yaml (``virtualenv``, ``toolchain``): where the program's packages live."""


def _read_yaml(path: Path, what: str) -> Any:
    try:
        return yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise UsageError(f"{what} {path} is not valid YAML: {exc}") from None


def _qualify(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _config_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    # The engine passes structured and scalar config to programs JSON-encoded.
    return json.dumps(value)


def _project_defaults(raw: Any, project: str) -> tuple[dict[str, str], set[str], list[str]]:
    """Values, secret keys and required keys (declared with no default) from Pulumi.yaml's ``config``."""
    values: dict[str, str] = {}
    secrets: set[str] = set()
    required: list[str] = []
    for key, spec in (raw or {}).items():
        qualified = _qualify(str(key), project)
        if isinstance(spec, dict) and ({"type", "default", "description", "secret", "value"} & spec.keys()):
            if "value" in spec:
                values[qualified] = _config_string(spec["value"])
            elif "default" in spec:
                values[qualified] = _config_string(spec["default"])
            else:
                required.append(qualified)
            if spec.get("secret"):
                secrets.add(qualified)
        else:
            values[qualified] = _config_string(spec)
    return values, secrets, required


DEFAULT_STACK = "dev"


def default_stack(config_dir: Path) -> str:
    """``dev`` when it has a config file, else the project's only stack; several others need ``--stack``."""
    stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in config_dir.glob("Pulumi.*.yaml"))
    if DEFAULT_STACK in stacks or not stacks:
        return DEFAULT_STACK
    if len(stacks) == 1:
        return stacks[0]
    raise UsageError(f"choose a stack with --stack: {config_dir} has config for {', '.join(stacks)}")


def load_project(directory: str | Path, stack: str | None) -> Project:
    """Read the project in ``directory`` and the config of ``stack``; raise :class:`UsageError` if unusable."""
    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise UsageError(f"program directory {directory} does not exist")
    pulumi_yaml = directory / "Pulumi.yaml"
    if not pulumi_yaml.is_file():
        raise UsageError(f"{directory} is not a Pulumi project: no Pulumi.yaml")
    meta = _read_yaml(pulumi_yaml, "project file")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not name:
        raise UsageError(f"{pulumi_yaml} has no project name")
    runtime = meta.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    options = runtime.get("options") if isinstance(runtime, dict) else None
    if runtime_name != "python":
        raise UsageError(f"{pulumi_yaml}: runtime is {runtime_name!r}; eksguard check runs only runtime 'python'")

    main = directory / str(meta.get("main", "."))
    if main.is_dir():
        main = main / "__main__.py"
    if not main.is_file():
        raise UsageError(f"program entry file {main} does not exist")

    config_dir = directory / str(meta.get("stackConfigDir", "."))
    stack = stack or default_stack(config_dir)
    stack_file = config_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        raise UsageError(f"stack {stack!r} has no config file: expected {stack_file}")
    values, secrets, required = _project_defaults(meta.get("config"), name)
    stack_meta = _read_yaml(stack_file, "stack config")
    stack_config = stack_meta.get("config") if isinstance(stack_meta, dict) else None
    for key, value in (stack_config or {}).items():
        qualified = _qualify(str(key), name)
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[qualified] = SECURE_PLACEHOLDER
            secrets.add(qualified)
        else:
            values[qualified] = _config_string(value)
    missing = [key for key in required if key not in values]
    if missing:
        # As the Pulumi CLI does, before the program runs: the project declares them without a default.
        raise UsageError(
            f"stack {stack!r} is missing config key {missing[0]!r} (declared in Pulumi.yaml without a default): "
            f"set it in {stack_file}"
        )
    return Project(
        directory=directory,
        name=name,
        main=main,
        stack=stack,
        stack_config_file=stack_file,
        config=values,
        secret_keys=tuple(sorted(secrets)),
        runtime_options=dict(options) if isinstance(options, dict) else {},
    )
