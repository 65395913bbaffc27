"""From what the packs said to one verdict per control: tally each policy's diagnostics into findings located
in the program or the account, then decide passed, violated, not checkable (until apply, or offline) or not
applicable.

The resources judged come from a program run (``check``) or from live reads (``audit``): :class:`Judged` says
which, so both are tallied, decided and covered the same way."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eksguard_policies.catalogue import AREAS, Catalogue, Control
from eksguard_policies.framework import OFFLINE_MARKER
from pulumi.runtime.proto import analyzer_pb2

from eksguard.engine import ProgramRun, RecordedResource
from eksguard.protocol.messages import SEVERITY_NAMES, AnalyzeResult, Resource
from eksguard.reporters.model import ControlResult, Coverage, Finding, SourceLocation, Status, UnjudgedType

OTHER_AREA = "other-policies"
"""Area key of policies that are not in the catalogue (a user's own pack)."""
RESOURCE_TYPE_TAG = "resource-type:"
_NOT_CHECKABLE_PREFIX = "can't run policy '"
_NOT_CHECKABLE_MARK = "during preview"

PackPolicies = tuple[analyzer_pb2.AnalyzerInfo, Mapping[str, Mapping[str, Any]]]
"""A pack's GetAnalyzerInfo answer and the config it was sent."""


@dataclass(frozen=True)
class Judged:
    """The resources the packs judged and how the report speaks of them."""

    resources: Sequence[RecordedResource]
    stack_urn: str
    stack_location: SourceLocation | None = None
    """Where a finding about the whole stack points (a program's entry file); None for live resources."""
    absent: str = "the program declares no"
    """How a not-applicable reason says that no resource of a policy's types was judged."""
    alone: str = "the program alone"
    """What a control that is not checkable offline could not be decided from."""
    packages: tuple[str, ...] = ()
    """The packages whose types the resources can be of (``aws``, ``kubernetes`` for live resources; empty: any),
    so a not-applicable reason names no type that could not have been there (a pulumi-eks component is never live)."""

    def named(self, types: frozenset[str]) -> str:
        """``types`` as a not-applicable reason names them."""
        possible = [t for t in types if not self.packages or t.split(":", 1)[0] in self.packages]
        return ", ".join(sorted(possible or types))

    @classmethod
    def of_run(cls, run: ProgramRun) -> Judged:
        # A finding about the whole stack points at the program's entry file (code scanning needs a line).
        return cls(run.resources, run.stack_urn, _entry_location(run))


def _judged(subject: ProgramRun | Judged) -> Judged:
    return subject if isinstance(subject, Judged) else Judged.of_run(subject)


@dataclass
class PolicyTally:
    """Everything the packs said about one policy."""

    violations: list[Finding] = field(default_factory=list)
    not_checkable: list[Finding] = field(default_factory=list)
    offline: list[Finding] = field(default_factory=list)
    """Resources (or the stack) the policy applies to but could not judge offline (framework.OFFLINE_MARKER)."""
    not_applicable: Counter = field(default_factory=Counter)
    """Reason to the number of resources the policy said it did not apply to."""
    stack_not_applicable: str | None = None


class PolicyTallies:
    """The tally of every policy over one program run (or one set of live resources)."""

    def __init__(self, run: ProgramRun | Judged) -> None:
        self.by_policy: dict[str, PolicyTally] = defaultdict(PolicyTally)
        self.declined: dict[str, set[str]] = defaultdict(set)
        """Resource URN to the policies that said they do not apply to it."""
        self._run = _judged(run)
        self._by_urn = {r.resource.urn: r for r in self._run.resources}
        self._stack_location = self._run.stack_location

    def add_resource_result(self, result: AnalyzeResult, resource_urn: str) -> None:
        """Count a pack's Analyze answer for the resource ``resource_urn``."""
        self._absorb(result, resource_urn)
        for policy, reason in result.not_applicable.items():
            self.by_policy[policy].not_applicable[reason] += 1
            self.declined[resource_urn].add(policy)
            if reason.startswith(OFFLINE_MARKER):
                self._offline(policy, resource_urn, reason)

    def add_stack_result(self, result: AnalyzeResult) -> None:
        """Count a pack's AnalyzeStack answer."""
        self._absorb(result, None)
        for policy, reason in result.not_applicable.items():
            if reason.startswith(OFFLINE_MARKER):
                self._offline(policy, "", reason)
            else:
                self.by_policy[policy].stack_not_applicable = reason or "not applicable to this stack"

    def _offline(self, policy: str, urn: str, reason: str) -> None:
        detail = reason.removeprefix(OFFLINE_MARKER)
        self.by_policy[policy].offline.append(self._finding(policy, urn, detail, "advisory"))

    def _absorb(self, result: AnalyzeResult, resource_urn: str | None) -> None:
        for d in result.diagnostics:
            tally = self.by_policy[d.policy]
            urn = d.urn or resource_urn or ""
            if d.message.startswith(_NOT_CHECKABLE_PREFIX) and _NOT_CHECKABLE_MARK in d.message:
                detail = d.message.split(f"{_NOT_CHECKABLE_MARK}: ", 1)[-1]
                tally.not_checkable.append(self._finding(d.policy, urn, detail, "advisory"))
            else:
                # pulumi_policy prefixes each violation with the policy description; the report shows both apart.
                message = d.message
                if d.description and message.startswith(d.description + "\n"):
                    message = message[len(d.description) + 1 :]
                tally.violations.append(self._finding(d.policy, urn, message, d.level))

    def _finding(self, policy: str, urn: str, message: str, level: str) -> Finding:
        run = self._run
        recorded = self._by_urn.get(urn)
        res = recorded.resource if recorded else None
        return Finding(
            control_id=policy,
            resource=urn or run.stack_urn,
            message=message,
            level=level,
            resource_type=res.type if res else ("pulumi:pulumi:Stack" if urn in ("", run.stack_urn) else ""),
            resource_name=res.name if res else "",
            location=_declared_at(recorded, self._by_urn) or self._stack_location,
        )


def _entry_location(run: ProgramRun) -> SourceLocation:
    main = run.project.main.resolve()
    try:
        return SourceLocation(file=main.relative_to(run.source_root).as_posix(), line=1)
    except ValueError:  # a --source-root outside the program: paths are relative to the program, as the locator's
        return SourceLocation(file=main.relative_to(run.project.directory).as_posix(), line=1)


def _declared_at(recorded: RecordedResource | None, by_urn: Mapping[str, RecordedResource]) -> SourceLocation | None:
    """Where the program declared the resource, else its nearest ancestor (a resource a library creates in a
    callback has no frame in the program), so code scanning always has a line to annotate."""
    seen: set[str] = set()
    while recorded is not None and recorded.resource.urn not in seen:
        if recorded.location is not None:
            return recorded.location
        seen.add(recorded.resource.urn)
        recorded = by_urn.get(recorded.resource.parent)
    return None


def declared_types(policy: analyzer_pb2.PolicyInfo) -> frozenset[str]:
    """The resource types a policy says it checks (``resource-type:<token>`` tags, as the eksguard pack
    publishes them); empty when it does not say, and then every analyzed resource counts."""
    return frozenset(t[len(RESOURCE_TYPE_TAG) :] for t in policy.tags if t.startswith(RESOURCE_TYPE_TAG))


def _synthesized_control(policy: analyzer_pb2.PolicyInfo) -> Control:
    severity = SEVERITY_NAMES.get(policy.severity, "unspecified")
    return Control(
        id=policy.name,
        title=policy.displayName or policy.name,
        area=OTHER_AREA,
        severity=severity if severity != "unspecified" else "medium",
        description=policy.description,
        remediation=policy.remediation_steps,
        component="",
    )


def _policies_run(packs: Sequence[PackPolicies]) -> dict[str, tuple[analyzer_pb2.PolicyInfo, str]]:
    """Each policy the packs carry, with its enforcement level."""
    policies: dict[str, tuple[analyzer_pb2.PolicyInfo, str]] = {}
    for info, config in packs:
        for policy in info.policies:
            level = config.get(policy.name, {}).get("enforcementLevel", "advisory")
            # Several packs may carry the same policy: it counts as enabled when any pack enables it.
            if policy.name not in policies or policies[policy.name][1] == "disabled":
                policies[policy.name] = (policy, level)
    return policies


def _undecided(tally: PolicyTally, judged: Judged) -> tuple[Status, list[Finding], str] | None:
    """What kept a control without violations from a verdict, if anything: values known only at apply first, then
    what the program (or the live declarations) alone cannot say (an offline answer is never a pass nor not
    applicable)."""
    if tally.not_checkable:
        return "not_checkable", tally.not_checkable, "depends on values known only after apply"
    if tally.offline:
        return "not_checkable_offline", tally.offline, f"cannot be decided from {judged.alone}"
    return None


def control_results(
    run: ProgramRun | Judged,
    packs: Sequence[PackPolicies],
    catalogue: Catalogue,
    tallies: Mapping[str, PolicyTally],
) -> list[ControlResult]:
    """One result per catalogue control and per policy outside it, in the catalogue's area order."""
    judged = _judged(run)
    type_counts = Counter(r.resource.type for r in judged.resources)
    analyzed = len(judged.resources)
    policies = _policies_run(packs)

    controls: dict[str, Control] = dict(catalogue.items())
    for name, (policy, _) in policies.items():
        controls.setdefault(name, _synthesized_control(policy))

    results: list[ControlResult] = []
    for cid, control in controls.items():
        if cid not in policies:
            results.append(ControlResult(control, "not_applicable", reason="no policy in the pack(s) run checks it"))
            continue
        policy, level = policies[cid]
        tally = tallies.get(cid, PolicyTally())
        types = declared_types(policy)
        candidates = sum(type_counts[t] for t in types) if types else analyzed
        evaluated = candidates - tally.not_applicable.total()
        if level == "disabled":
            result = ControlResult(control, "not_applicable", reason="disabled by the policy configuration")
        elif tally.violations:
            result = ControlResult(
                control,
                "violated",
                findings=tally.violations,
                not_checkable=tally.not_checkable,
                not_checkable_offline=tally.offline,
            )
        elif undecided := _undecided(tally, judged):
            status, findings, why = undecided
            result = ControlResult(control, status, findings=findings, reason=f"{why} ({findings[0].message})")
        elif tally.stack_not_applicable is not None or (
            # a stack policy that names the types it reads, like a resource policy, had nothing to read
            evaluated <= 0 and (policy.policy_type != analyzer_pb2.POLICY_TYPE_STACK or bool(types))
        ):
            reason = (
                tally.stack_not_applicable
                or (tally.not_applicable.most_common(1)[0][0] if tally.not_applicable else "")
                or (f"{judged.absent} {judged.named(types)}" if types else "no resource it applies to")
            )
            result = ControlResult(control, "not_applicable", reason=reason)
        else:
            result = ControlResult(control, "passed")
        # a stack policy reads every resource of the types it declares (all of them when it declares none)
        result.resources_evaluated = (
            max(evaluated, 0) if policy.policy_type != analyzer_pb2.POLICY_TYPE_STACK else candidates
        )
        results.append(result)
    area_order = {area: i for i, area in enumerate(AREAS)}
    results.sort(key=lambda r: area_order.get(r.control.area, len(area_order)))
    return results


def judged_types(packs: Sequence[PackPolicies]) -> tuple[frozenset[str], frozenset[str]]:
    """The resource types the enabled policies declare they read (resource policies: the types they check; stack
    policies: the types they read across the stack, such as the subnets a node is placed in), and the names of the
    enabled resource policies that declare none (those run on every resource and judge the ones they do not
    decline). A stack policy that declares no type judges no type in particular."""
    types: set[str] = set()
    untagged: set[str] = set()
    for policy, level in _policies_run(packs).values():
        if level == "disabled":
            continue
        declared = declared_types(policy)
        types |= declared
        if not declared and policy.policy_type != analyzer_pb2.POLICY_TYPE_STACK:
            untagged.add(policy.name)
    return frozenset(types), frozenset(untagged)


def coverage(
    resources: Sequence[Resource],
    packs: Sequence[PackPolicies],
    declined: Mapping[str, set[str]] | None = None,
    remote: frozenset[str] = frozenset(),
    unanswered_invokes: Sequence[str] = (),
) -> Coverage:
    """How many of ``resources`` some enabled policy judged, and the types of the others.

    Data-driven from what the packs publish (``resource-type:<token>`` tags, of resource and stack policies), so
    a pack that adds rules for a type (pulumi-eks components, say) counts it as judged from then on. ``remote``
    holds the URNs of components served by another plugin, whose children a real preview would show.
    ``declined`` maps a resource URN to the policies that answered not-applicable for it
    (:attr:`PolicyTallies.declined`). Works on any analyzer Resources (the audit's too), with or without a
    program run.
    """
    types, untagged = judged_types(packs)
    judged = 0
    missed: Counter = Counter()
    for resource in resources:
        if resource.type in types or untagged - (declined or {}).get(resource.urn, set()):
            judged += 1
        else:
            missed[(resource.type, resource.urn in remote)] += 1
    not_judged = tuple(
        UnjudgedType(type=t, count=n, remote=r) for (t, r), n in sorted(missed.items(), key=lambda i: (-i[1], i[0]))
    )
    return Coverage(
        resources=len(resources), judged=judged, not_judged=not_judged, unanswered_invokes=tuple(unanswered_invokes)
    )
