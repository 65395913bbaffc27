"""The README's control and tunable tables, generated from the catalogue and the rules so they cannot drift.

``python -m eksguard_policies.readme [README.md]`` (run from policies/) rewrites the text between each pair of
markers; tests/policies/test_readme.py fails when the committed README differs from what this renders.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel

from .catalogue import Catalogue, Control, default_catalogue
from .framework import CollectedRules, collect, default_level
from .rules import rule_modules

README = Path(__file__).resolve().parents[1] / "README.md"
CONTROLS_MARKERS = ("<!-- controls:begin (generated) -->", "<!-- controls:end -->")
TUNABLES_MARKERS = ("<!-- tunables:begin (generated) -->", "<!-- tunables:end -->")


def controls_table(catalogue: Catalogue, collected: CollectedRules) -> str:
    rows = [
        "| Control | Area | Severity | Default level | Kind | Remediable | Title | References |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cid, control in catalogue.items():
        level = "mandatory" if default_level(control) == EnforcementLevel.MANDATORY else "advisory"
        kind = collected.rules[cid].kind
        fix = "yes" if control.remediable else ""
        rows.append(
            f"| `{cid}` | {control.area_title} | {control.severity} | {level} | {kind} | {fix} | {control.title} "
            f"| {references(control)} |"
        )
    return "\n".join(rows)


def references(control: Control) -> str:
    refs = control.references
    return " ".join(
        [
            *(f"CIS {c}" for c in refs.cis),
            *refs.checkov,
            *(f"`{p}`" for p in refs.prowler),
            *refs.kubescape,
            *(f"SecurityHub {s}" for s in refs.security_hub),
        ]
    )


def tunables_table(catalogue: Catalogue, collected: CollectedRules) -> str:
    rows = ["| Control | Property | Default | Meaning |", "|---|---|---|---|"]
    for cid in catalogue:
        for prop, schema in collected.rules[cid].config.items():
            description = " ".join(str(schema.get("description", "")).split())
            default = json.dumps(schema.get("default"))
            rows.append(f"| `{cid}` | `{prop}` | `{default}` | {description} |")
    return "\n".join(rows)


def _replace_between(text: str, markers: tuple[str, str], body: str) -> str:
    begin, end = markers
    head, found, rest = text.partition(begin)
    if not found or end not in rest:
        raise ValueError(f"README lacks the markers {begin} ... {end}")
    return f"{head}{begin}\n{body}\n{end}{rest.split(end, 1)[1]}"


def render(text: str, catalogue: Catalogue | None = None) -> str:
    """``text`` (the README) with both generated tables brought up to date."""
    catalogue = catalogue or default_catalogue()
    collected = collect(rule_modules())
    text = _replace_between(text, CONTROLS_MARKERS, controls_table(catalogue, collected))
    return _replace_between(text, TUNABLES_MARKERS, tunables_table(catalogue, collected))


def main(argv: list[str]) -> None:
    path = Path(argv[0]) if argv else README
    path.write_text(render(path.read_text()))


if __name__ == "__main__":
    main(sys.argv[1:])
