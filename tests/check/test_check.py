"""The policy run: the pack decides, over the analyzer protocol; check only collects and groups."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from eksguard_policies.catalogue import load_catalogue

from eksguard.check import CheckOptions, run_check
from eksguard.engine import UsageError
from tests.check.conftest import (
    make_program,
    violations_from_the_pack_driven_directly,
    violations_in,
    write_files,
)

TINY = ("tiny-no-world-ssh", "tiny-sg-in-known-vpc", "tiny-bucket-owner", "tiny-no-lambda", "tiny-one-vpc")
SG_URN = "urn:pulumi:dev::tinyprog::aws:ec2/securityGroup:SecurityGroup::ssh"
BUCKET_URN = "urn:pulumi:dev::tinyprog::aws:s3/bucket:Bucket::logs"
EMPTY_CATALOGUE = load_catalogue(Path("/nonexistent"))


def _check(program: Path, pack: Path, tmp_path: Path, config: dict | None = None, **kw) -> object:
    configs = []
    if config is not None:
        path = tmp_path / "policy-config.json"
        path.write_text(json.dumps(config))
        configs = [path]
    options = CheckOptions(program=program, stack="dev", policy_packs=[pack], policy_pack_configs=configs, **kw)
    return run_check(options, catalogue=EMPTY_CATALOGUE)


def _statuses(report) -> dict[str, str]:
    return {r.control.id: r.status for r in report.results}


def test_each_policy_gets_its_verdict(tiny_program: Path, tiny_pack: Path, tmp_path: Path) -> None:
    outcome = _check(tiny_program, tiny_pack, tmp_path)
    report = outcome.report
    assert _statuses(report) == {
        "tiny-no-world-ssh": "violated",
        "tiny-sg-in-known-vpc": "not_checkable",
        "tiny-bucket-owner": "violated",
        "tiny-no-lambda": "not_applicable",
        "tiny-one-vpc": "passed",
    }
    ssh = next(r for r in report.results if r.control.id == "tiny-no-world-ssh")
    [finding] = ssh.findings
    assert (finding.resource, finding.message, finding.level) == (
        SG_URN,
        "ingress allows SSH from 0.0.0.0/0",
        "mandatory",
    )
    assert (finding.location.file, finding.location.line) == ("network.py", 5)
    unknown = next(r for r in report.results if r.control.id == "tiny-sg-in-known-vpc")
    assert "vpcId can't be known during preview" in unknown.reason
    lam = next(r for r in report.results if r.control.id == "tiny-no-lambda")
    assert lam.reason == "not a function"
    assert report.exit_code() == 1
    assert report.target["mode"] == "preview" and report.target["resources"] == 3


def test_assume_apply_makes_apply_time_values_checkable(tiny_program: Path, tiny_pack: Path, tmp_path: Path) -> None:
    report = _check(tiny_program, tiny_pack, tmp_path, assume_apply=True).report
    assert _statuses(report)["tiny-sg-in-known-vpc"] == "passed"
    assert report.target["mode"] == "apply"


def test_policy_config_sets_levels_and_disables(tiny_program: Path, tiny_pack: Path, tmp_path: Path) -> None:
    config = {"tiny-no-world-ssh": "advisory", "tiny-bucket-owner": {"enforcementLevel": "disabled"}}
    report = _check(tiny_program, tiny_pack, tmp_path, config=config).report
    statuses = _statuses(report)
    assert statuses["tiny-no-world-ssh"] == "violated"
    assert statuses["tiny-bucket-owner"] == "not_applicable"
    assert [f.level for r in report.results for f in r.findings if r.status == "violated"] == ["advisory"]
    assert report.exit_code() == 0


def test_all_level_applies_to_every_policy(tiny_program: Path, tiny_pack: Path, tmp_path: Path) -> None:
    report = _check(tiny_program, tiny_pack, tmp_path, config={"all": "disabled"}).report
    assert set(_statuses(report).values()) == {"not_applicable"}


def test_remediation_fixes_before_analysis(tiny_program: Path, tiny_pack: Path, tmp_path: Path) -> None:
    outcome = _check(tiny_program, tiny_pack, tmp_path, config={"tiny-bucket-owner": "remediate"})
    assert _statuses(outcome.report)["tiny-bucket-owner"] == "passed"
    [record] = outcome.remediations
    assert (record.urn, record.policy) == (BUCKET_URN, "tiny-bucket-owner")
    assert [(c.path, c.before, c.after) for c in record.changes] == [("tags.owner", None, "platform")]
    bucket = next(r for r in outcome.run.resources if r.resource.urn == BUCKET_URN)
    assert bucket.resource.properties["tags"] == {"team": "a", "owner": "platform"}
    assert outcome.report.extra["remediations"][0]["changes"] == [
        {"path": "tags.owner", "before": None, "after": "platform"}
    ]


@pytest.mark.parametrize(
    ("config_text", "message"),
    [
        ("{not json", r"is not valid JSON"),
        ('["tiny-no-lambda"]', r"must be a JSON object"),
        ('{"tiny-nope": "mandatory"}', r"names policy 'tiny-nope', which pack 'tiny-pack' does not have"),
        ('{"tiny-no-lambda": "strict"}', r"enforcement level 'strict' is not one of advisory, mandatory"),
        ('{"tiny-no-lambda": {"enforcementLevel": "loud"}}', r"enforcement level 'loud'"),
        ('{"tiny-no-lambda": 3}', r"expected a level or an object, got int"),
    ],
)
def test_malformed_policy_config_is_a_usage_error(
    tiny_program: Path, tiny_pack: Path, tmp_path: Path, config_text: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(config_text)
    options = CheckOptions(program=tiny_program, policy_packs=[tiny_pack], policy_pack_configs=[path])
    with pytest.raises(UsageError, match=message):
        run_check(options, catalogue=EMPTY_CATALOGUE)


def test_settings_are_validated_against_the_policy_schema(tiny_program: Path, tmp_path: Path) -> None:
    pack = write_files(
        tmp_path / "schema-pack",
        {
            "PulumiPolicy.yaml": "runtime: python\n",
            "__main__.py": """
            from pulumi_policy import EnforcementLevel, PolicyPack, PolicyConfigSchema, ResourceValidationPolicy

            def max_port(args, report_violation):
                limit = args.get_config()["maxPort"]
                for rule in args.props.get("ingress") or []:
                    if (rule.get("toPort") or 0) > limit:
                        report_violation(f"port {rule['toPort']:.0f} above {limit:.0f}")

            PolicyPack(name="schema-pack", enforcement_level=EnforcementLevel.MANDATORY, policies=[
                ResourceValidationPolicy(name="max-port", description="Ports stay low.", validate=max_port,
                    config_schema=PolicyConfigSchema(properties={"maxPort": {"type": "integer", "default": 10}}))])
        """,
        },
    )
    bad = tmp_path / "bad.json"
    bad.write_text('{"max-port": {"maxPort": "high"}}')
    with pytest.raises(UsageError, match=r"policy 'max-port'.*setting maxPort: 'high' is not of type 'integer'"):
        run_check(
            CheckOptions(program=tiny_program, policy_packs=[pack], policy_pack_configs=[bad]),
            catalogue=EMPTY_CATALOGUE,
        )
    # the schema default (10) flags port 22; a configured 100 does not
    report = _check(tiny_program, pack, tmp_path).report
    assert [f.message for r in report.results for f in r.findings] == ["port 22 above 10"]
    report = _check(tiny_program, pack, tmp_path, config={"max-port": {"maxPort": 100}}).report
    assert _statuses(report) == {"max-port": "passed"}


def test_a_pack_that_fails_to_start_is_a_usage_error(tiny_program: Path, tmp_path: Path) -> None:
    pack = write_files(
        tmp_path / "broken-pack",
        {
            "PulumiPolicy.yaml": "runtime: python\n",
            "__main__.py": "raise ImportError('eksguard_rules is not installed')\n",
        },
    )
    with pytest.raises(UsageError, match=r"failed to start: ImportError: eksguard_rules is not installed"):
        run_check(CheckOptions(program=tiny_program, policy_packs=[pack]), catalogue=EMPTY_CATALOGUE)


def test_a_directory_without_pulumipolicy_yaml_is_a_usage_error(tiny_program: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"is not a policy pack directory \(no PulumiPolicy\.yaml\)"):
        run_check(CheckOptions(program=tiny_program, policy_packs=[tmp_path]), catalogue=EMPTY_CATALOGUE)


def test_check_reproduces_the_pack_driven_directly(tiny_program: Path, tiny_pack: Path, tmp_path: Path) -> None:
    """Same resources, the pack driven by hand over the protocol: the same (policy, resource, message) set."""
    outcome = _check(tiny_program, tiny_pack, tmp_path)
    direct = violations_from_the_pack_driven_directly(tiny_pack, outcome.run)
    assert violations_in(outcome.report) == direct
    assert {p for p, _, _ in direct} == {"tiny-no-world-ssh", "tiny-bucket-owner"}


def test_catalogue_controls_without_a_policy_are_not_applicable(
    tiny_program: Path, tiny_pack: Path, tmp_path: Path
) -> None:
    catalogue = load_catalogue(
        write_files(
            tmp_path / "controls",
            {
                "net.toml": """
        [[control]]
        id = "tiny-no-world-ssh"
        title = "No SSH from the internet"
        area = "data-plane-security-groups"
        severity = "critical"
        description = "Open SSH invites brute force."
        remediation = "Allow SSH only from a bastion security group."
        component = "eksguard:index:DataPlaneSecurityGroups"

        [[control]]
        id = "audit-only-control"
        title = "Checked only live"
        area = "audit-logging"
        severity = "low"
        description = "d"
        remediation = "r"
        component = "eksguard:index:AuditTrail"
    """
            },
        )
    )
    options = CheckOptions(program=tiny_program, policy_packs=[tiny_pack])
    report = run_check(options, catalogue=catalogue).report
    by_id = {r.control.id: r for r in report.results}
    assert by_id["tiny-no-world-ssh"].control.area == "data-plane-security-groups"
    assert by_id["tiny-no-world-ssh"].control.component == "eksguard:index:DataPlaneSecurityGroups"
    assert by_id["tiny-no-world-ssh"].status == "violated"
    assert by_id["audit-only-control"].status == "not_applicable"
    assert by_id["audit-only-control"].reason == "no policy in the pack(s) run checks it"
    # catalogue areas first, in catalogue.AREAS order; pack-only policies last
    assert [r.control.area for r in report.results][:2] == ["data-plane-security-groups", "audit-logging"]
    assert report.results[-1].control.area == "other-policies"


def test_program_without_resources(tmp_path: Path, tiny_pack: Path) -> None:
    program = make_program(tmp_path / "empty", main="import pulumi\n")
    report = _check(program, tiny_pack, tmp_path).report
    assert _statuses(report) == {
        "tiny-no-world-ssh": "not_applicable",
        "tiny-sg-in-known-vpc": "not_applicable",
        "tiny-bucket-owner": "not_applicable",
        "tiny-no-lambda": "not_applicable",
        "tiny-one-vpc": "violated",  # the stack policy still runs: zero VPCs
    }
    [finding] = next(r for r in report.results if r.control.id == "tiny-one-vpc").findings
    assert finding.message == "stack declares 0 VPCs; expected 1"
    assert finding.resource == "urn:pulumi:dev::tinyprog::pulumi:pulumi:Stack::tinyprog-dev"
    assert (finding.location.file, finding.location.line) == ("__main__.py", 1)


def test_several_packs_each_with_its_own_config(tiny_program: Path, tiny_pack: Path, tmp_path: Path) -> None:
    second = write_files(
        tmp_path / "second-pack",
        {
            "PulumiPolicy.yaml": "runtime: python\n",
            "__main__.py": """
            from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

            def vpc_cidr(args, report_violation):
                if args.resource_type != "aws:ec2/vpc:Vpc":
                    args.not_applicable("not a VPC")
                if args.props["cidrBlock"] == "10.0.0.0/16":
                    report_violation("VPC uses the default plan's CIDR")

            PolicyPack(name="second-pack", enforcement_level=EnforcementLevel.MANDATORY, policies=[
                ResourceValidationPolicy(name="second-vpc-cidr", description="Own CIDR plan.", validate=vpc_cidr)])
        """,
        },
    )
    first_config = tmp_path / "first.json"
    first_config.write_text('{"all": "disabled"}')
    options = CheckOptions(program=tiny_program, policy_packs=[tiny_pack, second], policy_pack_configs=[first_config])
    report = run_check(options, catalogue=EMPTY_CATALOGUE).report
    statuses = _statuses(report)
    assert statuses["second-vpc-cidr"] == "violated"
    assert {statuses[p] for p in TINY} == {"not_applicable"}
    assert [p["name"] for p in report.target["policy_packs"]] == ["tiny-pack", "second-pack"]
    # a config the second pack does not know is refused against that pack
    second_config = tmp_path / "second.json"
    second_config.write_text('{"tiny-no-lambda": "mandatory"}')
    with pytest.raises(UsageError, match="names policy 'tiny-no-lambda', which pack 'second-pack' does not have"):
        run_check(
            CheckOptions(
                program=tiny_program,
                policy_packs=[tiny_pack, second],
                policy_pack_configs=[first_config, second_config],
            ),
            catalogue=EMPTY_CATALOGUE,
        )


def test_more_configs_than_packs_is_a_usage_error(tiny_program: Path, tiny_pack: Path, tmp_path: Path) -> None:
    config = tmp_path / "c.json"
    config.write_text("{}")
    with pytest.raises(UsageError, match="more --policy-pack-config files than policy packs"):
        run_check(CheckOptions(program=tiny_program, policy_packs=[tiny_pack], policy_pack_configs=[config, config]))


def test_progress_hooks_follow_the_run(tiny_program: Path, tiny_pack: Path) -> None:
    from eksguard.check import Progress

    class Recorder(Progress):
        def __init__(self) -> None:
            self.events: list[tuple[str, int | None]] = []
            self.advanced: dict[str, int] = {}

        def stage(self, name: str, total: int | None = None) -> None:
            self.events.append((name, total))
            self.advanced[name] = 0

        def advance(self, count: int = 1) -> None:
            self.advanced[self.events[-1][0]] += count

    recorder = Recorder()
    run_check(
        CheckOptions(program=tiny_program, policy_packs=[tiny_pack]), catalogue=EMPTY_CATALOGUE, progress=recorder
    )
    assert recorder.events == [
        ("running program", None),
        ("analyzing with tiny-pack@v0.0.1", 3),
        ("analyzing the stack with tiny-pack@v0.0.1", None),
    ]
    assert recorder.advanced == {
        "running program": 3,
        "analyzing with tiny-pack@v0.0.1": 3,
        "analyzing the stack with tiny-pack@v0.0.1": 0,
    }


def test_a_pack_runs_in_the_virtualenv_its_pulumipolicy_yaml_names(
    tiny_program: Path, tiny_pack: Path, tmp_path: Path
) -> None:
    """As the Pulumi CLI does: runtime.options.virtualenv, relative to the pack, with that venv activated."""
    (tiny_pack / "PulumiPolicy.yaml").write_text("runtime:\n  name: python\n  options:\n    virtualenv: venv\n")
    interpreter = (
        write_files(
            tiny_pack / "venv" / "bin",
            {
                "python": f"""
            #!/bin/sh
            printf '%s' "$VIRTUAL_ENV" > "$(dirname "$0")/../used-by-check"
            exec {sys.executable} "$@"
        """
            },
        )
        / "python"
    )
    interpreter.chmod(0o755)
    report = _check(tiny_program, tiny_pack, tmp_path).report
    assert (tiny_pack / "venv" / "used-by-check").read_text() == str((tiny_pack / "venv").resolve())
    assert _statuses(report)["tiny-no-world-ssh"] == "violated"


def test_a_declared_virtualenv_that_does_not_exist_is_a_usage_error(tiny_program: Path, tiny_pack: Path) -> None:
    (tiny_pack / "PulumiPolicy.yaml").write_text("runtime:\n  name: python\n  options:\n    virtualenv: venv\n")
    with pytest.raises(
        UsageError, match=r"sets runtime\.options\.virtualenv to 'venv', but .*venv is not a virtualenv"
    ):
        run_check(CheckOptions(program=tiny_program, policy_packs=[tiny_pack]), catalogue=EMPTY_CATALOGUE)


def test_a_resource_a_library_creates_in_a_callback_points_at_its_component(tmp_path: Path, tiny_pack: Path) -> None:
    """No frame of the program declared the bucket: the finding takes its parent's line (never no line)."""
    library = write_files(
        tmp_path / "lib",
        {
            "storage.py": """
            import pulumi
            import pulumi_aws as aws

            class Store(pulumi.ComponentResource):
                def __init__(self, name):
                    super().__init__("lib:index:Store", name)
                    pulumi.Output.from_input(name).apply(
                        lambda n: aws.s3.Bucket(f"{n}-bucket", opts=pulumi.ResourceOptions(parent=self))
                    )
        """
        },
    )
    program = make_program(
        tmp_path / "prog",
        main=f"""
        import sys
        sys.path.insert(0, {str(library)!r})
        import storage

        storage.Store("archive")
    """,
    )
    report = _check(program, tiny_pack, tmp_path).report
    [finding] = next(r for r in report.results if r.control.id == "tiny-bucket-owner").findings
    assert finding.resource == "urn:pulumi:dev::tinyprog::lib:index:Store$aws:s3/bucket:Bucket::archive-bucket"
    assert (finding.location.file, finding.location.line) == ("__main__.py", 5)


def test_a_policy_that_raises_is_a_usage_error_naming_pack_and_error(tiny_program: Path, tmp_path: Path) -> None:
    """No verdict rather than one missing a policy's answer (the CLI exits 2, writes nothing)."""
    pack = write_files(
        tmp_path / "raising-pack",
        {
            "PulumiPolicy.yaml": "runtime: python\n",
            "__main__.py": """
            from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

            def broken(args, report_violation):
                raise RuntimeError("policy bug")

            PolicyPack(name="raising-pack", enforcement_level=EnforcementLevel.MANDATORY, policies=[
                ResourceValidationPolicy(name="broken", description="Raises.", validate=broken)])
        """,
        },
    )
    with pytest.raises(UsageError, match=r"^policy pack .*raising-pack: Analyze failed: UNKNOWN: .*policy bug$"):
        run_check(CheckOptions(program=tiny_program, policy_packs=[pack]), catalogue=EMPTY_CATALOGUE)


def test_a_violated_control_keeps_its_not_checkable_findings(tmp_path: Path, tiny_pack: Path) -> None:
    program = make_program(
        tmp_path / "p",
        main="""
        import pulumi_aws as aws
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        aws.ec2.SecurityGroup("known", vpc_id="sg-not-a-vpc")
        aws.ec2.SecurityGroup("pending", vpc_id=vpc.id)
    """,
    )
    report = _check(program, tiny_pack, tmp_path).report
    [result] = [r for r in report.results if r.control.id == "tiny-sg-in-known-vpc"]
    assert result.status == "violated"
    assert [(f.resource_name, f.message) for f in result.findings] == [
        ("known", "security group is not in a known VPC")
    ]
    assert [(f.resource_name, f.message) for f in result.not_checkable] == [
        ("pending", "string value at .vpcId can't be known during preview")
    ]


def test_coverage_counts_what_an_enabled_policy_judged(tiny_program: Path, tiny_pack: Path, tmp_path: Path) -> None:
    """The tiny pack's policies declare no types: a resource counts as judged unless every one declined it."""
    coverage = _check(tiny_program, tiny_pack, tmp_path).report.coverage
    assert (coverage.resources, coverage.judged) == (3, 2)
    assert [(u.type, u.count, u.remote) for u in coverage.not_judged] == [("aws:ec2/vpc:Vpc", 1, False)]
    # disabling the policy that judged the bucket leaves it unjudged
    coverage = _check(tiny_program, tiny_pack, tmp_path, config={"tiny-bucket-owner": "disabled"}).report.coverage
    assert [(u.type, u.count) for u in coverage.not_judged] == [("aws:ec2/vpc:Vpc", 1), ("aws:s3/bucket:Bucket", 1)]


OFFLINE_PACK = """
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy

SG = "aws:ec2/securityGroup:SecurityGroup"


def account_only(args, report_violation):
    if args.resource_type != SG:
        args.not_applicable("not a security group")
    args.not_applicable("not checkable offline: the account's default security group rules decide")


def some_offline(args, report_violation):
    if args.resource_type != SG:
        args.not_applicable("not a security group")
    if args.name == "open":
        report_violation("open to the world")
        return
    args.not_applicable("not checkable offline: its prefix list is outside the stack")


def trail_elsewhere(args, report_violation):
    args.not_applicable("not checkable offline: the trail is account-level (set checkAccount)")


def plainly_not_applicable(args, report_violation):
    args.not_applicable("not a function")


PolicyPack(
    name="offline-pack",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(name="account-only", description="Decided by the account.", validate=account_only),
        ResourceValidationPolicy(name="some-offline", description="Partly offline.", validate=some_offline),
        StackValidationPolicy(name="trail-elsewhere", description="A trail somewhere.", validate=trail_elsewhere),
        ResourceValidationPolicy(name="no-lambda", description="No functions.", validate=plainly_not_applicable),
    ],
)
"""


def test_not_checkable_offline_is_its_own_verdict_never_a_pass(tmp_path: Path) -> None:
    """The pack's not-applicable answers whose reason starts "not checkable offline: " (framework.OFFLINE_MARKER)."""
    pack = write_files(
        tmp_path / "offline-pack",
        {"PulumiPolicy.yaml": "runtime: python\ndescription: offline answers\n", "__main__.py": OFFLINE_PACK},
    )
    program = make_program(
        tmp_path / "p",
        main="""
        import pulumi_aws as aws
        aws.ec2.SecurityGroup("open", vpc_id="vpc-1")
        aws.ec2.SecurityGroup("closed", vpc_id="vpc-1")
    """,
    )
    report = _check(program, pack, tmp_path).report
    results = {r.control.id: r for r in report.results}
    assert _statuses(report) == {
        "account-only": "not_checkable_offline",
        "some-offline": "violated",
        "trail-elsewhere": "not_checkable_offline",
        "no-lambda": "not_applicable",
    }
    assert [(f.resource_name, f.message) for f in results["account-only"].findings] == [
        ("open", "the account's default security group rules decide"),
        ("closed", "the account's default security group rules decide"),
    ]
    assert results["account-only"].reason == (
        "cannot be decided from the program alone (the account's default security group rules decide)"
    )
    assert [(f.resource, f.message) for f in results["trail-elsewhere"].findings] == [
        ("urn:pulumi:dev::tinyprog::pulumi:pulumi:Stack::tinyprog-dev", "the trail is account-level (set checkAccount)")
    ]
    some = results["some-offline"]
    assert [f.resource_name for f in some.findings] == ["open"]
    assert [(f.resource_name, f.message) for f in some.not_checkable_offline] == [
        ("closed", "its prefix list is outside the stack")
    ]
    assert report.totals()["not_checkable_offline"] == 2
    assert report.exit_code() == 1  # the mandatory violation; offline answers alone never fail a check
    report.results = [r for r in report.results if r.control.id != "some-offline"]
    assert report.exit_code() == 0
