"""``eksguard audit`` from the command line against the moto server: formats, exit codes, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import jsonschema
import pytest

from eksguard.audit.cli import main
from tests.audit.seed import ASSUME_EKS, clients, network, role

REGION = "eu-central-1"  # the environment's credentials act in moto's default account, empty here
WEAK_REGION = "eu-north-1"  # where the fixture puts a cluster with the AWS defaults
SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "report.schema.json"


def _controls(document: dict) -> dict[str, dict]:
    return {c["id"]: c for area in document["areas"] for c in area["controls"]}


@pytest.fixture(scope="module")
def weak(endpoint) -> str:
    make = clients(boto3.Session(region_name=WEAK_REGION), endpoint, WEAK_REGION)
    _, subnets = network(make("ec2"))
    cluster_role = role(make("iam"), "cli-weak", ASSUME_EKS, [])
    make("eks").create_cluster(
        name="defaults", version="1.35", roleArn=cluster_role, resourcesVpcConfig={"subnetIds": subnets}
    )
    return WEAK_REGION


def test_json_report_of_an_empty_account_exits_0(endpoint, capsys):
    code = main(["--region", REGION, "--endpoint-url", endpoint, "--format", "json", "--no-progress"])
    document = json.loads(capsys.readouterr().out)
    controls = _controls(document)
    assert code == 0 == document["verdict"]["exit_code"]
    assert {cid for cid, c in controls.items() if c["status"] in ("violated", "not_assessed")} == set()
    assert controls["eks-endpoint-public-access"]["reason"] == "the audit found no live aws:eks/cluster:Cluster"
    assert document["tool"]["command"] == "audit" and document["target"]["regions"] == [REGION]
    if SCHEMA.exists():
        jsonschema.validate(document, json.loads(SCHEMA.read_text()))


def test_json_report_of_a_cluster_with_the_aws_defaults_exits_1(endpoint, weak, capsys):
    code = main(["--region", weak, "--endpoint-url", endpoint, "--format", "json", "--no-progress", "--no-kubernetes"])
    document = json.loads(capsys.readouterr().out)
    controls = _controls(document)
    assert code == 1 == document["verdict"]["exit_code"]
    assert controls["eks-public-access-cidrs-open"]["status"] == "violated"
    (finding,) = controls["eks-public-access-cidrs-open"]["findings"]
    assert finding["fix"]["import_command"] == "pulumi import aws:eks/cluster:Cluster defaults defaults"
    assert document["target"]["kubernetes"] is False
    if SCHEMA.exists():
        jsonschema.validate(document, json.loads(SCHEMA.read_text()))


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "sarif"])
def test_every_format_renders_to_a_file(endpoint, weak, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    args = ["--region", weak, "--endpoint-url", endpoint, "--format", fmt, "--output", str(out), "--no-progress"]
    assert main(args) == 1
    text = out.read_text()
    assert "eks-public-access-cidrs-open" in text and "defaults" in text


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


def test_subcommand_is_wired_into_the_eksguard_cli(endpoint, weak, capsys):
    from eksguard.cli import main as eksguard_main

    code = eksguard_main(["audit", "--region", weak, "--endpoint-url", endpoint, "--format", "json", "--no-progress"])
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


def test_a_refused_aws_write_is_exit_2_not_a_verdict(endpoint, monkeypatch, capsys):
    from eksguard.audit import runner

    def collect_with_a_write(session, region, account, regions, today):
        session.client("ec2", region).create_vpc(CidrBlock="10.7.0.0/16")

    monkeypatch.setattr(runner, "collect_region", collect_with_a_write)
    code = main(["--region", REGION, "--endpoint-url", endpoint, "--no-progress"])
    assert code == 2 and "ec2:CreateVpc refused before signing" in capsys.readouterr().err


def test_a_refused_kubernetes_write_is_exit_2_not_a_verdict(endpoint, weak, monkeypatch, capsys):
    from kubernetes import client as k8s

    from eksguard.audit import runner
    from eksguard.audit.kubernetes.client import eks_client

    def read_with_a_write(session, cluster, inventory, kubeconfig=None):
        with eks_client(session, cluster.region, cluster.name, "http://127.0.0.1:9", None) as api:
            k8s.CoreV1Api(api).delete_namespace("kube-system")

    monkeypatch.setattr(runner.kubernetes, "read_cluster", read_with_a_write)
    code = main(["--region", weak, "--endpoint-url", endpoint, "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "Kubernetes DELETE /api/v1/namespaces/kube-system refused before sending (only GET)" in err


def test_a_missing_kubeconfig_is_a_usage_error(endpoint, tmp_path, capsys):
    missing = tmp_path / "nope"
    assert main(["--region", REGION, "--endpoint-url", endpoint, "--kubeconfig", str(missing), "--no-progress"]) == 2
    assert f"--kubeconfig {missing}: no such file" in capsys.readouterr().err
