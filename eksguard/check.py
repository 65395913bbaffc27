"""``eksguard check``: run a program under the embedded engine, drive the policy pack(s), build the Report.

The pack is only ever reached over the analyzer protocol, in the engine's order: GetAnalyzerInfo,
Configure (schema defaults, the pack's initial config, then ``--policy-pack-config``), ConfigureStack,
Remediate (only when a policy is at level ``remediate``; later calls see the remediated properties),
Analyze per resource, AnalyzeStack once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jsonschema
from eksguard_policies.catalogue import AREAS, Catalogue, Control, default_catalogue
from pulumi.runtime.proto import analyzer_pb2

from eksguard.analyzer import (
    LEVEL_NAMES,
    LEVELS,
    SEVERITY_NAMES,
    AnalyzeResult,
    PolicyPackError,
    PolicyPackProcess,
    config_with_defaults,
    pack_python,
    struct_to_dict,
)
from eksguard.engine import (
    InvokeFixtures,
    ProgramRun,
    RecordedResource,
    UsageError,
    default_variables,
    load_project,
    run_program,
)
from eksguard.report import ControlResult, Finding, Report, SourceLocation
from eksguard.wire import to_wire

OTHER_AREA = "other-policies"
"""Area key of policies that are not in the catalogue (a user's own pack)."""
RESOURCE_TYPE_TAG = "resource-type:"
_NOT_CHECKABLE_PREFIX = "can't run policy '"
_NOT_CHECKABLE_MARK = "during preview"


@dataclass
class CheckOptions:
    program: Path
    stack: str | None = None
    """None: ``dev``, or the project's only stack."""
    policy_packs: list[Path] = field(default_factory=list)
    policy_pack_configs: list[Path] = field(default_factory=list)
    """Paired with ``policy_packs`` by position, as the Pulumi CLI pairs them."""
    fixtures: list[Path] = field(default_factory=list)
    live_lookups: bool = False
    assume_apply: bool = False
    source_root: Path | None = None


@dataclass(frozen=True)
class PropertyChange:
    path: str
    before: Any
    after: Any


@dataclass
class RemediationRecord:
    urn: str
    policy: str
    pack: str
    changes: list[PropertyChange]
    location: SourceLocation | None = None


@dataclass
class CheckOutcome:
    report: Report
    run: ProgramRun
    remediations: list[RemediationRecord]


class Progress:
    """Progress hooks; the terminal reporter supplies one that draws a bar."""

    def stage(self, name: str, total: int | None = None) -> None: ...

    def advance(self, count: int = 1) -> None: ...


# ---------------------------------------------------------------------------------------------------
# policy config (Pulumi's --policy-pack-config format)


def read_policy_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise UsageError(f"cannot read policy config {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"policy config {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"policy config {path} must be a JSON object of policy name to level or settings")
    return data


def _check_level(value: Any, where: str) -> None:
    if value not in LEVELS:
        raise UsageError(f"{where}: enforcement level {value!r} is not one of {', '.join(LEVELS)}")


def validate_policy_config(config: Mapping[str, Any], info: analyzer_pb2.AnalyzerInfo, source: Path) -> None:
    """Reject what the engine would reject: unknown policies, bad levels, settings outside the schema."""
    policies = {p.name: p for p in info.policies}
    for name, entry in config.items():
        where = f"policy config {source}, policy {name!r}"
        if name != "all" and name not in policies:
            raise UsageError(
                f"policy config {source} names policy {name!r}, which pack {info.name!r} does not have "
                f"(its policies: {', '.join(sorted(policies))})"
            )
        if isinstance(entry, str):
            _check_level(entry, where)
            continue
        if not isinstance(entry, dict):
            raise UsageError(f"{where}: expected a level or an object, got {type(entry).__name__}")
        if "enforcementLevel" in entry:
            _check_level(entry["enforcementLevel"], where)
        settings = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        if name == "all":
            if settings:
                raise UsageError(f"{where}: 'all' takes only an enforcement level")
            continue
        policy = policies[name]
        schema: dict[str, Any] = {"type": "object", "properties": {}}
        if policy.HasField("configSchema"):
            schema["properties"] = struct_to_dict(policy.configSchema.properties)
        try:
            jsonschema.validate(settings, schema)
        except jsonschema.ValidationError as exc:
            at = "/".join(str(p) for p in exc.absolute_path) or "(top)"
            raise UsageError(f"{where}: setting {at}: {exc.message}") from None


def _initial_config(info: analyzer_pb2.AnalyzerInfo) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, entry in info.initialConfig.items():
        value: dict[str, Any] = struct_to_dict(entry.properties) if entry.HasField("properties") else {}
        if entry.enforcementLevel or not value:
            value["enforcementLevel"] = LEVEL_NAMES.get(entry.enforcementLevel, "advisory")
        out[name] = value
    return out


# ---------------------------------------------------------------------------------------------------
# the run


@dataclass
class _PackRun:
    process: PolicyPackProcess
    info: analyzer_pb2.AnalyzerInfo
    config: dict[str, dict[str, Any]]

    @property
    def label(self) -> str:
        return f"{self.info.name}@v{self.version}"

    @property
    def version(self) -> str:
        return self.process.version or self.info.version


def _validate_inputs(options: CheckOptions) -> list[dict[str, Any]]:
    if len(options.policy_pack_configs) > len(options.policy_packs):
        raise UsageError(
            "more --policy-pack-config files than policy packs: each config goes with the pack in the same position"
        )
    for pack in options.policy_packs:
        if not (Path(pack) / "PulumiPolicy.yaml").is_file():
            raise UsageError(f"policy pack {pack} is not a policy pack directory (no PulumiPolicy.yaml)")
        try:
            pack_python(pack)
        except PolicyPackError as exc:
            raise UsageError(str(exc)) from None
    return [read_policy_config(p) for p in options.policy_pack_configs]


def _start_packs(options: CheckOptions, stack: ExitStack, pool: ThreadPoolExecutor) -> list[Future]:
    futures = []
    for pack in options.policy_packs:
        process = PolicyPackProcess(pack)
        stack.callback(process.stop)
        futures.append(pool.submit(process.start))
    return futures


def run_check(
    options: CheckOptions,
    catalogue: Catalogue | None = None,
    progress: Progress | None = None,
) -> CheckOutcome:
    progress = progress or Progress()
    catalogue = catalogue if catalogue is not None else default_catalogue()
    user_configs = _validate_inputs(options)
    project = load_project(options.program, options.stack)
    region = project.config.get("aws:region", "us-east-1")
    live = None
    if options.live_lookups:
        from eksguard.engine.live import LiveLookups

        live = LiveLookups(region)
    fixtures = InvokeFixtures(options.fixtures, variables=default_variables(region))

    with ExitStack() as stack, ThreadPoolExecutor(max_workers=max(1, len(options.policy_packs))) as pool:
        # Packs start (a second or so each) while the program runs.
        starting = _start_packs(options, stack, pool)
        progress.stage("running program")
        run = run_program(
            project,
            fixtures=fixtures,
            live_lookups=live,
            assume_apply=options.assume_apply,
            source_root=options.source_root,
            on_resource=lambda _n: progress.advance(),
        )
        try:
            packs = [
                _configure(future.result(), run, user_configs[i] if i < len(user_configs) else {}, options, i)
                for i, future in enumerate(starting)
            ]
            return _evaluate(run, packs, catalogue, progress)
        except PolicyPackError as exc:
            # A pack that does not start, or a policy that raised: no verdict rather than an incomplete one.
            raise UsageError(str(exc).splitlines()[0]) from None


def _configure(
    process: PolicyPackProcess, run: ProgramRun, user: dict[str, Any], options: CheckOptions, index: int
) -> _PackRun:
    """GetAnalyzerInfo, Configure (schema defaults < the pack's initial config < the user's), ConfigureStack."""
    info = process.get_analyzer_info()
    if user:
        validate_policy_config(user, info, options.policy_pack_configs[index])
    config = config_with_defaults(info, {**_initial_config(info), **user})
    process.configure(config)
    process.configure_stack(
        stack=run.project.stack, project=run.project.name, dry_run=run.preview, config=run.project.config
    )
    return _PackRun(process, info, config)


def _flatten_diff(before: Any, after: Any, path: str = "") -> Iterator[PropertyChange]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            yield from _flatten_diff(before.get(key), after.get(key), f"{path}.{key}" if path else key)
    elif before != after:
        yield PropertyChange(path or "(all)", before, after)


def _remediate(run: ProgramRun, packs: list[_PackRun], progress: Progress) -> list[RemediationRecord]:
    remediating = [p for p in packs if any(e.get("enforcementLevel") == "remediate" for e in p.config.values())]
    records: list[RemediationRecord] = []
    if not remediating:
        return records
    progress.stage("remediating", len(run.resources))
    for recorded in run.resources:
        for pack in remediating:
            for remediation in pack.process.remediate(recorded.resource):
                if remediation.properties is None:
                    continue
                before = dict(recorded.resource.properties)
                after = to_wire(remediation.properties)
                recorded.resource = replace(recorded.resource, properties=after)
                records.append(
                    RemediationRecord(
                        urn=recorded.resource.urn,
                        policy=remediation.policy,
                        pack=pack.label,
                        changes=list(_flatten_diff(before, after)),
                        location=recorded.location,
                    )
                )
        progress.advance()
    return records


@dataclass
class _PolicyTally:
    violations: list[Finding] = field(default_factory=list)
    not_checkable: list[Finding] = field(default_factory=list)
    not_applicable: Counter = field(default_factory=Counter)
    """Reason to the number of resources the policy said it did not apply to."""
    stack_not_applicable: str | None = None


def _evaluate(run: ProgramRun, packs: list[_PackRun], catalogue: Catalogue, progress: Progress) -> CheckOutcome:
    remediations = _remediate(run, packs, progress)
    by_urn = {r.resource.urn: r for r in run.resources}
    tallies: dict[str, _PolicyTally] = defaultdict(_PolicyTally)
    # A finding about the whole stack points at the program's entry file (code scanning needs a line).
    stack_location = _entry_location(run)

    def finding(policy: str, urn: str, message: str, level: str) -> Finding:
        recorded = by_urn.get(urn)
        res = recorded.resource if recorded else None
        return Finding(
            control_id=policy,
            resource=urn or run.stack_urn,
            message=message,
            level=level,
            resource_type=res.type if res else ("pulumi:pulumi:Stack" if urn in ("", run.stack_urn) else ""),
            resource_name=res.name if res else "",
            location=_declared_at(recorded, by_urn) or stack_location,
        )

    def absorb(result: AnalyzeResult, resource_urn: str | None) -> None:
        for d in result.diagnostics:
            tally = tallies[d.policy]
            urn = d.urn or resource_urn or ""
            if d.message.startswith(_NOT_CHECKABLE_PREFIX) and _NOT_CHECKABLE_MARK in d.message:
                detail = d.message.split(f"{_NOT_CHECKABLE_MARK}: ", 1)[-1]
                tally.not_checkable.append(finding(d.policy, urn, detail, "advisory"))
            else:
                # pulumi_policy prefixes each violation with the policy description; the report shows both apart.
                message = d.message
                if d.description and message.startswith(d.description + "\n"):
                    message = message[len(d.description) + 1 :]
                tally.violations.append(finding(d.policy, urn, message, d.level))

    resources = [r.resource for r in run.resources]
    for pack in packs:
        progress.stage(f"analyzing with {pack.label}", len(resources))
        for resource, result in zip(resources, pack.process.analyze_many(resources), strict=True):
            absorb(result, resource.urn)
            for policy, reason in result.not_applicable.items():
                tallies[policy].not_applicable[reason] += 1
            progress.advance()
        progress.stage(f"analyzing the stack with {pack.label}")
        stack_result = pack.process.analyze_stack(resources)
        absorb(stack_result, None)
        for policy, reason in stack_result.not_applicable.items():
            tallies[policy].stack_not_applicable = reason or "not applicable to this stack"

    results = _results(run, packs, catalogue, tallies)
    report = Report(
        tool="check",
        target=_target(run, packs),
        results=results,
        generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        extra={"remediations": [_remediation_json(r) for r in remediations]},
    )
    return CheckOutcome(report=report, run=run, remediations=remediations)


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


def _results(
    run: ProgramRun, packs: list[_PackRun], catalogue: Catalogue, tallies: Mapping[str, _PolicyTally]
) -> list[ControlResult]:
    type_counts = Counter(r.resource.type for r in run.resources)
    analyzed = len(run.resources)
    policies: dict[str, tuple[analyzer_pb2.PolicyInfo, str]] = {}
    for pack in packs:
        for policy in pack.info.policies:
            level = pack.config.get(policy.name, {}).get("enforcementLevel", "advisory")
            # Several packs may carry the same policy: it counts as enabled when any pack enables it.
            if policy.name not in policies or policies[policy.name][1] == "disabled":
                policies[policy.name] = (policy, level)

    controls: dict[str, Control] = dict(catalogue.items())
    for name, (policy, _) in policies.items():
        controls.setdefault(name, _synthesized_control(policy))

    results: list[ControlResult] = []
    for cid, control in controls.items():
        if cid not in policies:
            results.append(ControlResult(control, "not_applicable", reason="no policy in the pack(s) run checks it"))
            continue
        policy, level = policies[cid]
        tally = tallies.get(cid, _PolicyTally())
        types = declared_types(policy)
        candidates = sum(type_counts[t] for t in types) if types else analyzed
        evaluated = candidates - tally.not_applicable.total()
        if level == "disabled":
            result = ControlResult(control, "not_applicable", reason="disabled by the policy configuration")
        elif tally.violations:
            result = ControlResult(control, "violated", findings=tally.violations)
        elif tally.not_checkable:
            first = tally.not_checkable[0].message
            result = ControlResult(
                control,
                "not_checkable",
                findings=tally.not_checkable,
                reason=f"depends on values known only after apply ({first})",
            )
        elif tally.stack_not_applicable is not None or (
            policy.policy_type != analyzer_pb2.POLICY_TYPE_STACK and evaluated <= 0
        ):
            reason = (
                tally.stack_not_applicable
                or (tally.not_applicable.most_common(1)[0][0] if tally.not_applicable else "")
                or (f"the program declares no {', '.join(sorted(types))}" if types else "no resource it applies to")
            )
            result = ControlResult(control, "not_applicable", reason=reason)
        else:
            result = ControlResult(control, "passed")
        result.resources_evaluated = (
            max(evaluated, 0) if policy.policy_type != analyzer_pb2.POLICY_TYPE_STACK else analyzed
        )
        results.append(result)
    area_order = {area: i for i, area in enumerate(AREAS)}
    results.sort(key=lambda r: area_order.get(r.control.area, len(area_order)))
    return results


def _target(run: ProgramRun, packs: list[_PackRun]) -> dict[str, Any]:
    program = run.project.directory
    try:
        shown = program.relative_to(run.source_root).as_posix() or "."
    except ValueError:
        shown = str(program)
    return {
        "program": shown,
        "project": run.project.name,
        "stack": run.project.stack,
        "mode": "preview" if run.preview else "apply",
        "resources": len(run.resources),
        "policy_packs": [{"name": p.info.name, "version": p.version} for p in packs],
    }


def _remediation_json(record: RemediationRecord) -> dict[str, Any]:
    return {
        "resource": record.urn,
        "policy": record.policy,
        "pack": record.pack,
        "location": {"file": record.location.file, "line": record.location.line} if record.location else None,
        "changes": [{"path": c.path, "before": c.before, "after": c.after} for c in record.changes],
    }
