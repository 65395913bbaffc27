"""The verdict model (:mod:`eksguard.reporters.model`) and its renderings: terminal, JSON, SARIF 2.1.0 and Markdown.

Renderers read only the report model (shared by ``check`` and ``audit``): a finding may name a URN and a
source location (``check``) or an ARN and a region (``audit``).
"""

from __future__ import annotations

from collections.abc import Callable

from eksguard.reporters.model import Report

FORMATS = ("terminal", "json", "sarif", "markdown")


def renderer(fmt: str) -> Callable[..., str]:
    """The function that renders ``fmt`` (``terminal`` takes ``color`` and ``width`` keywords)."""
    if fmt == "json":
        from eksguard.reporters.json_report import render
    elif fmt == "sarif":
        from eksguard.reporters.sarif import render
    elif fmt == "markdown":
        from eksguard.reporters.markdown import render
    elif fmt == "terminal":
        from eksguard.reporters.terminal import render
    else:
        raise ValueError(f"unknown format {fmt!r}; accepted values: {', '.join(FORMATS)}")
    return render


def render(report: Report, fmt: str, **options: object) -> str:
    return renderer(fmt)(report, **options)
