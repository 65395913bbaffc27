"""AuditTrail under mocks: hardened defaults on the registered inputs, each opt-out, each rejection."""

from __future__ import annotations

import json

import pytest

from components._common import InvalidArgumentError
from components.audit_trail import AuditTrail, AuditTrailArgs
from tests.components import harness

TRAIL = "aws:cloudtrail/trail:Trail"
KEY = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

ACCOUNT, REGION = harness.ACCOUNT_ID, harness.REGION
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/audit"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/audit-key-key-id"


def build(**kwargs) -> harness.Result:
    return harness.run(lambda: AuditTrail("audit", AuditTrailArgs(**kwargs)))


@pytest.fixture(scope="module")
def default() -> harness.Result:
    return build()


def statements(document: str) -> dict[str, dict]:
    return {s.get("Sid", f"#{i}"): s for i, s in enumerate(json.loads(document)["Statement"])}


def test_registers_exactly_the_trail_and_its_guards(default):
    assert sorted(r.type for r in default.resources if r.custom) == sorted(
        [
            TRAIL,
            KEY,
            BUCKET,
            PUBLIC_ACCESS,
            VERSIONING,
            ENCRYPTION,
            OWNERSHIP,
            BUCKET_POLICY,
            LOG_GROUP,
            ROLE,
            ROLE_POLICY,
        ]
    )
    component = default.one("eksguard:index:AuditTrail")
    assert all(r.parent == component.urn and r.name.startswith("audit-") for r in default.children_of(component))
    assert len(default.children_of(component)) == 11


def test_trail_is_multi_region_validated_encrypted_logging_and_records_all_management_events(default):
    trail = default.one(TRAIL).inputs
    assert {
        k: trail[k]
        for k in (
            "isMultiRegionTrail",
            "includeGlobalServiceEvents",
            "enableLogFileValidation",
            "enableLogging",
            "kmsKeyId",
            "name",
        )
    } == {
        "isMultiRegionTrail": True,
        "includeGlobalServiceEvents": True,
        "enableLogFileValidation": True,
        "enableLogging": True,
        "kmsKeyId": KEY_ARN,
        "name": "audit",
    }
    assert trail["eventSelectors"] == [{"readWriteType": "All", "includeManagementEvents": True}]
    assert trail["s3BucketName"] == "audit-bucket-id"


def test_trail_delivers_to_the_encrypted_log_group_through_a_cloudtrail_role(default):
    trail, log_group = default.one(TRAIL).inputs, default.one(LOG_GROUP).inputs
    assert log_group == {"name": "/aws/cloudtrail/audit", "retentionInDays": 365, "kmsKeyId": KEY_ARN}
    log_group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/cloudtrail/audit"
    assert trail["cloudWatchLogsGroupArn"] == log_group_arn + ":*"
    assert trail["cloudWatchLogsRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/audit-logs-role"
    trust = statements(default.one(ROLE).inputs["assumeRolePolicy"])["#0"]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    (grant,) = statements(default.one(ROLE_POLICY).inputs["policy"]).values()
    assert grant == {
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": log_group_arn + ":log-stream:*",
    }


def test_trail_waits_for_the_bucket_policy_and_public_access_block(default):
    trail = default.one(TRAIL)
    for guard in (BUCKET_POLICY, PUBLIC_ACCESS, ENCRYPTION, VERSIONING, ROLE_POLICY):
        assert default.one(guard).urn in trail.dependencies, guard


def test_kms_key_rotates_and_its_policy_follows_the_cloudtrail_page(default):
    key = default.one(KEY).inputs
    assert key["enableKeyRotation"] is True
    assert key["deletionWindowInDays"] == 30
    policy = statements(key["policy"])
    assert set(policy) == {
        "EnableIAMUserPermissions",
        "AllowCloudTrailToEncryptLogs",
        "AllowCloudTrailToDescribeKey",
        "AllowAccountPrincipalsToDecryptLogFiles",
        "AllowCloudWatchLogsForTheTrailLogGroup",
    }
    assert policy["EnableIAMUserPermissions"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    encrypt = policy["AllowCloudTrailToEncryptLogs"]
    assert (encrypt["Principal"], encrypt["Action"]) == (
        {"Service": "cloudtrail.amazonaws.com"},
        "kms:GenerateDataKey*",
    )
    assert encrypt["Condition"] == {
        "StringEquals": {"aws:SourceArn": TRAIL_ARN},
        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"},
    }
    assert policy["AllowCloudTrailToDescribeKey"]["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    decrypt = policy["AllowAccountPrincipalsToDecryptLogFiles"]
    assert decrypt["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}  # never "*"
    assert decrypt["Condition"]["StringEquals"] == {"kms:CallerAccount": ACCOUNT}
    logs = policy["AllowCloudWatchLogsForTheTrailLogGroup"]
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/cloudtrail/audit"
        }
    }
    assert all(s["Effect"] == "Allow" for s in policy.values())


def test_bucket_blocks_public_access_versions_encrypts_with_the_key_and_disables_acls(default):
    assert default.one(BUCKET).inputs == {"forceDestroy": False}
    public = default.one(PUBLIC_ACCESS).inputs
    assert {
        k: public[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    } == dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True)
    assert default.one(VERSIONING).inputs["versioningConfiguration"] == {"status": "Enabled"}
    assert default.one(ENCRYPTION).inputs["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN},
            "bucketKeyEnabled": True,
        }
    ]
    assert default.one(OWNERSHIP).inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    for guard in (PUBLIC_ACCESS, VERSIONING, ENCRYPTION, OWNERSHIP, BUCKET_POLICY):
        assert default.one(guard).inputs["bucket"] == "audit-bucket-id", guard


def test_bucket_policy_lets_only_this_trail_write_and_denies_plain_http(default):
    bucket_arn = f"arn:aws:s3:{REGION}:{ACCOUNT}:audit-bucket"  # the harness's computed ARN
    policy = statements(default.one(BUCKET_POLICY).inputs["policy"])
    assert policy == {
        "AWSCloudTrailAclCheck": {
            "Sid": "AWSCloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"aws:SourceArn": TRAIL_ARN}},
        },
        "AWSCloudTrailWrite": {
            "Sid": "AWSCloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/AWSLogs/{ACCOUNT}/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": TRAIL_ARN}},
        },
        "DenyInsecureTransport": {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    }


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"log_s3_data_events": True}, [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}]),
        ({"log_lambda_data_events": True}, [{"type": "AWS::Lambda::Function", "values": ["arn:aws:lambda"]}]),
        (
            {"log_s3_data_events": True, "log_lambda_data_events": True},
            [
                {"type": "AWS::S3::Object", "values": ["arn:aws:s3"]},
                {"type": "AWS::Lambda::Function", "values": ["arn:aws:lambda"]},
            ],
        ),
    ],
)
def test_optional_data_events_keep_management_events(flags, expected):
    (selector,) = build(**flags).one(TRAIL).inputs["eventSelectors"]
    assert selector == {"readWriteType": "All", "includeManagementEvents": True, "dataResources": expected}


def test_trail_name_and_retention_opt_outs():
    result = build(trail_name="org-audit", log_retention_days=90)
    assert result.one(TRAIL).inputs["name"] == "org-audit"
    assert result.one(LOG_GROUP).inputs["name"] == "/aws/cloudtrail/org-audit"
    assert result.one(LOG_GROUP).inputs["retentionInDays"] == 90
    trust = statements(result.one(ROLE).inputs["assumeRolePolicy"])["#0"]
    assert trust["Condition"]["StringEquals"]["aws:SourceArn"].endswith(":trail/org-audit")


def test_outputs(default):
    trail = default.value
    assert default.output(trail.kms_key_arn) == KEY_ARN
    assert default.output(trail.log_group_name) == "/aws/cloudtrail/audit"
    assert default.output(trail.bucket_name) == "audit-bucket-id"
    assert default.output(trail.trail_arn).startswith("arn:aws:cloudtrail:")


REJECTED = [
    ({"trail_name": "a b"}, "trail_name", "3-128 letters"),
    ({"trail_name": "ab"}, "trail_name", "3-128 letters"),
    ({"log_retention_days": 42}, "log_retention_days", "365"),
    ({"log_retention_days": True}, "log_retention_days", "365"),
    ({"log_s3_data_events": "yes"}, "log_s3_data_events", "True, False"),
    ({"log_lambda_data_events": 1}, "log_lambda_data_events", "True, False"),
]


@pytest.mark.parametrize(
    ("kwargs", "argument", "accepted"), REJECTED, ids=[f"{r[1]}-{i}" for i, r in enumerate(REJECTED)]
)
def test_rejected_arguments_name_the_argument_and_register_nothing(kwargs, argument, accepted):
    result = harness.attempt(lambda: AuditTrail("audit", AuditTrailArgs(**kwargs)))
    assert isinstance(result.error, InvalidArgumentError)
    assert result.error.argument == argument
    assert str(result.error).startswith(f"AuditTrail: argument {argument!r} ")
    assert accepted in str(result.error).split("accepted values: ", 1)[1]
    assert result.all == []


def test_component_name_must_make_a_valid_trail_name_when_none_is_given():
    result = harness.attempt(lambda: AuditTrail("my trail"))
    assert isinstance(result.error, InvalidArgumentError) and result.error.argument == "name"
    assert result.all == []
