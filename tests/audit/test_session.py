"""The audit's session is read-only by construction: writes are refused before anything is sent."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.model import OperationModel

from eksguard.audit.session import (
    ALLOWED_OPERATIONS,
    READ_PREFIXES,
    ReadOnlySession,
    WriteRefusedError,
    _refuse_writes,
    is_allowed,
)
from tests.audit.conftest import account_session

ACCOUNT = "333333333333"


AUDIT_SOURCES = Path(__file__).resolve().parents[2] / "eksguard" / "audit"
# Read-named operations that are not plain reads: minting credentials or tokens, revealing secrets.
NOT_PLAIN_READS = {
    "sts": {"GetSessionToken", "GetFederationToken", "GetWebIdentityToken"},
    "kms": {"GetParametersForImport"},
    "ec2": {"GetPasswordData"},
    "ssm": {"GetParameter", "GetParameters", "GetParametersByPath"},
}


def _operations(service: str) -> list[OperationModel]:
    model = botocore.session.get_session().get_service_model(service)
    return [model.operation_model(name) for name in model.operation_names]


def _allowed_by_hook(operation: OperationModel) -> bool:
    try:
        _refuse_writes(operation)
    except WriteRefusedError:
        return False
    return True


@pytest.mark.parametrize("service", sorted(ALLOWED_OPERATIONS))
def test_hook_allows_exactly_the_listed_reads_of_the_service_model(service):
    operations = _operations(service)
    allowed = {op.name for op in operations if _allowed_by_hook(op)}
    assert allowed == ALLOWED_OPERATIONS[service]
    assert all(name.startswith(READ_PREFIXES) for name in allowed)
    refused = {op.name for op in operations} - allowed
    assert {op.name for op in operations if not op.name.startswith(READ_PREFIXES)} <= refused
    assert {name for name in NOT_PLAIN_READS.get(service, ()) if name in refused} == {
        name for name in NOT_PLAIN_READS.get(service, ()) if name in {op.name for op in operations}
    }


def test_the_audit_creates_clients_only_for_services_in_the_allow_list():
    created = set()
    for path in AUDIT_SOURCES.rglob("*.py"):
        created |= set(re.findall(r"\.client\(\"([a-z0-9-]+)\"", path.read_text()))
    assert created == set(ALLOWED_OPERATIONS)


def test_a_service_outside_the_allow_list_is_refused_entirely():
    (operation,) = [op for op in _operations("lambda") if op.name == "ListFunctions"]
    assert not _allowed_by_hook(operation)
    assert not is_allowed("lambda", "ListFunctions") and is_allowed("eks", "DescribeCluster")


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
    before = len(ec2.describe_security_groups()["SecurityGroups"])
    with pytest.raises(WriteRefusedError):
        ec2.create_vpc(CidrBlock="10.8.0.0/16")
    assert len(ec2.describe_security_groups()["SecurityGroups"]) == before
    assert probe.operations == ["DescribeSecurityGroups", "DescribeSecurityGroups"]


def test_clients_retry_adaptively():
    session = ReadOnlySession(boto_session=boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing"))
    assert session.client("eks", "eu-west-1").meta.config.retries["mode"] == "adaptive"
