"""Every remediable control, at level remediate, over the real protocol: on every violating case of the CASES
tables its remediation either leaves the resource alone or returns properties that no longer violate it, and
it fixes at least one case. (Which fixes each module makes in detail is tested beside its rules.)"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from eksguard_policies.framework import collect
from eksguard_policies.rules import rule_modules

from .cases import Case
from .gather import all_cases
from .pack_driver import PackDriver

REMEDIABLE = sorted(collect(rule_modules()).remediations)
CASES = all_cases()


def _at_remediate(c: Case, control_id: str) -> dict[str, Any]:
    config = dict(c.config)
    given = config.get(control_id)
    config[control_id] = {**given, "enforcementLevel": "remediate"} if isinstance(given, dict) else "remediate"
    return config


def _remediated(pack: PackDriver, c: Case, control_id: str) -> dict[str, Any] | None:
    with pack.configured(_at_remediate(c, control_id)):
        remediations = pack.process.remediate(c.resource())
    assert {r.policy for r in remediations} <= {control_id}, f"{c.id}: another policy remediated"
    fixed = [r.properties for r in remediations if r.properties is not None]
    return fixed[-1] if fixed else None


@pytest.mark.parametrize("control_id", REMEDIABLE)
def test_remediation_clears_the_violation_it_fixes(pack: PackDriver, control_id: str) -> None:
    fixed_cases = []
    for c in (c for c in CASES if control_id in c.violations):
        fixed = _remediated(pack, c, control_id)
        if fixed is None:
            continue
        fixed_cases.append(c.id)
        with pack.configured(c.config):
            after = pack.process.analyze(replace(c, props=fixed).resource()).diagnostics
        assert control_id not in {d.policy for d in after}, f"{c.id}: still violates {control_id} once remediated"
    assert fixed_cases, f"{control_id}: no violating case is fixed at level remediate"
