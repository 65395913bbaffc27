"""``eksguard audit`` from the command line against the moto server: formats, exit codes, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from eksguard.audit.cli import main

REGION = "eu-central-1"  # the environment's credentials act in moto's default account, empty here
SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "report.schema.json"


def _controls(document: dict) -> dict[str, dict]:
    return {c["id"]: c for area in document["areas"] for c in area["controls"]}


def test_json_report_of_an_account_without_trail_exits_1(endpoint, capsys):
    code = main(["--region", REGION, "--endpoint-url", endpoint, "--format", "json", "--no-progress"])
    document = json.loads(capsys.readouterr().out)
    controls = _controls(document)
    assert code == 1 == document["verdict"]["exit_code"]
    assert {cid for cid, c in controls.items() if c["status"] == "violated"} == {"stack-multi-region-trail"}
    assert controls["eks-endpoint-public-access"]["status"] == "not_applicable"
    assert document["tool"]["command"] == "audit" and document["target"]["regions"] == [REGION]
    if SCHEMA.exists():
        jsonschema.validate(document, json.loads(SCHEMA.read_text()))


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "sarif"])
def test_every_format_renders_to_a_file(endpoint, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    code = main(
        ["--region", REGION, "--endpoint-url", endpoint, "--format", fmt, "--output", str(out), "--no-progress"]
    )
    assert code == 1
    assert "stack-multi-region-trail" in out.read_text()


def test_no_region_is_a_usage_error(endpoint, monkeypatch, capsys):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    assert main(["--endpoint-url", endpoint, "--no-progress"]) == 2
    assert "--region" in capsys.readouterr().err


def test_region_and_all_regions_exclude_each_other(endpoint):
    with pytest.raises(SystemExit) as exc:
        main(["--region", REGION, "--all-regions", "--endpoint-url", endpoint])
    assert exc.value.code == 2


def test_unknown_profile_is_a_usage_error(capsys):
    assert main(["--profile", "no-such-profile", "--region", REGION, "--no-progress"]) == 2
    assert "no-such-profile" in capsys.readouterr().err


def test_subcommand_is_wired_into_the_eksguard_cli(endpoint, capsys):
    from eksguard.cli import main as eksguard_main

    code = eksguard_main(["audit", "--region", REGION, "--endpoint-url", endpoint, "--format", "json", "--no-progress"])
    assert code == 1 and json.loads(capsys.readouterr().out)["tool"]["command"] == "audit"


def test_all_regions_lists_the_enabled_regions(endpoint):
    import argparse

    from eksguard.audit.cli import resolve_regions
    from eksguard.audit.session import ReadOnlySession

    session = ReadOnlySession(endpoint_url=endpoint)
    regions = resolve_regions(argparse.Namespace(all_regions=True, regions=None), session)
    assert regions == sorted(regions) and {"eu-west-1", "us-east-1"} <= set(regions)
    repeated = resolve_regions(
        argparse.Namespace(all_regions=False, regions=["eu-west-1", "eu-west-1", "us-east-1"]), session
    )
    assert repeated == ["eu-west-1", "us-east-1"]


def test_unwritable_output_is_exit_2(endpoint, tmp_path, capsys):
    out = tmp_path / "missing-dir" / "report.json"
    code = main(["--region", REGION, "--endpoint-url", endpoint, "--output", str(out), "--no-progress"])
    assert code == 2 and f"cannot write {out}" in capsys.readouterr().err


def test_a_refused_write_is_exit_2_not_a_verdict(endpoint, monkeypatch, capsys):
    from eksguard.audit import runner

    def collect_with_a_write(session, region):
        session.client("ec2", region).create_vpc(CidrBlock="10.7.0.0/16")

    monkeypatch.setattr(runner, "collect_region", collect_with_a_write)
    code = main(["--region", REGION, "--endpoint-url", endpoint, "--no-progress"])
    assert code == 2 and "ec2:CreateVpc refused before signing" in capsys.readouterr().err
