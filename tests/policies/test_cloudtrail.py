"""CloudTrail and S3 public access block controls, and the two stack rules, over the real protocol."""

from __future__ import annotations

from typing import Any

import pytest

from eksguard.protocol.wire import UNKNOWN

from .cases import Case, case, run_case
from .pack_driver import resource, urn_for

TRAIL = "aws:cloudtrail/trail:Trail"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
BUCKET = "aws:s3/bucket:Bucket"
CLUSTER = "aws:eks/cluster:Cluster"

MULTI = "cloudtrail-multi-region"
VALIDATION = "cloudtrail-log-validation"
KMS = "cloudtrail-kms"
CWL = "cloudtrail-cloudwatch-logs"
LOGGING = "cloudtrail-logging-enabled"
BLOCK = "cloudtrail-bucket-public-access-block"
STACK_BLOCK = "stack-trail-bucket-public-access-block"
STACK_TRAIL = "stack-multi-region-trail"

TRAIL_BASELINE: dict[str, Any] = {
    "name": "audit",
    "s3BucketName": "audit-bucket",
    "isMultiRegionTrail": True,
    "includeGlobalServiceEvents": True,
    "enableLogFileValidation": True,
    "enableLogging": True,
    "kmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/abcd",
    "cloudWatchLogsGroupArn": "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/cloudtrail/audit:*",
    "cloudWatchLogsRoleArn": "arn:aws:iam::111122223333:role/audit-logs",
}
PAB_BASELINE = {
    "bucket": "audit-bucket",
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}


def trail(**changes: Any) -> dict[str, Any]:
    props = {**TRAIL_BASELINE, **changes}
    return {k: v for k, v in props.items() if v is not None}


def pab(**changes: Any) -> dict[str, Any]:
    props = {**PAB_BASELINE, **changes}
    return {k: v for k, v in props.items() if v is not None}


CASES = [
    case("trail-baseline", TRAIL, trail()),
    case("trail-single-region", TRAIL, trail(isMultiRegionTrail=False), {MULTI}),
    case("trail-region-default", TRAIL, trail(isMultiRegionTrail=None), {MULTI}),
    case("trail-region-garbage", TRAIL, trail(isMultiRegionTrail=[True]), {MULTI}),
    case("trail-region-string-true", TRAIL, trail(isMultiRegionTrail="true")),
    case("trail-no-validation", TRAIL, trail(enableLogFileValidation=None), {VALIDATION}),
    case("trail-validation-false", TRAIL, trail(enableLogFileValidation=False), {VALIDATION}),
    case("trail-no-kms", TRAIL, trail(kmsKeyId=None), {KMS}),
    case("trail-kms-empty", TRAIL, trail(kmsKeyId=""), {KMS}),
    case("trail-kms-unknown", TRAIL, trail(kmsKeyId=UNKNOWN)),
    case("trail-no-cloudwatch", TRAIL, trail(cloudWatchLogsGroupArn=None, cloudWatchLogsRoleArn=None), {CWL}),
    case("trail-cloudwatch-no-role", TRAIL, trail(cloudWatchLogsRoleArn=None), {CWL}),
    case("trail-cloudwatch-unknown", TRAIL, trail(cloudWatchLogsGroupArn=UNKNOWN, cloudWatchLogsRoleArn=UNKNOWN)),
    case("trail-logging-off", TRAIL, trail(enableLogging=False), {LOGGING}),
    case("trail-logging-default", TRAIL, trail(enableLogging=None)),
    case("trail-logging-unknown", TRAIL, trail(enableLogging=UNKNOWN), not_checkable={LOGGING}),
    case("trail-minimal", TRAIL, {"s3BucketName": "b"}, {MULTI, VALIDATION, KMS, CWL}),
    case("pab-baseline", PAB, pab()),
    case("pab-acls-off", PAB, pab(blockPublicAcls=False), {BLOCK}),
    case("pab-policy-missing", PAB, pab(blockPublicPolicy=None), {BLOCK}),
    case("pab-only-bucket", PAB, {"bucket": "b"}, {BLOCK}),
    case("pab-restrict-garbage", PAB, pab(restrictPublicBuckets="no"), {BLOCK}),
    case("pab-flag-unknown", PAB, pab(ignorePublicAcls=UNKNOWN), not_checkable={BLOCK}),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_cloudtrail_case(pack, c: Case) -> None:
    run_case(pack, c)


def test_pab_message_lists_each_flag(pack) -> None:
    messages = [d.message.splitlines()[-1] for d in pack.analyze(PAB, {"bucket": "b", "blockPublicAcls": True})]
    assert messages == [
        "blockPublicPolicy is not set (AWS default false): the bucket can be made public",
        "ignorePublicAcls is not set (AWS default false): the bucket can be made public",
        "restrictPublicBuckets is not set (AWS default false): the bucket can be made public",
    ]


def test_trail_remediations_turn_on_every_remediable_flag(pack) -> None:
    props = trail(isMultiRegionTrail=False, enableLogFileValidation=None, enableLogging=False)
    with pack.configured({"all": "remediate"}):
        fixed = pack.remediate(TRAIL, props)
        assert pack.remediate(TRAIL, trail()) is None
    assert fixed == trail()
    assert pack.violations(TRAIL, fixed) == set()


# --- stack rules: each case is (id, resources, expected {(policy, urn)}, config) -------------------------------

BUCKET_URN = urn_for(BUCKET, "audit-bucket")
CLUSTER_URN = urn_for(CLUSTER, "prod")


def _bucket() -> Any:
    return resource(BUCKET, {"bucket": "audit-bucket"}, name="audit-bucket")


def _cluster() -> Any:
    return resource(CLUSTER, {"name": "prod"}, name="prod")


def _trail(**changes: Any) -> Any:
    """A trail whose bucket is the stack's bucket, known only through the property dependency (unknown name)."""
    return resource(
        TRAIL,
        trail(s3BucketName=UNKNOWN, **changes),
        name="audit",
        property_dependencies={"s3BucketName": [BUCKET_URN]},
    )


def _pab(**changes: Any) -> Any:
    return resource(
        PAB, pab(bucket=UNKNOWN, **changes), name="audit-pab", property_dependencies={"bucket": [BUCKET_URN]}
    )


STACK_CASES: list[tuple[str, list[Any], set[tuple[str, str]], dict[str, Any]]] = [
    ("stack-complete", [_cluster(), _bucket(), _pab(), _trail()], set(), {}),
    ("stack-no-trail", [_cluster()], {(STACK_TRAIL, CLUSTER_URN)}, {}),
    ("stack-no-trail-external", [_cluster()], set(), {STACK_TRAIL: {"externalTrailArn": "arn:aws:cloudtrail:x"}}),
    ("stack-no-cluster-no-trail", [_bucket()], set(), {}),
    (
        "stack-single-region-trail",
        [_cluster(), _bucket(), _pab(), _trail(isMultiRegionTrail=False)],
        {(STACK_TRAIL, CLUSTER_URN)},
        {},
    ),
    (
        "stack-trail-not-logging",
        [_cluster(), _bucket(), _pab(), _trail(enableLogging=False)],
        {(STACK_TRAIL, CLUSTER_URN)},
        {},
    ),
    ("stack-trail-flags-unknown", [_cluster(), _bucket(), _pab(), _trail(isMultiRegionTrail=UNKNOWN)], set(), {}),
    (
        "stack-trail-single-region-logging-unknown",
        [_cluster(), _bucket(), _pab(), _trail(isMultiRegionTrail=False, enableLogging=UNKNOWN)],
        {(STACK_TRAIL, CLUSTER_URN)},
        {},
    ),
    (
        "stack-one-good-trail-one-unknown",
        [_cluster(), _bucket(), _pab(), _trail(), resource(TRAIL, trail(isMultiRegionTrail=UNKNOWN), name="other")],
        set(),
        {},
    ),
    ("stack-bucket-without-pab", [_cluster(), _bucket(), _trail()], {(STACK_BLOCK, BUCKET_URN)}, {}),
    (
        "stack-bucket-by-name",
        [_bucket(), resource(TRAIL, trail(), name="audit"), resource(PAB, pab(), name="audit-pab")],
        set(),
        {},
    ),
    (
        "stack-bucket-by-name-no-pab",
        [_bucket(), resource(TRAIL, trail(), name="audit")],
        {(STACK_BLOCK, BUCKET_URN)},
        {},
    ),
    ("stack-account-pab", [_bucket(), _trail(), resource(ACCOUNT_PAB, pab(bucket=None), name="account")], set(), {}),
    (
        "stack-account-pab-weak",
        [_bucket(), _trail(), resource(ACCOUNT_PAB, pab(bucket=None, blockPublicAcls=False), name="account")],
        {(STACK_BLOCK, BUCKET_URN)},
        {},
    ),
    ("stack-external-bucket", [resource(TRAIL, trail(s3BucketName="org-trail-bucket"), name="audit")], set(), {}),
    (
        "stack-bucket-without-pab-exempted",
        [_bucket(), _trail()],
        set(),
        {STACK_BLOCK: {"exemptions": [{"pattern": "audit-bucket", "reason": "org SCP blocks public buckets"}]}},
    ),
]


@pytest.mark.parametrize("c", STACK_CASES, ids=lambda c: c[0])
def test_stack_case(pack, c) -> None:
    _, resources, expected, config = c
    with pack.configured(config):
        assert pack.stack_violations(resources) == expected


# Stacks whose verdict depends on an unknown value: the stack policy is not checkable until apply.
NOT_CHECKABLE_STACKS = [
    ("trail-flag-unknown", [_cluster(), _bucket(), _pab(), _trail(isMultiRegionTrail=UNKNOWN)], STACK_TRAIL),
    (
        "trail-bucket-unknown-without-dependency",
        [_bucket(), resource(TRAIL, trail(s3BucketName=UNKNOWN), name="audit")],
        STACK_BLOCK,
    ),
    (
        "account-block-flag-unknown",
        [_bucket(), _trail(), resource(ACCOUNT_PAB, pab(bucket=None, ignorePublicAcls=UNKNOWN), name="account")],
        STACK_BLOCK,
    ),
]


@pytest.mark.parametrize("c", NOT_CHECKABLE_STACKS, ids=lambda c: c[0])
def test_stack_not_checkable(pack, c) -> None:
    _, resources, policy = c
    result = pack.process.analyze_stack(resources)
    assert [d.policy for d in result.diagnostics if "during preview" in d.message] == [policy]
    assert [d.policy for d in result.diagnostics if "during preview" not in d.message] == []
