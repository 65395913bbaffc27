"""Rules for controls/detection.toml: GuardDuty EKS protection and Amazon Inspector scanning.

GuardDuty (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateDetector.html): a new detector
enables every optional feature except Runtime Monitoring unless told otherwise, so EKS audit log monitoring
(EKS_AUDIT_LOGS) is on by default and runtime monitoring only when a detector feature turns it on: either
EKS_RUNTIME_MONITORING or the unified RUNTIME_MONITORING (the two are exclusive), each with the EKS_ADDON_MANAGEMENT
additional configuration so that GuardDuty deploys its agent to the clusters
(https://docs.aws.amazon.com/guardduty/latest/ug/runtime-monitoring-configuration.html).

Both services are account-level: a stack is judged on what it declares, and a stack with an EKS cluster that
declares neither is asked of the account only when configured to (see :mod:`._account`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .. import facts
from ..framework import RuleContext, StackContext, resource_rule, stack_rule
from ..values import as_bool, get, show, split_known, strings
from ._account import (
    ACCOUNT_CONFIG,
    account_findings,
    ask,
    by_region,
    checks_account,
    not_declared,
    region_of,
    serves,
    stack_is_account,
)
from ._k8s import definite_first, get_path
from .eks_cluster import CLUSTERS
from .images import REPOSITORY

DETECTOR = "aws:guardduty/detector:Detector"
DETECTOR_FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
INSPECTOR_ENABLER = "aws:inspector2/enabler:Enabler"

AUDIT_LOGS = facts.GUARDDUTY_EKS_AUDIT_LOGS
RUNTIME_FEATURES = facts.GUARDDUTY_RUNTIME_MONITORING
AGENT_MANAGEMENT = facts.GUARDDUTY_AGENT_MANAGEMENT
ENABLED = "ENABLED"


# --- GuardDuty features, as declared and as the API reports them ------------------------------------------------


@dataclass
class GuardDuty:
    """What one region's GuardDuty does for EKS: detector on or off, and each feature's status and additional
    configurations (``None``: nothing said about it)."""

    enabled: bool | None = None
    audit_logs: str | None = None
    runtime: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)

    def lacking(self) -> list[str]:
        lacks = []
        if self.enabled is False:
            return ["enabled GuardDuty detector"]
        if self.audit_logs != ENABLED:
            lacks.append("GuardDuty EKS audit log monitoring")
        if not any(runtime_problem(name, *state) is None for name, state in self.runtime.items()):
            lacks.append(f"GuardDuty EKS runtime monitoring with {AGENT_MANAGEMENT}")
        return lacks


def runtime_problem(name: str, status: str, extra: Mapping[str, str]) -> str | None:
    if status != ENABLED:
        return f"feature {name} is {status or 'not set'}: nothing watches the processes of the clusters' pods"
    if extra.get(AGENT_MANAGEMENT) != ENABLED:
        return (
            f"feature {name} is ENABLED without the {AGENT_MANAGEMENT} additional configuration ENABLED: GuardDuty "
            "does not deploy its security agent to the clusters, so pods are watched only where someone installed it"
        )
    return None


def _additional(value: Any) -> dict[str, str]:
    known_items, _ = split_known(value)
    found = {}
    for item in known_items:
        name, status = get(item, "name"), get(item, "status")
        if isinstance(name, str) and isinstance(status, str):
            found[name] = status.upper()
    return found


def _status(value: Any) -> str:
    return value.upper() if isinstance(value, str) else ""


def from_api(detector: Mapping[str, Any]) -> GuardDuty:
    """GetDetector's answer (boto3 names) as a :class:`GuardDuty`."""
    state = GuardDuty(enabled=detector.get("Status") == ENABLED)
    for feature in detector.get("Features") or []:
        name, status = feature.get("Name"), _status(feature.get("Status"))
        extra = {a.get("Name"): _status(a.get("Status")) for a in feature.get("AdditionalConfiguration") or []}
        if name == AUDIT_LOGS:
            state.audit_logs = status
        elif name in RUNTIME_FEATURES:
            state.runtime[name] = (status, extra)
    if state.audit_logs is None:
        audit = ((detector.get("DataSources") or {}).get("Kubernetes") or {}).get("AuditLogs") or {}
        state.audit_logs = _status(audit.get("Status")) or None
    return state


# --- resource rules ---------------------------------------------------------------------------------------------


def _detector_disabled(props: Any) -> Iterator[str]:
    enable = get(props, "enable")
    flag = as_bool(enable, True)
    if flag is None:
        yield f"enable is {show(enable)}, not a boolean"
    elif flag is False:
        yield "enable is false: GuardDuty is suspended and monitors nothing"


AUDIT_PATH = ("datasources", "kubernetes", "auditLogs", "enable")


@resource_rule("guardduty-eks-audit-logs", types=(DETECTOR, DETECTOR_FEATURE))
def eks_audit_logs(ctx: RuleContext) -> list[str]:
    if ctx.resource_type == DETECTOR:

        def datasource() -> list[str]:
            audit = get_path(ctx.props, *AUDIT_PATH)
            if as_bool(audit, True) is True:
                return []
            return [f"{'.'.join(AUDIT_PATH)} is {show(audit)}: the clusters' Kubernetes audit logs are not analysed"]

        return definite_first([lambda: list(_detector_disabled(ctx.props)), datasource])
    if get(ctx.props, "name") != AUDIT_LOGS:
        return []
    status = get(ctx.props, "status")
    if _status(status) != ENABLED:
        return [f"feature {AUDIT_LOGS} has status {show(status)}: the clusters' Kubernetes audit logs are not analysed"]
    return []


@resource_rule("guardduty-eks-runtime-monitoring", types=(DETECTOR, DETECTOR_FEATURE))
def eks_runtime_monitoring(ctx: RuleContext) -> list[str]:
    if ctx.resource_type == DETECTOR:
        return list(_detector_disabled(ctx.props))
    name = get(ctx.props, "name")
    if name not in RUNTIME_FEATURES:
        return []
    status = get(ctx.props, "status")
    if _status(status) != ENABLED:
        return [runtime_problem(name, _status(status) or show(status), {}) or ""]
    problem = runtime_problem(name, ENABLED, _additional(get(ctx.props, "additionalConfigurations")))
    return [problem] if problem else []


# --- stack rules: the account-level facts -----------------------------------------------------------------------


def _declared_guardduty(ctx: StackContext, region: str) -> GuardDuty:
    """What the stack's detectors and detector features serving ``region`` say; raises UnknownValueError when a
    value the verdict needs is unknown."""
    state = GuardDuty()
    for detector in ctx.graph.of_type(DETECTOR):
        if not serves(detector, region, ctx):
            continue
        if as_bool(get(detector.props, "enable"), True) is False:
            state.enabled = False
        elif state.enabled is None:
            state.enabled = True
        if as_bool(get_path(detector.props, *AUDIT_PATH), True) is not True:
            state.audit_logs = "DISABLED"
        elif state.audit_logs is None:
            state.audit_logs = ENABLED  # a new detector's default
    for feature in ctx.graph.of_type(DETECTOR_FEATURE):
        if not serves(feature, region, ctx):
            continue
        name, status = get(feature.props, "name"), _status(get(feature.props, "status"))
        if name == AUDIT_LOGS and state.audit_logs in (None, ENABLED):
            state.audit_logs = status
        elif name in RUNTIME_FEATURES:
            state.runtime[name] = (status, _additional(get(feature.props, "additionalConfigurations")))
    return state


def _account_guardduty(client: Any) -> list[str]:
    detectors = client.list_detectors().get("DetectorIds", [])
    if not detectors:
        return ["GuardDuty detector"]
    return from_api(client.get_detector(DetectorId=detectors[0])).lacking()


@stack_rule(
    "stack-guardduty-eks-protection", types=(*CLUSTERS, DETECTOR, DETECTOR_FEATURE), config=dict(ACCOUNT_CONFIG)
)
def guardduty_eks_protection(ctx: StackContext) -> list[tuple[str, str | None]]:
    findings: list[tuple[str, str | None]] = []
    for region, clusters in by_region(ctx, ctx.subjects(*CLUSTERS)).items():
        if lacks := _declared_guardduty(ctx, region).lacking():
            findings += account_findings(
                ctx,
                clusters,
                declared=f"no {' or '.join(lacks)}",
                topic="GuardDuty",
                service="guardduty",
                lacking=_account_guardduty,
            )
    return findings


# Inspector (https://docs.aws.amazon.com/inspector/latest/user/scanning-resources.html): EC2 scanning covers the
# nodes, ECR scanning the images they pull; an Enabler turns scanning on for the resource types it lists.
INSPECTOR_TYPES = facts.INSPECTOR_EKS_SCANS


def _needed_scans(ctx: StackContext) -> dict[str, list[Any]]:
    """The resources that need Inspector, by the scan type each needs."""
    needs: dict[str, list[Any]] = {}
    for cluster in ctx.subjects(*CLUSTERS):
        for scan in INSPECTOR_TYPES:
            needs.setdefault(scan, []).append(cluster)
    for repository in ctx.graph.of_type(REPOSITORY):
        needs.setdefault("ECR", []).append(repository)
    return needs


def _account_inspector(wanted: set[str]) -> Any:
    def lacking(client: Any) -> list[str]:
        account = ask("sts", client.meta.region_name, "the caller's account", lambda sts: sts.get_caller_identity())
        answer = client.batch_get_account_status(accountIds=[account[0]["Account"]])
        state = next(iter(answer.get("accounts") or []), {}).get("resourceState") or {}
        return [
            f"Inspector {scan} scanning"
            for scan in sorted(wanted)
            if (state.get(scan.lower()) or {}).get("status") != ENABLED
        ]

    return lacking


@stack_rule("stack-inspector-scanning", types=(*CLUSTERS, REPOSITORY, INSPECTOR_ENABLER), config=dict(ACCOUNT_CONFIG))
def inspector_scanning(ctx: StackContext) -> list[tuple[str, str | None]]:
    needs = _needed_scans(ctx)
    if not needs:
        return []
    enablers: list[tuple[Any, set[str]]] = []
    pending: UnknownValueError | None = None
    for enabler in ctx.graph.of_type(INSPECTOR_ENABLER):
        try:
            enablers.append((enabler, {t.upper() for t in strings(get(enabler.props, "resourceTypes"))}))
        except UnknownValueError as exc:
            pending = pending or exc

    def declared(needer: Any) -> set[str]:
        region = region_of(needer, ctx)
        return {scan for enabler, scans in enablers if serves(enabler, region, ctx) for scan in scans}

    missing = {
        scan: lacking for scan, members in needs.items() if (lacking := [m for m in members if scan not in declared(m)])
    }
    if not missing:
        return []
    if pending is not None:
        raise pending
    if not checks_account(ctx) and not stack_is_account(ctx):
        raise not_declared(f"no Inspector {' or '.join(sorted(missing))} scanning", "Inspector")
    groups: dict[frozenset[str], list[Any]] = {}  # needers by the missing scan types they need
    for resource in {r.urn: r for members in missing.values() for r in members}.values():
        wanted = frozenset(scan for scan, members in missing.items() if resource in members)
        groups.setdefault(wanted, []).append(resource)
    findings: list[tuple[str, str | None]] = []
    for wanted, members in groups.items():
        findings += account_findings(
            ctx,
            members,
            declared=f"no Inspector {' or '.join(sorted(wanted))} scanning",
            topic="Inspector",
            service="inspector2",
            lacking=_account_inspector(set(wanted)),
        )
    return findings
