"""The example GitHub Actions workflow (.github/workflows/eksguard.yml) runs a valid ``eksguard check`` for
each matrix entry and uploads the SARIF file that check writes."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from eksguard.cli import build_parser

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "eksguard.yml").read_text())
JOB = WORKFLOW["jobs"]["check"]
STEPS = {step.get("name", step.get("uses", "")): step for step in JOB["steps"]}


def _check_args(matrix: dict[str, str], output_format: str) -> list[str]:
    """The check command line of the workflow's run script, with the matrix values substituted."""
    script = STEPS["eksguard check"]["run"]
    line = next(line for line in script.splitlines() if f"--format {output_format}" in line)
    args = ["--program", matrix["program"], "--stack", matrix["stack"], "--policy-pack", "policies", "--no-progress"]
    if matrix["policy_config"]:
        args += ["--policy-pack-config", matrix["policy_config"]]
    tail = shlex.split(line.split('"${args[@]}"', 1)[1].replace('"$GITHUB_STEP_SUMMARY"', "summary.md"))
    return ["check", *args, *tail]


def test_sarif_written_by_check_is_the_file_uploaded_to_code_scanning() -> None:
    upload = STEPS["Upload findings to code scanning"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["if"].startswith("always()")  # findings are uploaded when the verdict fails too
    args = _check_args(JOB["strategy"]["matrix"]["include"][0], "sarif")
    assert args[args.index("--output") + 1] == upload["with"]["sarif_file"]
    assert JOB["permissions"]["security-events"] == "write"


@pytest.mark.parametrize("matrix", JOB["strategy"]["matrix"]["include"], ids=lambda m: m["name"])
def test_every_matrix_entry_is_a_valid_check_invocation(matrix: dict[str, str]) -> None:
    for output_format in ("sarif", "markdown"):
        parsed = build_parser().parse_args(_check_args(matrix, output_format))
        assert parsed.format == output_format
    if matrix["policy_config"]:
        assert (REPO_ROOT / matrix["policy_config"]).is_file()
    assert (REPO_ROOT / matrix["program"]).is_dir()


def test_a_failing_verdict_fails_the_job_after_the_upload() -> None:
    names = [step.get("name") for step in JOB["steps"]]
    assert names.index("Upload findings to code scanning") < names.index("Verdict")
    assert STEPS["Verdict"]["if"] == "steps.check.outputs.exit_code != '0'"
    assert 'echo "exit_code=$?" >> "$GITHUB_OUTPUT"' in STEPS["eksguard check"]["run"]
