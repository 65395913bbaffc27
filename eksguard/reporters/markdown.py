"""Markdown for a pull-request comment: the verdict, a table per area, details for what failed."""

from __future__ import annotations

import json

from eksguard.reporters.common import (
    ATTENTION,
    REMOTE_NOTE,
    STATUS_LABELS,
    area_title,
    display_name,
    judged_line,
    remediation_plan,
    unanswered_line,
    undecided,
    verdict_line,
    where,
)
from eksguard.reporters.model import ControlResult, Report

MAX_FINDINGS_PER_CONTROL = 25
_ICONS = {
    "violated": "❌",
    "not_checkable": "⏳",
    "not_checkable_offline": "🔌",
    "not_assessed": "❔",
    "passed": "✅",
    "not_applicable": "⚪",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _target(report: Report) -> str:
    shown = ", ".join(f"{k}: `{v}`" for k, v in report.target.items() if isinstance(v, str | int) and v != "")
    return shown


def _details(result: ControlResult) -> list[str]:
    c = result.control
    lines = [f"#### {_ICONS[result.status]} `{c.id}`: {_cell(c.title)}", ""]
    if result.reason:
        lines += [f"_{STATUS_LABELS[result.status]}: {result.reason}_", ""]
    for f in result.findings[:MAX_FINDINGS_PER_CONTROL]:
        at = f" ({where(f)})" if where(f) else ""
        level = " **mandatory**" if f.level == "mandatory" and result.status == "violated" else ""
        lines.append(f"- `{_cell(display_name(f))}`{at}{level}: {_cell(f.message)}")
    hidden = len(result.findings) - MAX_FINDINGS_PER_CONTROL
    if hidden > 0:
        lines.append(f"- … and {hidden} more")
    for label, findings in undecided(result):
        lines += ["", f"_Also {label} on {len(findings)} resource(s):_"]
        for f in findings[:MAX_FINDINGS_PER_CONTROL]:
            at = f" ({where(f)})" if where(f) else ""
            lines.append(f"- `{_cell(display_name(f))}`{at}: {_cell(f.message)}")
    if result.status == "violated":
        if c.remediation:
            lines += ["", f"**Remediation.** {c.remediation}"]
        if c.component:
            lines += ["", f"**Fixed by component** `{c.component}`."]
    return [*lines, ""]


def _remediations(report: Report) -> list[str]:
    items = report.extra.get("remediations", [])
    lines = ["### Remediations applied", ""]
    if not items:
        return [*lines, "No policy at level remediate changed a resource.", ""]
    for item in items:
        loc = item.get("location")
        at = f" ({loc['file']}:{loc['line']})" if loc else ""
        lines.append(f"- `{item['policy']}` on `{_cell(item['resource'])}`{at}")
        lines.extend(
            f"  - `{change['path']}`: `{json.dumps(change['before'], default=str)}` → "
            f"`{json.dumps(change['after'], default=str)}`"
            for change in item["changes"]
        )
    return [*lines, ""]


def _plan(report: Report) -> list[str]:
    plan = remediation_plan(report)
    if not plan:
        return []
    lines = ["### Remediation plan", ""]
    for result, finding in plan:
        fix = finding.fix
        lines += [
            f"- `{result.control.id}` on `{_cell(display_name(finding))}` → `{fix.get('component', '')}`",
            "",
            "  ```sh",
            f"  {fix['import_command']}",
            "  ```",
        ]
        if fix.get("snippet"):
            lines += ["  ```python", *(f"  {line}" for line in str(fix["snippet"]).splitlines()), "  ```"]
        lines.append("")
    return lines


def _coverage(report: Report) -> list[str]:
    coverage = report.coverage
    if coverage is None:
        return []
    lines = ["### Coverage", "", f"{judged_line(coverage)}.", ""]
    if coverage.not_judged:
        lines += ["Resource types no policy judged:", ""]
        for u in coverage.not_judged:
            lines.append(f"- `{u.type}` x{u.count}" + (f" ({REMOTE_NOTE})" if u.remote else ""))
        lines.append("")
    if coverage.unanswered_invokes:
        lines += [_cell(unanswered_line(coverage)), ""]
    return lines


def render(report: Report, *, show_remediations: bool = False, **_: object) -> str:
    mark = "❌" if report.has_mandatory_violation else "✅"
    out = [f"## {mark} eksguard {report.tool}: {verdict_line(report)}", ""]
    target = _target(report)
    if target:
        out += [target, ""]
    out += [
        "| Area | " + " | ".join(STATUS_LABELS[s] for s in report.totals()) + " |",
        "|---|" + "---:|" * len(report.totals()),
    ]
    grouped = report.by_area()
    for area, results in grouped.items():
        if not results:
            continue
        counts = [sum(1 for r in results if r.status == s) for s in report.totals()]
        out.append(f"| {area_title(area)} | " + " | ".join(str(n) for n in counts) + " |")
    out.append("")
    attention = [r for r in report.results if r.status in ATTENTION]
    if attention:
        out += ["### What needs attention", ""]
        for result in attention:
            out += _details(result)
    if show_remediations:
        out += _remediations(report)
    out += _plan(report)
    out += _coverage(report)
    out += ["<details><summary>Every control</summary>", ""]
    for area, results in grouped.items():
        if not results:
            continue
        out += [f"**{area_title(area)}**", "", "| Control | Severity | Status |", "|---|---|---|"]
        for r in results:
            out.append(
                f"| `{r.control.id}` {_cell(r.control.title)} | {r.control.severity} | "
                f"{_ICONS[r.status]} {STATUS_LABELS[r.status]} |"
            )
        out.append("")
    out += ["</details>", ""]
    return "\n".join(out)
