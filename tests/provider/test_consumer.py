"""examples/consumer-py, a separate Pulumi project reusing eksguard's components on an existing cluster,
passes ``eksguard check`` run as a user runs it (a subprocess of ``python -m eksguard``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PROGRAM = "examples/consumer-py"
STACK = "shared-prod"


def _check(
    *extra: str, output: Path, program: str | Path = PROGRAM, stack: str | None = STACK
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "eksguard", "check", "--program", str(program)]
    command += ["--stack", stack] if stack else []
    command += ["--no-progress", "--format", "json", "--output", str(output), *extra]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)


def test_the_consumer_stack_passes_eksguard_check(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    # As issue 6 words it: no --stack; the project's only stack config (shared-prod) is the one loaded.
    result = _check(output=report_path, stack=None)
    assert result.returncode == 0, result.stderr + result.stdout
    report = json.loads(report_path.read_text())
    assert report["verdict"] == {"exit_code": 0, "passed": True, "mandatory_violations": 0}
    assert (report["target"]["project"], report["target"]["stack"]) == ("payments-platform", STACK)
    statuses = {c["id"]: c["status"] for area in report["areas"] for c in area["controls"]}
    violated = sorted(cid for cid, status in statuses.items() if status == "violated")
    assert violated == [], "the consumer stack must not break even advisory controls"
    # The components did register hardened resources: node, security group, RBAC and namespace checks ran.
    for control in ("node-imdsv2-required", "sg-open-ingress", "rbac-wildcards", "namespace-pod-security-enforce"):
        assert statuses[control] == "passed", control


def test_the_consumer_stack_passes_the_strict_production_config(tmp_path: Path) -> None:
    result = _check("--policy-pack-config", "docs/policy-config/strict-production.json", output=tmp_path / "r.json")
    assert result.returncode == 0, result.stderr + result.stdout


def test_the_consumer_reads_its_own_stack_config(tmp_path: Path) -> None:
    """A stack without the consumer's config is a usage error, not a silent default (exit code 2)."""
    program = tmp_path / "consumer-py"
    program.mkdir()
    (program / "__main__.py").write_text((REPO_ROOT / PROGRAM / "__main__.py").read_text())
    # The copy runs, as the original does, in the repository's virtualenv (check honours the one it names).
    project = (REPO_ROOT / PROGRAM / "Pulumi.yaml").read_text()
    (program / "Pulumi.yaml").write_text(project.replace("virtualenv: ../../.venv", f"virtualenv: {sys.prefix}"))
    (program / "Pulumi.empty.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    result = _check(output=tmp_path / "r.json", program=program, stack="empty")
    assert result.returncode == 2, result.stderr + result.stdout
    assert "clusterName" in result.stderr + result.stdout
