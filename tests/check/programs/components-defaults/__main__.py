"""A cluster, a VPC and a trail from pulumi-eks and awsx with their defaults."""

import pulumi
import pulumi_awsx as awsx
import pulumi_eks as eks

vpc = awsx.ec2.Vpc("vpc")
cluster = eks.Cluster(
    "cluster",
    vpc_id=vpc.vpc_id,
    public_subnet_ids=vpc.public_subnet_ids,
    private_subnet_ids=vpc.private_subnet_ids,
)
trail = awsx.cloudtrail.Trail("trail")

pulumi.export("kubeconfig", cluster.kubeconfig)
