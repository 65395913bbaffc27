"""The audit's session is read-only by construction: writes are refused before anything is sent."""

from __future__ import annotations

import boto3
import pytest

from eksguard.audit.session import ReadOnlySession, WriteRefusedError, is_read_operation
from tests.audit.conftest import account_session

ACCOUNT = "333333333333"


@pytest.mark.parametrize(
    ("operation", "allowed"),
    [
        ("DescribeCluster", True),
        ("ListAccessEntries", True),
        ("GetParameterHistory", True),
        ("LookupEvents", True),
        ("CreateVpc", False),
        ("DeleteCluster", False),
        ("PutParameter", False),
        ("UpdateClusterConfig", False),
        ("StopLogging", False),
        ("AssumeRole", False),
        ("TagResource", False),
        ("describeCluster", False),
    ],
)
def test_read_operation_allow_list(operation, allowed):
    assert is_read_operation(operation) is allowed


class SendProbe:
    """Counts requests that reach botocore's HTTP layer (the 'before-send' event, after signing)."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def __call__(self, request, event_name: str, **_):
        self.operations.append(event_name.rsplit(".", 1)[-1])


@pytest.mark.parametrize(
    ("service", "call", "params"),
    [
        ("ec2", "create_vpc", {"CidrBlock": "10.9.0.0/16"}),
        ("eks", "delete_cluster", {"name": "any"}),
        ("ssm", "put_parameter", {"Name": "/x", "Value": "y", "Type": "String"}),
        ("cloudtrail", "stop_logging", {"Name": "any"}),
    ],
)
def test_write_refused_before_any_request_is_sent(endpoint, service, call, params):
    boto_session = account_session(endpoint, ACCOUNT)
    probe = SendProbe()
    boto_session.events.register("before-send", probe)
    session = ReadOnlySession(boto_session=boto_session, endpoint_url=endpoint)
    client = session.client(service, "eu-west-1")
    with pytest.raises(WriteRefusedError, match=f"{service}:"):
        getattr(client, call)(**params)
    assert probe.operations == []


def test_write_has_no_effect_on_the_server_and_reads_go_through(endpoint):
    boto_session = account_session(endpoint, ACCOUNT)
    probe = SendProbe()
    boto_session.events.register("before-send", probe)
    session = ReadOnlySession(boto_session=boto_session, endpoint_url=endpoint)
    ec2 = session.client("ec2", "eu-west-2")
    before = len(ec2.describe_vpcs()["Vpcs"])
    with pytest.raises(WriteRefusedError):
        ec2.create_vpc(CidrBlock="10.8.0.0/16")
    assert len(ec2.describe_vpcs()["Vpcs"]) == before
    assert probe.operations == ["DescribeVpcs", "DescribeVpcs"]


def test_clients_retry_adaptively():
    session = ReadOnlySession(boto_session=boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing"))
    assert session.client("eks", "eu-west-1").meta.config.retries["mode"] == "adaptive"
