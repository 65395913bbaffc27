"""Shared test helpers: a catalogue that holds every audit control, and a Report's findings as a set."""

from __future__ import annotations

from eksguard_policies.catalogue import Catalogue, Control, default_catalogue

from eksguard.audit.controls import AUDIT_CONTROL_IDS
from eksguard.reporters.model import Report


def audit_catalogue() -> Catalogue:
    """The packaged catalogue, completed with placeholders for audit ids it does not hold yet (the
    alignment itself is asserted by test_controls.py)."""
    packaged = default_catalogue()
    controls = list(packaged.values())
    for control_id in AUDIT_CONTROL_IDS:
        if control_id not in packaged:
            controls.append(
                Control(
                    id=control_id,
                    title=control_id,
                    area="audit-logging",
                    severity="high",
                    description="placeholder",
                    remediation="placeholder",
                    component="eksguard:index:Cluster",
                )
            )
    return Catalogue(controls)


def finding_set(report: Report) -> set[tuple[str, str]]:
    return {(f.control_id, f.resource) for r in report.results for f in r.findings}


def statuses(report: Report) -> dict[str, str]:
    return {r.control.id: r.status for r in report.results}
