"""Run the audit: regions concurrently, then the account-wide reads, then one Report keyed by catalogue ids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed

from eksguard_policies.catalogue import Catalogue, default_catalogue

from eksguard.audit import controls as c
from eksguard.audit.checks import MAX_AMI_LAG_DAYS, Evaluation, evaluate
from eksguard.audit.collect import RegionInventory, caller_account, collect_account, collect_region, today_utc
from eksguard.audit.remediation import plan
from eksguard.audit.session import ReadOnlySession
from eksguard.report import ControlResult, Finding, Report

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
    max_ami_lag_days: int = MAX_AMI_LAG_DAYS,
) -> Report:
    if not regions:
        raise ValueError("run_audit: argument 'regions' is empty; give at least one region")
    catalogue = catalogue if catalogue is not None else default_catalogue()
    account_id = caller_account(session, regions[0])
    inventories = scan_regions(session, regions, on_region_done)
    account = collect_account(session, regions[0], inventories, account_id)
    evaluation = evaluate(inventories, account, today or today_utc(), max_ami_lag_days)
    report = build_report(
        evaluation,
        catalogue,
        target={
            "account": account.account_id,
            "regions": list(regions),
            "endpoint_url": session.endpoint_url or "",
        },
    )
    report.extra["clusters"] = sum(len(inv.clusters) for inv in inventories)
    return report


def _status_for(control_id: str, evaluation: Evaluation) -> tuple[str, str]:
    reasons = evaluation.not_assessed.get(control_id, [])
    reason = "not assessed in " + "; ".join(reasons) if reasons else ""
    if any(f.control_id == control_id for f in evaluation.findings):
        return "violated", reason
    if reasons:
        return "not_assessed", reason
    if evaluation.evaluated.get(control_id):
        return "passed", ""
    return "not_applicable", "no resource of this kind in the scanned regions"


def build_report(evaluation: Evaluation, catalogue: Catalogue, target: dict) -> Report:
    results = []
    missing = [cid for cid in c.AUDIT_CONTROL_IDS if cid not in catalogue]
    for control_id in c.AUDIT_CONTROL_IDS:
        if control_id not in catalogue:
            continue
        control = catalogue[control_id]
        status, reason = _status_for(control_id, evaluation)
        level = "mandatory" if control.mandatory_by_default else "advisory"
        findings = [
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
            for raw in evaluation.findings
            if raw.control_id == control_id
        ]
        results.append(
            ControlResult(
                control=control,
                status=status,
                findings=findings,
                reason=reason,  # type: ignore[arg-type]
                resources_evaluated=evaluation.evaluated.get(control_id, 0),
            )
        )
    extra = {
        "controls_missing_from_catalogue": missing,
        "not_covered_by_audit": [cid for cid in catalogue if cid not in c.SOURCES],
    }
    generated = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return Report(tool="audit", target=target, results=results, generated_at=generated, extra=extra)
