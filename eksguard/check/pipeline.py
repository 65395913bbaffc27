"""``eksguard check``: run a program under the embedded engine, judge it with the policy pack(s)
(:mod:`eksguard.judge.packs`, over the analyzer protocol, in the engine's order), build the Report."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eksguard_policies.catalogue import Catalogue, default_catalogue

from eksguard.engine import (
    InvokeFixtures,
    ProgramRun,
    RecordedResource,
    UsageError,
    default_variables,
    load_project,
    run_program,
)
from eksguard.judge.packs import (
    PackRun,
    Progress,
    StackIdentity,
    analyze_all,
    configure_pack,
    read_pack_configs,
    remediate_all,
    start_packs,
)
from eksguard.judge.remediation import RemediationRecord, remediation_json
from eksguard.judge.verdicts import PolicyTallies, control_results, coverage
from eksguard.protocol.analyzer import PolicyPackError
from eksguard.reporters.model import Report


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


def run_check(
    options: CheckOptions,
    catalogue: Catalogue | None = None,
    progress: Progress | None = None,
) -> CheckOutcome:
    """Run the program, drive each policy pack over it and build the Report; UsageError on bad input."""
    progress = progress or Progress()
    catalogue = catalogue if catalogue is not None else default_catalogue()
    user_configs = read_pack_configs(options.policy_packs, options.policy_pack_configs)
    project = load_project(options.program, options.stack)
    region = project.config.get("aws:region", "us-east-1")
    live = None
    if options.live_lookups:
        from eksguard.engine.live import LiveLookups

        live = LiveLookups(region)
    fixtures = InvokeFixtures(options.fixtures, variables=default_variables(region))

    with ExitStack() as stack, ThreadPoolExecutor(max_workers=max(1, len(options.policy_packs))) as pool:
        # Packs start (a second or so each) while the program runs.
        starting = start_packs(options.policy_packs, stack, pool)
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
            identity = StackIdentity(run.project.stack, run.project.name, run.preview, run.project.config)
            packs = [
                configure_pack(
                    future.result(),
                    identity,
                    user_configs[i] if i < len(user_configs) else {},
                    options.policy_pack_configs[i] if i < len(options.policy_pack_configs) else None,
                )
                for i, future in enumerate(starting)
            ]
            return _evaluate(run, packs, catalogue, progress)
        except PolicyPackError as exc:
            # A pack that does not start, or a policy that raised: no verdict rather than an incomplete one.
            raise UsageError(str(exc).splitlines()[0]) from None


def _evaluate(run: ProgramRun, packs: list[PackRun], catalogue: Catalogue, progress: Progress) -> CheckOutcome:
    remediations = remediate_all(run.resources, packs, progress)
    tallies = PolicyTallies(run)
    analyze_all(run.resources, packs, tallies, progress)
    policies = [(p.info, p.config) for p in packs]
    results = control_results(run, policies, catalogue, tallies.by_policy)
    judgeable = _judgeable(run)
    report = Report(
        tool="check",
        target=_target(run, packs),
        results=results,
        generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        extra={"remediations": [remediation_json(r) for r in remediations]},
        coverage=coverage(
            [r.resource for r in judgeable],
            policies,
            tallies.declined,
            remote=frozenset(r.resource.urn for r in judgeable if r.remote),
            unanswered_invokes=run.unanswered_invokes,
        ),
    )
    return CheckOutcome(report=report, run=run, remediations=remediations)


def _judgeable(run: ProgramRun) -> list[RecordedResource]:
    """What a policy could judge: every custom resource but providers (they create nothing), and every component
    that shows the pack no children: one of another plugin (pulumi-eks, awsx, Helm v4 charts), or one that
    registered none here (a Helm v3 chart whose template no invoke answered), where a real preview would show
    them. Other components are structure: their children are recorded and judged themselves."""
    parents = {r.resource.parent for r in run.resources}
    return [
        r
        for r in run.resources
        if (r.custom and not r.resource.type.startswith("pulumi:providers:"))
        or (not r.custom and (r.remote or r.resource.urn not in parents))
    ]


def _target(run: ProgramRun, packs: list[PackRun]) -> dict[str, Any]:
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
        "environment": run.environment.describe() if run.environment else "",
        "policy_packs": [{"name": p.info.name, "version": p.version} for p in packs],
    }
