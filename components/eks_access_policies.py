"""The EKS access policies AccessControl associates with access entries.

https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html
"""

from __future__ import annotations

import pulumi
from eksguard_policies import facts

# access_policy argument value -> AWS managed access policy (none: the entry gets only its RBAC groups).
ACCESS_POLICIES = {
    "view": "AmazonEKSViewPolicy",
    "edit": "AmazonEKSEditPolicy",
    "admin": facts.ADMIN_ACCESS_POLICY,
    "none": None,
}
# AmazonEKSEditPolicy and AmazonEKSAdminPolicy include read/write access to Secrets.
SECRET_READING_ACCESS_POLICIES = frozenset({"edit", "admin"})
CLUSTER_ADMIN_POLICY = facts.CLUSTER_ADMIN_ACCESS_POLICY


def access_policy_arn(partition: pulumi.Input[str], policy: str) -> pulumi.Output[str]:
    """The ARN of the AWS managed access policy ``policy`` in ``partition``."""
    return pulumi.Output.concat("arn:", partition, ":eks::aws:cluster-access-policy/", policy)
