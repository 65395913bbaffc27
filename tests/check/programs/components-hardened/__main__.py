"""The same cluster, VPC and trail with every hardening argument pulumi-eks and awsx offer."""

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx
import pulumi_eks as eks

vpc = awsx.ec2.Vpc("vpc", subnet_strategy="Auto")
key = aws.kms.Key("secrets", description="EKS Secrets and CloudTrail logs", enable_key_rotation=True)

cluster = eks.Cluster(
    "cluster",
    vpc_id=vpc.vpc_id,
    private_subnet_ids=vpc.private_subnet_ids,
    endpoint_private_access=True,
    endpoint_public_access=False,
    authentication_mode=eks.AuthenticationMode.API,
    enabled_cluster_log_types=["api", "audit", "authenticator", "controllerManager", "scheduler"],
    encryption_config_key_arn=key.arn,
    version="1.35",
    skip_default_node_group=True,
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
