"""Live resources in the shape of the Pulumi declarations that would manage them, and what could not be read.

A :class:`LiveResource` is what ``pulumi import`` would give for one live AWS resource or Kubernetes object:
its type token, its import id (also its name and the last part of its URN) and its inputs in wire form. Where
a declaration would reference another resource (a node group's role, subnets and launch template; an
attachment's role; an add-on's cluster), the value is the id or ARN the engine would send and the reference is
recorded as a property dependency, so stack rules can follow it by URN as they do in a preview.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eksguard_policies.facts import AWS_EKS_CLUSTER

from eksguard.engine import RecordedResource
from eksguard.protocol.messages import Resource

GLOBAL = "global"
"""The region part of the URN of IAM and account-level resources."""
AWS_SCOPE = "aws"
"""The AnalyzeStack scope of every AWS resource of the account (Kubernetes objects go per cluster)."""


def urn(account: str, region: str, type_token: str, name: str) -> str:
    """``urn:pulumi:<region>::<account>::<type>::<name>``: the region plays the stack, the account the project."""
    return f"urn:pulumi:{region}::{account}::{type_token}::{name}"


def stack_urn(account: str) -> str:
    """The root of the audit's "stack" (ConfigureStack names stack ``global``, project ``<account>``)."""
    return urn(account, GLOBAL, "pulumi:pulumi:Stack", f"{account}-{GLOBAL}")


@dataclass
class LiveResource:
    """One live resource as the declaration that would manage it."""

    type: str
    """Pulumi type token (``aws:eks/cluster:Cluster``, ``kubernetes:apps/v1:Deployment``...)."""
    name: str
    """The id ``pulumi import`` takes (a cluster name, ``<cluster>:<node group>``, ``sg-...``); for Kubernetes
    objects ``<cluster>/<namespace>/<name>``."""
    region: str
    props: dict[str, Any]
    """Inputs as the declaration would give them (camelCase); None and empty values left out."""
    refs: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    """Property -> the (type, region, name) of each collected resource its value refers to."""
    arn: str = ""
    """What a finding names: the ARN where AWS gives one, else the id."""
    scope: str = AWS_SCOPE
    import_id: str = ""
    """The id for ``pulumi import`` (default: ``name``)."""
    observed: dict[str, Any] = field(default_factory=dict)
    """Component arguments with the observed values, for the remediation snippet."""
    fix_notes: dict[str, Any] = field(default_factory=dict)
    """Facts for the remediation plan that no rule reads (e.g. the newest AMI release)."""
    parent: tuple[str, str, str] | None = None
    """(type, region, name) of the resource that made this one (EKS's launch template: its node group)."""

    def refer(self, prop: str, type_token: str, region: str, *names: str | None) -> None:
        """Record that ``prop`` refers to the resources (type_token, region, name) of each name given."""
        targets = self.refs.setdefault(prop, [])
        for name in names:
            if name and (type_token, region, name) not in targets:
                targets.append((type_token, region, name))
        if not targets:
            del self.refs[prop]


@dataclass(frozen=True)
class Gap:
    """Something the audit could not read: the resource types it would have produced are not assessed there."""

    where: str
    """A region, ``account``, or ``cluster <name> (<region>)``."""
    reason: str
    types: frozenset[str]
    cluster: tuple[str, str] | None = None
    """(region, name) of the cluster whose own resources were read while these types were not: what a policy reading
    these types found on that cluster or its parts may follow from the missing read (a cluster whose add-ons went
    unread looks like one without add-ons), so it is not assessed there instead."""

    def covers(self, live: LiveResource) -> bool:
        """Whether ``live`` is the gap's cluster or one of its parts (it names the cluster by ``clusterName``)."""
        if self.cluster is None or live.region != self.cluster[0]:
            return False
        name = self.cluster[1]
        return (live.type == AWS_EKS_CLUSTER and live.name == name) or live.props.get("clusterName") == name


@dataclass
class Inventory:
    """Every live resource read, by URN, and the gaps."""

    account: str
    resources: dict[str, LiveResource] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    region_facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Region -> facts no declaration carries that the pack takes as settings (setting name -> value; see
    ``enrichers``): sent to every policy that has the setting, for that region's resources."""
    stack_facts: dict[str, Any] = field(default_factory=dict)
    """Facts of the whole account the pack takes as settings of its stack policies (setting name -> value), sent
    for AnalyzeStack, which judges every region at once."""
    clusters: int = 0
    kubernetes_clusters: list[str] = field(default_factory=list)
    """Clusters whose Kubernetes objects were read."""

    def add(self, resource: LiveResource) -> None:
        self.resources.setdefault(self.urn_of(resource), resource)

    def add_all(self, resources: Iterable[LiveResource]) -> None:
        for resource in resources:
            self.add(resource)

    def gap(self, where: str, reason: str, types: Iterable[str], cluster: tuple[str, str] | None = None) -> None:
        entry = Gap(where, reason, frozenset(types), cluster)
        if entry not in self.gaps:
            self.gaps.append(entry)

    def urn_of(self, resource: LiveResource) -> str:
        return urn(self.account, resource.region, resource.type, resource.name)

    def records(self, scope: str | None = None) -> list[RecordedResource]:
        """The resources (of one AnalyzeStack scope, or all) as the engine would describe them: references to
        resources that were not read stay plain values without a dependency, as for resources outside a stack."""
        return [
            RecordedResource(self._resource(u, r), custom=True)
            for u, r in self.resources.items()
            if scope is None or r.scope == scope
        ]

    def scopes(self) -> list[str]:
        return list(dict.fromkeys(r.scope for r in self.resources.values()))

    def merge(self, other: Inventory) -> None:
        """Take in what another read found (a region's, read in its own thread)."""
        for resource_urn, resource in other.resources.items():
            self.resources.setdefault(resource_urn, resource)
        for entry in other.gaps:
            if entry not in self.gaps:
                self.gaps.append(entry)
        for region, facts in other.region_facts.items():
            self.region_facts.setdefault(region, {}).update(facts)  # one region is read by one thread
        self.stack_facts.update(other.stack_facts)
        self.clusters += other.clusters
        self.kubernetes_clusters += other.kubernetes_clusters

    def _resource(self, resource_urn: str, live: LiveResource) -> Resource:
        deps: dict[str, list[str]] = {}
        for prop, targets in live.refs.items():
            urns = [u for t in targets if (u := urn(self.account, t[1], t[0], t[2])) in self.resources]
            if urns:
                deps[prop] = urns
        parent = urn(self.account, live.parent[1], live.parent[0], live.parent[2]) if live.parent else ""
        return Resource(
            type=live.type,
            name=live.name,
            urn=resource_urn,
            properties=live.props,
            parent=parent if parent in self.resources else stack_urn(self.account),
            dependencies=list(dict.fromkeys(u for urns in deps.values() for u in urns)),
            property_dependencies=deps,
            provider=_provider(self.account, live),
        )


def _provider(account: str, live: LiveResource) -> Mapping[str, Any]:
    package = live.type.split(":", 1)[0]
    properties = {"region": live.region} if package == "aws" and live.region != GLOBAL else {}
    return {
        "type": f"pulumi:providers:{package}",
        "urn": urn(account, live.region, f"pulumi:providers:{package}", "default"),
        "name": "default",
        "properties": properties,
    }


def pruned(value: Any) -> Any:
    """``value`` without None, empty strings, lists and maps (a declaration leaves them out)."""
    if isinstance(value, Mapping):
        out = {k: pruned(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [pruned(v) for v in value if v is not None]
    return value


def flag(value: Any) -> str | None:
    """A boolean as pulumi-aws types it on launch templates (``"true"``/``"false"``); None stays None."""
    return None if value is None else str(bool(value)).lower()
