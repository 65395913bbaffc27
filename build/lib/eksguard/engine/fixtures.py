"""Answers to provider invokes (data sources) for an offline run.

A fixtures file holds ``{"invokes": [{"token", "args", "result"}, ...]}`` (JSON or YAML). ``args`` is a
pattern: a string value may contain ``{var}`` placeholders (one path segment) and ``*`` (anything); other
values must be equal; arguments the pattern does not name are ignored. ``result`` strings may use
``${var}`` for captured placeholders and string arguments, ``${recent_date}`` (seven days ago, YYYYMMDD)
and the run's variables (``${aws_region}``, ``${account_id}``, ``${eks_latest_version}``).
User fixtures are searched before the embedded defaults (``eksguard/data/invoke_fixtures.json``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from eksguard.engine.errors import UsageError

DEFAULT_FIXTURES = Path(__file__).resolve().parent.parent / "data" / "invoke_fixtures.json"
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


def _parse(path: Path) -> list[Fixture]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise UsageError(f"cannot read fixtures file {path}: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"fixtures file {path} is not valid {path.suffix.lstrip('.') or 'YAML'}: {exc}") from None
    entries = data.get("invokes") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise UsageError(f'fixtures file {path} must hold {{"invokes": [{{"token", "args", "result"}}, ...]}}')
    fixtures = []
    for i, entry in enumerate(entries):
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("token"), str)
            and "result" in entry
            and isinstance(entry.get("args", {}), dict)
        ):
            raise UsageError(f"fixtures file {path}: entry {i} needs a string 'token', an 'args' object and a 'result'")
        fixtures.append(Fixture(entry["token"], entry.get("args", {}), entry["result"], f"{path}#{i}"))
    return fixtures


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
            fixtures.extend(_parse(DEFAULT_FIXTURES))
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
