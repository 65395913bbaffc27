"""Run the audit: read the regions concurrently (the pack starts meanwhile), then what is global, then each
cluster's Kubernetes objects; the pack judges it all; one Report, as ``check`` builds it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eksguard_policies.catalogue import Catalogue, default_catalogue

from eksguard.audit import kubernetes
from eksguard.audit.aws import RegionRead, caller_account, collect_account, collect_region
from eksguard.audit.judging import audit_config, judge
from eksguard.audit.kubernetes.kinds import TYPES as KUBERNETES_TYPES
from eksguard.audit.live import GLOBAL, Inventory
from eksguard.audit.session import ReadOnlySession
from eksguard.engine import UsageError
from eksguard.judge.packs import PackRun, StackIdentity, configure_pack, read_pack_configs, start_packs
from eksguard.protocol.analyzer import PolicyPackError
from eksguard.reporters.model import Report

REPO_ROOT = Path(__file__).resolve().parents[2]
MAX_WORKERS = 8
ProgressCallback = Callable[[str], None]


@dataclass
class AuditOptions:
    """What ``eksguard audit`` was asked to do (the CLI's arguments)."""

    regions: list[str]
    policy_pack: Path = field(default_factory=lambda: REPO_ROOT / "policies")
    policy_pack_config: Path | None = None
    kubernetes: bool = True
    kubeconfig: Path | None = None
    today: dt.date | None = None
    """The date AMI release lags are counted to (default: the policy config's asOf, else today UTC)."""


def scan_regions(
    session: ReadOnlySession,
    account: str,
    regions: list[str],
    today: dt.date,
    on_region_done: ProgressCallback | None = None,
) -> list[RegionRead]:
    results: dict[str, RegionRead] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_WORKERS, len(regions)))) as pool:
        futures = {pool.submit(collect_region, session, r, account, regions, today): r for r in regions}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if on_region_done:
                on_region_done(futures[future])
    return [results[region] for region in regions]


def read_kubernetes(
    session: ReadOnlySession, reads: list[RegionRead], inventory: Inventory, options: AuditOptions
) -> None:
    clusters = [
        kubernetes.ClusterEndpoint(
            c["name"],
            ctx.region,
            c.get("arn", c["name"]),
            c.get("endpoint", ""),
            (c.get("certificateAuthority") or {}).get("data"),
        )
        for ctx in reads
        for c in ctx.clusters
    ]
    if not options.kubernetes:
        for cluster in clusters:
            inventory.gap(cluster.where, "Kubernetes objects not read (--no-kubernetes)", KUBERNETES_TYPES)
        return
    parts = [Inventory(inventory.account) for _ in clusters]
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_WORKERS, len(clusters)))) as pool:
        done = list(
            pool.map(
                lambda pair: kubernetes.read_cluster(session, pair[0], pair[1], options.kubeconfig),
                zip(clusters, parts, strict=True),
            )
        )
    for cluster, part, read in zip(clusters, parts, done, strict=True):
        if read:
            part.kubernetes_clusters.append(cluster.where)
        inventory.merge(part)


def collect(
    session: ReadOnlySession, options: AuditOptions, today: dt.date, on_region_done: ProgressCallback | None = None
) -> Inventory:
    """Everything the audit reads, as declarations, and what it could not read."""
    if not options.regions:
        raise ValueError("run_audit: argument 'regions' is empty; give at least one region")
    account = caller_account(session, options.regions[0])
    inventory = Inventory(account)
    reads = scan_regions(session, account, options.regions, today, on_region_done)
    for ctx in reads:
        inventory.merge(ctx.inventory)
    collect_account(session, options.regions[0], inventory, reads, session.endpoint_url)
    if reads and any(ctx.clusters for ctx in reads):
        read_kubernetes(session, reads, inventory, options)
    return inventory


def _as_of(user: dict[str, Any]) -> dt.date:
    for entry in user.values():
        value = entry.get("asOf") if isinstance(entry, dict) else None
        if isinstance(value, str) and value.strip():
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                break
    return dt.datetime.now(dt.UTC).date()


def build_report(
    inventory: Inventory,
    pack: PackRun,
    user_config: dict[str, Any],
    options: AuditOptions,
    session: ReadOnlySession,
    catalogue: Catalogue | None = None,
) -> Report:
    catalogue = catalogue if catalogue is not None else default_catalogue()
    results, judged = judge(inventory, pack, user_config, catalogue)
    generated = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    target = {
        "account": inventory.account,
        "regions": list(options.regions),
        "endpoint_url": session.endpoint_url or "",
        "kubernetes": options.kubernetes,
        "resources": len(inventory.resources),
        "policy_packs": [{"name": pack.info.name, "version": pack.version}],
    }
    extra = {
        "clusters": inventory.clusters,
        "kubernetes_clusters": list(inventory.kubernetes_clusters),
        "not_read": [{"where": g.where, "reason": g.reason, "types": sorted(g.types)} for g in inventory.gaps],
    }
    return Report(tool="audit", target=target, results=results, generated_at=generated, extra=extra, coverage=judged)


def run_audit(
    session: ReadOnlySession,
    options: AuditOptions,
    catalogue: Catalogue | None = None,
    on_region_done: ProgressCallback | None = None,
) -> Report:
    """Read, judge with the pack started as the Pulumi CLI starts it, report; UsageError on bad input."""
    files = [options.policy_pack_config] if options.policy_pack_config else []
    user_config = (read_pack_configs([options.policy_pack], files) or [{}])[0]
    catalogue = catalogue if catalogue is not None else default_catalogue()
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=1) as pool:
        (starting,) = start_packs([options.policy_pack], stack, pool)
        inventory = collect(session, options, options.today or _as_of(user_config), on_region_done)
        try:
            identity = StackIdentity(stack=GLOBAL, project=inventory.account, dry_run=False)
            pack = configure_pack(
                starting.result(), identity, audit_config(user_config, catalogue), options.policy_pack_config
            )
            return build_report(inventory, pack, user_config, options, session, catalogue)
        except PolicyPackError as exc:
            raise UsageError(str(exc).splitlines()[0]) from None
