"""Table-driven policy cases shared by every rule test module.

Each rule test module declares ``CASES: list[Case]`` and runs them over the real protocol with
:func:`run_case`. ``tests/policies/test_catalogue.py`` gathers the CASES of all modules to prove every
control has at least one violating and one passing case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eksguard.protocol.analyzer import Resource

from .pack_driver import PREVIEW_MARKER, PackDriver, resource

HARDENED_AWS_CLUSTER: dict[str, Any] = {
    "version": "1.35",
    "vpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True},
    "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:eu-west-1:1:key/k"}},
    "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
    "deletionProtection": True,
}
"""An aws:eks/cluster:Cluster's inputs that meet every cluster resource control (the version with eksVersionAsOf)."""


@dataclass(frozen=True)
class Case:
    id: str
    """Short test id, e.g. ``cluster-public-endpoint``."""
    resource_type: str
    props: Mapping[str, Any]
    violations: frozenset[str]
    """The EXACT set of policies that must report a violation on this resource."""
    name: str = "r"
    config: Mapping[str, Any] = field(default_factory=dict)
    """``--policy-pack-config``-style overrides for this case."""
    not_checkable: frozenset[str] = frozenset()
    """Policies that must say "can't run during preview" (unknown values)."""
    provider: Mapping[str, Any] | None = None
    """The resource's provider as the engine sends it: ``{"type", "urn", "name", "properties"}``."""

    def resource(self) -> Resource:
        return resource(self.resource_type, self.props, self.name, provider=self.provider)


def case(
    id: str,
    resource_type: str,
    props: Mapping[str, Any],
    violations: set[str] | frozenset[str] = frozenset(),
    **kw: Any,
) -> Case:
    kw = {k: frozenset(v) if k == "not_checkable" else v for k, v in kw.items()}
    return Case(id, resource_type, props, frozenset(violations), **kw)


def run_case(pack: PackDriver, c: Case) -> None:
    with pack.configured(c.config):
        diagnostics = pack.process.analyze(c.resource()).diagnostics
    got = {d.policy for d in diagnostics if PREVIEW_MARKER not in d.message}
    unknown = {d.policy for d in diagnostics if PREVIEW_MARKER in d.message}
    assert got == c.violations, f"{c.id}: violations {sorted(got)} != expected {sorted(c.violations)}"
    assert unknown == c.not_checkable, f"{c.id}: not checkable {sorted(unknown)} != expected {sorted(c.not_checkable)}"


OFFLINE = "not checkable offline"


@dataclass(frozen=True)
class StackCase:
    """An AnalyzeStack case; unpacks as the ``(id, resources, violations, config)`` tuple of gather.py."""

    id: str
    resources: list[Resource]
    violations: frozenset[tuple[str, str]]
    """The EXACT set of ``(policy, urn)`` stack violations."""
    config: Mapping[str, Any] = field(default_factory=dict)
    not_checkable: frozenset[str] = frozenset()
    """Stack policies that must say "can't run during preview"."""
    offline: frozenset[str] = frozenset()
    """Stack policies that must answer not applicable with a "not checkable offline" reason."""

    def __iter__(self):
        return iter((self.id, self.resources, set(self.violations), dict(self.config)))


def stack_case(
    id: str, resources: list[Resource], violations: set[tuple[str, str]] = frozenset(), **kw: Any
) -> StackCase:
    kw = {k: frozenset(v) if k in ("not_checkable", "offline") else v for k, v in kw.items()}
    return StackCase(id, resources, frozenset(violations), **kw)


def run_stack_case(pack: PackDriver, c: StackCase) -> dict[str, str]:
    """Check ``c`` over AnalyzeStack; the not-applicable reasons, for tests that read them."""
    with pack.configured(c.config):
        result = pack.process.analyze_stack(c.resources)
    got = {(d.policy, d.urn) for d in result.diagnostics if PREVIEW_MARKER not in d.message}
    unknown = {d.policy for d in result.diagnostics if PREVIEW_MARKER in d.message}
    offline = {p for p, reason in result.not_applicable.items() if reason.startswith(OFFLINE)}
    assert got == set(c.violations), f"{c.id}: violations {sorted(got)} != expected {sorted(c.violations)}"
    assert unknown == c.not_checkable, f"{c.id}: not checkable {sorted(unknown)} != {sorted(c.not_checkable)}"
    assert offline == c.offline, f"{c.id}: offline {sorted(offline)} != {sorted(c.offline)}: {result.not_applicable}"
    return result.not_applicable
