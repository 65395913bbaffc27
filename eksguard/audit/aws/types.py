"""Pulumi type tokens of the declarations the AWS collectors produce (the pack's own constants where it has them)."""

from __future__ import annotations

from eksguard_policies.rules._subnets import SUBNET
from eksguard_policies.rules.addons import ADDON, POD_IDENTITY_ASSOCIATION
from eksguard_policies.rules.cloudtrail import ACCOUNT_PUBLIC_ACCESS_BLOCK, BUCKETS, PUBLIC_ACCESS_BLOCK, TRAIL
from eksguard_policies.rules.control_plane_logs import LOG_GROUP
from eksguard_policies.rules.detection import DETECTOR, DETECTOR_FEATURE, INSPECTOR_ENABLER
from eksguard_policies.rules.eks_cluster import CLUSTER
from eksguard_policies.rules.iam import (
    ACCESS_POLICY_ASSOCIATION,
    KMS_KEY,
    POLICY,
    ROLE,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
)
from eksguard_policies.rules.identity import FARGATE_PROFILE
from eksguard_policies.rules.images import (
    LIFECYCLE_POLICY,
    REGISTRY_POLICY,
    REGISTRY_SCANNING,
    REPOSITORY,
    REPOSITORY_POLICY,
)
from eksguard_policies.rules.network import NETWORK_ACL
from eksguard_policies.rules.nodes import INSTANCE_METADATA_DEFAULTS, LAUNCH_TEMPLATE, NODE_GROUP
from eksguard_policies.rules.security_groups import SECURITY_GROUP
from eksguard_policies.rules.storage import EFS as EFS_FILE_SYSTEM

ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
BUCKET = BUCKETS[0]  # aws:s3/bucket:Bucket, the bucket type of pulumi-aws 7

IAM_TYPES = frozenset({ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT, POLICY})
CLUSTER_TYPES = frozenset(
    {CLUSTER, NODE_GROUP, ACCESS_ENTRY, ACCESS_POLICY_ASSOCIATION, ADDON, FARGATE_PROFILE, POD_IDENTITY_ASSOCIATION}
)
NODE_TYPES = frozenset({NODE_GROUP, LAUNCH_TEMPLATE})
NETWORK_TYPES = frozenset({SECURITY_GROUP, NETWORK_ACL, SUBNET})
TRAIL_TYPES = frozenset({TRAIL, BUCKET, PUBLIC_ACCESS_BLOCK})
REPOSITORY_TYPES = frozenset({REPOSITORY, REPOSITORY_POLICY, LIFECYCLE_POLICY})
DETECTOR_TYPES = frozenset({DETECTOR, DETECTOR_FEATURE})
EVERY_CLUSTER_DERIVED = CLUSTER_TYPES | NODE_TYPES | NETWORK_TYPES | IAM_TYPES | {KMS_KEY, LOG_GROUP}
"""What cannot be found when the clusters themselves cannot be listed (everything is found from them)."""

__all__ = [
    "ACCESS_ENTRY",
    "ACCESS_POLICY_ASSOCIATION",
    "ACCOUNT_PUBLIC_ACCESS_BLOCK",
    "ADDON",
    "BUCKET",
    "CLUSTER",
    "CLUSTER_TYPES",
    "DETECTOR",
    "DETECTOR_FEATURE",
    "DETECTOR_TYPES",
    "EFS_FILE_SYSTEM",
    "EVERY_CLUSTER_DERIVED",
    "FARGATE_PROFILE",
    "IAM_TYPES",
    "INSPECTOR_ENABLER",
    "INSTANCE_METADATA_DEFAULTS",
    "KMS_KEY",
    "LAUNCH_TEMPLATE",
    "LIFECYCLE_POLICY",
    "LOG_GROUP",
    "NETWORK_ACL",
    "NETWORK_TYPES",
    "NODE_GROUP",
    "NODE_TYPES",
    "POD_IDENTITY_ASSOCIATION",
    "POLICY",
    "PUBLIC_ACCESS_BLOCK",
    "REGISTRY_POLICY",
    "REGISTRY_SCANNING",
    "REPOSITORY",
    "REPOSITORY_POLICY",
    "REPOSITORY_TYPES",
    "ROLE",
    "ROLE_POLICY",
    "ROLE_POLICY_ATTACHMENT",
    "SECURITY_GROUP",
    "SUBNET",
    "TRAIL",
    "TRAIL_TYPES",
]
