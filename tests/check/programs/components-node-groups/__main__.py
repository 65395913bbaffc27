"""Node groups the way pulumi-eks's examples write them: resource objects as inputs, the kubeconfig from a call."""

import json

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx
import pulumi_eks as eks
import pulumi_kubernetes as k8s

vpc = awsx.ec2.Vpc("vpc", subnet_strategy="Auto")
key = aws.kms.Key("secrets", description="EKS Secrets", enable_key_rotation=True)

node_role = aws.iam.Role(
    "node-role",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    ),
)
for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"):
    aws.iam.RolePolicyAttachment(
        f"node-role-{policy}", role=node_role.name, policy_arn=f"arn:aws:iam::aws:policy/{policy}"
    )

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
    instance_roles=[node_role],
)

# The defaults: EKS creates the launch template (AL2023: IMDSv2, hop limit 1), volumes unencrypted, and the
# nodes land in every subnet of the cluster.
eks.ManagedNodeGroup("defaults", cluster=cluster, node_role=node_role)

# enableIMDSv2 makes pulumi-eks write hop limit 2.
eks.ManagedNodeGroup(
    "imdsv2", cluster=cluster, node_role=node_role, enable_imd_sv2=True, subnet_ids=vpc.private_subnet_ids
)

# Hardened: the program's own launch template.
template = aws.ec2.LaunchTemplate(
    "nodes",
    metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
        http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
    ),
    block_device_mappings=[
        aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name="/dev/xvda",
            ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(encrypted="true", volume_size=50),
        )
    ],
)
eks.ManagedNodeGroup(
    "hardened",
    cluster=cluster,
    node_role=node_role,
    subnet_ids=vpc.private_subnet_ids,
    ami_type="AL2023_x86_64_STANDARD",
    launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=template.id, version=template.latest_version.apply(str)),
)

# Self-managed nodes: public IPs and unencrypted root volumes by default.
eks.NodeGroupV2("self-managed", cluster=cluster)

provider = k8s.Provider("cluster", kubeconfig=cluster.get_kubeconfig())
pulumi.export("kubeconfig", cluster.kubeconfig)
