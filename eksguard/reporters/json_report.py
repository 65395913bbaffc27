"""The JSON report; its shape is published as docs/report.schema.json (JSON Schema draft 2020-12)."""

from __future__ import annotations

import json
from typing import Any

from eksguard.reporters.common import area_title, coverage_json, mandatory_violations, tool_version
from eksguard.reporters.model import ControlResult, Finding, Report

SCHEMA_VERSION = "1.2"


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "resource": f.resource,
        "resource_type": f.resource_type,
        "resource_name": f.resource_name,
        "message": f.message,
        "level": f.level,
        "location": {"file": f.location.file, "line": f.location.line} if f.location else None,
        "region": f.region,
        "fix": f.fix,
    }


def _control(r: ControlResult) -> dict[str, Any]:
    c = r.control
    return {
        "id": c.id,
        "title": c.title,
        "severity": c.severity,
        "status": r.status,
        "reason": r.reason,
        "resources_evaluated": r.resources_evaluated,
        "mandatory_violation": r.mandatory_violation,
        "description": c.description,
        "remediation": c.remediation,
        "component": c.component,
        "remediable": c.remediable,
        "references": {
            "cis": list(c.references.cis),
            "checkov": list(c.references.checkov),
            "security_hub": list(c.references.security_hub),
            "prowler": list(c.references.prowler),
            "kubescape": list(c.references.kubescape),
        },
        "findings": [_finding(f) for f in r.findings],
        "not_checkable": [_finding(f) for f in r.not_checkable],
        "not_checkable_offline": [_finding(f) for f in r.not_checkable_offline],
    }


def to_document(report: Report) -> dict[str, Any]:
    areas = []
    for area, results in report.by_area().items():
        totals: dict[str, int] = dict.fromkeys(report.totals(), 0)
        for r in results:
            totals[r.status] += 1
        areas.append(
            {"id": area, "title": area_title(area), "totals": totals, "controls": [_control(r) for r in results]}
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "eksguard", "version": tool_version(), "command": report.tool},
        "generated_at": report.generated_at,
        "target": report.target,
        "verdict": {
            "exit_code": report.exit_code(),
            "passed": not report.has_mandatory_violation,
            "mandatory_violations": mandatory_violations(report),
        },
        "totals": report.totals(),
        "coverage": coverage_json(report.coverage),
        "areas": areas,
        "remediations": report.extra.get("remediations", []),
    }


def render(report: Report, **_: object) -> str:
    return json.dumps(to_document(report), indent=2, sort_keys=False, default=str) + "\n"
