"""policies/README.md lists every control and tunable exactly as the catalogue and the rules define them, and its
configuration examples name real policies, properties and levels."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from eksguard_policies import readme
from eksguard_policies.catalogue import CONTROLS_DIR, default_catalogue
from eksguard_policies.framework import collect
from eksguard_policies.rules import rule_modules

CATALOGUE = default_catalogue()
RULES = collect(rule_modules())
LEVELS = {"advisory", "mandatory", "remediate", "disabled"}
TEXT = readme.README.read_text()


def test_generated_tables_match_the_catalogue_and_rules() -> None:
    assert readme.render(TEXT) == TEXT, "README is stale: run `python -m eksguard_policies.readme` in policies/"


def _section(markers: tuple[str, str]) -> str:
    return TEXT.split(markers[0], 1)[1].split(markers[1], 1)[0]


def test_the_tables_list_every_control_and_tunable_once() -> None:
    controls = re.findall(r"^\| `([a-z0-9-]+)` \| ", _section(readme.CONTROLS_MARKERS), re.M)
    assert controls == list(CATALOGUE)
    tunables = re.findall(r"^\| `([a-z0-9-]+)` \| `(\w+)` \| ", _section(readme.TUNABLES_MARKERS), re.M)
    assert sorted(tunables) == sorted((cid, prop) for cid, spec in RULES.rules.items() for prop in spec.config)


def test_json_examples_name_real_policies_properties_and_levels() -> None:
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", TEXT, re.S)]
    assert len(examples) >= 2
    for example in examples:
        for policy, setting in example.items():
            assert policy == "all" or policy in CATALOGUE, f"unknown policy {policy!r}"
            if isinstance(setting, str):
                assert setting in LEVELS
                continue
            allowed = {"enforcementLevel", "exemptions", *RULES.rules[policy].config}
            assert set(setting) <= allowed, f"{policy}: unknown properties {set(setting) - allowed}"
            assert setting.get("enforcementLevel", "advisory") in LEVELS


def test_every_backquoted_control_id_exists() -> None:
    named = set(
        re.findall(
            r"`((?:eks|node|nodegroup|sg|nacl|iam|access|kms|cloudtrail|stack|rbac|workload|"
            r"service|namespace)-[a-z0-9-]+)`",
            TEXT,
        )
    )
    assert named - set(CATALOGUE) == set()


PROJECT_README = readme.README.parents[1] / "README.md"


def load_catalogue_file(path: Path) -> list[dict]:
    return tomllib.loads(path.read_text())["control"]


def test_the_project_readme_counts_each_areas_controls() -> None:
    """The overview's area table (README.md at the repository root) states how many controls each area has, and the
    sentence above it the total: both as the catalogue has them."""
    text = PROJECT_README.read_text()
    counted = {area: int(n) for area, n in re.findall(r"^\| ([A-Z][\w -]+?) \| (\d+) \| ", text, re.M)}
    by_area: dict[str, int] = {}
    for control in CATALOGUE.values():
        by_area[control.area_title] = by_area.get(control.area_title, 0) + 1
    assert counted == by_area
    assert re.search(rf"\bwith {len(CATALOGUE)} controls\b", text), "the total in README.md is stale"


def test_the_design_lists_every_catalogue_file_with_its_count() -> None:
    """docs/DESIGN.md's layout names each controls/<domain>.toml (and its rules/<domain>.py) with its count."""
    design = (PROJECT_README.parent / "docs" / "DESIGN.md").read_text()
    listed = {domain: int(n) for domain, n in re.findall(r"^ {31}(\w+) \((\d+)\) ", design, re.M)}
    per_file = {path.stem: len(load_catalogue_file(path)) for path in sorted(CONTROLS_DIR.glob("*.toml"))}
    assert listed == per_file
    assert re.search(rf"\b{len(CATALOGUE)} controls in all\b", design)
