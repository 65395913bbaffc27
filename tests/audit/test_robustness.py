"""Throttling is retried (adaptive mode) and AccessDenied makes controls 'not assessed' while the run goes on.

Errors are injected at botocore's 'before-send' event, after the request is signed: the retry handler and
the error parser run exactly as for a response from AWS.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries.standard import ExponentialBackoff

from tests.audit.conftest import account_session
from tests.audit.helpers import audit, audit_session, finding_set, statuses
from tests.audit.seed import REGION, seed_compliant

ACCOUNT = "444444444444"
SG_CONTROLS = {"sg-open-ingress", "sg-kubelet-exposed", "sg-rule-description"}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_):
        yield self._body


def _json_error(status: int, code: str, message: str) -> AWSResponse:
    body = json.dumps({"__type": code, "message": message}).encode()
    return AWSResponse("http://127.0.0.1", status, {"x-amzn-ErrorType": code}, _Raw(body))


def _query_error(status: int, code: str, message: str) -> AWSResponse:
    body = (
        f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
        "<RequestID>r</RequestID></Response>"
    ).encode()
    return AWSResponse("http://127.0.0.1", status, {}, _Raw(body))


class Injector:
    """Answers the first ``times`` requests of ``operation`` (one name, or several separated by spaces) with
    ``response``; counts every attempt per operation."""

    def __init__(self, operation: str, response: AWSResponse, times: int, region: str | None = None) -> None:
        self.operations, self.response, self.times, self.region = set(operation.split()), response, times, region
        self.attempts: dict[str, int] = {}

    def __call__(self, request, event_name: str, **_):
        name = event_name.rsplit(".", 1)[-1]
        self.attempts[name] = self.attempts.get(name, 0) + 1
        in_region = self.region is None or f"/{self.region}/" in str(request.headers.get("Authorization", ""))
        if name in self.operations and in_region and self.times > 0:
            self.times -= 1
            return self.response
        return None


@pytest.fixture(scope="module")
def seeded(endpoint):
    return endpoint, seed_compliant(account_session(endpoint, ACCOUNT), endpoint, ACCOUNT).gaps


def _audit(seeded, pack, injector: Injector, regions: list[str]):
    endpoint, gaps = seeded
    # The injector runs first: its answer is the response; moto's gaps are answered after it.
    _, report = audit(audit_session(endpoint, ACCOUNT, None, injector, gaps), pack, regions)
    return report


def test_throttling_is_retried_then_succeeds(seeded, pack, monkeypatch):
    # No backoff sleep in a unit test; the retry decision and the adaptive rate limiter still run.
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    # SSM's JSON protocol; the only call on its client, so the adaptive limiter slows nothing else.
    throttled = _json_error(400, "ThrottlingException", "Rate exceeded")
    injector = Injector("GetParameterHistory", throttled, times=2)
    report = _audit(seeded, pack, injector, [REGION])
    assert injector.attempts["GetParameterHistory"] == 3
    assert finding_set(report) == set()
    assert statuses(report)["nodegroup-ami-age"] == "passed"
    assert {g["reason"] for g in report.extra["not_read"]} == {  # nothing lost to the throttling
        "the account-level S3 public access block is not read with --endpoint-url",
        "Kubernetes objects not read (--no-kubernetes)",
    }


def test_access_denied_marks_only_dependent_controls_not_assessed(seeded, pack):
    denied = _query_error(403, "UnauthorizedOperation", "You are not authorized to perform this operation.")
    injector = Injector("DescribeSecurityGroups", denied, times=10**6)
    report = _audit(seeded, pack, injector, [REGION])
    unread = "not assessed in cluster good-0 (eu-west-1): Kubernetes objects not read (--no-kubernetes)"
    account_block = "the account-level S3 public access block is not read with --endpoint-url"
    got = {
        cid: s
        for cid, s in statuses(report).items()
        if not _reason(report, cid).startswith(unread) and account_block not in _reason(report, cid)
    }
    assert {cid for cid, status in got.items() if status == "not_assessed"} == SG_CONTROLS
    assert {cid for cid, status in got.items() if status == "violated"} == set()
    reason = next(r.reason for r in report.results if r.control.id == "sg-open-ingress")
    assert reason == (
        f"not assessed in {REGION}: DescribeSecurityGroups: UnauthorizedOperation: "
        "You are not authorized to perform this operation."
    )
    assert injector.attempts["DescribeSecurityGroups"] == 1  # AccessDenied is not retried


def test_access_denied_in_one_region_keeps_the_other_region(seeded, pack):
    denied = _json_error(403, "AccessDeniedException", "User is not authorized to perform eks:ListClusters")
    injector = Injector("ListClusters", denied, times=10**6, region="us-west-2")
    report = _audit(seeded, pack, injector, [REGION, "us-west-2"])
    cluster_result = next(r for r in report.results if r.control.id == "eks-version-standard-support")
    assert cluster_result.status == "not_assessed"
    assert cluster_result.resources_evaluated == 1  # the eu-west-1 cluster was still read and checked
    assert cluster_result.reason == (
        "not assessed in us-west-2: ListClusters: AccessDeniedException: User is not authorized to perform "
        "eks:ListClusters"
    )
    assert finding_set(report) == set()
    assert report.extra["clusters"] == 1


def _reason(report, control_id: str) -> str:
    return next(r.reason for r in report.results if r.control.id == control_id)


def test_an_account_service_not_read_is_not_assessed_never_missing(seeded, pack):
    """GuardDuty denied: the account's detector may exist, so the controls that read detectors, the account-level
    stack rule among them, are not assessed (the audit does not tell that rule its stack is the account); every
    other control is judged as before."""
    denied = _json_error(403, "AccessDeniedException", "User is not authorized to perform guardduty:ListDetectors")
    injector = Injector("ListDetectors", denied, times=10**6)
    report = _audit(seeded, pack, injector, [REGION])
    guardduty = {"guardduty-eks-audit-logs", "guardduty-eks-runtime-monitoring", "stack-guardduty-eks-protection"}
    why = f"not assessed in {REGION}: ListDetectors: AccessDeniedException: User is not authorized to perform "
    assert {r.control.id for r in report.results if r.reason.startswith(why)} == guardduty
    assert {cid: statuses(report)[cid] for cid in guardduty} == dict.fromkeys(guardduty, "not_assessed")
    assert finding_set(report) == set()


def test_what_moto_does_not_implement_is_not_assessed_and_an_unread_default_leaves_the_data_to_judge(seeded, pack):
    """GetInstanceMetadataDefaults left to moto, which does not implement it (an HTML 500): the account's IMDS
    defaults are not assessed, with the reason, never passed. DescribeAddonVersions denied: eks-addon-version judges
    by its data file, as ``check`` does, and the report lists what was not read."""
    endpoint, gaps = seeded
    without_imds = dataclasses.replace(gaps, imds_defaults={})
    denied = _json_error(403, "AccessDeniedException", "User is not authorized to perform eks:DescribeAddonVersions")
    injector = Injector("DescribeAddonVersions", denied, times=10**6)
    _, report = audit(audit_session(endpoint, ACCOUNT, None, injector, without_imds), pack, [REGION])
    imds = next(r for r in report.results if r.control.id == "ec2-imds-account-defaults")
    assert (imds.status, imds.findings) == ("not_assessed", [])
    assert imds.reason.startswith(f"not assessed in {REGION}: ResponseParserError: Unable to parse response")
    assert "<" not in imds.reason and len(imds.reason) < 220  # the HTML page reduced to its text, cut short
    version = next(r for r in report.results if r.control.id == "eks-addon-version")
    assert [(f.resource_name, f.message) for f in version.findings] == [
        (
            "good-0:vpc-cni",
            "cluster good-0: add-on good-0:vpc-cni addonVersion is v1.20.4-eksbuild.1, behind v1.21.1-eksbuild.7, the "
            "version expected on Kubernetes 1.35 (data/eks_addons.json): update the add-on",
        )
    ]
    assert {(g["where"], g["reason"], tuple(g["types"])) for g in report.extra["not_read"] if not g["types"]} == {
        (
            REGION,
            "DescribeAddonVersions: AccessDeniedException: User is not authorized to perform eks:DescribeAddonVersions",
            (),
        )
    }


def test_an_add_on_association_not_described_keeps_its_service_account_and_only_its_role_is_not_assessed(seeded, pack):
    """DescribePodIdentityAssociation denied: the list already named the service account vpc-cni's association
    serves, so the add-on still has its own identity (no finding that it runs on the node role); the role behind it
    was not read, so the controls that judge roles are not assessed there."""
    denied = _json_error(403, "AccessDeniedException", "User is not authorized to perform eks:DescribePodIdentity")
    injector = Injector("DescribePodIdentityAssociation", denied, times=10**6)
    report = _audit(seeded, pack, injector, [REGION])
    assert finding_set(report) == set()
    why = f"not assessed in cluster good-0 ({REGION}): DescribePodIdentityAssociation: AccessDeniedException: "
    trust = next(r for r in report.results if r.control.id == "iam-pod-identity-trust-scoped")
    assert (trust.status, trust.reason.startswith(why)) == ("not_assessed", True)
    assert statuses(report)["eks-addon-version"] == "passed"  # the add-ons themselves were read


def test_a_cluster_whose_add_on_identities_cannot_be_read_is_not_judged_on_their_absence(seeded, pack):
    """Pod Identity associations neither listed nor described: vpc-cni's association cannot be resolved, so the
    cluster's add-ons go unread. The cluster then looks as if it ran the self-managed VPC CNI on the node role; that
    is the missing read, not a finding: the add-on controls are not assessed on that cluster."""
    denied = _json_error(403, "AccessDeniedException", "User is not authorized to read Pod Identity associations")
    injector = Injector("ListPodIdentityAssociations DescribePodIdentityAssociation", denied, times=10**6)
    report = _audit(seeded, pack, injector, [REGION])
    assert finding_set(report) == set()
    why = f"not assessed in cluster good-0 ({REGION}): ListPodIdentityAssociations: AccessDeniedException: "
    identity = next(r for r in report.results if r.control.id == "eks-addon-identity")
    assert (identity.status, identity.reason.startswith(why)) == ("not_assessed", True)
