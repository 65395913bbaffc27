"""IAM, KMS and CloudWatch Logs helpers shared by the components (policies are plain JSON documents)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from eksguard_policies import facts

from components._common import InvalidArgumentError


def require_retention(component: str, argument: str, days: object) -> None:
    if isinstance(days, bool) or days not in facts.CLOUDWATCH_RETENTION_DAYS:
        raise InvalidArgumentError(component, argument, f"is {days!r}", facts.CLOUDWATCH_RETENTION_DAYS)


def policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def service_trust_policy(service: str, actions: Sequence[str] = ("sts:AssumeRole",)) -> str:
    """Trust policy letting one AWS service principal assume a role."""
    return policy_document(
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)},
    )


def pod_identity_role(
    name: str,
    parent: pulumi.Resource,
    cluster_name: pulumi.Input[str],
    policies: dict[str, str],
    tags: dict[str, str],
) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
    """A role that EKS Pod Identity hands to pods of one cluster, holding only ``policies`` (see
    attach_managed_policies). Its trust is limited to this account's Pod Identity associations on that cluster
    (aws:SourceAccount, aws:SourceArn) against the confused deputy
    (https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html)."""
    trust = pulumi.Output.all(aws_account(parent), cluster_name).apply(
        lambda a: policy_document(
            {
                "Effect": "Allow",
                "Principal": {"Service": facts.POD_IDENTITY_PRINCIPAL},
                "Action": list(facts.POD_IDENTITY_ACTIONS),
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": a[0].id},
                    "ArnLike": {"aws:SourceArn": a[0].pod_identity_associations_arn(a[1])},
                },
            }
        )
    )
    role = aws.iam.Role(name, assume_role_policy=trust, tags=tags, opts=pulumi.ResourceOptions(parent=parent))
    return role, attach_managed_policies(name, role, policies, parent)


def managed_policy_arn(policy_name: str) -> pulumi.Output[str]:
    """ARN of an AWS managed policy in the current partition."""
    return aws.get_partition_output().partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{policy_name}")


def attach_managed_policies(
    name: str, role: aws.iam.Role, policies: dict[str, str], parent: pulumi.Resource
) -> list[aws.iam.RolePolicyAttachment]:
    """One attachment per ``{role suffix: managed policy name}``, named f"{name}-<suffix>"."""
    return [
        aws.iam.RolePolicyAttachment(
            f"{name}-{suffix}",
            role=role.name,
            policy_arn=managed_policy_arn(policy),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for suffix, policy in policies.items()
    ]


def logs_kms_key(name: str, description: str, parent: pulumi.Resource) -> aws.kms.Key:
    """A customer-managed key with rotation that CloudWatch Logs in this account and region may use.

    Key policy follows https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html:
    the account administers the key; the Logs service principal may use it only for this account's log groups.
    """
    key_policy = aws_account(parent).apply(
        lambda a: policy_document(
            a.administers_key(),
            {
                "Sid": "CloudWatchLogsUse",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{a.region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": a.log_group_arn("*")}},
            },
        )
    )
    return customer_key(name, description, key_policy, parent)


def customer_key(
    name: str,
    description: str,
    policy: pulumi.Input[str],
    parent: pulumi.Resource,
    tags: dict[str, str] | None = None,
) -> aws.kms.Key:
    """A customer-managed KMS key with yearly rotation and the longest deletion window (30 days: time to notice a
    scheduled deletion before the data it encrypts is lost)."""
    return aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=policy,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class AwsAccount:
    """Where the stack deploys. Read with invokes that depend on no resource, so it is known at preview."""

    id: str
    region: str
    partition: str

    def administers_key(self) -> dict[str, Any]:
        """The key policy statement that lets the account administer a key, and IAM policies grant its use."""
        return {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{self.partition}:iam::{self.id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }

    def trail_arn(self, trail_name: str) -> str:
        return f"arn:{self.partition}:cloudtrail:{self.region}:{self.id}:trail/{trail_name}"

    def log_group_arn(self, log_group_name: str) -> str:
        return f"arn:{self.partition}:logs:{self.region}:{self.id}:log-group:{log_group_name}"

    def pod_identity_associations_arn(self, cluster_name: str) -> str:
        """Every Pod Identity association of the cluster (EKS is the source of the AssumeRole call)."""
        return f"arn:{self.partition}:eks:{self.region}:{self.id}:podidentityassociation/{cluster_name}/*"


def aws_account(parent: pulumi.Resource) -> pulumi.Output[AwsAccount]:
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    return pulumi.Output.all(
        aws.get_caller_identity_output(opts=invoke).account_id,
        aws.get_region_output(opts=invoke).region,
        aws.get_partition_output(opts=invoke).partition,
    ).apply(lambda a: AwsAccount(*a))
