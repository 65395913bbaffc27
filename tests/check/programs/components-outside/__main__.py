"""A node group in subnets and a policy on a role that another stack owns, named by their ids."""

import pulumi_aws as aws

aws.eks.NodeGroup(
    "nodes",
    cluster_name="shared-prod",
    node_role_arn="arn:aws:iam::111122223333:role/shared-prod-nodes",
    subnet_ids=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
    ami_type="AL2023_x86_64_STANDARD",
    scaling_config=aws.eks.NodeGroupScalingConfigArgs(desired_size=2, min_size=1, max_size=3),
)
aws.iam.RolePolicyAttachment("deployer-admin", role="ci-deployer", policy_arn="arn:aws:iam::aws:policy/PowerUserAccess")
