"""Node IAM roles: administrator-grade managed policies and Action * on Resource * statements."""

from __future__ import annotations

import re
from typing import Any

from eksguard_policies.rules.iam import ADMIN_MANAGED_POLICIES

from eksguard.audit import controls as c
from eksguard.audit.checks.model import Evaluation, RawFinding

_AWS_MANAGED_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:.*/)?([^/]+)$")


def check_node_role(ev: Evaluation, role_arn: str, role: dict) -> None:
    """Administrator-grade AWS managed policies and Action * on Resource * statements of a node role."""
    name = role_arn.rsplit("/", 1)[-1]
    ev.count(c.IAM_NODE_ROLE_ADMIN, c.IAM_POLICY_WILDCARD)
    managed = [m.group(1) for p in role["attached"] if (m := _AWS_MANAGED_POLICY.match(p))]
    admin = [p for p in managed if p in ADMIN_MANAGED_POLICIES]
    if admin:
        message = f"node role has administrator-grade managed policies: {', '.join(admin)}"
        ev.add(RawFinding(c.IAM_NODE_ROLE_ADMIN, role_arn, message, "global", "iam_role", name, name, {}))
    wildcard = [f"inline {n}" for n, doc in role["inline"].items() if _wildcard_statements(doc)]
    wildcard += [arn for arn, doc in role.get("customer_managed", {}).items() if _wildcard_statements(doc)]
    if wildcard:
        message = f"node role policies allow Action * on Resource *: {', '.join(wildcard)}"
        ev.add(RawFinding(c.IAM_POLICY_WILDCARD, role_arn, message, "global", "iam_role", name, name, {}))


def _wildcard_statements(document: Any) -> int:
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    return sum(
        1
        for s in _as_list(statements)
        if isinstance(s, dict)
        and s.get("Effect") == "Allow"
        and "*" in _as_list(s.get("Action", []))
        and "*" in _as_list(s.get("Resource", []))
    )


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]
