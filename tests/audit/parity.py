"""Parity of the two ways the pack judges: a configuration seeded into moto and read by the audit, and the same
configuration written by hand as the declaration a user would write, sent to the pack over the protocol.

A :class:`Declared` resource is named as the audit names the live one (its ``pulumi import`` id), so the two
verdicts compare as sets of (control, type, name).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eksguard.judge.packs import PackRun
from eksguard.protocol.analyzer import Resource, config_with_defaults
from eksguard.reporters.model import Report

PREVIEW_MARKER = "during preview"
_accounts = itertools.count(700_000_000_001)


def fresh_account() -> str:
    """A moto account no other example has touched (moto keys state by the credentials' account)."""
    return f"{next(_accounts):012d}"


@dataclass
class Declared:
    type: str
    name: str
    props: dict[str, Any]
    deps: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Property -> (type, name) of the declared resources it references."""


def _urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:dev::parity::{type_token}::{name}"


def pack_verdict(
    pack: PackRun, declared: Sequence[Declared], controls: Iterable[str], config: Mapping[str, Any] | None = None
) -> set[tuple[str, str, str]]:
    """(control, type, name) of every violation the pack reports on the declarations (Analyze each, then
    AnalyzeStack over all, as the engine does), under the audit's config plus ``config``."""
    wanted = set(controls)
    resources = [
        Resource(
            type=d.type,
            name=d.name,
            urn=_urn(d.type, d.name),
            properties=d.props,
            property_dependencies={p: [_urn(*t) for t in targets] for p, targets in d.deps.items()},
            dependencies=[_urn(*t) for targets in d.deps.values() for t in targets],
        )
        for d in declared
    ]
    names = {r.urn: (r.type, r.name) for r in resources}
    overrides = {**pack.config, **{p: {**pack.config.get(p, {}), **v} for p, v in (config or {}).items()}}
    pack.process.configure(config_with_defaults(pack.info, overrides))
    try:
        answers = [(r.urn, pack.process.analyze(r)) for r in resources] + [("", pack.process.analyze_stack(resources))]
    finally:
        pack.process.configure(pack.config)
    return {
        (d.policy, *names[d.urn or urn])
        for urn, answer in answers
        for d in answer.diagnostics
        if d.policy in wanted and PREVIEW_MARKER not in d.message
    }


def audit_verdict(report: Report, controls: Iterable[str], names: Iterable[str]) -> set[tuple[str, str, str]]:
    """(control, type, name) of the audit's findings on the resources named ``names``."""
    wanted, named = set(controls), set(names)
    return {
        (f.control_id, f.resource_type, f.resource_name)
        for r in report.results
        if r.status == "violated" and r.control.id in wanted
        for f in r.findings
        if f.resource_name in named
    }


def flag(value: bool) -> str:
    """A launch template boolean as pulumi-aws types it."""
    return "true" if value else "false"
