"""GuardDuty and Inspector controls (rules/detection.py) over the real protocol: declared detectors and features,
and the account-level stack rules offline (the account is asked in test_account_level.py)."""

from __future__ import annotations

from typing import Any

import pytest

from eksguard.protocol.wire import UNKNOWN

from .cases import Case, case, run_case
from .pack_driver import resource

DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
ENABLER = "aws:inspector2/enabler:Enabler"
CLUSTER = "aws:eks/cluster:Cluster"
REPOSITORY = "aws:ecr/repository:Repository"

AUDIT = "guardduty-eks-audit-logs"
RUNTIME = "guardduty-eks-runtime-monitoring"
STACK_GUARDDUTY = "stack-guardduty-eks-protection"
STACK_INSPECTOR = "stack-inspector-scanning"
ADDON = {"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}


def feature(name: str, status: Any = "ENABLED", *extra: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"detectorId": "12abc34d567e8fa901bc2d34e56789f0", "name": name, "status": status}
    if extra:
        props["additionalConfigurations"] = list(extra)
    return props


CASES: list[Case] = [
    case("detector-default", DETECTOR, {"enable": True}),
    case("detector-no-props", DETECTOR, {}),
    case("detector-suspended", DETECTOR, {"enable": False}, {AUDIT, RUNTIME}),
    case("detector-enable-string", DETECTOR, {"enable": "no"}, {AUDIT, RUNTIME}),
    case(
        "detector-audit-datasource-off",
        DETECTOR,
        {"datasources": {"kubernetes": {"auditLogs": {"enable": False}}}},
        {AUDIT},
    ),
    case(
        "detector-audit-datasource-unknown-and-suspended",
        DETECTOR,
        {"enable": False, "datasources": {"kubernetes": {"auditLogs": {"enable": UNKNOWN}}}},
        {AUDIT, RUNTIME},
    ),
    case(
        "detector-audit-datasource-unknown",
        DETECTOR,
        {"datasources": {"kubernetes": {"auditLogs": {"enable": UNKNOWN}}}},
        not_checkable={AUDIT},
    ),
    case("feature-audit-enabled", FEATURE, feature("EKS_AUDIT_LOGS")),
    case("feature-audit-disabled", FEATURE, feature("EKS_AUDIT_LOGS", "DISABLED"), {AUDIT}),
    case("feature-audit-status-unknown", FEATURE, feature("EKS_AUDIT_LOGS", UNKNOWN), not_checkable={AUDIT}),
    case("feature-runtime-managed", FEATURE, feature("RUNTIME_MONITORING", "ENABLED", ADDON)),
    case("feature-eks-runtime-managed", FEATURE, feature("EKS_RUNTIME_MONITORING", "ENABLED", ADDON)),
    case("feature-runtime-unmanaged", FEATURE, feature("RUNTIME_MONITORING"), {RUNTIME}),
    case(
        "feature-runtime-agent-disabled",
        FEATURE,
        feature("EKS_RUNTIME_MONITORING", "ENABLED", {**ADDON, "status": "DISABLED"}),
        {RUNTIME},
    ),
    case(
        "feature-runtime-fargate-only",
        FEATURE,
        feature("RUNTIME_MONITORING", "ENABLED", {"name": "ECS_FARGATE_AGENT_MANAGEMENT", "status": "ENABLED"}),
        {RUNTIME},
    ),
    case("feature-runtime-disabled", FEATURE, feature("RUNTIME_MONITORING", "DISABLED", ADDON), {RUNTIME}),
    case("feature-other", FEATURE, feature("S3_DATA_EVENTS", "DISABLED")),
    case("feature-name-unknown", FEATURE, feature(UNKNOWN), not_checkable={AUDIT, RUNTIME}),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_detection_case(pack, c: Case) -> None:
    run_case(pack, c)


def _cluster() -> Any:
    return resource(CLUSTER, {"name": "prod", "version": "1.35", "bootstrapSelfManagedAddons": False}, name="prod")


def guardduty_stack(audit: str = "ENABLED", runtime: tuple[Any, ...] = ("ENABLED", ADDON)) -> list[Any]:
    return [
        resource(DETECTOR, {"enable": True}, name="detector"),
        resource(FEATURE, feature("EKS_AUDIT_LOGS", audit), name="audit"),
        resource(FEATURE, feature("RUNTIME_MONITORING", *runtime), name="runtime"),
    ]


INSPECTOR = resource(ENABLER, {"accountIds": ["111122223333"], "resourceTypes": ["EC2", "ECR"]}, name="inspector")


def _offline(pack, resources: list[Any]) -> dict[str, str]:
    result = pack.process.analyze_stack(resources)
    assert [d.policy for d in result.diagnostics if d.policy in (STACK_GUARDDUTY, STACK_INSPECTOR)] == []
    return {k: v for k, v in result.not_applicable.items() if k in (STACK_GUARDDUTY, STACK_INSPECTOR)}


def test_declared_services_settle_the_stack_rules(pack) -> None:
    assert _offline(pack, [_cluster(), *guardduty_stack(), INSPECTOR]) == {}


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        (
            [_cluster()],
            {
                STACK_GUARDDUTY: "no GuardDuty EKS audit log monitoring or GuardDuty EKS runtime monitoring with "
                "EKS_ADDON_MANAGEMENT; GuardDuty is account-level",
                STACK_INSPECTOR: "no Inspector EC2 or ECR scanning; Inspector is account-level",
            },
        ),
        (
            [_cluster(), *guardduty_stack(runtime=("ENABLED",)), INSPECTOR],
            {STACK_GUARDDUTY: "no GuardDuty EKS runtime monitoring with EKS_ADDON_MANAGEMENT; GuardDuty is"},
        ),
        (
            [resource(REPOSITORY, {"name": "shop/api"}, name="api")],
            {STACK_INSPECTOR: "no Inspector ECR scanning; Inspector is account-level"},
        ),
        (
            [_cluster(), resource(DETECTOR, {"enable": False}, name="d"), INSPECTOR],
            {STACK_GUARDDUTY: "no enabled GuardDuty detector; GuardDuty is account-level"},
        ),
    ],
    ids=["nothing-declared", "runtime-unmanaged", "repository-only", "detector-suspended"],
)
def test_undeclared_services_are_not_checkable_offline(pack, resources: list[Any], expected: dict[str, str]) -> None:
    reasons = _offline(pack, resources)
    assert set(reasons) == set(expected)
    for policy, text in expected.items():
        assert reasons[policy].startswith(f"not checkable offline: the stack declares {text}"), reasons[policy]
        assert reasons[policy].endswith("(set checkAccount to ask the account, read-only)")


def test_stacks_without_clusters_or_repositories_need_neither(pack) -> None:
    assert _offline(pack, [resource(DETECTOR, {"enable": False}, name="d")]) == {}


def test_an_unknown_enabler_makes_inspector_not_checkable(pack) -> None:
    enabler = resource(ENABLER, {"accountIds": ["1"], "resourceTypes": UNKNOWN}, name="inspector")
    result = pack.process.analyze_stack([_cluster(), *guardduty_stack(), enabler])
    assert [(d.policy, "during preview" in d.message) for d in result.diagnostics] == [(STACK_INSPECTOR, True)]
