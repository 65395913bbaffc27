"""ThreatDetection: every hardened default, every opt-out, every rejected argument (under Pulumi mocks)."""

from __future__ import annotations

import pytest

from components._common import InvalidArgumentError
from components.threat_detection import ThreatDetection, ThreatDetectionArgs
from tests.components.harness import ACCOUNT_ID, attempt, run

DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
ENABLER = "aws:inspector2/enabler:Enabler"


def detection(**overrides):
    return run(lambda: ThreatDetection("td", ThreatDetectionArgs(**overrides)))


@pytest.fixture(scope="module")
def default():
    return detection()


def test_an_enabled_detector_publishing_every_fifteen_minutes(default):
    detector = default.one(DETECTOR).inputs
    assert detector["enable"] is True
    assert detector["findingPublishingFrequency"] == "FIFTEEN_MINUTES"
    assert "datasources" not in detector


def test_eks_audit_logs_and_runtime_monitoring_with_agent_management_are_on(default):
    features = {f.inputs["name"]: f.inputs for f in default.of_type(FEATURE)}
    assert features == {
        "EKS_AUDIT_LOGS": {"detectorId": "td-detector-id", "name": "EKS_AUDIT_LOGS", "status": "ENABLED"},
        "RUNTIME_MONITORING": {
            "detectorId": "td-detector-id",
            "name": "RUNTIME_MONITORING",
            "status": "ENABLED",
            "additionalConfigurations": [{"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}],
        },
    }


def test_inspector_scans_the_nodes_and_the_images_of_this_account(default):
    assert default.one(ENABLER).inputs == {"accountIds": [ACCOUNT_ID], "resourceTypes": ["EC2", "ECR"]}


def test_children_are_named_after_the_component_and_parented_to_it(default):
    component = default.one("eksguard:index:ThreatDetection")
    assert {r.name for r in default.children_of(component)} == {
        "td-detector",
        "td-eks-audit-logs",
        "td-runtime-monitoring",
        "td-inspector",
    }
    assert len(default.children_of(component)) == len(default.resources) - 1


def test_outputs_are_resolvable(default):
    assert default.output(default.value.detector_id) == "td-detector-id"
    assert default.output(default.value.inspector_scans) == ["EC2", "ECR"]


# Opt-outs and opt-ins: each explicit and named.


def test_guardduty_managed_elsewhere_leaves_only_inspector():
    result = detection(guardduty=False)
    assert result.of_type(DETECTOR) == [] and result.of_type(FEATURE) == []
    assert result.one(ENABLER).inputs["resourceTypes"] == ["EC2", "ECR"]
    assert result.output(result.value.detector_id) is None


def test_inspector_managed_elsewhere_leaves_only_guardduty():
    result = detection(inspector=False)
    assert result.of_type(ENABLER) == []
    assert len(result.of_type(FEATURE)) == 2
    assert result.output(result.value.inspector_scans) == []


def test_lambda_scanning_and_the_publishing_frequency_are_configurable():
    result = detection(additional_inspector_scans=["LAMBDA", "LAMBDA_CODE"], finding_publishing_frequency="ONE_HOUR")
    assert result.one(ENABLER).inputs["resourceTypes"] == ["EC2", "ECR", "LAMBDA", "LAMBDA_CODE"]
    assert result.one(DETECTOR).inputs["findingPublishingFrequency"] == "ONE_HOUR"


def test_tags_reach_the_detector():
    assert detection(tags={"team": "security"}).one(DETECTOR).inputs["tags"] == {"team": "security"}


def test_args_may_be_a_dict_or_nothing():
    assert run(lambda: ThreatDetection("td", {"inspector": False})).of_type(ENABLER) == []
    assert len(run(lambda: ThreatDetection("td")).of_type(FEATURE)) == 2


# Rejections: one clear error naming the argument and the accepted values, and nothing registered.

REJECTED = [
    (
        {"guardduty": False, "inspector": False},
        "argument 'guardduty/inspector' are both false: nothing to create; accepted values: at least one true",
    ),
    ({"guardduty": "no"}, "argument 'guardduty' is 'no'; accepted values: True, False"),
    ({"inspector": 1}, "argument 'inspector' is 1; accepted values: True, False"),
    (
        {"finding_publishing_frequency": "HOURLY"},
        "argument 'finding_publishing_frequency' is 'HOURLY'; "
        "accepted values: 'FIFTEEN_MINUTES', 'ONE_HOUR', 'SIX_HOURS'",
    ),
    (
        {"additional_inspector_scans": ["EC2"]},
        "argument 'additional_inspector_scans[0]' is 'EC2'; accepted values: 'LAMBDA', 'LAMBDA_CODE'",
    ),
    (
        {"additional_inspector_scans": ["LAMBDA", "LAMBDA"]},
        "argument 'additional_inspector_scans[1]' repeats 'LAMBDA'; accepted values: each at most once",
    ),
    (
        {"additional_inspector_scans": "LAMBDA"},
        "argument 'additional_inspector_scans' is 'LAMBDA'; accepted values: 'LAMBDA', 'LAMBDA_CODE'",
    ),
    (
        {"additional_inspector_scans": ["LAMBDA"], "inspector": False},
        "argument 'additional_inspector_scans' is set but inspector is false; "
        "accepted values: unset, or inspector true",
    ),
]


@pytest.mark.parametrize(("overrides", "message"), REJECTED, ids=[str(o) for o, _ in REJECTED])
def test_invalid_arguments_are_rejected_before_anything_is_registered(overrides, message):
    result = attempt(lambda: ThreatDetection("td", ThreatDetectionArgs(**overrides)))
    assert isinstance(result.error, InvalidArgumentError)
    assert str(result.error) == f"ThreatDetection: {message}"
    assert result.resources == []
