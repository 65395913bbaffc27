"""docs/usage.md stays true and complete: it shows every way of use, its commands parse, its option tables
list exactly the commands' options, its links and anchors resolve, its Python imports exist, its CI snippet
uploads the SARIF that its check writes, and the IAM policy it gives ``eksguard audit`` allows exactly reads,
covering every AWS call the audit makes."""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from eksguard.cli import build_parser

REPO_ROOT = Path(__file__).resolve().parents[2]
USAGE = REPO_ROOT / "docs" / "usage.md"
TEXT = USAGE.read_text()
_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)
# boto3 operation -> IAM action where they differ; None: no permission needed.
# Where an API operation's IAM action has another name (S3 and S3 Control), or needs no permission (STS).
ACTION_EXCEPTIONS = {
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3control:GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
    "sts:GetCallerIdentity": None,
    "efs:DescribeFileSystems": "elasticfilesystem:DescribeFileSystems",  # boto3's "efs", IAM's "elasticfilesystem"
}


def _blocks(language: str) -> list[str]:
    return [body for lang, body in _BLOCK.findall(TEXT) if lang == language]


def _eksguard_commands() -> list[list[str]]:
    commands = []
    for block in _blocks("sh"):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["eksguard"]:
                commands.append(words[1:])
    return commands


def test_every_eksguard_command_in_the_guide_parses() -> None:
    commands = _eksguard_commands()
    assert {c[0] for c in commands} == {"check", "audit"}
    for command in commands:
        try:
            build_parser().parse_args(command)
        except SystemExit as exc:  # argparse's way of refusing
            raise AssertionError(f"eksguard {shlex.join(command)} does not parse") from exc


def test_the_guide_shows_every_way_of_use() -> None:
    """The issue's list: pulumi up, preview with the pack, components from Python and other languages,
    check in CI with the SARIF upload, audit."""
    shown = "\n".join(_blocks("sh") + _blocks("yaml") + _blocks("python"))
    for usage in (
        "pulumi up --policy-pack policies",
        "pulumi preview --policy-pack policies",
        "pulumi policy publish",
        "from components.",
        "pulumi package add",
        "eksguard check",
        "github/codeql-action/upload-sarif",
        "eksguard audit",
    ):
        assert usage in shown, usage
    assert {lang for lang, _ in _BLOCK.findall(TEXT)} >= {"typescript", "go", "csharp"}


def _subcommand_options(name: str) -> set[str]:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {s for action in commands.choices[name]._actions for s in action.option_strings} - {"-h", "--help"}


def _documented_options(name: str) -> set[str]:
    table = TEXT[TEXT.index(f"<!-- options: {name} ") :].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return {option for row in rows for option in re.findall(r"`(--?[a-z][a-z-]*)", row.split("|")[1])}


@pytest.mark.parametrize("command", ["check", "audit"])
def test_the_option_table_lists_exactly_the_command_options(command: str) -> None:
    assert _documented_options(command) == _subcommand_options(command)


def test_the_ci_snippet_uploads_the_sarif_its_check_writes() -> None:
    (snippet,) = _blocks("yaml")
    job = yaml.safe_load(snippet)
    assert job["permissions"]["security-events"] == "write"
    check = next(step for step in job["steps"] if "eksguard check" in step.get("run", ""))
    line = next(line for line in check["run"].splitlines() if "eksguard check" in line)
    args = build_parser().parse_args(shlex.split(line.split("-m eksguard", 1)[1]))
    assert args.format == "sarif"
    upload = next(step for step in job["steps"] if step.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] == str(args.output)
    assert upload["if"].startswith("always()")
    verdict = job["steps"][-1]
    assert (verdict["if"], verdict["run"]) == (f"steps.{check['id']}.outputs.exit_code != '0'", "exit 1")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")


def test_every_anchor_names_a_heading() -> None:
    headings = {_slug(h) for h in re.findall(r"^#+ (.+)$", TEXT, re.M)}
    anchors = set(re.findall(r"\]\(#([^)]+)\)", TEXT))
    assert anchors, "the guide's table links its sections"
    assert sorted(anchors - headings) == []


def test_every_relative_link_resolves() -> None:
    links = [target.split("#")[0] for target in re.findall(r"\]\(([^)]+)\)", TEXT)]
    relative = [t for t in links if t and not t.startswith(("http://", "https://"))]
    assert relative, "the guide links the files it describes"
    assert sorted(t for t in relative if not (USAGE.parent / t).exists()) == []


def test_python_snippets_compile_and_import_what_exists() -> None:
    for block in _blocks("python"):
        tree = ast.parse(block)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("components"):
                module = importlib.import_module(node.module)
                assert all(hasattr(module, alias.name) for alias in node.names), node.module


def _audit_policy() -> dict:
    marker = TEXT.index("<!-- audit-iam-policy")
    return json.loads(_BLOCK.search(TEXT, marker).group(2))


def _audit_calls() -> set[str]:
    """IAM actions for every operation the audit's read-only session lets through (its exact allow-list)."""
    from eksguard.audit.session import ALLOWED_OPERATIONS

    called = {f"{service}:{op}" for service, ops in ALLOWED_OPERATIONS.items() for op in ops}
    return {ACTION_EXCEPTIONS.get(a, a) for a in called} - {None}


def _granted() -> list[str]:
    statements = _audit_policy()["Statement"]
    return [a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]


def test_the_audit_policy_allows_only_reads() -> None:
    actions = _granted()
    assert all(s["Effect"] == "Allow" for s in _audit_policy()["Statement"])
    assert [a for a in actions if not re.fullmatch(r"[a-z0-9]+:(BatchGet|Describe|Get|List)[A-Za-z]+", a)] == []


def test_the_audit_policy_covers_every_call_the_audit_makes() -> None:
    granted = set(_granted())
    calls = _audit_calls()
    assert calls, "no AWS call found in eksguard/audit"
    assert sorted(calls - granted) == [], "add these actions to the policy in docs/usage.md"
    assert sorted(granted - calls) == [], "the policy grants actions the audit never uses"
