"""Coverage is read from what the packs publish, so a rule added for a type counts that type as judged."""

from __future__ import annotations

from pulumi.runtime.proto import analyzer_pb2

from eksguard.judge.verdicts import coverage
from eksguard.protocol.messages import Resource

STACK = "urn:pulumi:dev::p::"
RESOURCES = [
    Resource("eks:index:Cluster", "platform", STACK + "eks:index:Cluster::platform", {}),
    Resource("aws:iam/role:Role", "nodes", STACK + "aws:iam/role:Role::nodes", {}),
    Resource("aws:iam/role:Role", "ci", STACK + "aws:iam/role:Role::ci", {}),
    Resource("kubernetes:helm.sh/v3:Release", "agent", STACK + "kubernetes:helm.sh/v3:Release::agent", {}),
]
REMOTE = frozenset({STACK + "eks:index:Cluster::platform"})


def _pack(*policies: tuple[str, tuple[str, ...], int]) -> analyzer_pb2.AnalyzerInfo:
    return analyzer_pb2.AnalyzerInfo(
        name="pack",
        policies=[
            analyzer_pb2.PolicyInfo(name=name, tags=[f"resource-type:{t}" for t in types], policy_type=kind)
            for name, types, kind in policies
        ],
    )


RESOURCE_POLICY = analyzer_pb2.POLICY_TYPE_RESOURCE
STACK_POLICY = analyzer_pb2.POLICY_TYPE_STACK


def _summary(packs) -> tuple[int, int, list[tuple[str, int, bool]]]:
    found = coverage(RESOURCES, packs, remote=REMOTE)
    return found.resources, found.judged, [(u.type, u.count, u.remote) for u in found.not_judged]


def test_types_no_enabled_resource_policy_declares_are_not_judged() -> None:
    pack = _pack(("roles", ("aws:iam/role:Role",), RESOURCE_POLICY), ("trail", (), STACK_POLICY))
    assert _summary([(pack, {})]) == (
        4,
        2,
        [("eks:index:Cluster", 1, True), ("kubernetes:helm.sh/v3:Release", 1, False)],
    )
    # disabled, a policy judges nothing
    assert _summary([(pack, {"roles": {"enforcementLevel": "disabled"}})])[1] == 0


def test_a_rule_for_a_component_type_counts_it_as_judged() -> None:
    pack = _pack(
        ("roles", ("aws:iam/role:Role",), RESOURCE_POLICY),
        ("eks-component", ("eks:index:Cluster",), RESOURCE_POLICY),
    )
    assert _summary([(pack, {})]) == (4, 3, [("kubernetes:helm.sh/v3:Release", 1, False)])


def test_the_types_a_stack_policy_reads_count_as_judged() -> None:
    # a stack policy judges the types it reads across the stack (node-public-ip: the subnets nodes are placed in);
    # one that names no type judges none in particular
    pack = _pack(("placement", ("aws:iam/role:Role",), STACK_POLICY), ("anything", (), STACK_POLICY))
    assert _summary([(pack, {})]) == (
        4,
        2,
        [("eks:index:Cluster", 1, True), ("kubernetes:helm.sh/v3:Release", 1, False)],
    )
    assert _summary([(pack, {"placement": {"enforcementLevel": "disabled"}})])[1] == 0
