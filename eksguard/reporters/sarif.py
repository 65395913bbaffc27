"""SARIF 2.1.0 for GitHub code scanning: one rule per control, one result per violating resource.

Locations are the program file and line that declared the resource, as URIs relative to the repository
root, so code scanning annotates that line. GitHub rejects a whole upload when one result has no physical
location, so a finding without a source location (the audit's) points at line 1 of a path named after the
resource (``aws/eks/eu-west-1/123456789012/cluster/prod`` for its ARN); the resource is also the logical location.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import quote

from eksguard.reporters.common import (
    STATUS_LABELS,
    area_title,
    coverage_json,
    judged_line,
    tool_version,
    unanswered_line,
    unjudged_lines,
)
from eksguard.reporters.model import ControlResult, Finding, Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/eksguard/eksguard"
# GitHub ranks alerts by this property: critical >= 9.0, high >= 7.0, medium >= 4.0, low > 0.
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
_DEFAULT_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}


def _rule(result: ControlResult) -> dict[str, Any]:
    c = result.control
    help_lines = [c.remediation or "See the control description."]
    if c.component:
        help_lines.append(f"Component that implements the fix: {c.component}")
    r = c.references
    refs = [*(f"CIS EKS {x}" for x in r.cis), *r.checkov, *r.prowler, *r.kubescape, *r.security_hub]
    if refs:
        help_lines.append("References: " + ", ".join(refs))
    markdown = f"**Remediation.** {c.remediation or 'See the control description.'}"
    if c.component:
        markdown += f"\n\n**Component.** `{c.component}`"
    return {
        "id": c.id,
        "name": "".join(part.capitalize() for part in c.id.split("-")),
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": c.description or c.title},
        "help": {"text": "\n".join(help_lines), "markdown": markdown},
        "defaultConfiguration": {"level": _DEFAULT_LEVEL.get(c.severity, "warning")},
        "properties": {
            "tags": ["security", "eks", c.area],
            "area": area_title(c.area),
            "severity": c.severity,
            "security-severity": _SECURITY_SEVERITY.get(c.severity, "5.5"),
            "precision": "high",
            "references": {
                "cis": list(r.cis),
                "checkov": list(r.checkov),
                "prowler": list(r.prowler),
                "kubescape": list(r.kubescape),
                "securityHub": list(r.security_hub),
            },
        },
    }


def _fingerprint(control_id: str, finding: Finding) -> str:
    return hashlib.sha256(f"{control_id}\0{finding.resource}\0{finding.message}".encode()).hexdigest()[:32]


def _resource_path(finding: Finding) -> str:
    """A relative path naming a resource no program line declared: an ARN's parts, else region and id."""
    is_arn = finding.resource.startswith("arn:")
    name = finding.resource.removeprefix("arn:") if is_arn else f"{finding.region}/{finding.resource}"
    return "/".join(quote(part, safe="") for part in re.split(r"[:/]+", name) if part) or "unknown-resource"


def _result(rule_index: int, control_id: str, finding: Finding) -> dict[str, Any]:
    declared = finding.location
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": declared.file if declared else _resource_path(finding)},
            "region": {"startLine": max(1, declared.line) if declared else 1},
        },
        "logicalLocations": [{"fullyQualifiedName": finding.resource, "kind": "resource"}],
    }
    properties: dict[str, Any] = {"enforcementLevel": finding.level}
    if finding.region:
        properties["region"] = finding.region
    if finding.resource_type:
        properties["resourceType"] = finding.resource_type
    return {
        "ruleId": control_id,
        "ruleIndex": rule_index,
        "level": "error" if finding.level == "mandatory" else "warning",
        "kind": "fail",
        "message": {"text": finding.message},
        "locations": [location],
        "partialFingerprints": {"eksguardFinding/v1": _fingerprint(control_id, finding)},
        "properties": properties,
    }


def _notifications(report: Report) -> list[dict[str, Any]]:
    """What the policies did not examine or could not decide offline, where code scanning shows the tool's own
    warnings (results are violations only)."""
    texts = [
        (f"{r.control.id} is {STATUS_LABELS[r.status]}: {r.reason}", "warning")
        for r in report.results
        if r.status == "not_checkable_offline"
    ]
    coverage = report.coverage
    if coverage is not None:
        texts.append((judged_line(coverage), "note"))
        texts += [(f"no policy judged {line}", "warning") for line in unjudged_lines(coverage)]
        if coverage.unanswered_invokes:
            texts.append((unanswered_line(coverage), "warning"))
    return [{"message": {"text": text}, "level": level} for text, level in texts]


def to_document(report: Report) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for index, result in enumerate(report.results):
        rules.append(_rule(result))
        if result.status == "violated":
            results.extend(_result(index, result.control.id, f) for f in result.findings)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "eksguard",
                        "semanticVersion": tool_version(),
                        "version": tool_version(),
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"eksguard/{report.tool}/"},
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "exitCode": report.exit_code(),
                        "endTimeUtc": report.generated_at,
                        "toolExecutionNotifications": _notifications(report),
                    }
                ],
                "results": results,
                "properties": {
                    "target": report.target,
                    "totals": report.totals(),
                    "coverage": coverage_json(report.coverage),
                },
            }
        ],
    }


def render(report: Report, **_: object) -> str:
    return json.dumps(to_document(report), indent=2, default=str) + "\n"
