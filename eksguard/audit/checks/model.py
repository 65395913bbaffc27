"""What the checks produce: findings, plus per-control tallies of what was evaluated or could not be."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawFinding:
    control_id: str
    resource: str
    message: str
    region: str
    kind: str
    """Key of controls.IMPORT_TYPES: which AWS resource the finding is about."""
    import_id: str
    name: str
    observed: dict[str, Any] = field(default_factory=dict)
    """Component arguments matching what was observed (for the remediation snippet)."""
    component_name: str = ""
    """Name for the component in the snippet (default: ``name``)."""


@dataclass
class Evaluation:
    findings: list[RawFinding] = field(default_factory=list)
    evaluated: dict[str, int] = field(default_factory=dict)
    not_assessed: dict[str, list[str]] = field(default_factory=dict)

    def count(self, *control_ids: str) -> None:
        """Record one more resource evaluated against each control."""
        for control_id in control_ids:
            self.evaluated[control_id] = self.evaluated.get(control_id, 0) + 1

    def add(self, finding: RawFinding) -> None:
        self.findings.append(finding)

    def unassessed(self, control_id: str, reason: str) -> None:
        """Record why a control could not be assessed (each distinct reason once)."""
        reasons = self.not_assessed.setdefault(control_id, [])
        if reason not in reasons:
            reasons.append(reason)
