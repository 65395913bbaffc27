"""The verdict model shared by ``check`` and ``audit`` and rendered by every reporter.

A :class:`Report` holds one :class:`ControlResult` per catalogue control. Reporters (terminal, JSON,
SARIF, Markdown) only read this model and the catalogue; they never look at policies or AWS directly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from eksguard_policies.catalogue import AREAS, Control

Status = Literal["violated", "not_checkable", "not_checkable_offline", "not_assessed", "passed", "not_applicable"]
STATUSES: tuple[Status, ...] = (
    "violated",
    "not_checkable",
    "not_checkable_offline",
    "not_assessed",
    "passed",
    "not_applicable",
)
"""Worst first. ``not_checkable``: depends on a value known only at apply. ``not_checkable_offline``: the control
applies, but what decides it is not in the program (an account-level service, a resource outside the stack, an
image's age): the pack says so with ``framework.not_checkable_offline``. ``not_assessed``: the audit could not read
what the control needs (access denied, service unavailable)."""


@dataclass(frozen=True)
class SourceLocation:
    file: str
    """Path relative to the program (or repository) root, with forward slashes."""
    line: int


@dataclass
class Finding:
    control_id: str
    resource: str
    """URN for ``check``, ARN or id for ``audit``."""
    message: str
    level: str = "advisory"
    """``mandatory`` or ``advisory``, as the policy pack reported it."""
    resource_type: str = ""
    resource_name: str = ""
    location: SourceLocation | None = None
    region: str = ""
    fix: dict[str, Any] = field(default_factory=dict)
    """Remediation plan details (``audit``: import command, component snippet)."""


@dataclass
class ControlResult:
    control: Control
    status: Status
    findings: list[Finding] = field(default_factory=list)
    reason: str = ""
    """Why a control is not applicable, not checkable or not assessed."""
    resources_evaluated: int = 0
    not_checkable: list[Finding] = field(default_factory=list)
    """Of a violated control: the resources it could not check until apply, kept beside the violations."""
    not_checkable_offline: list[Finding] = field(default_factory=list)
    """Of a violated control: the resources it could not check offline, kept beside the violations."""

    @property
    def mandatory_violation(self) -> bool:
        return self.status == "violated" and any(f.level == "mandatory" for f in self.findings)


@dataclass(frozen=True)
class UnjudgedType:
    type: str
    count: int
    remote: bool = False
    """A component served by another plugin: a real preview would also show (and judge) its children."""


@dataclass(frozen=True)
class Coverage:
    """How much of the target the policies examined, so a PASS never hides what nobody looked at."""

    resources: int
    """Resources a policy could judge (for check: custom resources and components of other plugins)."""
    judged: int
    """Those whose type at least one enabled policy checks."""
    not_judged: tuple[UnjudgedType, ...] = ()
    """The other resources by type, most numerous first."""
    unanswered_invokes: tuple[str, ...] = ()
    """Invokes nothing answered (check): values derived from them were unknown."""


@dataclass
class Report:
    tool: Literal["check", "audit"]
    target: dict[str, Any]
    """What was examined: program, stack and packs for ``check``; account and regions for ``audit``."""
    results: list[ControlResult]
    generated_at: str
    extra: dict[str, Any] = field(default_factory=dict)
    coverage: Coverage | None = None

    def by_area(self) -> dict[str, list[ControlResult]]:
        grouped: dict[str, list[ControlResult]] = {area: [] for area in AREAS}
        for result in self.results:
            # Policies outside the catalogue (a user's own pack) group under their own area key.
            grouped.setdefault(result.control.area, []).append(result)
        return grouped

    def totals(self) -> dict[str, int]:
        counts = Counter(r.status for r in self.results)
        return {status: counts.get(status, 0) for status in STATUSES}

    @property
    def has_mandatory_violation(self) -> bool:
        return any(r.mandatory_violation for r in self.results)

    def exit_code(self) -> int:
        """0 when no mandatory violation, 1 when any (2 is for usage and program errors)."""
        return 1 if self.has_mandatory_violation else 0
