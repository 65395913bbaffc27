"""End to end through the command line on the repository's own stacks and the real policy pack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

from eksguard.check import CheckOptions, run_check
from tests.check.conftest import violations_from_the_pack_driven_directly, violations_in

REPO = Path(__file__).resolve().parents[2]
PACK = REPO / "policies"
INSECURE = REPO / "examples" / "insecure"
SARIF_SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
REPORT_SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text())


def _cli(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "eksguard", "check", "--no-progress", "--format", "json", "--output", str(out), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc, json.loads(out.read_text())


def _controls(document: dict) -> dict[str, dict]:
    return {c["id"]: c for area in document["areas"] for c in area["controls"]}


def _resource_policies() -> set[str]:
    from eksguard_policies.pack import build
    from pulumi_policy import ResourceValidationPolicy

    return {p.name for p in build() if isinstance(p, ResourceValidationPolicy)}


def test_reference_stack_passes_with_zero_violations(tmp_path: Path) -> None:
    proc, document = _cli(tmp_path)
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(document)
    violated = sorted(cid for cid, c in _controls(document).items() if c["status"] == "violated")
    assert violated == []
    assert proc.returncode == 0
    assert document["target"]["stack"] == "dev" and document["target"]["resources"] > 0
    # As the Pulumi CLI does, the pack's version comes from its PulumiPolicy.yaml, not the SDK placeholder.
    pack_yaml = yaml.safe_load((REPO / "policies" / "PulumiPolicy.yaml").read_text())
    assert document["target"]["policy_packs"] == [{"name": "eksguard", "version": str(pack_yaml["version"])}]
    passed = [cid for cid, c in _controls(document).items() if c["status"] == "passed"]
    assert len(passed) >= len(_controls(document)) // 2


def test_insecure_example_breaks_every_resource_control(tmp_path: Path) -> None:
    proc, document = _cli(tmp_path, "--program", str(INSECURE))
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(document)
    assert proc.returncode == 1
    controls = _controls(document)
    violated = {cid for cid, c in controls.items() if c["status"] == "violated"}
    assert _resource_policies() - violated == set()
    for cid in violated:
        for finding in controls[cid]["findings"]:
            assert finding["location"]["file"].startswith("examples/insecure/"), (cid, finding)


def test_insecure_example_sarif_annotates_the_declaring_lines(tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "eksguard",
            "check",
            "--no-progress",
            "--program",
            str(INSECURE),
            "--format",
            "sarif",
            "--output",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stderr
    document = json.loads(out.read_text())
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    results = document["runs"][0]["results"]
    assert results
    for result in results:
        location = result["locations"][0]
        if location["logicalLocations"][0]["fullyQualifiedName"].split("::")[2] == "pulumi:pulumi:Stack":
            # a finding about the whole stack points at the program's entry file
            assert location["physicalLocation"]["artifactLocation"]["uri"] == "examples/insecure/__main__.py"
            continue
        path = REPO / location["physicalLocation"]["artifactLocation"]["uri"]
        line = location["physicalLocation"]["region"]["startLine"]
        source = path.read_text().splitlines()
        name = location["logicalLocations"][0]["fullyQualifiedName"].rsplit("::", 1)[-1]
        # the annotated line opens the call that declared the resource (its name is on it or just below)
        window = "\n".join(source[line - 1 : line + 3])
        assert "(" in source[line - 1], (path, line)
        assert name in window or "{" in window, (path, line, name)


def test_check_matches_the_real_pack_driven_directly_on_the_insecure_stack() -> None:
    outcome = run_check(CheckOptions(program=INSECURE, policy_packs=[PACK]))
    from_check = violations_in(outcome.report)
    assert from_check == violations_from_the_pack_driven_directly(PACK, outcome.run)
    assert from_check
