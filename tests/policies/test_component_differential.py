"""Differential test per component: the component's inputs judged by the component-level rules give the same
control verdicts as the children that component version registers judged by the resource-level rules; sent
together, as a real preview sends them, each weakness is reported exactly once, on the component.

The children are fixture data read from the components' source (component_children.py). "Children alone" sends
them as if the program had declared them itself (URNs without the component), so nothing but the resource rules
judges them. Verdicts per control follow `eksguard check` (eksguard/judge/verdicts.py): violated, else not
checkable (unknown at preview), else passed when some resource of the policy's types was judged, else not
checkable offline or not applicable. Where the children at preview know less than the component's inputs say (user
data embedding the cluster's endpoint, add-on versions of a cluster whose version is computed), the scenario states
the children's verdict, and the component's must be a pass.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from pulumi.runtime.proto.analyzer_pb2 import POLICY_TYPE_STACK

from eksguard.protocol.analyzer import Resource

from .cases import OFFLINE
from .component_children import LESS_INFORMED, SCENARIOS, Child, Scenario
from .pack_driver import PREVIEW_MARKER, PROJECT, STACK, PackDriver, resource, urn_for

RESOURCE_TYPE_TAG = "resource-type:"
DECLARED_ON_COMPONENT = "reported on the "


def _key(child: Child) -> str:
    return f"{child.type}::{child.name}"


def _nested(parent_urn: str, resource_type: str, name: str) -> str:
    chain = parent_urn.split("::")[2]
    return f"urn:pulumi:{STACK}::{PROJECT}::{chain}${resource_type}::{name}"


def sent(s: Scenario, form: str) -> list[Resource]:
    """The resources the engine sends for ``s``: ``component`` (eksguard check: the component alone),
    ``children`` (the children as plain resources), ``preview`` (a real preview: the component and its children)."""
    component_urn = urn_for(s.component, s.name)
    urns: dict[str, str] = {}
    for child in s.children:  # parents come before their children in the fixture lists
        if form == "preview":
            parent = urns[child.parent] if child.parent else component_urn
            urns[_key(child)] = _nested(parent, child.type, child.name)
        else:
            urns[_key(child)] = urn_for(child.type, child.name)

    def ref(key: str) -> str:
        return component_urn if form == "component" else urns[key]

    stack = s.stack(ref)
    by_name = {r.name: r.urn for r in stack}

    def resolve(names: list[str]) -> list[str]:
        out = []
        for name in names:
            if name.startswith("stack:"):
                if name[len("stack:") :] in by_name:
                    out.append(by_name[name[len("stack:") :]])
            else:
                out.append(urns[name])
        return out

    def value(v: Any) -> Any:
        if isinstance(v, str) and v.startswith("stack:"):
            return by_name[v[len("stack:") :]]
        return v

    resources = list(stack)
    if form in ("component", "preview"):
        inputs = {k: value(v) for k, v in s.inputs.items()}
        deps = {k: resolve(v) for k, v in s.input_deps.items()}
        resources.append(resource(s.component, inputs, s.name, property_dependencies=deps))
    if form in ("children", "preview"):
        for child in s.children:
            parent = ""
            if form == "preview":
                parent = urns[child.parent] if child.parent else component_urn
            deps = {k: resolve(v) for k, v in child.deps.items()}
            resources.append(
                resource(
                    child.type,
                    child.props,
                    child.name,
                    urn=urns[_key(child)],
                    parent=parent,
                    property_dependencies=deps,
                )
            )
    return resources


def judged_controls(pack: PackDriver, component: str) -> dict[str, Any]:
    """The policies that judge ``component`` (their resource-type tags name it), by name; for an awsx VPC, which
    carries no control itself, node-public-ip (its subnets decide it for the nodes placed in them)."""
    found = {p.name: p for p in pack.info.policies if f"{RESOURCE_TYPE_TAG}{component}" in p.tags}
    return found or {p.name: p for p in pack.info.policies if p.name == "node-public-ip"}


def _types(policy: Any) -> set[str]:
    return {t[len(RESOURCE_TYPE_TAG) :] for t in policy.tags if t.startswith(RESOURCE_TYPE_TAG)}


class Run:
    """Every diagnostic and not-applicable answer of one Analyze-per-resource + AnalyzeStack run."""

    def __init__(self, pack: PackDriver, resources: list[Resource], config: dict[str, Any]) -> None:
        self.resources = resources
        self.violations: list[tuple[str, str]] = []
        self.unknown: set[str] = set()
        self.not_applicable: dict[str, list[str]] = {}
        self.reasons: dict[tuple[str, str], str] = {}
        """(policy, resource URN) -> the reason a resource policy did not apply to that resource."""
        with pack.configured(config):
            for r, result in zip(resources, pack.process.analyze_many(resources), strict=True):
                self._absorb(result, r.urn)
            self._absorb(pack.process.analyze_stack(resources), "")

    def _absorb(self, result: Any, urn: str) -> None:
        for d in result.diagnostics:
            if PREVIEW_MARKER in d.message:
                self.unknown.add(d.policy)
            else:
                self.violations.append((d.policy, d.urn or urn))
        for policy, reason in result.not_applicable.items():
            self.not_applicable.setdefault(policy, []).append(reason)
            self.reasons[(policy, urn)] = reason

    def verdict(self, policy: Any) -> str:
        name = policy.name
        if any(p == name for p, _ in self.violations):
            return "violated"
        if name in self.unknown:
            return "not checkable"
        reasons = self.not_applicable.get(name, [])
        if policy.policy_type == POLICY_TYPE_STACK:
            judged = not reasons
        else:
            judged = sum(r.type in _types(policy) for r in self.resources) > len(reasons)
        if judged:
            return "passed"
        return "offline" if any(r.startswith(OFFLINE) for r in reasons) else "not applicable"

    def verdicts(self, policies: dict[str, Any]) -> dict[str, str]:
        return {name: self.verdict(policy) for name, policy in policies.items()}


def _ids(s: Scenario) -> str:
    return s.id


@pytest.mark.parametrize("s", SCENARIOS, ids=_ids)
def test_component_inputs_judge_as_its_children_do(pack: PackDriver, s: Scenario) -> None:
    controls = judged_controls(pack, s.component)
    component = Run(pack, sent(s, "component"), dict(s.config)).verdicts(controls)
    children = Run(pack, sent(s, "children"), dict(s.config)).verdicts(controls)
    less_informed = {c: children.pop(c) for c in s.children_less_informed}
    assert less_informed == dict(s.children_less_informed)
    assert {c: component.pop(c) for c in s.children_less_informed} == dict.fromkeys(s.children_less_informed, "passed")
    assert component == children
    if s.id.endswith("defaults"):
        assert "violated" in component.values(), f"{s.id}: the defaults violate nothing, so the test proves little"


@pytest.mark.parametrize("s", SCENARIOS, ids=_ids)
def test_a_real_preview_reports_each_weakness_once_on_the_component(pack: PackDriver, s: Scenario) -> None:
    controls = judged_controls(pack, s.component)
    alone = Run(pack, sent(s, "component"), dict(s.config))
    preview = Run(pack, sent(s, "preview"), dict(s.config))
    children = [r for r in preview.resources if r.parent]
    child_urns = {r.urn for r in children}
    assert [(p, u) for p, u in preview.violations if u in child_urns and p in controls] == []
    judged = Counter(v for v in preview.violations if v[0] in controls)
    assert judged == Counter(v for v in alone.violations if v[0] in controls)
    assert preview.verdicts(controls) == alone.verdicts(controls)
    # the children's own answer for the controls judged on the component: reported there
    component_token = f"{DECLARED_ON_COMPONENT}{s.component} component"
    for name, policy in controls.items():
        if policy.policy_type == POLICY_TYPE_STACK:
            continue
        for child in children:
            if child.type in _types(policy):
                assert preview.reasons.get((name, child.urn), "").startswith(component_token), (name, child.name)


@pytest.mark.parametrize("s", LESS_INFORMED, ids=_ids)
def test_a_reference_to_the_whole_vpc_is_not_checkable_offline_until_its_subnets_are_sent(
    pack: PackDriver, s: Scenario
) -> None:
    policy = {p.name: p for p in pack.info.policies}["node-public-ip"]
    assert Run(pack, sent(s, "component"), dict(s.config)).verdict(policy) == "offline"
    assert Run(pack, sent(s, "children"), dict(s.config)).verdict(policy) == "passed"
    assert Run(pack, sent(s, "preview"), dict(s.config)).verdict(policy) == "passed"


def test_every_component_has_a_scenario_with_its_defaults_and_one_hardened() -> None:
    def kinds(component: str) -> set[str]:
        return {s.id.rsplit("-", 1)[-1] for s in SCENARIOS if s.component == component}

    for component in (
        "eks:index:Cluster",
        "eks:index:NodeGroupV2",
        "eks:index:NodeGroup",
        "eks:index:ManagedNodeGroup",
        "awsx:cloudtrail:Trail",
    ):
        assert {"defaults", "hardened"} <= kinds(component), component
    assert {s.id for s in SCENARIOS if s.component == "awsx:ec2:Vpc"} == {"vpc-private-only", "vpc-public-only"}
