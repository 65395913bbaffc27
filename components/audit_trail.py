"""An account-wide CloudTrail audit trail: multi-region, log file validation, SSE-KMS with a rotated key,
delivery to a locked-down S3 bucket and to an encrypted CloudWatch Logs group.

The trail records the AWS API calls that manage every EKS cluster of the account (created in this stack or
existing), so it takes no cluster argument; the clusters' own control-plane logs are the Cluster's concern.

KMS key policy: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
Bucket policy: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
CloudWatch Logs: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from eksguard_policies import facts

from components._common import InvalidArgumentError, coerce_args, type_token
from components.iam import AwsAccount, aws_account, customer_key, policy_document, require_retention

_TRAIL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$")
_C = "AuditTrail"


@dataclass
class AuditTrailArgs:
    trail_name: str | None = None
    """Name of the trail (3-128 letters, digits, '.', '_', '-'); defaults to the component name."""
    log_retention_days: int = facts.LOG_RETENTION_DAYS
    """Retention of the CloudWatch Logs copy, one of the CloudWatch Logs retention values (the S3 copy is kept)."""
    log_s3_data_events: bool = False
    """Also record S3 object-level (data) events for every bucket; off by default (volume and cost)."""
    log_lambda_data_events: bool = False
    """Also record Lambda Invoke (data) events for every function; off by default (volume and cost)."""


class AuditTrail(pulumi.ComponentResource):
    """A multi-region CloudTrail trail with log file validation, encrypted with a rotated KMS key, delivered to a
    private, versioned S3 bucket that only CloudTrail may write and to a CloudWatch Logs group."""

    trail_arn: pulumi.Output[str]
    """ARN of the trail."""
    bucket_name: pulumi.Output[str]
    """Name of the S3 bucket holding the log files."""
    log_group_name: pulumi.Output[str]
    """Name of the CloudWatch Logs group receiving the events."""
    kms_key_arn: pulumi.Output[str]
    """ARN of the KMS key encrypting the log files and the log group."""

    def __init__(
        self, name: str, args: AuditTrailArgs | None = None, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args = coerce_args(AuditTrailArgs, args)
        validate(name, args)
        super().__init__(type_token(AuditTrail), name, None, opts)
        self._name = name
        self._args = args
        self._trail_name = args.trail_name or name
        self._log_group_name = f"/aws/cloudtrail/{self._trail_name}"
        self._account = aws_account(self)

        key = self._create_kms_key()
        bucket, bucket_guards = self._create_bucket(key)
        log_group, log_role, log_role_policy = self._create_log_delivery(key)
        trail = self._create_trail(args, key, bucket, log_group, log_role, [*bucket_guards, log_role_policy])

        self.trail_arn = trail.arn
        self.bucket_name = bucket.id
        self.log_group_name = log_group.name
        self.kms_key_arn = key.arn
        self.register_outputs(
            {
                "trail_arn": self.trail_arn,
                "bucket_name": self.bucket_name,
                "log_group_name": self.log_group_name,
                "kms_key_arn": self.kms_key_arn,
            }
        )

    def _opts(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _create_kms_key(self) -> aws.kms.Key:
        trail_name, log_group_name = self._trail_name, self._log_group_name

        def key_policy(a: AwsAccount) -> str:
            trail_arn = a.trail_arn(trail_name)
            any_trail_of_account = f"arn:{a.partition}:cloudtrail:*:{a.id}:trail/*"
            log_group_arn = a.log_group_arn(log_group_name)
            return policy_document(
                {
                    "Sid": "EnableIAMUserPermissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{a.partition}:iam::{a.id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "AllowCloudTrailToEncryptLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "kms:GenerateDataKey*",
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"aws:SourceArn": trail_arn},
                        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": any_trail_of_account},
                    },
                },
                {
                    "Sid": "AllowCloudTrailToDescribeKey",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "kms:DescribeKey",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
                },
                # The AWS page grants decryption to Principal "*" limited by kms:CallerAccount; naming the
                # account root instead also requires an IAM policy allowing kms:Decrypt (stricter).
                {
                    "Sid": "AllowAccountPrincipalsToDecryptLogFiles",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{a.partition}:iam::{a.id}:root"},
                    "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"kms:CallerAccount": a.id},
                        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": any_trail_of_account},
                    },
                },
                {
                    "Sid": "AllowCloudWatchLogsForTheTrailLogGroup",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{a.region}.amazonaws.com"},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}},
                },
            )

        return customer_key(
            f"{self._name}-key",
            f"CloudTrail trail {trail_name}: log files and CloudWatch Logs",
            self._account.apply(key_policy),
            self,
        )

    def _create_bucket(self, key: aws.kms.Key) -> tuple[aws.s3.Bucket, list[pulumi.Resource]]:
        bucket = aws.s3.Bucket(f"{self._name}-bucket", force_destroy=False, opts=self._opts())
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{self._name}-bucket-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=self._opts(),
        )
        ownership = aws.s3.BucketOwnershipControls(
            f"{self._name}-bucket-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=self._opts(),
        )
        versioning = aws.s3.BucketVersioning(
            f"{self._name}-bucket-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=self._opts(),
        )
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{self._name}-bucket-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": key.arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=self._opts(),
        )
        trail_name = self._trail_name

        def bucket_policy(values: list) -> str:
            bucket_arn, a = values
            trail_arn = a.trail_arn(trail_name)
            return policy_document(
                {
                    "Sid": "AWSCloudTrailAclCheck",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:GetBucketAcl",
                    "Resource": bucket_arn,
                    "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
                },
                {
                    "Sid": "AWSCloudTrailWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"{bucket_arn}/AWSLogs/{a.id}/*",
                    "Condition": {
                        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}
                    },
                },
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            )

        policy = aws.s3.BucketPolicy(
            f"{self._name}-bucket-policy",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, self._account).apply(bucket_policy),
            # S3 rejects a bucket policy while the public access block is being written.
            opts=self._opts(depends_on=[public_access]),
        )
        return bucket, [public_access, ownership, versioning, encryption, policy]

    def _create_log_delivery(
        self, key: aws.kms.Key
    ) -> tuple[aws.cloudwatch.LogGroup, aws.iam.Role, aws.iam.RolePolicy]:
        log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-logs",
            name=self._log_group_name,
            retention_in_days=self._args.log_retention_days,
            kms_key_id=key.arn,
            opts=self._opts(),
        )
        trail_name, log_group_name = self._trail_name, self._log_group_name
        role = aws.iam.Role(
            f"{self._name}-logs-role",
            description=f"Lets CloudTrail trail {trail_name} write to its CloudWatch Logs group",
            assume_role_policy=self._account.apply(
                lambda a: policy_document(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceArn": a.trail_arn(trail_name)}},
                    }
                )
            ),
            opts=self._opts(),
        )
        role_policy = aws.iam.RolePolicy(
            f"{self._name}-logs-role-policy",
            role=role.id,
            # Built from the known log group name, not its ARN output, so the policy is checkable at preview.
            policy=self._account.apply(
                lambda a: policy_document(
                    {
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": f"{a.log_group_arn(log_group_name)}:log-stream:*",
                    }
                )
            ),
            opts=self._opts(depends_on=[log_group]),
        )
        return log_group, role, role_policy

    def _create_trail(
        self,
        args: AuditTrailArgs,
        key: aws.kms.Key,
        bucket: aws.s3.Bucket,
        log_group: aws.cloudwatch.LogGroup,
        log_role: aws.iam.Role,
        prerequisites: list[pulumi.Resource],
    ) -> aws.cloudtrail.Trail:
        return aws.cloudtrail.Trail(
            f"{self._name}-trail",
            name=self._trail_name,
            s3_bucket_name=bucket.id,
            kms_key_id=key.arn,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            cloud_watch_logs_group_arn=log_group.arn.apply(lambda arn: f"{arn}:*"),
            cloud_watch_logs_role_arn=log_role.arn,
            event_selectors=[
                {
                    "read_write_type": "All",
                    "include_management_events": True,
                    "data_resources": self._data_resources(args) or None,
                }
            ],
            opts=self._opts(depends_on=prerequisites),
        )

    def _data_resources(self, args: AuditTrailArgs) -> list[dict[str, Any]]:
        partition = self._account.apply(lambda a: a.partition)
        selected = []
        if args.log_s3_data_events:
            selected.append({"type": "AWS::S3::Object", "values": [pulumi.Output.concat("arn:", partition, ":s3")]})
        if args.log_lambda_data_events:
            selected.append(
                {"type": "AWS::Lambda::Function", "values": [pulumi.Output.concat("arn:", partition, ":lambda")]}
            )
        return selected


def validate(name: str, args: AuditTrailArgs) -> None:
    """Raise the InvalidArgumentError that ``AuditTrail(name, args)`` would raise, registering nothing."""
    trail_name = args.trail_name or name
    if not isinstance(trail_name, str) or not _TRAIL_NAME.match(trail_name):
        argument = "trail_name" if args.trail_name else "name"
        raise InvalidArgumentError(
            _C,
            argument,
            f"is {trail_name!r}, not a valid trail name",
            "3-128 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    require_retention(_C, "log_retention_days", args.log_retention_days)
    for flag in ("log_s3_data_events", "log_lambda_data_events"):
        if not isinstance(getattr(args, flag), bool):
            raise InvalidArgumentError(_C, flag, f"is {getattr(args, flag)!r}", (True, False))
