"""``eksguard check`` through the command line: formats, exit codes, bad input."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from eksguard.cli import main
from tests.check.conftest import make_program, write_files

REPO = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
REPORT_SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text())


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["check", "--no-progress", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_terminal_report_and_exit_code_1_on_mandatory_violation(capsys, tiny_program, tiny_pack) -> None:
    code, out, _ = _run(capsys, "--program", str(tiny_program), "--policy-pack", str(tiny_pack))
    assert code == 1
    assert "tiny-no-world-ssh" in out
    assert "SecurityGroup ssh  [network.py:5]: ingress allows SSH from 0.0.0.0/0" in out
    assert "FAIL: 2 mandatory violation(s)" in out


def test_exit_code_0_when_violations_are_advisory(capsys, tiny_program, tiny_pack, tmp_path) -> None:
    config = tmp_path / "levels.json"
    config.write_text(json.dumps({"all": "advisory"}))
    code, out, _ = _run(
        capsys, "--program", str(tiny_program), "--policy-pack", str(tiny_pack), "--policy-pack-config", str(config)
    )
    assert code == 0
    assert "PASS with advisories" in out


def test_json_report_validates_against_the_published_schema(capsys, tiny_program, tiny_pack, tmp_path) -> None:
    target = tmp_path / "report.json"
    code, out, _ = _run(
        capsys,
        "--program",
        str(tiny_program),
        "--policy-pack",
        str(tiny_pack),
        "--format",
        "json",
        "--output",
        str(target),
    )
    assert (code, out) == (1, "")
    document = json.loads(target.read_text())
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(document)
    assert document["verdict"] == {"exit_code": 1, "passed": False, "mandatory_violations": 2}
    other = next(a for a in document["areas"] if a["id"] == "other-policies")
    ssh = next(c for c in other["controls"] if c["id"] == "tiny-no-world-ssh")
    assert ssh["findings"][0]["location"] == {"file": "network.py", "line": 5}


def test_the_schema_rejects_a_broken_report() -> None:
    """The published schema is strict enough to catch drift (a misspelt status)."""
    validator = jsonschema.Draft202012Validator(REPORT_SCHEMA)
    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)
    broken = {
        "schema_version": "1.0",
        "tool": {"name": "eksguard", "version": "0", "command": "check"},
        "generated_at": "2026-01-01T00:00:00Z",
        "target": {},
        "verdict": {"exit_code": 0, "passed": True, "mandatory_violations": 0},
        "totals": {"violated": 0, "not_checkable": 0, "not_assessed": 0, "passed": 0, "not_applicable": 0},
        "areas": [
            {
                "id": "audit-logging",
                "title": "Audit logging",
                "totals": {"violated": 0, "not_checkable": 0, "not_assessed": 0, "passed": 0, "not_applicable": 0},
                "controls": [{"status": "passd"}],
            }
        ],
        "remediations": [],
    }
    assert not validator.is_valid(broken)


def test_sarif_validates_and_points_at_the_declaring_line(capsys, tmp_path, tiny_pack) -> None:
    program = make_program(tmp_path / "repo" / "infra")
    (tmp_path / "repo" / ".git").mkdir()
    code, out, _ = _run(capsys, "--program", str(program), "--policy-pack", str(tiny_pack), "--format", "sarif")
    assert code == 1
    document = json.loads(out)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    located = {
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["level"],
        )
        for r in run["results"]
    }
    assert located == {
        ("tiny-no-world-ssh", "infra/network.py", 5, "error"),
        ("tiny-bucket-owner", "infra/__main__.py", 9, "error"),
    }
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    # the declared lines really are the resource constructors
    lines = (program / "network.py").read_text().splitlines()
    assert "aws.ec2.SecurityGroup(" in lines[4]
    assert "help" in rules[0] and rules[0]["help"]["text"]


def test_markdown_for_a_pull_request(capsys, tiny_program, tiny_pack) -> None:
    code, out, _ = _run(capsys, "--program", str(tiny_program), "--policy-pack", str(tiny_pack), "--format", "markdown")
    assert code == 1
    assert out.startswith("## ❌ eksguard check: FAIL: 2 mandatory violation(s)")
    assert "- `SecurityGroup ssh` (network.py:5) **mandatory**: ingress allows SSH from 0.0.0.0/0" in out
    assert "| Other policies | 2 | 1 | 0 | 0 | 1 | 1 |" in out


def test_show_remediations_prints_the_changes(capsys, tiny_program, tiny_pack, tmp_path) -> None:
    config = tmp_path / "remediate.json"
    config.write_text(json.dumps({"tiny-bucket-owner": "remediate"}))
    args = ["--program", str(tiny_program), "--policy-pack", str(tiny_pack), "--policy-pack-config", str(config)]
    code, out, _ = _run(capsys, *args, "--show-remediations")
    assert code == 1  # the SSH violation remains
    assert "tiny-bucket-owner on urn:pulumi:dev::tinyprog::aws:s3/bucket:Bucket::logs  [__main__.py:9]" in out
    assert '  tags.owner: null -> "platform"' in out
    code, out, _ = _run(capsys, *args, "--show-remediations", "--format", "markdown")
    assert "- `tiny-bucket-owner` on `urn:pulumi:dev::tinyprog::aws:s3/bucket:Bucket::logs` (__main__.py:9)" in out
    assert '  - `tags.owner`: `null` → `"platform"`' in out


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing-program", "program directory"),
        ("missing-config-key", "is missing config key 'tinyprog:cidr'"),
        ("pack-fails", "failed to start"),
        ("malformed-config", "is not valid JSON"),
        ("unknown-format", "argument --format: invalid choice: 'xml'"),
        ("program-raises", "the program raised ValueError: bad cidr"),
    ],
)
def test_bad_input_exits_2_with_one_message_and_writes_nothing(capsys, tmp_path, tiny_pack, case, message) -> None:
    program = make_program(tmp_path / "prog")
    pack = tiny_pack
    args = ["--format", "json"]
    if case == "missing-program":
        program = tmp_path / "nowhere"
    elif case == "missing-config-key":
        program = make_program(tmp_path / "noconf", config="  aws:region: eu-west-1\n")
    elif case == "pack-fails":
        pack = write_files(
            tmp_path / "broken",
            {"PulumiPolicy.yaml": "runtime: python\n", "__main__.py": "raise SystemExit('no policies')\n"},
        )
    elif case == "malformed-config":
        (tmp_path / "bad.json").write_text("{oops")
        args += ["--policy-pack-config", str(tmp_path / "bad.json")]
    elif case == "unknown-format":
        args = ["--format", "xml"]
    elif case == "program-raises":
        program = make_program(tmp_path / "raises", main="raise ValueError('bad cidr')\n")
    output = tmp_path / "out" / "report.json"
    output.parent.mkdir()
    with pytest.raises(SystemExit) if case == "unknown-format" else contextlib.nullcontext() as exit_info:
        code = main(
            [
                "check",
                "--no-progress",
                "--program",
                str(program),
                "--policy-pack",
                str(pack),
                "--output",
                str(output),
                *args,
            ]
        )
    if case == "unknown-format":
        code = exit_info.value.code
    out, err = capsys.readouterr()
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 or case == "program-raises"
    assert out == ""
    assert not output.exists()


def test_a_raising_program_shows_its_traceback_through_python_m(tmp_path, tiny_pack) -> None:
    program = make_program(
        tmp_path / "prog",
        main="""
        import network

        def plan():
            return network.missing_function()

        plan()
    """,
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "eksguard",
            "check",
            "--no-progress",
            "--program",
            str(program),
            "--policy-pack",
            str(tiny_pack),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "the program raised AttributeError" in proc.stderr
    assert f'File "{program / "__main__.py"}", line 4, in plan' in proc.stderr
    assert "eksguard/engine" not in proc.stderr and "site-packages" not in proc.stderr


def test_source_root_sets_what_paths_are_relative_to(capsys, tmp_path, tiny_pack) -> None:
    program = make_program(tmp_path / "mono" / "teams" / "a")
    code, out, _ = _run(
        capsys,
        "--program",
        str(program),
        "--policy-pack",
        str(tiny_pack),
        "--format",
        "sarif",
        "--source-root",
        str(tmp_path / "mono"),
    )
    assert code == 1
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in json.loads(out)["runs"][0]["results"]
    }
    assert uris == {"teams/a/network.py", "teams/a/__main__.py"}


def test_check_works_without_the_audit_module(capsys, monkeypatch, tiny_program, tiny_pack) -> None:
    monkeypatch.setitem(sys.modules, "eksguard.audit", None)  # as if not built yet
    code, out, _ = _run(capsys, "--program", str(tiny_program), "--policy-pack", str(tiny_pack), "--format", "json")
    assert code == 1 and json.loads(out)["tool"]["command"] == "check"
    with pytest.raises(SystemExit) as exit_info:
        main(["audit"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'audit'" in capsys.readouterr().err
