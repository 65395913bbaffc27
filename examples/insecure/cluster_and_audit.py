"""Insecure resources: the cluster, IAM/KMS/access and CloudTrail, the way a hurried newcomer writes them.

Breaks every control of policies/eksguard_policies/controls/{eks_cluster,iam,cloudtrail}.toml.
"""

import json

import pulumi_aws as aws

ACCOUNT_ROOT = "arn:aws:iam::123456789012:root"


def _trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


ALLOW_EVERYTHING = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)

# "Just make it work": admin everywhere.
cluster_role = aws.iam.Role("cluster-role", assume_role_policy=_trust("eks.amazonaws.com"))
aws.iam.RolePolicyAttachment(
    "cluster-role-eks", role=cluster_role.name, policy_arn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
)
node_role = aws.iam.Role(
    "node-role",
    name="eks-node-role",
    assume_role_policy=_trust("ec2.amazonaws.com"),
    managed_policy_arns=["arn:aws:iam::aws:policy/PowerUserAccess"],
    inline_policies=[{"name": "everything", "policy": ALLOW_EVERYTHING}],
)
aws.iam.RolePolicyAttachment(
    "node-role-admin", role="eks-node-role", policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
)
aws.iam.Policy("ci-policy", policy=ALLOW_EVERYTHING)

# Public endpoint open to the world, no logs, no secrets encryption, an old version, aws-auth ConfigMap.
cluster = aws.eks.Cluster(
    "cluster",
    name="quickstart",
    version="1.31",
    role_arn=cluster_role.arn,
    vpc_config={"subnet_ids": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]},
    enabled_cluster_log_types=["api"],
)
aws.eks.AccessPolicyAssociation(
    "everyone-admin",
    cluster_name=cluster.name,
    principal_arn=ACCOUNT_ROOT,
    policy_arn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
    access_scope={"type": "cluster"},
)
aws.kms.Key("secrets-key", description="cluster secrets")

# A trail that only looks like auditing: one region, no validation, no KMS, no CloudWatch Logs, switched off,
# writing to a bucket without a public access block.
trail_bucket = aws.s3.Bucket("trail-bucket")
aws.cloudtrail.Trail("trail", s3_bucket_name=trail_bucket.id, enable_logging=False)
assets_bucket = aws.s3.Bucket("assets-bucket")
aws.s3.BucketPublicAccessBlock("assets-public-access", bucket=assets_bucket.id, block_public_acls=False)
