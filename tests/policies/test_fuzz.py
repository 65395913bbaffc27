"""Random, missing, oddly typed, unknown and secret values thrown at every policy.

No exception may escape a policy and no diagnostic may be the framework's internal-error report. Generated
resources use the property names the CASES and STACK_CASES tables use for each resource type (so the rules go
deep), with values drawn from every wire shape. Stacks also get random references between their resources
(property dependencies, URN values, parents and component-child URNs) for the graph-following stack rules and
the reported-once rule. Most examples run through both servicers in-process (which also checks they answer
identically); a bounded run goes through the served pack over gRPC.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from eksguard_policies import servicer as fast_servicer
from eksguard_policies.framework import INTERNAL_ERROR_PREFIX, collect
from eksguard_policies.rules import rule_modules
from google.protobuf import json_format, struct_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eksguard.protocol.analyzer import Resource
from eksguard.protocol.wire import UNKNOWN, Secret

from .gather import all_cases, all_stack_cases
from .pack_driver import PackDriver, child_urn, resource
from .servicers import InProcessPack

RULES = collect(rule_modules())
PROXY_REPR = "pulumi_policy.proxy."  # a message showing a value as "<pulumi_policy.proxy._ListProxy object ...>"
# Resource rules name their types; stack rules read others too (LimitRange, LifecyclePolicy, Enabler...): every type
# of the STACK_CASES tables is drawn as well, so the stack rules go deep.
RESOURCE_TYPES = sorted(
    {t for spec in RULES.rules.values() for t in spec.types}
    | {r.type for _, resources, _, _ in all_stack_cases() for r in resources}
)


def _field_names() -> dict[str, list[str]]:
    """Property names seen in the CASES tables, per resource type, at every depth."""
    names: dict[str, set[str]] = {t: set() for t in RESOURCE_TYPES}

    def walk(value: Any, into: set[str]) -> None:
        if isinstance(value, Secret):
            walk(value.value, into)
        elif isinstance(value, Mapping):
            for k, v in value.items():
                into.add(str(k))
                walk(v, into)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v, into)

    for c in all_cases():
        walk(c.props, names.setdefault(c.resource_type, set()))
    for _, resources, _, _ in all_stack_cases():
        for r in resources:
            walk(r.properties, names.setdefault(r.type, set()))
    return {t: sorted(n) or ["name"] for t, n in names.items()}


FIELDS = _field_names()
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", "*", "0.0.0.0/0", "::/0", "true", "API", "1.35", "arn:aws:iam::111122223333:root", "{"]),
    st.text(max_size=12),
    st.just(UNKNOWN),
)


def _values(keys: list[str]) -> st.SearchStrategy[Any]:
    key = st.sampled_from(keys) | st.text(min_size=1, max_size=8)
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(key, inner, max_size=5),
            st.builds(Secret, inner),
        ),
        max_leaves=12,
    )


@st.composite
def resources(draw: st.DrawFn) -> Resource:
    resource_type = draw(st.sampled_from(RESOURCE_TYPES))
    keys = FIELDS.get(resource_type, ["name"])
    props = draw(st.dictionaries(st.sampled_from(keys), _values(keys), max_size=8))
    name = draw(st.sampled_from(["r", "node-role", "legacy", "kube-system"]))
    return resource(resource_type, props, name=name)


def _assert_clean(response: Any, what: str) -> None:
    for d in response.diagnostics:
        assert INTERNAL_ERROR_PREFIX not in d.message, f"{what}: {d.policyName} crashed: {d.message}"
        assert PROXY_REPR not in d.message, f"{what}: {d.policyName} shows a proxy object: use values.show()"
    for n in response.not_applicable:
        assert PROXY_REPR not in n.reason, f"{what}: {n.policy_name} shows a proxy object: use values.show()"


IN_PROCESS = {"fast": InProcessPack(stock=False), "stock": InProcessPack(stock=True)}
REMEDIATING = InProcessPack(stock=False)
REMEDIATING.configure({"all": "remediate"})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(resources())
def test_no_policy_crashes_in_process_and_servicers_agree(r: Resource) -> None:
    fast, stock = IN_PROCESS["fast"].analyze(r), IN_PROCESS["stock"].analyze(r)
    _assert_clean(fast, f"{r.type} {r.properties!r}")
    assert fast == stock
    REMEDIATING.remediate(r)  # no exception escapes a remediation either


COMPONENTS = sorted(t for t in RESOURCE_TYPES if t.split(":")[0] in ("eks", "awsx"))


@st.composite
def stacks(draw: st.DrawFn) -> list[Resource]:
    """Resources that reference each other: property dependencies, URN values and component children."""
    rs = draw(st.lists(resources(), min_size=1, max_size=6))
    urns = [r.urn for r in rs] + ["urn:pulumi:dev::eksguard-tests::aws:ec2/subnet:Subnet::elsewhere"]
    linked = []
    for r in rs:
        keys = list(r.properties) or ["subnetIds"]
        deps = draw(st.dictionaries(st.sampled_from(keys), st.lists(st.sampled_from(urns), max_size=3), max_size=2))
        props = dict(r.properties)
        if draw(st.booleans()):
            props[draw(st.sampled_from(keys))] = draw(st.sampled_from(urns))
        urn, parent = r.urn, ""
        if COMPONENTS and draw(st.booleans()):
            parent = resource(draw(st.sampled_from(COMPONENTS)), {}, "owner").urn
            urn = child_urn(parent, r.type, r.name)
        linked.append(resource(r.type, props, r.name, urn=urn, parent=parent, property_dependencies=deps))
    return linked


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_no_stack_policy_crashes_and_servicers_agree(rs: list[Resource]) -> None:
    fast, stock = IN_PROCESS["fast"].analyze_stack(rs), IN_PROCESS["stock"].analyze_stack(rs)
    _assert_clean(fast, "stack")
    assert fast == stock


@pytest.fixture(scope="module")
def served(pack: PackDriver) -> PackDriver:
    return pack


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(r=resources())
def test_no_policy_crashes_over_the_protocol(served: PackDriver, r: Resource) -> None:
    _assert_clean(served.process.stub.Analyze(r.analyze_request()), f"{r.type} {r.properties!r}")
    served.process.remediate(r)


JSON = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=6), JSON, max_size=6))
def test_the_fast_servicer_reads_a_struct_as_json_format_does(props: dict[str, Any]) -> None:
    struct = struct_pb2.Struct()
    struct.update(props)
    assert {k: fast_servicer._plain(v) for k, v in struct.fields.items()} == json_format.MessageToDict(struct)
