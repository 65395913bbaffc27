"""What every reporter shares: area titles, status labels, the verdict line, finding locations."""

from __future__ import annotations

from eksguard_policies.catalogue import AREAS

from eksguard.reporters.model import ControlResult, Coverage, Finding, Report

OTHER_AREA_TITLE = "Other policies"
STATUS_LABELS = {
    "violated": "violated",
    "not_checkable": "not checkable until apply",
    "not_checkable_offline": "not checkable offline",
    "not_assessed": "not assessed",
    "passed": "passed",
    "not_applicable": "not applicable",
}


ATTENTION = ("violated", "not_checkable", "not_checkable_offline", "not_assessed")
"""The statuses whose findings and reasons a report details: what failed, and what could not be decided."""


def area_title(area: str) -> str:
    return AREAS.get(area, OTHER_AREA_TITLE)


def tool_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("eksguard")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def mandatory_violations(report: Report) -> int:
    return sum(1 for r in report.results for f in r.findings if r.status == "violated" and f.level == "mandatory")


def verdict_line(report: Report) -> str:
    totals = report.totals()
    if report.has_mandatory_violation:
        head = f"FAIL: {mandatory_violations(report)} mandatory violation(s)"
    elif totals["violated"]:
        head = "PASS with advisories"
    else:
        head = "PASS"
    counts = ", ".join(f"{n} {STATUS_LABELS[s]}" for s, n in totals.items() if n)
    return f"{head} ({counts})" if counts else head


def where(finding: Finding) -> str:
    """A short human location: file:line for check, region for audit, else nothing."""
    if finding.location is not None:
        return f"{finding.location.file}:{finding.location.line}"
    return finding.region


def display_name(finding: Finding) -> str:
    if finding.resource_name:
        kind = finding.resource_type.rsplit(":", 1)[-1] if finding.resource_type else ""
        return f"{kind} {finding.resource_name}".strip()
    return finding.resource


def visible_findings(result: ControlResult) -> list[Finding]:
    return result.findings if result.status in ATTENTION else []


def undecided(result: ControlResult) -> list[tuple[str, list[Finding]]]:
    """Of a violated control, what it could not decide beside its violations: (label, findings) per kind."""
    kinds = [("until apply", result.not_checkable), ("offline", result.not_checkable_offline)]
    return [(f"not checkable {kind}", findings) for kind, findings in kinds if findings]


def remediation_plan(report: Report) -> list[tuple[ControlResult, Finding]]:
    """Findings that carry a plan (the audit's ``pulumi import`` command and component snippet)."""
    return [(r, f) for r in report.results for f in visible_findings(r) if f.fix.get("import_command")]


REMOTE_NOTE = "component of another plugin: a real preview would show its children"


def judged_line(coverage: Coverage) -> str:
    """``12 of 15 resources judged by a policy`` (and what was left unknown)."""
    line = f"{coverage.judged} of {coverage.resources} resources judged by a policy"
    if coverage.not_judged:
        line += f"; {coverage.resources - coverage.judged} are of types no policy judges"
    return line


def unjudged_lines(coverage: Coverage) -> list[str]:
    """One line per resource type no policy judged, most numerous first."""
    return [f"{u.type} x{u.count}" + (f" ({REMOTE_NOTE})" if u.remote else "") for u in coverage.not_judged]


def unanswered_line(coverage: Coverage) -> str:
    if not coverage.unanswered_invokes:
        return ""
    return "invokes nothing answered (their results were unknown; add --fixtures or --live-lookups): " + ", ".join(
        coverage.unanswered_invokes
    )


def coverage_json(coverage: Coverage | None) -> dict | None:
    if coverage is None:
        return None
    return {
        "resources": coverage.resources,
        "judged": coverage.judged,
        "not_judged": [{"type": u.type, "count": u.count, "remote": u.remote} for u in coverage.not_judged],
        "unanswered_invokes": list(coverage.unanswered_invokes),
    }
