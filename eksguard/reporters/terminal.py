"""The terminal view: one rich table per area, details for what failed, the verdict last.

:class:`RichProgress` is the progress display ``check`` shows on stderr while a long program runs.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from eksguard.reporters.common import (
    ATTENTION,
    STATUS_LABELS,
    area_title,
    display_name,
    judged_line,
    remediation_plan,
    unanswered_line,
    undecided,
    unjudged_lines,
    verdict_line,
    where,
)
from eksguard.reporters.model import ControlResult, Report

MAX_FINDINGS_PER_CONTROL = 20
_STYLES = {
    "violated": "bold red",
    "not_checkable": "yellow",
    "not_checkable_offline": "yellow",
    "not_assessed": "magenta",
    "passed": "green",
    "not_applicable": "dim",
}


def _area_table(area: str, results: list[ControlResult]) -> Table:
    table = Table(title=area_title(area), title_justify="left", expand=False, show_lines=False)
    table.add_column("Control")
    table.add_column("Severity")
    table.add_column("Status")
    table.add_column("Resources", justify="right")
    for r in results:
        status = Text(STATUS_LABELS[r.status], style=_STYLES[r.status])
        count = str(len(r.findings)) if r.status in ATTENTION else str(r.resources_evaluated)
        label = r.control.id if r.control.title in ("", r.control.id) else f"{r.control.id}\n{r.control.title}"
        table.add_row(Text(label), r.control.severity, status, count)
    return table


def _details(console: Console, result: ControlResult) -> None:
    c = result.control
    console.print(Text(f"{c.id} ({STATUS_LABELS[result.status]})", style=_STYLES[result.status]))
    if result.reason:
        console.print(Text(f"  {result.reason}", style="dim"))
    for f in result.findings[:MAX_FINDINGS_PER_CONTROL]:
        at = f"  [{where(f)}]" if where(f) else ""
        level = "mandatory " if f.level == "mandatory" and result.status == "violated" else ""
        console.print(Text(f"  - {level}{display_name(f)}{at}: {f.message.strip()}"))
    hidden = len(result.findings) - MAX_FINDINGS_PER_CONTROL
    if hidden > 0:
        console.print(f"  ... and {hidden} more")
    for label, findings in undecided(result):
        console.print(Text(f"  also {label} on {len(findings)} resource(s):", style="yellow"))
        for f in findings[:MAX_FINDINGS_PER_CONTROL]:
            at = f"  [{where(f)}]" if where(f) else ""
            console.print(Text(f"  - {display_name(f)}{at}: {f.message.strip()}"))
    if result.status == "violated":
        if c.remediation:
            console.print(Text(f"  Remediation: {c.remediation}"))
        if c.component:
            console.print(Text(f"  Fixed by component: {c.component}"))


def _remediations(console: Console, remediations: list[dict[str, Any]]) -> None:
    console.rule("Remediations applied")
    if not remediations:
        console.print("No policy at level remediate changed a resource.")
    for item in remediations:
        loc = item.get("location") or {}
        at = f"  [{loc['file']}:{loc['line']}]" if loc else ""
        console.print(Text(f"{item['policy']} on {item['resource']}{at}", style="bold"))
        for change in item["changes"]:
            before = json.dumps(change["before"], default=str)
            after = json.dumps(change["after"], default=str)
            console.print(Text(f"  {change['path']}: {before} -> {after}"))


def _plan(console: Console, report: Report) -> None:
    plan = remediation_plan(report)
    if not plan:
        return
    console.rule("Remediation plan: bring each resource under an eksguard component")
    for result, finding in plan:
        fix = finding.fix
        console.print(Text(f"{result.control.id}: {display_name(finding)} -> {fix.get('component', '')}", style="bold"))
        console.print(Text(f"  {fix['import_command']}"))
        for line in str(fix.get("snippet", "")).splitlines():
            console.print(Text(f"    {line}", style="cyan"))


def _coverage(console: Console, report: Report) -> None:
    coverage = report.coverage
    if coverage is None:
        return
    console.rule("Coverage")
    style = "yellow" if coverage.not_judged else "green"
    console.print(Text(judged_line(coverage), style=style))
    for line in unjudged_lines(coverage):
        console.print(Text(f"  - not judged: {line}", style="yellow"))
    if coverage.unanswered_invokes:
        console.print(Text(unanswered_line(coverage), style="yellow"))


def render(
    report: Report, *, color: bool = False, width: int = 120, show_remediations: bool = False, **_: object
) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False)
    target = ", ".join(f"{k}={v}" for k, v in report.target.items() if isinstance(v, str | int) and v != "")
    console.rule(f"eksguard {report.tool}" + (f": {target}" if target else ""))
    for area, results in report.by_area().items():
        if results:
            console.print(_area_table(area, results))
    attention = [r for r in report.results if r.status in ATTENTION]
    if attention:
        console.rule("Details")
        for result in attention:
            _details(console, result)
    if show_remediations:
        _remediations(console, report.extra.get("remediations", []))
    _plan(console, report)
    _coverage(console, report)
    console.rule()
    style = "bold red" if report.has_mandatory_violation else "bold green"
    console.print(Text(verdict_line(report), style=style))
    return buffer.getvalue()


class RichProgress:
    """A transient progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, enabled: bool | None = None, console: Console | None = None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console or Console(file=sys.stderr),
            transient=True,
            disable=not self.enabled,
        )
        self._task: Any = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def stage(self, name: str, total: int | None = None) -> None:
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._task = self._progress.add_task(name, total=total)

    def advance(self, count: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, count)
