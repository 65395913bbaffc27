"""Answers to provider invokes (data sources) for an offline run.

A fixtures file holds ``{"invokes": [{"token", "args", "result"}, ...]}`` (JSON or YAML). ``args`` is a
pattern: a string value may contain ``{var}`` placeholders (one path segment) and ``*`` (anything); other
values must be equal; arguments the pattern does not name are ignored. ``result`` strings may use
``${var}`` for captured placeholders and string arguments, ``${recent_date}`` (seven days ago, YYYYMMDD)
and the run's variables (``${aws_region}``, ``${account_id}``, ``${eks_latest_version}``).
User fixtures are searched before the embedded defaults (``eksguard/data/invoke_fixtures.json``), whose
``args`` name the public AMI parameters as ``${<family>_image_id}`` and ``${<family>_release}`` (from facts.py).
The format is published as ``eksguard/data/fixtures.schema.json`` and described in docs/fixtures.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from eksguard_policies import facts

from eksguard.engine.errors import UsageError

DATA = Path(__file__).resolve().parent.parent / "data"
DEFAULT_FIXTURES = DATA / "invoke_fixtures.json"
FIXTURES_SCHEMA = DATA / "fixtures.schema.json"
_PLACEHOLDER = re.compile(r"\{(\w+)\}|\*")


class MissingFixtureError(LookupError):
    def __init__(self, token: str, args: Mapping[str, Any]) -> None:
        shown = json.dumps({k: v for k, v in args.items() if isinstance(v, str | int | float | bool)}, sort_keys=True)
        super().__init__(
            f"no fixture answers invoke {token} with arguments {shown}; add one to a --fixtures file "
            "or use --live-lookups"
        )
        self.token = token


def _compile(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    last = 0
    for match in _PLACEHOLDER.finditer(pattern):
        parts.append(re.escape(pattern[last : match.start()]))
        parts.append(f"(?P<{match.group(1)}>[^/]+)" if match.group(1) else ".*")
        last = match.end()
    parts.append(re.escape(pattern[last:]))
    return re.compile("".join(parts) + r"\Z")


@dataclass(frozen=True)
class Fixture:
    token: str
    args: Mapping[str, Any]
    result: Any
    source: str

    def match(self, args: Mapping[str, Any]) -> dict[str, str] | None:
        captured: dict[str, str] = {}
        for key, expected in self.args.items():
            actual = args.get(key)
            if isinstance(expected, str) and _PLACEHOLDER.search(expected):
                if not isinstance(actual, str):
                    return None
                found = _compile(expected).match(actual)
                if found is None:
                    return None
                captured.update({k: v for k, v in found.groupdict().items() if v is not None})
            elif actual != expected:
                return None
        return captured


def _substitute(value: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return string.Template(value).safe_substitute(variables)
    if isinstance(value, Mapping):
        return {k: _substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, variables) for v in value]
    return value


def ami_parameter_patterns() -> dict[str, str]:
    """The public AMI parameters as argument patterns (``{version}`` and ``{arch}`` capture their segments)."""
    patterns = {}
    for family, parameters in facts.PATCHED_AMI_PARAMETERS.items():
        patterns[f"{family.lower()}_image_id"] = parameters.image_id("{version}", "{arch}")
        patterns[f"{family.lower()}_release"] = parameters.release("{version}", "{arch}")
    return patterns


def _parse(path: Path, arg_variables: Mapping[str, str] | None = None) -> list[Fixture]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise UsageError(f"cannot read fixtures file {path}: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"fixtures file {path} is not valid {path.suffix.lstrip('.') or 'YAML'}: {exc}") from None
    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        at = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise UsageError(f"fixtures file {path} does not match {FIXTURES_SCHEMA.name} at {at}: {error.message}")
    return [
        Fixture(entry["token"], _substitute(entry.get("args", {}), arg_variables or {}), entry["result"], f"{path}#{i}")
        for i, entry in enumerate(data["invokes"])
    ]


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(FIXTURES_SCHEMA.read_text()))


class InvokeFixtures:
    """Looks up an invoke's answer; first matching fixture wins."""

    def __init__(
        self,
        user_files: list[Path] | tuple[Path, ...] = (),
        variables: Mapping[str, str] | None = None,
        include_defaults: bool = True,
    ) -> None:
        fixtures: list[Fixture] = []
        for path in user_files:
            fixtures.extend(_parse(Path(path)))
        if include_defaults:
            fixtures.extend(_parse(DEFAULT_FIXTURES, ami_parameter_patterns()))
        self._by_token: dict[str, list[Fixture]] = {}
        for fixture in fixtures:
            self._by_token.setdefault(fixture.token, []).append(fixture)
        recent = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=7)
        self._globals = {"recent_date": recent.strftime("%Y%m%d"), **(variables or {})}

    def answer(self, token: str, args: Mapping[str, Any]) -> dict[str, Any]:
        for fixture in self._by_token.get(token, ()):
            captured = fixture.match(args)
            if captured is not None:
                variables = {**self._globals, **{k: v for k, v in args.items() if isinstance(v, str)}, **captured}
                return _substitute(fixture.result, variables)
        raise MissingFixtureError(token, args)
