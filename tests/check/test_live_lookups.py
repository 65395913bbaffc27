"""--live-lookups answers invokes from AWS with read-only calls (moto plays AWS)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from eksguard.engine.live import LiveLookups
from eksguard.protocol.wire import UNKNOWN_SENTINEL

READ_ONLY_PREFIXES = ("Get", "Describe", "List")


@pytest.fixture
def aws(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield boto3.session.Session(region_name="eu-west-1")


def _record_operations(session: boto3.session.Session) -> list[str]:
    calls: list[str] = []
    session.events.register("before-call", lambda model, **_: calls.append(model.name))
    return calls


def test_live_answers_and_only_reads(aws) -> None:
    iam = aws.client("iam")
    role = iam.create_role(RoleName="eks", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    aws.client("eks").create_cluster(
        name="prod",
        roleArn=role,
        resourcesVpcConfig={"subnetIds": ["subnet-1"], "endpointPublicAccess": False, "endpointPrivateAccess": True},
    )
    aws.client("ssm").put_parameter(Name="/team/ami", Value="ami-123", Type="String")
    calls = _record_operations(aws)
    live = LiveLookups("eu-west-1", session=aws)

    cluster = live.answer("aws:eks/getCluster:getCluster", {"name": "prod"})
    assert cluster["name"] == "prod"
    assert cluster["vpcConfig"]["endpointPublicAccess"] is False
    assert cluster["vpcConfig"]["subnetIds"] == ["subnet-1"]
    assert live.answer("aws:index/getCallerIdentity:getCallerIdentity", {})["accountId"] == "123456789012"
    assert live.answer("aws:ssm/getParameter:getParameter", {"name": "/team/ami"})["value"] == "ami-123"
    assert live.answer("aws:index/getRegion:getRegion", {})["name"] == "eu-west-1"
    assert live.answer("aws:index/getPartition:getPartition", {})["partition"] == "aws"
    assert calls == ["DescribeCluster", "GetCallerIdentity", "GetParameter"]
    assert all(c.startswith(READ_ONLY_PREFIXES) for c in calls)


def test_live_handles_only_known_tokens(aws) -> None:
    live = LiveLookups("eu-west-1", session=aws)
    assert live.handles("aws:eks/getCluster:getCluster")
    assert not live.handles("aws:ec2/getVpc:getVpc")


def test_china_partition(aws) -> None:
    live = LiveLookups("cn-north-1", session=boto3.session.Session(region_name="cn-north-1"))
    assert live.answer("aws:index/getPartition:getPartition", {})["dnsSuffix"] == "amazonaws.com.cn"


def test_check_uses_live_lookups_when_asked(aws, tmp_path, tiny_pack) -> None:
    from eksguard.check import CheckOptions, run_check
    from tests.check.conftest import make_program

    aws.client("ssm").put_parameter(Name="/team/ami", Value="ami-live", Type="String")
    program = make_program(
        tmp_path / "p",
        main="""
        import pulumi_aws as aws
        ami = aws.ssm.get_parameter_output(name="/team/ami")
        aws.ec2.LaunchTemplate("lt", image_id=ami.value)
    """,
    )
    outcome = run_check(CheckOptions(program=program, policy_packs=[tiny_pack], live_lookups=True))
    [template] = [r.resource for r in outcome.run.resources]
    assert template.properties["imageId"] == "ami-live"
    # without --live-lookups only fixtures answer, and none knows this parameter: unknown, as in a preview
    offline = run_check(CheckOptions(program=program, policy_packs=[tiny_pack]))
    [template] = [r.resource for r in offline.run.resources]
    assert template.properties["imageId"] == UNKNOWN_SENTINEL
    assert offline.report.coverage.unanswered_invokes == ("aws:ssm/getParameter:getParameter",)


def test_a_failed_live_lookup_is_a_usage_error_naming_the_call(aws, tmp_path, tiny_pack) -> None:
    from eksguard.check import CheckOptions, run_check
    from eksguard.engine import UsageError
    from tests.check.conftest import make_program

    program = make_program(
        tmp_path / "p",
        main="""
        import pulumi_aws as aws
        aws.ssm.get_parameter_output(name="/team/absent")
    """,
    )
    with pytest.raises(
        UsageError, match=r"^--live-lookups: aws:ssm/getParameter:getParameter failed: ParameterNotFound: "
    ):
        run_check(CheckOptions(program=program, policy_packs=[tiny_pack], live_lookups=True))
