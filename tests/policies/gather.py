"""Collect the CASES (and STACK_CASES) tables of every tests/policies/test_*.py module.

A module's ``CASES`` is a list of :class:`tests.policies.cases.Case`. ``STACK_CASES`` (optional) is a list of
``(id, resources, expected, config)``: ``resources`` a list of eksguard.protocol.analyzer.Resource, ``expected``
the exact set of ``(policy, urn)`` stack violations, ``config`` ``--policy-pack-config``-style overrides.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from .cases import Case

HERE = Path(__file__).parent
SELF_REFERENCING = {
    "test_catalogue",
    "test_protocol",
    "test_fuzz",
    "test_examples",
    "test_remediation",
    "test_self_contained",
}


def case_modules() -> list[Any]:
    names = sorted(p.stem for p in HERE.glob("test_*.py") if p.stem not in SELF_REFERENCING)
    return [importlib.import_module(f"{__package__}.{name}") for name in names]


def all_cases() -> list[Case]:
    return [c for module in case_modules() for c in getattr(module, "CASES", [])]


def all_stack_cases() -> list[tuple[str, list[Any], set[tuple[str, str]], dict[str, Any]]]:
    return [c for module in case_modules() for c in getattr(module, "STACK_CASES", [])]
