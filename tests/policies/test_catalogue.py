"""The catalogue is complete and every control is tested both ways.

Every control has a rule and a policy with full metadata, and the CASES (resource controls) and STACK_CASES
(stack controls) of all tests/policies/test_*.py modules hold at least one violating and one passing case
for it (see tests/policies/gather.py for the table shapes).
"""

from __future__ import annotations

import re
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from eksguard_policies.catalogue import AREAS, SEVERITIES, default_catalogue
from eksguard_policies.framework import collect, resource_rule, stack_rule
from eksguard_policies.pack import build
from eksguard_policies.rules import rule_modules

from tests.provider.schema_expectations import DESIGN_COMPONENTS

from .gather import all_cases, all_stack_cases
from .pack_driver import PackDriver

CATALOGUE = default_catalogue()
RULES = collect(rule_modules())
COMPONENTS = {f"eksguard:index:{name}" for name in DESIGN_COMPONENTS}
REFERENCE_FORMS = {
    "cis": re.compile(r"^\d+\.\d+(\.\d+)?$"),
    "checkov": re.compile(r"^CKV2?_(AWS|K8S)_\d+$"),
    "security_hub": re.compile(r"^[A-Za-z0-9]+\.\d+$"),
    "prowler": re.compile(r"^[a-z0-9]+(_[A-Za-z0-9]+)+$"),
    "kubescape": re.compile(r"^C-\d{4}$"),
}
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CASES = all_cases()
STACK_CASES = all_stack_cases()


def test_every_control_becomes_one_policy_in_catalogue_order() -> None:
    assert [p.name for p in build()] == list(CATALOGUE)


def test_titles_are_unique() -> None:
    titles = [c.title for c in CATALOGUE.values()]
    assert sorted(t for t in titles if titles.count(t) > 1) == []


@pytest.mark.parametrize("control_id", list(CATALOGUE))
def test_control_metadata_is_complete(control_id: str) -> None:
    control = CATALOGUE[control_id]
    assert KEBAB.match(control.id)
    assert control.area in AREAS
    assert control.severity in SEVERITIES
    assert control.component in COMPONENTS
    for text in (control.title, control.description, control.remediation):
        assert isinstance(text, str) and len(text.strip()) >= 20, f"{control_id}: {text!r} is too thin"
    for kind, pattern in REFERENCE_FORMS.items():
        ids = getattr(control.references, kind)
        assert len(set(ids)) == len(ids), f"{control_id}: repeated {kind} reference"
        assert all(pattern.match(i) for i in ids), f"{control_id}: malformed {kind} reference in {ids}"
    assert control.remediable == (control_id in RULES.remediations), f"{control_id}: remediable flag is wrong"


@pytest.mark.parametrize("control_id", [cid for cid in CATALOGUE if RULES.rules[cid].kind == "resource"])
def test_resource_control_has_violating_and_passing_cases(control_id: str) -> None:
    types = set(RULES.rules[control_id].types)
    relevant = [c for c in CASES if c.resource_type in types]
    violating = [c.id for c in relevant if control_id in c.violations]
    passing = [c.id for c in relevant if control_id not in c.violations and control_id not in c.not_checkable]
    assert violating, f"{control_id}: no case where it is violated"
    assert passing, f"{control_id}: no case of {sorted(types)} where it passes"


@pytest.mark.parametrize("control_id", [cid for cid in CATALOGUE if RULES.rules[cid].kind == "stack"])
def test_stack_control_has_violating_and_passing_cases(control_id: str) -> None:
    violating = [sid for sid, _, expected, _ in STACK_CASES if any(p == control_id for p, _ in expected)]
    passing = [sid for sid, _, expected, _ in STACK_CASES if all(p != control_id for p, _ in expected)]
    assert violating, f"{control_id}: no STACK_CASES entry where it is violated"
    assert passing, f"{control_id}: no STACK_CASES entry where it passes"


def test_every_control_is_judged_and_passed_in_some_case(pack: PackDriver) -> None:
    """Over the protocol, "passing" means judged: each control has a case where it neither reports a violation nor
    says it cannot run nor answers not applicable (a case of its types that the rule skips proves nothing)."""
    judged_and_passed: set[str] = set()
    for c in CASES:
        with pack.configured(c.config):
            answer = pack.process.analyze(c.resource())
        silent = set(RULES.rules) - {d.policy for d in answer.diagnostics} - set(answer.not_applicable)
        judged_and_passed |= {cid for cid in silent if c.resource_type in RULES.rules[cid].types}
    for _, resources, _, config in STACK_CASES:
        with pack.configured(config):
            answer = pack.process.analyze_stack(list(resources))
        silent = set(RULES.rules) - {d.policy for d in answer.diagnostics} - set(answer.not_applicable)
        judged_and_passed |= {cid for cid in silent if RULES.rules[cid].kind == "stack"}
    assert sorted(set(CATALOGUE) - judged_and_passed) == []


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES] + [sid for sid, *_ in STACK_CASES]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_expected_violations_name_real_controls() -> None:
    named = {p for c in CASES for p in c.violations | c.not_checkable}
    named |= {p for _, _, expected, _ in STACK_CASES for p, _ in expected}
    assert named - set(CATALOGUE) == set()


def _module(name: str, **rules: object) -> ModuleType:
    """A rule module holding ``rules`` (made by a factory elsewhere, as helper modules make rules)."""
    module = ModuleType(name)
    for attr, func in rules.items():
        setattr(module, attr, func)
    return module


def _rule(control: str, *types: str, kind: str = "resource") -> object:
    def check(ctx: object) -> list[str]:
        return [f"{control} on {ctx.resource_type}"]  # type: ignore[attr-defined]

    return stack_rule(control, types=types)(check) if kind == "stack" else resource_rule(control, types=types)(check)


def test_rules_of_one_control_for_different_types_become_one_dispatching_rule() -> None:
    rules = collect([_module("a", one=_rule("c", "t:a")), _module("b", two=_rule("c", "t:b"))]).rules
    spec = rules["c"]
    assert spec.types == ("t:a", "t:b")
    assert spec.func(SimpleNamespace(resource_type="t:b")) == ["c on t:b"]


@pytest.mark.parametrize(
    ("first", "second", "problem"),
    [
        (_rule("c", "t:a"), _rule("c", "t:a"), "two rules for ['t:a']"),
        (_rule("c", "t:a", kind="stack"), _rule("c", "t:b"), "has two rules"),
    ],
)
def test_a_control_judged_twice_for_a_type_is_refused(first: object, second: object, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        collect([_module("a", one=first), _module("b", two=second)])


def test_a_rule_imported_into_another_module_is_collected_once() -> None:
    rule = _rule("c", "t:a")
    home, other = _module("home", one=rule), ModuleType("other")
    other.one = rule  # type: ignore[attr-defined]
    assert list(collect([home, other]).rules) == ["c"]


@pytest.mark.parametrize("decorator", [resource_rule, stack_rule], ids=["resource", "stack"])
def test_a_rule_must_name_the_types_it_reads(decorator: Any) -> None:
    """Coverage is read from the types rules publish: a rule without them would judge nothing visibly."""
    with pytest.raises(ValueError, match="must name the resource types it"):
        decorator("eks-endpoint-public-access", types=())
