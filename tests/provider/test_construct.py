"""Construct over the provider protocol: what a TypeScript, Go or C# program's ``new eksguard.X(...)`` does.

The plugin runs as the CLI starts it; this test plays the engine, sending schema-named inputs with numbers
as the wire's floats, and serves the resource monitor the component registers its children with."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from eksguard.engine.fixtures import InvokeFixtures
from eksguard.engine.runner import default_variables
from tests.provider.mock_monitor import RecordingMonitor
from tests.provider.plugin_process import ComponentPluginProcess
from tests.provider.schema_expectations import PLUGIN_DIR

SG = "eksguard:index:DataPlaneSecurityGroups"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NODE_GROUP = "eksguard:index:NodeGroup"
FIXTURES = InvokeFixtures(variables=default_variables("eu-west-1"))  # what `eksguard check` answers


@pytest.fixture(scope="module")
def plugin() -> Iterator[ComponentPluginProcess]:
    with ComponentPluginProcess(PLUGIN_DIR) as process:
        yield process


@pytest.fixture
def monitor() -> Iterator[RecordingMonitor]:
    recording = RecordingMonitor(FIXTURES.answer)
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


def test_a_component_looks_its_existing_cluster_up_through_the_engine(plugin, monitor) -> None:
    """NodeGroup on a cluster it only names: the plugin's invokes reach the engine's monitor, and the node
    group takes the cluster's version and the patched AMI release that version's SSM parameter names."""
    inputs = {"clusterName": "shared-prod", "subnetIds": ["subnet-1", "subnet-2"], "nodeSecurityGroupId": "sg-1"}
    response = _construct(plugin, monitor, NODE_GROUP, "team-nodes", {**inputs, "architecture": "arm64"})

    cluster_version = FIXTURES.answer("aws:eks/getCluster:getCluster", {"name": "shared-prod"})["version"]
    parameter = (
        f"/aws/service/eks/optimized-ami/{cluster_version}/amazon-linux-2023/arm64/standard/recommended/release_version"
    )
    release = FIXTURES.answer("aws:ssm/getParameter:getParameter", {"name": parameter})["value"]
    assert ("aws:eks/getCluster:getCluster", {"name": "shared-prod"}) in monitor.invokes
    assert ("aws:ssm/getParameter:getParameter", {"name": parameter}) in monitor.invokes
    node_group = monitor.by_type("aws:eks/nodeGroup:NodeGroup")["team-nodes-ng"]
    assert (node_group["parent"], node_group["inputs"]["version"], node_group["inputs"]["releaseVersion"]) == (
        response.urn,
        cluster_version,
        release,
    )
    assert dict(response.state)["releaseVersion"] == release
    template = monitor.by_type("aws:ec2/launchTemplate:LaunchTemplate")["team-nodes-lt"]["inputs"]
    assert template["metadataOptions"]["httpTokens"] == "required"


def _output_value(value, *dependencies: str) -> dict:
    """An Output as the engine sends it to Construct (``acceptsOutputValues``): its value and the resources it
    comes from (https://github.com/pulumi/pulumi/blob/master/proto/pulumi/provider.proto, ConstructRequest)."""
    return {rpc._special_sig_key: rpc._special_output_value_sig, "value": value, "dependencies": list(dependencies)}


def test_another_resources_output_flows_into_the_node_groups_subnets(plugin, monitor) -> None:
    """A TypeScript program's ``subnetIds: vpc.privateSubnetIds``: an Output, not a plain list, reaches the
    component, passes validation and becomes the EKS node group's subnetIds, dependency included."""
    vpc = "urn:pulumi:test::consumer::awsx:ec2:Vpc::main"
    subnets = ["subnet-0private0a", "subnet-0private0b"]
    inputs = {"clusterName": "shared-prod", "subnetIds": _output_value(subnets, vpc), "nodeSecurityGroupId": "sg-1"}
    response = _construct(plugin, monitor, NODE_GROUP, "vpc-nodes", inputs)

    node_group = monitor.by_type("aws:eks/nodeGroup:NodeGroup")["vpc-nodes-ng"]
    assert (node_group["parent"], node_group["inputs"]["subnetIds"]) == (response.urn, subnets)
    assert node_group["property_dependencies"]["subnetIds"] == [vpc]
