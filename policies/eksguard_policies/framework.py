"""How a catalogue control becomes a CrossGuard policy.

Rules are plain functions marked by :func:`resource_rule`, :func:`stack_rule` and :func:`remediation`
(the decorators only attach metadata: there is no import-time registry). :func:`build_policies` pairs
every catalogue control with its rule, adds the shared config (exemptions) and the enforcement level
its severity implies, and refuses a control without a rule or a rule without a control.

A control may have several resource rules for different types (say, ``aws:eks/cluster:Cluster`` in
rules/eks_cluster.py and the pulumi-eks ``eks:index:Cluster`` component in rules/pulumi_eks.py): they become
one policy that calls the rule written for the resource's type.

Reported once, on what the user wrote: a resource created inside a component the control is judged on (its
URN's type chain holds that component's type, e.g. ``eks:index:Cluster$aws:eks/cluster:Cluster``) is not
judged again for that control; the component's rule reports the weakness, naming the component argument that
fixes it. :meth:`RuleSpec.declared_by` decides this for resource and stack rules alike (docs/DESIGN.md).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyProviderResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from .catalogue import Catalogue, Control
from .components import COMPONENT_TYPES
from .graph import ResourceGraph, graph_of, urn_types
from .servicer import RESOURCE_TYPES_ATTR

_RULE_ATTR = "__eksguard_rule__"
_REMEDIATION_ATTR = "__eksguard_remediation__"

SEVERITY = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
}

EXEMPTIONS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Resources this policy does not apply to: each a name glob (matched against the resource "
    "name and its URN) and the reason, which is required and shown in reports.",
    "items": {
        "type": "object",
        "properties": {
            "pattern": {"type": "string", "minLength": 1},
            "reason": {"type": "string", "minLength": 1},
        },
        "required": ["pattern", "reason"],
        "additionalProperties": False,
    },
    "default": [],
}

INTERNAL_ERROR_PREFIX = "eksguard could not evaluate this resource"
OFFLINE = "not checkable offline"
OFFLINE_MARKER = f"{OFFLINE}: "
"""How the reason of a not-applicable answer starts when the control does apply but its truth is not in the
program (what a live account would say, a resource outside the stack). :func:`not_checkable_offline` is the one
place that writes it; ``eksguard check`` reads it (eksguard/judge/verdicts.py) and reports such a control as
*not checkable offline*, never as passed or not applicable."""


class NotApplicable(Exception):
    """Raise from a rule when the control does not apply to this resource (reason shown in reports)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def not_checkable_offline(reason: str) -> NotApplicable:
    """``raise not_checkable_offline(why)``: the control applies, but its truth is not in the program (an AWS
    default nobody documents, a resource outside the stack); never a pass."""
    return NotApplicable(f"{OFFLINE_MARKER}{reason}")


@dataclass(frozen=True)
class RuleContext:
    """What a resource rule sees. ``props``: the wire-form properties, read-only (a plain tree, or the SDK's
    unknown-checking proxy when some value is unknown: reading it raises UnknownValueError);
    ``provider`` is the resource's provider as the engine describes it (its ``props`` proxied the same way),
    None when the engine sends none."""

    props: Mapping[str, Any]
    resource_type: str
    name: str
    urn: str
    config: Mapping[str, Any]
    provider: PolicyProviderResource | None = None


@dataclass(frozen=True)
class StackContext:
    resources: list[Any]
    """pulumi_policy.PolicyResource objects (``resource_type``, ``props``, ``urn``, ``name``, ``parent``...)."""
    config: Mapping[str, Any]
    declared_by: Callable[[str], str | None] = lambda urn: None
    """The component this control is judged on that created the resource ``urn`` (RuleSpec.declared_by)."""

    @property
    def graph(self) -> ResourceGraph:
        """The resources indexed, and references between them (graph.py)."""
        return graph_of(self.resources)

    def subjects(self, *types: str) -> list[Any]:
        """The resources of these types this control judges itself: not those a component judged for it created
        (their findings would be dropped anyway; their unknowns must not hold up the verdict either)."""
        return [r for r in self.graph.of_type(*types) if self.declared_by(r.urn) is None]


@dataclass(frozen=True)
class RuleSpec:
    control_id: str
    kind: str  # "resource" or "stack"
    func: Callable[..., Any]
    types: tuple[str, ...] = ()
    """Resource rules: the types they check. Stack rules: the types they read (for the reports' coverage and for
    :meth:`declared_by`)."""
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def applies_to(self, resource_type: str) -> bool:
        return resource_type in self.types

    def declared_by(self, urn: str) -> str | None:
        """The component this control is judged on that created the resource ``urn`` (the innermost one in
        its URN's type chain), or None when the resource is judged itself."""
        chain = urn.split("::", 3)[2] if urn.count("::") >= 3 else ""
        if "$" not in chain:  # fast path: a resource the program declared at the top level
            return None
        for ancestor in reversed(urn_types(urn)[:-1]):
            if ancestor in COMPONENT_TYPES and ancestor in self.types:
                return ancestor
        return None


def resource_rule(
    control_id: str, *, types: Iterable[str], config: Mapping[str, Mapping[str, Any]] | None = None
) -> Callable[[Callable[[RuleContext], Iterable[str]]], Callable[[RuleContext], Iterable[str]]]:
    """Mark ``func(ctx) -> Iterable[str]`` (one message per violation) as the check of ``control_id``."""
    spec_types = tuple(types)
    if not spec_types:
        raise ValueError(f"{control_id}: a resource rule must name the resource types it checks")

    def mark(func: Callable[[RuleContext], Iterable[str]]) -> Callable[[RuleContext], Iterable[str]]:
        setattr(func, _RULE_ATTR, RuleSpec(control_id, "resource", func, spec_types, dict(config or {})))
        return func

    return mark


def stack_rule(
    control_id: str, *, types: Iterable[str], config: Mapping[str, Mapping[str, Any]] | None = None
) -> Callable[[Callable[[StackContext], Iterable[tuple[str, str | None]]]], Any]:
    """Mark ``func(ctx) -> Iterable[(message, urn or None)]`` as the stack-wide check of ``control_id``;
    ``types``: every resource type it reads (published for the reports' coverage; a component's children are
    reported on the component when the component's type is among them)."""
    spec_types = tuple(types)
    if not spec_types:
        raise ValueError(f"{control_id}: a stack rule must name the resource types it reads")

    def mark(func: Callable[[StackContext], Iterable[tuple[str, str | None]]]) -> Any:
        setattr(func, _RULE_ATTR, RuleSpec(control_id, "stack", func, spec_types, dict(config or {})))
        return func

    return mark


def remediation(control_id: str) -> Callable[[Callable[[RuleContext], Any]], Callable[[RuleContext], Any]]:
    """Mark ``func(ctx) -> dict | None`` (the full new property map) as the automatic fix of ``control_id``."""

    def mark(func: Callable[[RuleContext], Any]) -> Callable[[RuleContext], Any]:
        setattr(func, _REMEDIATION_ATTR, control_id)
        return func

    return mark


@dataclass
class CollectedRules:
    rules: dict[str, RuleSpec] = field(default_factory=dict)
    remediations: dict[str, Callable[[RuleContext], Any]] = field(default_factory=dict)


def _merged(first: RuleSpec, second: RuleSpec) -> RuleSpec:
    """One resource rule for a control out of two written for different resource types."""
    cid = first.control_id
    if first.kind != "resource" or second.kind != "resource":
        raise ValueError(f"control {cid!r} has two rules")
    if set(first.types) & set(second.types):
        raise ValueError(f"control {cid!r} has two rules for {sorted(set(first.types) & set(second.types))}")
    clash = [k for k in set(first.config) & set(second.config) if first.config[k] != second.config[k]]
    if clash:
        raise ValueError(f"control {cid!r}: its rules declare config {clash} differently")
    table = {t: first.func for t in first.types} | {t: second.func for t in second.types}

    def by_type(ctx: RuleContext) -> Any:
        return table[ctx.resource_type](ctx)

    return RuleSpec(cid, "resource", by_type, first.types + second.types, {**first.config, **second.config})


def collect(modules: Iterable[ModuleType]) -> CollectedRules:
    found = CollectedRules()
    seen: set[int] = set()
    for module in modules:
        for value in vars(module).values():
            if id(value) in seen:
                continue  # a rule one module imports from another is the same rule
            seen.add(id(value))
            spec = getattr(value, _RULE_ATTR, None)
            if isinstance(spec, RuleSpec):
                if spec.control_id in found.rules:
                    spec = _merged(found.rules[spec.control_id], spec)
                found.rules[spec.control_id] = spec
            fixed = getattr(value, _REMEDIATION_ATTR, None)
            if isinstance(fixed, str):
                if fixed in found.remediations:
                    raise ValueError(f"control {fixed!r} has two remediations")
                found.remediations[fixed] = value
    return found


# --- config and exemptions --------------------------------------------------------------------------------


def effective_config(spec: RuleSpec, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """Schema defaults overlaid with what the engine sent (it normally sends the defaults itself)."""
    config = {key: prop.get("default") for key, prop in spec.config.items()}
    config["exemptions"] = []
    if given:
        config.update(given)
    return config


def as_of_date(config: Mapping[str, Any]) -> dt.date:
    """The config's ``asOf`` date (YYYY-MM-DD) for rules that judge age, else today (UTC)."""
    value = config.get("asOf")
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise NotApplicable(f"config asOf {value!r} is not a YYYY-MM-DD date") from None
    return dt.datetime.now(dt.UTC).date()


def exemption_reason(config: Mapping[str, Any], name: str, urn: str) -> str | None:
    entries = config.get("exemptions")
    if not isinstance(entries, list):
        return None
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        pattern, reason = entry.get("pattern"), entry.get("reason")
        if not isinstance(pattern, str) or not isinstance(reason, str) or not reason.strip():
            continue
        if fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(urn, pattern):
            return reason
    return None


# --- policies ------------------------------------------------------------------------------------------------


def _rule_context(args: ResourceValidationArgs, config: Mapping[str, Any]) -> RuleContext:
    return RuleContext(args.props, args.resource_type, args.name, args.urn, config, args.provider)


def _declared_at(component: str) -> str:
    return f"reported on the {component} component that created it, where the program declares it"


def _resource_validate(spec: RuleSpec) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not spec.applies_to(args.resource_type):
            return
        component = spec.declared_by(args.urn)
        if component is not None:
            args.not_applicable(_declared_at(component))
        config = effective_config(spec, args.get_config())
        reason = exemption_reason(config, args.name, args.urn)
        if reason is not None:
            args.not_applicable(f"exempted: {reason}")
        ctx = _rule_context(args, config)
        try:
            messages = list(spec.func(ctx))
        except UnknownValueError:
            raise  # the SDK reports it as "can't run policy ... during preview": not checkable until apply
        except NotApplicable as exc:
            args.not_applicable(exc.reason)
            return
        except Exception as exc:  # a policy must never crash the engine: say precisely what went wrong
            report(f"{INTERNAL_ERROR_PREFIX}: {type(exc).__name__}: {exc}")
            return
        for message in messages:
            report(message)

    return validate


def _resource_remediate(spec: RuleSpec, fix: Callable[[RuleContext], Any]) -> Callable[[ResourceValidationArgs], Any]:
    def remediate(args: ResourceValidationArgs) -> Any:
        # A component's inputs are not the resource a remediation was written for: components are reported only.
        if not spec.applies_to(args.resource_type) or args.resource_type in COMPONENT_TYPES:
            return None
        if spec.declared_by(args.urn) is not None:
            return None
        config = effective_config(spec, args.get_config())
        if exemption_reason(config, args.name, args.urn) is not None:
            return None
        try:
            return fix(_rule_context(args, config))
        except UnknownValueError:
            raise
        except NotApplicable as exc:
            args.not_applicable(exc.reason)
        except Exception:  # leave the resource as it is; validation will report it
            return None

    return remediate


def _stack_validate(spec: RuleSpec) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        config = effective_config(spec, args.get_config())
        ctx = StackContext(args.resources, config, spec.declared_by)
        try:
            findings = list(spec.func(ctx))
        except UnknownValueError:
            raise
        except NotApplicable as exc:
            args.not_applicable(exc.reason)
            return
        except Exception as exc:
            report(f"{INTERNAL_ERROR_PREFIX}: {type(exc).__name__}: {exc}")
            return
        for message, urn in findings:
            if urn and spec.declared_by(urn) is not None:
                continue  # the rule reports it on the component that created the resource
            if urn and exemption_reason(config, urn.rsplit("::", 1)[-1], urn) is not None:
                continue
            report(message, urn)

    return validate


RESOURCE_TYPE_TAG = "resource-type:"


def default_level(control: Control) -> EnforcementLevel:
    """Critical/high mandatory, medium/low advisory; account-level controls advisory (the stack may rely on a
    service declared elsewhere)."""
    mandatory = control.mandatory_by_default and not control.account_level
    return EnforcementLevel.MANDATORY if mandatory else EnforcementLevel.ADVISORY


def _metadata(control: Control, spec: RuleSpec) -> dict[str, Any]:
    refs = control.references
    tags = [control.area, *(f"checkov:{c}" for c in refs.checkov), *(f"securityhub:{s}" for s in refs.security_hub)]
    tags += [*(f"prowler:{p}" for p in refs.prowler), *(f"kubescape:{k}" for k in refs.kubescape)]
    # Published in GetAnalyzerInfo so `eksguard check` can tell "passed" from "no resource of these types".
    tags += [f"{RESOURCE_TYPE_TAG}{t}" for t in spec.types]
    framework = (
        PolicyComplianceFramework(name="CIS Amazon EKS Benchmark", version="1.8.0", reference=", ".join(refs.cis))
        if refs.cis
        else None
    )
    return {
        "enforcement_level": default_level(control),
        "config_schema": PolicyConfigSchema(properties={**spec.config, "exemptions": EXEMPTIONS_SCHEMA}),
        "display_name": control.title,
        "severity": SEVERITY[control.severity],
        "framework": framework,
        "tags": tags,
        "remediation_steps": control.remediation,
    }


def build_policies(
    catalogue: Catalogue, collected: CollectedRules
) -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """One policy per catalogue control, in catalogue order."""
    missing = [cid for cid in catalogue if cid not in collected.rules]
    orphans = [cid for cid in collected.rules if cid not in catalogue]
    stray_fixes = [cid for cid in collected.remediations if cid not in collected.rules]
    if missing or orphans or stray_fixes:
        raise ValueError(
            f"catalogue and rules disagree: controls without a rule {missing}, rules without a control {orphans}, "
            f"remediations without a rule {stray_fixes}"
        )
    policies: list[ResourceValidationPolicy | StackValidationPolicy] = []
    for cid, control in catalogue.items():
        spec = collected.rules[cid]
        description = control.title
        if spec.kind == "stack":
            policies.append(StackValidationPolicy(cid, description, _stack_validate(spec), **_metadata(control, spec)))
            continue
        fix = collected.remediations.get(cid)
        policy = ResourceValidationPolicy(
            cid,
            description,
            validate=_resource_validate(spec),
            remediate=_resource_remediate(spec, fix) if fix else None,
            **_metadata(control, spec),
        )
        # servicer.TypeDispatchingServicer calls a policy only for these types (validate ignores any other).
        setattr(policy, RESOURCE_TYPES_ATTR, frozenset(spec.types))
        policies.append(policy)
    return policies
