"""Construct over the provider protocol: what a TypeScript, Go or C# program's ``new eksguard.X(...)`` does.

The plugin runs as the CLI starts it; this test plays the engine, sending schema-named inputs with numbers
as the wire's floats, and serves the resource monitor the component registers its children with."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import provider_pb2

from eksguard.engine.fixtures import InvokeFixtures
from tests.provider.mock_monitor import RecordingMonitor
from tests.provider.plugin_process import ComponentPluginProcess
from tests.provider.schema_expectations import PLUGIN_DIR

SG = "eksguard:index:DataPlaneSecurityGroups"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


@pytest.fixture(scope="module")
def plugin() -> Iterator[ComponentPluginProcess]:
    with ComponentPluginProcess(PLUGIN_DIR) as process:
        yield process


@pytest.fixture
def monitor() -> Iterator[RecordingMonitor]:
    fixtures = InvokeFixtures(variables={"aws_region": "eu-west-1", "account_id": "123456789012"})
    recording = RecordingMonitor(fixtures.answer)
    recording.address = recording.start()
    yield recording
    recording.stop()


def _construct(plugin, monitor, type_: str, name: str, inputs: dict) -> provider_pb2.ConstructResponse:
    struct = struct_pb2.Struct()
    struct.update(inputs)
    request = provider_pb2.ConstructRequest(
        project="consumer",
        stack="test",
        organization="organization",
        config={"aws:region": "eu-west-1"},
        dryRun=True,
        parallel=4,
        monitorEndpoint=monitor.address,
        type=type_,
        name=name,
        inputs=struct,
    )
    return plugin.construct(request)


def test_construct_registers_the_component_and_returns_its_outputs(plugin, monitor) -> None:
    inputs = {
        "vpcId": "vpc-0123",
        "webhookPorts": [8443.0],  # numbers cross the wire as floats
        "egressMode": "restricted",
        "vpcCidrBlocks": ["10.40.0.0/16"],
        "extraRules": [
            {"ruleId": "alb-8080", "description": "ALB to pods", "fromPort": 8080.0, "cidrIpv4": "10.40.0.0/16"}
        ],
    }
    response = _construct(plugin, monitor, SG, "payments-sg", inputs)
    assert response.urn == f"urn:pulumi:test::consumer::{SG}::payments-sg"
    state = dict(response.state)
    assert (state["clusterSecurityGroupId"], state["nodeSecurityGroupId"]) == (
        "payments-sg-cluster-id",
        "payments-sg-node-id",
    )
    assert [r["name"] for r in monitor.registrations if r["type"] == SG] == ["payments-sg"]
    # Ports came back as ints: resource names carry 8443, not 8443.0, and the caller rule passed validation.
    ingress = monitor.by_type(INGRESS)
    assert "payments-sg-node-ingress-cluster-webhook-8443" in ingress
    assert (
        ingress["payments-sg-alb-8080"]["inputs"]["fromPort"],
        ingress["payments-sg-alb-8080"]["inputs"]["toPort"],
    ) == (
        8080,
        8080,
    )
    assert not [name for name in ingress if ".0" in name]


def test_construct_refuses_an_invalid_argument_with_its_name(plugin, monitor) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        _construct(plugin, monitor, SG, "bad-sg", {"vpcId": "vpc-0123", "egressMode": "open"})
    assert "egress_mode" in raised.value.details()
    assert monitor.registrations == []  # validated before anything was registered
