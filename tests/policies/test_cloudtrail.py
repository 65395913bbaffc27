"""CloudTrail and S3 public access block controls, and the two stack rules, over the real protocol."""

from __future__ import annotations

from typing import Any

import pytest

from eksguard.protocol.analyzer import LEVEL_NAMES, SEVERITY_NAMES
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


MGMT = "cloudtrail-management-events"
MANAGEMENT = {"field": "eventCategory", "equals": ["Management"]}
DATA = [{"field": "eventCategory", "equals": ["Data"]}, {"field": "resources.type", "equals": ["AWS::S3::Object"]}]


def basic(read_write: Any = "All", include: Any = True) -> dict[str, Any]:
    return {"readWriteType": read_write, "includeManagementEvents": include, "dataResources": []}


def advanced(*field_selectors: Any) -> dict[str, Any]:
    return {"name": "selector", "fieldSelectors": list(field_selectors)}


CASES = [
    case("trail-baseline", TRAIL, trail()),
    # management events
    case("mgmt-basic-all", TRAIL, trail(eventSelectors=[basic()])),
    case("mgmt-basic-defaults", TRAIL, trail(eventSelectors=[{"dataResources": []}])),
    case("mgmt-basic-write-only", TRAIL, trail(eventSelectors=[basic("WriteOnly")]), {MGMT}),
    case("mgmt-basic-read-plus-write", TRAIL, trail(eventSelectors=[basic("ReadOnly"), basic("WriteOnly")])),
    case("mgmt-basic-excluded", TRAIL, trail(eventSelectors=[basic(include=False)]), {MGMT}),
    case("mgmt-basic-unknown-but-covered", TRAIL, trail(eventSelectors=[basic(), basic(UNKNOWN)])),
    case(
        "mgmt-basic-unknown",
        TRAIL,
        trail(eventSelectors=[basic("ReadOnly"), basic(include=UNKNOWN)]),
        not_checkable={MGMT},
    ),
    case("mgmt-advanced-management", TRAIL, trail(advancedEventSelectors=[advanced(MANAGEMENT)])),
    case("mgmt-advanced-data-only", TRAIL, trail(advancedEventSelectors=[advanced(*DATA)]), {MGMT}),
    case(
        "mgmt-advanced-read-only",
        TRAIL,
        trail(advancedEventSelectors=[advanced(MANAGEMENT, {"field": "readOnly", "equals": ["true"]})]),
        {MGMT},
    ),
    case(
        "mgmt-advanced-both-halves",
        TRAIL,
        trail(
            advancedEventSelectors=[
                advanced(MANAGEMENT, {"field": "readOnly", "equals": ["true"]}),
                advanced(MANAGEMENT, {"field": "readOnly", "equals": ["false"]}),
            ]
        ),
    ),
    case("mgmt-selectors-string", TRAIL, trail(eventSelectors="All")),
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
    return resource(
        CLUSTER, {"name": "prod", "bootstrapSelfManagedAddons": False}, name="prod"
    )  # no add-ons of its own: their controls are another module's


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
    ("stack-no-trail", [_cluster()], set(), {}),  # not checkable offline: see test_account_level
    ("stack-no-trail-external", [_cluster()], set(), {STACK_TRAIL: {"externalTrailArn": "arn:aws:cloudtrail:x"}}),
    ("stack-no-cluster-no-trail", [_bucket()], set(), {}),
    (
        "stack-single-region-trail",
        [_cluster(), _bucket(), _pab(), _trail(isMultiRegionTrail=False)],
        set(),
        {},
    ),
    (
        "stack-trail-not-logging",
        [_cluster(), _bucket(), _pab(), _trail(enableLogging=False)],
        set(),
        {},
    ),
    ("stack-trail-flags-unknown", [_cluster(), _bucket(), _pab(), _trail(isMultiRegionTrail=UNKNOWN)], set(), {}),
    (
        "stack-trail-single-region-logging-unknown",
        [_cluster(), _bucket(), _pab(), _trail(isMultiRegionTrail=False, enableLogging=UNKNOWN)],
        set(),
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
    (
        # the trail is named like its bucket: the literal names a bucket, not two resources
        "stack-bucket-by-name-shared-with-the-trail",
        [_bucket(), resource(TRAIL, trail(name="audit-bucket"), name="audit")],
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


def test_a_stack_without_a_qualifying_trail_is_not_checkable_offline(pack) -> None:
    result = pack.process.analyze_stack([_cluster(), _bucket(), _pab(), _trail(isMultiRegionTrail=False)])
    assert [d.policy for d in result.diagnostics] == []
    assert result.not_applicable[STACK_TRAIL] == (
        "not checkable offline: the stack declares no logging multi-region CloudTrail trail; CloudTrail is "
        "account-level and often declared in another stack or by the organization (set checkAccount to ask the "
        "account, read-only)"
    )


def test_the_trail_policy_is_advisory_by_default(pack) -> None:
    info = next(p for p in pack.info.policies if p.name == STACK_TRAIL)
    assert (LEVEL_NAMES[info.enforcementLevel], SEVERITY_NAMES[info.severity]) == ("advisory", "high")


def test_management_event_messages_say_what_is_missing(pack) -> None:
    write_only = pack.messages(TRAIL, trail(eventSelectors=[basic("WriteOnly")]))[MGMT]
    data_only = pack.messages(TRAIL, trail(advancedEventSelectors=[advanced(*DATA)]))[MGMT]
    assert write_only == [
        "eventSelectors record no read management events: those API calls (such as changes to the cluster) go "
        "unrecorded"
    ]
    assert data_only == [
        "advancedEventSelectors record no management events: those API calls (such as changes to the cluster) go "
        "unrecorded"
    ]
