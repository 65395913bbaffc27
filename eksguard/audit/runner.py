"""Run the audit: regions concurrently, then the account-wide reads, then one Report keyed by catalogue ids,
judged with the pack configuration (levels, thresholds, exemptions) ``check`` would use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed

from eksguard_policies.catalogue import Catalogue, default_catalogue
from eksguard_policies.framework import exemption_reason

from eksguard.audit import controls as c
from eksguard.audit.checks import Evaluation, evaluate
from eksguard.audit.collect import RegionInventory, caller_account, collect_account, collect_region, today_utc
from eksguard.audit.config import PackConfig, Thresholds, load_pack_config
from eksguard.audit.remediation import plan
from eksguard.audit.session import ReadOnlySession
from eksguard.reporters.model import ControlResult, Finding, Report

MAX_REGION_WORKERS = 8
ProgressCallback = Callable[[str], None]


def scan_regions(
    session: ReadOnlySession, regions: list[str], on_region_done: ProgressCallback | None = None
) -> list[RegionInventory]:
    results: dict[str, RegionInventory] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_REGION_WORKERS, len(regions)))) as pool:
        futures = {pool.submit(collect_region, session, region): region for region in regions}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if on_region_done:
                on_region_done(futures[future])
    return [results[region] for region in regions]


def run_audit(
    session: ReadOnlySession,
    regions: list[str],
    today: dt.date | None = None,
    catalogue: Catalogue | None = None,
    on_region_done: ProgressCallback | None = None,
    config: PackConfig | None = None,
) -> Report:
    if not regions:
        raise ValueError("run_audit: argument 'regions' is empty; give at least one region")
    catalogue = catalogue if catalogue is not None else default_catalogue()
    config = config if config is not None else load_pack_config()
    account_id = caller_account(session, regions[0])
    inventories = scan_regions(session, regions, on_region_done)
    account = collect_account(session, regions[0], inventories, account_id)
    evaluation = evaluate(inventories, account, today or today_utc(), Thresholds.from_config(config))
    report = build_report(
        evaluation,
        catalogue,
        config,
        target={
            "account": account.account_id,
            "regions": list(regions),
            "endpoint_url": session.endpoint_url or "",
        },
    )
    report.extra["clusters"] = sum(len(inv.clusters) for inv in inventories)
    return report


def _status_for(control_id: str, evaluation: Evaluation, violated: bool) -> tuple[str, str]:
    reasons = evaluation.not_assessed.get(control_id, [])
    reason = "not assessed in " + "; ".join(reasons) if reasons else ""
    if violated:
        return "violated", reason
    if reasons:
        return "not_assessed", reason
    if evaluation.evaluated.get(control_id):
        return "passed", ""
    return "not_applicable", "no resource of this kind in the scanned regions"


def _control_result(control_id: str, evaluation: Evaluation, catalogue: Catalogue, settings: dict) -> ControlResult:
    control = catalogue[control_id]
    level = settings.get("enforcementLevel", "advisory")
    if level == "disabled":
        return ControlResult(control=control, status="not_applicable", reason="disabled by the policy configuration")
    findings, exempted = [], []
    for raw in (f for f in evaluation.findings if f.control_id == control_id):
        why = exemption_reason(settings, raw.name, raw.resource)  # the pack's globs: name, then ARN or id
        if why is not None:
            exempted.append(f"{raw.resource} exempted: {why}")
            continue
        findings.append(
            Finding(
                control_id=control_id,
                resource=raw.resource,
                message=raw.message,
                level=level,
                resource_type=c.IMPORT_TYPES.get(raw.kind, ""),
                resource_name=raw.name,
                region=raw.region,
                fix=plan(control.component, raw),
            )
        )
    status, reason = _status_for(control_id, evaluation, bool(findings))
    return ControlResult(
        control=control,
        status=status,  # type: ignore[arg-type]
        findings=findings,
        reason="; ".join(r for r in (reason, *exempted) if r),
        resources_evaluated=evaluation.evaluated.get(control_id, 0),
    )


def build_report(evaluation: Evaluation, catalogue: Catalogue, config: PackConfig, target: dict) -> Report:
    results = [
        _control_result(cid, evaluation, catalogue, config.get(cid, {}))
        for cid in c.AUDIT_CONTROL_IDS
        if cid in catalogue
    ]
    missing = [cid for cid in c.AUDIT_CONTROL_IDS if cid not in catalogue]
    extra = {
        "controls_missing_from_catalogue": missing,
        "not_covered_by_audit": [cid for cid in catalogue if cid not in c.SOURCES],
    }
    generated = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return Report(tool="audit", target=target, results=results, generated_at=generated, extra=extra)
