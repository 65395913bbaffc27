"""The same cluster, VPC and trail with every hardening argument pulumi-eks and awsx offer, and what a program adds
where they offer none: the control-plane log group, and a Pod Identity association giving aws-node its own role."""

import json

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx
import pulumi_eks as eks

vpc = awsx.ec2.Vpc("vpc", subnet_strategy="Auto")
key = aws.kms.Key("secrets", description="EKS Secrets and CloudTrail logs", enable_key_rotation=True)
logs = aws.cloudwatch.LogGroup(
    "cluster-logs", name="/aws/eks/hardened/cluster", retention_in_days=365, kms_key_id=key.arn
)

cluster = eks.Cluster(
    "cluster",
    name="hardened",
    vpc_id=vpc.vpc_id,
    private_subnet_ids=vpc.private_subnet_ids,
    endpoint_private_access=True,
    endpoint_public_access=False,
    authentication_mode=eks.AuthenticationMode.API,
    enabled_cluster_log_types=["api", "audit", "authenticator", "controllerManager", "scheduler"],
    encryption_config_key_arn=key.arn,
    version="1.35",
    skip_default_node_group=True,
    deletion_protection=True,
    vpc_cni_options=eks.VpcCniOptionsArgs(enable_network_policy=True),
    opts=pulumi.ResourceOptions(depends_on=[logs]),
)
cni_role = aws.iam.Role(
    "aws-node",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
                }
            ],
        }
    ),
    managed_policy_arns=["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"],
)
aws.eks.Addon("pod-identity-agent", cluster_name=cluster.eks_cluster.name, addon_name="eks-pod-identity-agent")
aws.eks.PodIdentityAssociation(
    "aws-node",
    cluster_name=cluster.eks_cluster.name,
    namespace="kube-system",
    service_account="aws-node",
    role_arn=cni_role.arn,
)

trail = awsx.cloudtrail.Trail(
    "trail",
    is_multi_region_trail=True,
    enable_log_file_validation=True,
    kms_key_id=key.arn,
    cloud_watch_logs_group=awsx.awsx.OptionalLogGroupArgs(enable=True),
)
aws.s3.BucketPublicAccessBlock(
    "trail-bucket",
    bucket=trail.bucket.apply(lambda bucket: bucket.id),
    block_public_acls=True,
    block_public_policy=True,
    ignore_public_acls=True,
    restrict_public_buckets=True,
)

pulumi.export("kubeconfig", cluster.kubeconfig)
