"""The stack as a graph, for stack rules whose control's truth lives in another resource.

A stack policy receives every resource with its ``property_dependencies``: for each property, the resources
whose outputs flowed into it. Values are no help at preview, where an id or name made by another resource is
unknown; so a property is followed through its property dependencies first, and through its value only where
the value itself names a resource:

- a URN (the engine marshals a reference to a component as its URN);
- a literal string that is the physical name (``name``, or the type's own name field such as an S3 bucket's
  ``bucket``), ``arn`` or ``id`` of a resource declared in the stack (a role attached by the name written in the
  program).

Anything else is *outside the stack*: a literal id, name or ARN no resource here declares, or an unknown value
that depends on nothing here. Rules report those as "not checkable offline" (with :attr:`Sources.outside` as
the reason), never as passed; or, where such a value may still turn out to be one of the stack's resources once
applied, as not checkable until apply (:attr:`Sources.unknown`, the SDK's own UnknownValueError to raise).

    graph = ctx.graph
    role = graph.source_of(attachment, "role")            # the aws.iam.Role, None when unset
    subnets = graph.sources_of(node_group, "subnetIds")   # Sources(resources=[...], outside=[...])
    graph.of_type(SUBNET, DEFAULT_SUBNET)                  # every stack rule reads the stack through the graph

This is the one way stack rules follow references (docs/DESIGN.md, "The resource graph").

``source_of`` raises :class:`OutsideStack` when the property names something not declared in this stack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy.proxy import UnknownValueError, _is_unknown

from .values import UNKNOWN_VALUE, as_list, get, peek, raw, show

URN_PREFIX = "urn:pulumi:"
_NAME_FIELDS = ("name", "arn", "id")
_OWN_NAME_FIELD = {"aws:s3/bucket:Bucket": "bucket", "aws:s3/bucketV2:BucketV2": "bucket"}
"""Types whose physical name is not ``name`` (pulumi-aws provider/resource_overrides.go: the S3 bucket's)."""


class OutsideStack(Exception):
    """A property names something this stack does not declare, so what it is cannot be read offline."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Sources:
    """Where a property's value comes from: resources declared in this stack, and what could not be followed."""

    resources: list[Any] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    """One phrase per part of the value that names something outside the stack."""
    literals: list[str] = field(default_factory=list)
    """The literal strings among those (ids, names, ARNs), for rules that can judge a name by itself."""
    unknown: UnknownValueError | None = None
    """The value (or an item of it) is unknown at preview and depends on nothing in this stack: the SDK's error,
    for rules whose verdict then waits for apply (raise it: "can't run during preview")."""

    @property
    def complete(self) -> bool:
        return not self.outside


def urn_types(urn: str) -> list[str]:
    """The types in a URN's type chain, outermost parent first, the resource's own type last."""
    parts = urn.split("::", 3)
    return parts[2].split("$") if len(parts) == 4 else []


def urn_name(urn: str) -> str:
    parts = urn.split("::", 3)
    return parts[3] if len(parts) == 4 else urn


class ResourceGraph:
    """Resources of one AnalyzeStack request indexed by URN, type and parent, and references between them."""

    def __init__(self, resources: Sequence[Any]) -> None:
        self.resources = list(resources)
        self.by_urn: dict[str, Any] = {r.urn: r for r in self.resources}
        self._by_type: dict[str, list[Any]] | None = None
        self._children: dict[str, list[Any]] | None = None
        self._names: dict[str, list[Any]] | None = None

    # --- indexes -----------------------------------------------------------------------------------------
    def of_type(self, *types: str) -> list[Any]:
        """Resources of these types, in the order the engine sent them."""
        if self._by_type is None:
            self._by_type = {}
            for position, r in enumerate(self.resources):
                self._by_type.setdefault(r.resource_type, []).append((position, r))
        found = [entry for t in dict.fromkeys(types) for entry in self._by_type.get(t, [])]
        if len(types) > 1:
            found.sort(key=lambda entry: entry[0])
        return [r for _, r in found]

    def children_of(self, resource: Any) -> list[Any]:
        """Resources whose parent is ``resource`` (a component's children, in a real preview)."""
        if self._children is None:
            self._children = {}
            for r in self.resources:
                parent = _parent_urn(r)
                if parent:
                    self._children.setdefault(parent, []).append(r)
        return list(self._children.get(resource.urn, []))

    def _named(self, literal: str) -> list[Any]:
        if self._names is None:
            self._names = {}
            for r in self.resources:
                own = _OWN_NAME_FIELD.get(r.resource_type)
                for key in (own, *_NAME_FIELDS[1:]) if own else _NAME_FIELDS:
                    value = peek(r.props, key)
                    if isinstance(value, str) and value:
                        self._names.setdefault(value, []).append(r)
        return self._names.get(literal, [])

    # --- following references ------------------------------------------------------------------------------
    def sources_of(self, resource: Any, prop: str, types: Sequence[str] = ()) -> Sources:
        """The resources ``resource.props[prop]`` comes from (a scalar or a list), and what it names outside;
        ``types``: the types a literal name may name (say, buckets for a trail's ``s3BucketName``), so a trail and
        its bucket of the same name are not taken for two candidates."""
        deps = list((getattr(resource, "property_dependencies", None) or {}).get(prop) or [])
        value, error = _peek_raw(resource.props, prop)
        found: dict[str, Any] = {r.urn: r for r in deps}
        outside: list[str] = []
        if value is None:
            return Sources(list(found.values()))
        items = value if isinstance(value, list) else [value]
        literals: list[str] = []
        unknown = False
        for item in items:
            if isinstance(item, Mapping):
                # an object naming a resource by id or name ({"id": ..., "version": ...}): its naming fields
                key = next((k for k in _NAME_FIELDS if item.get(k) is not None), None)
                item = None if key is None else item[key]
                if _is_unknown(item):
                    error = error or UnknownValueError(item, [prop, key])
                    item = UNKNOWN_VALUE
            target = self._referenced(item)
            if target is not None:
                found.setdefault(target.urn, target)
            elif item is UNKNOWN_VALUE:
                unknown = True
            elif isinstance(item, str) and item:
                named = [r for r in self._named(item) if not types or r.resource_type in types]
                if len(named) == 1:
                    found.setdefault(named[0].urn, named[0])
                elif not named:
                    literals.append(item)
                else:
                    outside.append(f"{prop} value {item!r} names {len(named)} resources in this stack")
            elif item is not None:
                outside.append(f"{prop} item {show(item)} is not a reference")
        if unknown and not deps:
            outside.append(f"{prop} is computed from something outside this stack (no dependency recorded)")
        # Known literals with dependencies and nothing unknown: the values came through those resources'
        # outputs (ids and ARNs known after apply), so they are theirs, not outside.
        if literals and not (deps and not unknown):
            outside.extend(f"{prop} names {item!r}, which is not declared in this stack" for item in literals)
        else:
            literals = []
        return Sources(list(found.values()), outside, literals, error if unknown and not deps else None)

    def source_of(self, resource: Any, prop: str, types: Sequence[str] = ()) -> Any | None:
        """The one resource ``resource.props[prop]`` comes from; None when the property is not set.

        Raises :class:`OutsideStack` when it names something not declared here (or several resources)."""
        sources = self.sources_of(resource, prop, types)
        if sources.outside:
            raise OutsideStack("; ".join(sources.outside))
        if len(sources.resources) > 1:
            names = ", ".join(r.name for r in sources.resources)
            raise OutsideStack(f"{prop} depends on several resources ({names}), so which one it names is unclear")
        return sources.resources[0] if sources.resources else None

    def _referenced(self, item: Any) -> Any | None:
        """The in-stack resource an item names by URN (a component reference), else None."""
        if isinstance(item, str) and item.startswith(URN_PREFIX):
            return self.by_urn.get(item)
        return None


def _parent_urn(resource: Any) -> str:
    parent = getattr(resource, "parent", None)
    if parent is None:
        return ""
    return parent if isinstance(parent, str) else getattr(parent, "urn", "") or ""


def _peek_raw(props: Any, prop: str) -> tuple[Any, UnknownValueError | None]:
    """The plain value of ``props[prop]`` with unknowns (the value, or an item of a list) as UNKNOWN_VALUE, and
    the first unknown's error."""
    try:
        value = get(props, prop)
    except UnknownValueError as exc:
        return UNKNOWN_VALUE, exc
    items = as_list(value)
    if value is None or items is None:
        return raw(value), None
    plain, first = [], None
    for i in range(len(items)):
        try:
            plain.append(raw(items[i]))
        except UnknownValueError as exc:
            plain.append(UNKNOWN_VALUE)
            first = first or exc
    return plain, first


_CACHE: list[tuple[list[Any], ResourceGraph]] = []


def graph_of(resources: list[Any]) -> ResourceGraph:
    """The graph of an AnalyzeStack resource list, built once per list (the stack policies of one request share
    the list when eksguard's servicer serves them)."""
    if _CACHE and _CACHE[0][0] is resources:
        return _CACHE[0][1]
    graph = ResourceGraph(resources)
    _CACHE[:] = [(resources, graph)]
    return graph
