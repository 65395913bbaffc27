"""Policy packs driven in the engine's order: start, GetAnalyzerInfo, Configure, ConfigureStack, Remediate
(only when a policy is at level ``remediate``; later calls see the remediated properties), Analyze per
resource, AnalyzeStack once. ``check`` and ``audit`` both judge through here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi.runtime.proto import analyzer_pb2

from eksguard.engine import RecordedResource, UsageError
from eksguard.judge.policy_config import initial_config, read_policy_config, validate_policy_config
from eksguard.judge.remediation import RemediationRecord, remediate_resource
from eksguard.judge.verdicts import PolicyTallies
from eksguard.protocol.analyzer import PolicyPackError, PolicyPackProcess, config_with_defaults, pack_python


class Progress:
    """Progress hooks; the terminal reporter supplies one that draws a bar."""

    def stage(self, name: str, total: int | None = None) -> None: ...

    def advance(self, count: int = 1) -> None: ...


@dataclass
class PackRun:
    """A started, configured pack: its process, what it published and the config it was sent."""

    process: PolicyPackProcess
    info: analyzer_pb2.AnalyzerInfo
    config: dict[str, dict[str, Any]]

    @property
    def label(self) -> str:
        return f"{self.info.name}@v{self.version}"

    @property
    def version(self) -> str:
        return self.process.version or self.info.version


@dataclass(frozen=True)
class StackIdentity:
    """What ConfigureStack tells a pack about the stack it judges."""

    stack: str
    project: str
    dry_run: bool = True
    config: Mapping[str, str] | None = None


def read_pack_configs(pack_dirs: Sequence[Path], config_files: Sequence[Path]) -> list[dict[str, Any]]:
    """Check each pack folder and read each ``--policy-pack-config`` file; UsageError on the first bad one."""
    if len(config_files) > len(pack_dirs):
        raise UsageError(
            "more --policy-pack-config files than policy packs: each config goes with the pack in the same position"
        )
    for pack in pack_dirs:
        if not (Path(pack) / "PulumiPolicy.yaml").is_file():
            raise UsageError(f"policy pack {pack} is not a policy pack directory (no PulumiPolicy.yaml)")
        try:
            pack_python(pack)
        except PolicyPackError as exc:
            raise UsageError(str(exc)) from None
    return [read_policy_config(p) for p in config_files]


def start_packs(pack_dirs: Sequence[Path], stack: ExitStack, pool: ThreadPoolExecutor) -> list[Future]:
    """Start every pack in the background (a second or so each); ``stack`` stops them."""
    futures = []
    for pack in pack_dirs:
        process = PolicyPackProcess(pack)
        stack.callback(process.stop)
        futures.append(pool.submit(process.start))
    return futures


def configure_pack(
    process: PolicyPackProcess, identity: StackIdentity, user: dict[str, Any], config_file: Path | None
) -> PackRun:
    """GetAnalyzerInfo, Configure (schema defaults < the pack's initial config < the user's), ConfigureStack."""
    info = process.get_analyzer_info()
    if user:
        validate_policy_config(user, info, config_file)
    config = config_with_defaults(info, {**initial_config(info), **user})
    process.configure(config)
    process.configure_stack(
        stack=identity.stack, project=identity.project, dry_run=identity.dry_run, config=identity.config
    )
    return PackRun(process, info, config)


def remediate_all(
    records: Sequence[RecordedResource], packs: Sequence[PackRun], progress: Progress
) -> list[RemediationRecord]:
    """Run the remediations of every pack that has a policy at level ``remediate``, resource by resource."""
    remediating = [p for p in packs if any(e.get("enforcementLevel") == "remediate" for e in p.config.values())]
    changes: list[RemediationRecord] = []
    if not remediating:
        return changes
    progress.stage("remediating", len(records))
    for recorded in records:
        for pack in remediating:
            changes.extend(remediate_resource(recorded, pack.process, pack.label))
        progress.advance()
    return changes


def analyze_resources(
    records: Sequence[RecordedResource], pack: PackRun, tallies: PolicyTallies, progress: Progress
) -> None:
    """Analyze every resource with ``pack``, tallying what it answers."""
    resources = [r.resource for r in records]
    progress.stage(f"analyzing with {pack.label}", len(resources))
    for resource, result in zip(resources, pack.process.analyze_many(resources), strict=True):
        tallies.add_resource_result(result, resource.urn)
        progress.advance()


def analyze_stack(
    records: Sequence[RecordedResource], pack: PackRun, tallies: PolicyTallies, progress: Progress
) -> None:
    """AnalyzeStack over ``records`` with ``pack``, tallying what it answers."""
    progress.stage(f"analyzing the stack with {pack.label}")
    tallies.add_stack_result(pack.process.analyze_stack([r.resource for r in records]))


def analyze_all(
    records: Sequence[RecordedResource], packs: Sequence[PackRun], tallies: PolicyTallies, progress: Progress
) -> None:
    """Analyze every resource with every pack, then the stack as a whole, tallying what they answer."""
    for pack in packs:
        analyze_resources(records, pack, tallies, progress)
        analyze_stack(records, pack, tallies, progress)
