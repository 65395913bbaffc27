"""``eksguard check``: run a program under the embedded engine, drive the policy pack(s), build the Report.

The pack is only ever reached over the analyzer protocol, in the engine's order: GetAnalyzerInfo,
Configure (schema defaults, the pack's initial config, then ``--policy-pack-config``), ConfigureStack,
Remediate (only when a policy is at level ``remediate``; later calls see the remediated properties),
Analyze per resource, AnalyzeStack once.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eksguard_policies.catalogue import Catalogue, default_catalogue
from pulumi.runtime.proto import analyzer_pb2

from eksguard.analyzer import PolicyPackError, PolicyPackProcess, config_with_defaults, pack_python
from eksguard.engine import (
    InvokeFixtures,
    ProgramRun,
    UsageError,
    default_variables,
    load_project,
    run_program,
)
from eksguard.policy_config import initial_config, read_policy_config, validate_policy_config
from eksguard.remediation import RemediationRecord, remediate_resource, remediation_json
from eksguard.report import Report
from eksguard.verdicts import PolicyTallies, control_results


@dataclass
class CheckOptions:
    """What ``eksguard check`` was asked to do (the CLI's arguments)."""

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


@dataclass
class CheckOutcome:
    """The verdict, the program run it judged and the remediations applied before judging."""

    report: Report
    run: ProgramRun
    remediations: list[RemediationRecord]


class Progress:
    """Progress hooks; the terminal reporter supplies one that draws a bar."""

    def stage(self, name: str, total: int | None = None) -> None: ...

    def advance(self, count: int = 1) -> None: ...


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
    """Run the program, drive each policy pack over it and build the Report; UsageError on bad input."""
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
    config = config_with_defaults(info, {**initial_config(info), **user})
    process.configure(config)
    process.configure_stack(
        stack=run.project.stack, project=run.project.name, dry_run=run.preview, config=run.project.config
    )
    return _PackRun(process, info, config)


def _remediate(run: ProgramRun, packs: list[_PackRun], progress: Progress) -> list[RemediationRecord]:
    remediating = [p for p in packs if any(e.get("enforcementLevel") == "remediate" for e in p.config.values())]
    records: list[RemediationRecord] = []
    if not remediating:
        return records
    progress.stage("remediating", len(run.resources))
    for recorded in run.resources:
        for pack in remediating:
            records.extend(remediate_resource(recorded, pack.process, pack.label))
        progress.advance()
    return records


def _evaluate(run: ProgramRun, packs: list[_PackRun], catalogue: Catalogue, progress: Progress) -> CheckOutcome:
    remediations = _remediate(run, packs, progress)
    tallies = PolicyTallies(run)
    resources = [r.resource for r in run.resources]
    for pack in packs:
        progress.stage(f"analyzing with {pack.label}", len(resources))
        for resource, result in zip(resources, pack.process.analyze_many(resources), strict=True):
            tallies.add_resource_result(result, resource.urn)
            progress.advance()
        progress.stage(f"analyzing the stack with {pack.label}")
        tallies.add_stack_result(pack.process.analyze_stack(resources))

    results = control_results(run, [(p.info, p.config) for p in packs], catalogue, tallies.by_policy)
    report = Report(
        tool="check",
        target=_target(run, packs),
        results=results,
        generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        extra={"remediations": [remediation_json(r) for r in remediations]},
    )
    return CheckOutcome(report=report, run=run, remediations=remediations)


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
