"""The reporters render any Report, including the audit's (ARN and region, no source location)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from eksguard_policies.catalogue import Control, References

from eksguard.reporters import FORMATS, render
from eksguard.reporters.model import ControlResult, Finding, Report, SourceLocation

REPO = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
REPORT_SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text())
ARN = "arn:aws:eks:eu-west-1:123456789012:cluster/prod"


def _control(cid: str, area: str, severity: str = "high") -> Control:
    return Control(
        id=cid,
        title=f"title of {cid}",
        area=area,
        severity=severity,
        description="why",
        remediation="do this",
        component="eksguard:index:Cluster",
        references=References(cis=("5.4.2",), security_hub=("EKS.1",)),
    )


def _audit_report() -> Report:
    return Report(
        tool="audit",
        target={"account": "123456789012", "regions": ["eu-west-1"]},
        results=[
            ControlResult(
                _control("eks-endpoint-public-access", "network-controls"),
                "violated",
                findings=[
                    Finding(
                        "eks-endpoint-public-access",
                        ARN,
                        "endpoint is public",
                        level="mandatory",
                        resource_type="AWS::EKS::Cluster",
                        resource_name="prod",
                        region="eu-west-1",
                        fix={
                            "component": "eksguard:index:Cluster",
                            "import_command": "pulumi import aws:eks/cluster:Cluster prod prod",
                            "snippet": 'Cluster("prod", ClusterArgs(subnet_ids=["subnet-1"]))',
                        },
                    ),
                ],
            ),
            ControlResult(
                _control("cloudtrail-multi-region", "audit-logging"),
                "not_assessed",
                reason="AccessDenied on cloudtrail:DescribeTrails",
            ),
            ControlResult(_control("kms-key-rotation", "platform-iam-rbac", "medium"), "passed", resources_evaluated=2),
        ],
        generated_at="2026-11-28T12:00:00Z",
    )


def test_audit_report_json_validates() -> None:
    document = json.loads(render(_audit_report(), "json"))
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(document)
    assert document["tool"]["command"] == "audit"
    [finding] = document["areas"][3]["controls"][0]["findings"]
    assert (finding["resource"], finding["region"], finding["location"]) == (ARN, "eu-west-1", None)
    assert [a["id"] for a in document["areas"]] == [
        "data-plane-security-groups",
        "worker-nodes-containers",
        "guest-os-patching",
        "network-controls",
        "platform-iam-rbac",
        "audit-logging",
    ]


def test_audit_report_sarif_validates_and_every_result_has_a_physical_location() -> None:
    """GitHub code scanning rejects the whole upload if any result lacks one."""
    document = json.loads(render(_audit_report(), "sarif"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    [result] = document["runs"][0]["results"]
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "aws/eks/eu-west-1/123456789012/cluster/prod"},
                "region": {"startLine": 1},
            },
            "logicalLocations": [{"fullyQualifiedName": ARN, "kind": "resource"}],
        }
    ]
    assert result["properties"]["region"] == "eu-west-1"
    rule = document["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["properties"]["security-severity"] == "8.0"
    assert "Component that implements the fix: eksguard:index:Cluster" in rule["help"]["text"]
    assert "CIS EKS 5.4.2" in rule["help"]["text"]


@pytest.mark.parametrize(
    ("resource", "region", "uri"),
    [
        ("arn:aws:iam::123456789012:role/nodes", "", "aws/iam/123456789012/role/nodes"),
        (
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/eks/prod:*",
            "",
            "aws/logs/eu-west-1/123456789012/log-group/aws/eks/prod/%2A",
        ),
        ("sg-0123", "eu-west-1", "eu-west-1/sg-0123"),
    ],
)
def test_sarif_names_a_path_for_resources_without_a_source_line(resource: str, region: str, uri: str) -> None:
    report = _audit_report()
    finding = report.results[0].findings[0]
    finding.resource, finding.region = resource, region
    [result] = json.loads(render(report, "sarif"))["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri


def test_sarif_location_and_level_follow_the_finding() -> None:
    report = _audit_report()
    finding = report.results[0].findings[0]
    finding.location = SourceLocation("stacks/net.py", 12)
    finding.level = "advisory"
    [result] = json.loads(render(report, "sarif"))["runs"][0]["results"]
    assert result["level"] == "warning"
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "stacks/net.py"},
        "region": {"startLine": 12},
    }


def test_markdown_and_terminal_show_region_and_reasons() -> None:
    markdown = render(_audit_report(), "markdown")
    assert "- `Cluster prod` (eu-west-1) **mandatory**: endpoint is public" in markdown
    assert "_not assessed: AccessDenied on cloudtrail:DescribeTrails_" in markdown
    assert "**Fixed by component** `eksguard:index:Cluster`." in markdown
    terminal = render(_audit_report(), "terminal", width=160)
    assert "[eu-west-1]: endpoint is public" in terminal
    assert "AccessDenied on cloudtrail:DescribeTrails" in terminal
    assert "FAIL: 1 mandatory violation(s)" in terminal


def test_markdown_and_terminal_show_the_audit_remediation_plan() -> None:
    markdown = render(_audit_report(), "markdown")
    assert "  pulumi import aws:eks/cluster:Cluster prod prod" in markdown
    assert '  Cluster("prod", ClusterArgs(subnet_ids=["subnet-1"]))' in markdown
    terminal = render(_audit_report(), "terminal", width=160)
    assert "eks-endpoint-public-access: Cluster prod -> eksguard:index:Cluster" in terminal
    assert "pulumi import aws:eks/cluster:Cluster prod prod" in terminal
    assert 'Cluster("prod", ClusterArgs(subnet_ids=["subnet-1"]))' in terminal


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_an_empty_report(fmt: str) -> None:
    text = render(Report(tool="check", target={}, results=[], generated_at="2026-11-28T12:00:00Z"), fmt)
    assert text.strip()


def test_unknown_format_is_refused_with_the_accepted_values() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'; accepted values: terminal, json, sarif, markdown"):
        render(_audit_report(), "xml")


@pytest.mark.parametrize(("enabled", "drawn"), [(True, True), (False, False)])
def test_the_progress_display_draws_each_stage_with_its_count(enabled: bool, drawn: bool) -> None:
    import io

    from rich.console import Console

    from eksguard.reporters.terminal import RichProgress

    screen = io.StringIO()
    with RichProgress(enabled=enabled, console=Console(file=screen, force_terminal=True, width=100)) as progress:
        progress.stage("running program")
        progress.advance(3)
        progress.stage("analyzing with eksguard@v0.1.0", 8003)
        progress.advance(4000)
        progress._progress.refresh()
    text = screen.getvalue()
    assert ("analyzing with eksguard@v0.1.0" in text and "4000/8003" in text) is drawn
    assert bool(text) is drawn


def _check_report() -> Report:
    from eksguard.reporters.model import Coverage, UnjudgedType

    urn = "urn:pulumi:dev::p::aws:ec2/securityGroup:SecurityGroup::"
    return Report(
        tool="check",
        target={"program": "p", "stack": "dev"},
        results=[
            ControlResult(
                _control("sg-no-world-ssh", "data-plane-security-groups"),
                "violated",
                findings=[Finding("sg-no-world-ssh", urn + "open", "SSH from 0.0.0.0/0", level="mandatory")],
                not_checkable=[Finding("sg-no-world-ssh", urn + "later", "cidrBlocks can't be known during preview")],
            )
        ],
        generated_at="2026-11-28T12:00:00Z",
        coverage=Coverage(
            resources=5,
            judged=2,
            not_judged=(
                UnjudgedType("eks:index:Cluster", 2, remote=True),
                UnjudgedType("kubernetes:helm.sh/v3:Release", 1),
            ),
            unanswered_invokes=("aws:ec2/getAmi:getAmi",),
        ),
    )


JUDGED = "2 of 5 resources judged by a policy; 3 are of types no policy judges"
REMOTE_CLUSTER = "eks:index:Cluster x2 (component of another plugin: a real preview would show its children)"


@pytest.mark.parametrize("fmt", ["terminal", "markdown"])
def test_text_reports_show_coverage_and_not_checkable_beside_violations(fmt: str) -> None:
    text = render(_check_report(), fmt)
    assert JUDGED in text
    assert "kubernetes:helm.sh/v3:Release" in text and "x1" in text
    assert "a real preview would show its children" in text
    assert "aws:ec2/getAmi:getAmi" in text
    assert "cidrBlocks can't be known during preview" in text and "SSH from 0.0.0.0/0" in text


def test_json_report_carries_coverage_and_not_checkable() -> None:
    document = json.loads(render(_check_report(), "json"))
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(document)
    assert document["coverage"] == {
        "resources": 5,
        "judged": 2,
        "not_judged": [
            {"type": "eks:index:Cluster", "count": 2, "remote": True},
            {"type": "kubernetes:helm.sh/v3:Release", "count": 1, "remote": False},
        ],
        "unanswered_invokes": ["aws:ec2/getAmi:getAmi"],
    }
    [control] = document["areas"][0]["controls"]
    assert [f["message"] for f in control["not_checkable"]] == ["cidrBlocks can't be known during preview"]
    assert json.loads(render(_audit_report(), "json"))["coverage"] is None


def test_sarif_notifies_what_no_policy_judged() -> None:
    document = json.loads(render(_check_report(), "sarif"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    run = document["runs"][0]
    notes = [(n["level"], n["message"]["text"]) for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert notes == [
        ("note", JUDGED),
        ("warning", f"no policy judged {REMOTE_CLUSTER}"),
        ("warning", "no policy judged kubernetes:helm.sh/v3:Release x1"),
        (
            "warning",
            "invokes nothing answered (their results were unknown; add --fixtures or --live-lookups): "
            "aws:ec2/getAmi:getAmi",
        ),
    ]
    assert run["properties"]["coverage"]["judged"] == 2
    # a not-checkable finding is no alert: only the violation is a result
    assert [r["message"]["text"] for r in run["results"]] == ["SSH from 0.0.0.0/0"]


def _offline_report() -> Report:
    stack = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev"
    node = "urn:pulumi:dev::p::aws:ec2/launchTemplate:LaunchTemplate::nodes"
    return Report(
        tool="check",
        target={"program": "p", "stack": "dev"},
        results=[
            ControlResult(
                _control("stack-multi-region-trail", "audit-logging"),
                "not_checkable_offline",
                findings=[Finding("stack-multi-region-trail", stack, "the trail is account-level (set checkAccount)")],
                reason="cannot be decided from the program alone (the trail is account-level (set checkAccount))",
            ),
            ControlResult(
                _control("nodegroup-ami-age", "guest-os-patching", "medium"),
                "violated",
                findings=[Finding("nodegroup-ami-age", node, "imageId is 400 days old", level="advisory")],
                not_checkable_offline=[Finding("nodegroup-ami-age", node + "-b", "needs EC2 DescribeImages")],
            ),
            ControlResult(_control("kms-key-rotation", "platform-iam-rbac", "medium"), "passed", resources_evaluated=2),
        ],
        generated_at="2026-11-28T12:00:00Z",
    )


OFFLINE_VERDICT = "PASS with advisories (1 violated, 1 not checkable offline, 1 passed)"


@pytest.mark.parametrize("fmt", ["terminal", "markdown"])
def test_text_reports_show_not_checkable_offline_as_its_own_outcome(fmt: str) -> None:
    text = render(_offline_report(), fmt, width=200)
    assert OFFLINE_VERDICT in text
    assert "the trail is account-level (set checkAccount)" in text  # the control's finding, in the details
    assert "not checkable offline on 1 resource(s)" in text and "needs EC2 DescribeImages" in text
    if fmt == "markdown":
        assert "| Audit logging | 0 | 0 | 1 | 0 | 0 | 0 |" in text
        assert "🔌 not checkable offline |" in text


def test_json_and_sarif_carry_not_checkable_offline() -> None:
    document = json.loads(render(_offline_report(), "json"))
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(document)
    assert document["schema_version"] == "1.2"
    assert document["totals"]["not_checkable_offline"] == 1
    controls = {c["id"]: c for a in document["areas"] for c in a["controls"]}
    assert controls["stack-multi-region-trail"]["status"] == "not_checkable_offline"
    assert [f["message"] for f in controls["nodegroup-ami-age"]["not_checkable_offline"]] == [
        "needs EC2 DescribeImages"
    ]
    sarif = json.loads(render(_offline_report(), "sarif"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    run = sarif["runs"][0]
    notes = [(n["level"], n["message"]["text"]) for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert notes == [
        (
            "warning",
            "stack-multi-region-trail is not checkable offline: cannot be decided from the program alone "
            "(the trail is account-level (set checkAccount))",
        )
    ]
    assert [r["ruleId"] for r in run["results"]] == ["nodegroup-ami-age"]  # what is undecided is no alert
    assert run["properties"]["totals"]["not_checkable_offline"] == 1
