"""The resource graph stack rules follow references with (policies/eksguard_policies/graph.py).

Resources go through the pack's own AnalyzeStack resource building (TypeDispatchingServicer._stack_resources,
the same proxies and property dependencies the stack rules receive); the cross-resource controls built on the
graph are tested over the protocol in test_nodes.py, test_iam.py and test_components.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from eksguard_policies.graph import OutsideStack, ResourceGraph, graph_of, urn_name, urn_types
from pulumi.runtime.proto import analyzer_pb2

from eksguard.protocol.analyzer import Resource
from eksguard.protocol.wire import UNKNOWN

from .pack_driver import child_urn, resource, urn_for
from .servicers import InProcessPack

ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/policy:Policy"
SUBNET = "aws:ec2/subnet:Subnet"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
EKS_CLUSTER = "eks:index:Cluster"
AWS_CLUSTER = "aws:eks/cluster:Cluster"
MNG = "eks:index:ManagedNodeGroup"

PACK = InProcessPack(stock=False)


def graph(*resources: Resource) -> tuple[ResourceGraph, dict[str, Any]]:
    """The graph of ``resources`` as a stack rule sees it, and its resources by name."""
    request = analyzer_pb2.AnalyzeStackRequest(resources=[r.stack_resource() for r in resources])
    built = PACK.servicer._stack_resources(request)
    return ResourceGraph(built), {r.name: r for r in built}


ROLE_R = resource(ROLE, {"assumeRolePolicy": "{}", "name": "prod-nodes"}, "nodes")
SUBNET_A = resource(SUBNET, {"mapPublicIpOnLaunch": False}, "a")
SUBNET_B = resource(SUBNET, {"mapPublicIpOnLaunch": True}, "b")


def attachment(role: Any, deps: list[str] | None = None) -> Resource:
    return resource(
        ATTACHMENT,
        {"role": role, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        "attach",
        property_dependencies={"role": deps} if deps else {},
    )


def test_a_property_follows_its_dependency_when_the_value_is_unknown() -> None:
    g, by = graph(ROLE_R, attachment(UNKNOWN, [ROLE_R.urn]))
    assert g.source_of(by["attach"], "role") is by["nodes"]


def test_a_component_reference_arrives_as_its_urn_and_is_followed_by_value() -> None:
    cluster = resource(EKS_CLUSTER, {}, "cluster")
    g, by = graph(cluster, resource(MNG, {"cluster": cluster.urn}, "mng"))
    assert g.source_of(by["mng"], "cluster") is by["cluster"]


def test_a_literal_naming_a_resource_of_the_stack_is_followed() -> None:
    g, by = graph(ROLE_R, attachment("prod-nodes"))
    assert g.source_of(by["attach"], "role") is by["nodes"]


@pytest.mark.parametrize(
    ("role", "reason"),
    [
        ("ci-deployer", "role names 'ci-deployer', which is not declared in this stack"),
        (UNKNOWN, "role is computed from something outside this stack (no dependency recorded)"),
    ],
)
def test_a_reference_outside_the_stack_is_said_so(role: Any, reason: str) -> None:
    g, by = graph(ROLE_R, attachment(role))
    with pytest.raises(OutsideStack) as raised:
        g.source_of(by["attach"], "role")
    assert raised.value.reason == reason


def test_an_unset_property_has_no_source() -> None:
    g, by = graph(resource(ATTACHMENT, {"policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, "attach"))
    assert g.source_of(by["attach"], "role") is None


def test_a_list_keeps_what_it_follows_and_what_it_cannot() -> None:
    group = resource(
        NODE_GROUP,
        {"subnetIds": [UNKNOWN, "subnet-0abc"]},
        "ng",
        property_dependencies={"subnetIds": [SUBNET_A.urn]},
    )
    g, by = graph(SUBNET_A, SUBNET_B, group)
    sources = g.sources_of(by["ng"], "subnetIds")
    assert [r.name for r in sources.resources] == ["a"]
    assert sources.outside == ["subnetIds names 'subnet-0abc', which is not declared in this stack"]
    assert sources.literals == ["subnet-0abc"]
    assert not sources.complete


def test_known_ids_that_came_through_dependencies_are_theirs() -> None:
    """After apply (or under --assume-apply) the ids are known; the dependencies still say whose they are."""
    group = resource(
        NODE_GROUP,
        {"subnetIds": ["a-id", "b-id"]},
        "ng",
        property_dependencies={"subnetIds": [SUBNET_A.urn, SUBNET_B.urn]},
    )
    g, by = graph(SUBNET_A, SUBNET_B, group)
    sources = g.sources_of(by["ng"], "subnetIds")
    assert sorted(r.name for r in sources.resources) == ["a", "b"]
    assert sources.complete


def test_an_object_naming_a_resource_is_followed_through_its_dependency() -> None:
    template = resource("aws:ec2/launchTemplate:LaunchTemplate", {}, "lt")
    group = resource(
        NODE_GROUP,
        {"launchTemplate": {"id": UNKNOWN, "version": UNKNOWN}},
        "ng",
        property_dependencies={"launchTemplate": [template.urn]},
    )
    g, by = graph(template, group)
    assert g.source_of(by["ng"], "launchTemplate") is by["lt"]
    outside = resource(NODE_GROUP, {"launchTemplate": {"id": "lt-0abc", "version": "3"}}, "other")
    g, by = graph(outside)
    assert g.sources_of(by["other"], "launchTemplate").literals == ["lt-0abc"]


def test_a_policy_arn_leads_to_the_policy_declaring_the_document() -> None:
    policy = resource(POLICY, {"policy": "{}"}, "admin")
    attach = resource(
        ATTACHMENT, {"role": "r", "policyArn": UNKNOWN}, "a", property_dependencies={"policyArn": [policy.urn]}
    )
    g, by = graph(policy, attach)
    assert g.source_of(by["a"], "policyArn") is by["admin"]


@pytest.mark.parametrize("cluster_type", [EKS_CLUSTER, AWS_CLUSTER])
def test_an_addon_leads_to_its_cluster(cluster_type: str) -> None:
    cluster = resource(cluster_type, {}, "prod")
    addon = resource(
        ADDON,
        {"clusterName": UNKNOWN, "addonName": "vpc-cni"},
        "cni",
        property_dependencies={"clusterName": [cluster.urn]},
    )
    g, by = graph(cluster, addon)
    assert g.source_of(by["cni"], "clusterName") is by["prod"]


def test_several_sources_for_a_single_reference_are_not_guessed() -> None:
    two = resource(ATTACHMENT, {"role": UNKNOWN}, "a", property_dependencies={"role": [ROLE_R.urn, SUBNET_A.urn]})
    g, by = graph(ROLE_R, SUBNET_A, two)
    with pytest.raises(OutsideStack, match="depends on several resources"):
        g.source_of(by["a"], "role")


def test_a_name_shared_by_two_resources_is_not_guessed() -> None:
    twin = resource(ROLE, {"name": "prod-nodes"}, "twin")
    g, by = graph(ROLE_R, twin, attachment("prod-nodes"))
    with pytest.raises(OutsideStack, match="names 2 resources"):
        g.source_of(by["attach"], "role")


def test_children_types_and_names() -> None:
    cluster = resource(EKS_CLUSTER, {}, "cluster")
    child = resource(
        AWS_CLUSTER,
        {},
        "cluster-eksCluster",
        urn=child_urn(cluster.urn, AWS_CLUSTER, "cluster-eksCluster"),
        parent=cluster.urn,
    )
    g, by = graph(cluster, child, ROLE_R)
    assert [r.name for r in g.children_of(by["cluster"])] == ["cluster-eksCluster"]
    assert [r.name for r in g.of_type(AWS_CLUSTER, EKS_CLUSTER)] == ["cluster", "cluster-eksCluster"]  # engine order
    assert urn_types(child.urn) == [EKS_CLUSTER, AWS_CLUSTER]
    assert urn_name(child.urn) == "cluster-eksCluster"
    assert urn_types(urn_for(ROLE, "x")) == [ROLE]


def test_the_stack_policies_of_one_request_share_one_graph() -> None:
    request = analyzer_pb2.AnalyzeStackRequest(resources=[ROLE_R.stack_resource()])
    built = PACK.servicer._stack_resources(request)
    assert graph_of(built) is graph_of(built)
    assert graph_of(list(built)) is not graph_of(built)
