"""A platform cluster the way the pulumi-eks examples build one: an awsx VPC, an eks.Cluster that trusts a node
role we create ourselves, a managed node group handed the cluster and role objects, and a Kubernetes provider
built from the cluster's kubeconfig for the first team namespace."""

import json

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx
import pulumi_eks as eks
import pulumi_kubernetes as k8s

vpc = awsx.ec2.Vpc("platform", cidr_block="10.40.0.0/16", number_of_availability_zones=2)

node_role = aws.iam.Role(
    "platform-nodes",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    ),
)
for managed in ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"):
    aws.iam.RolePolicyAttachment(
        f"platform-nodes-{managed}", role=node_role.name, policy_arn=f"arn:aws:iam::aws:policy/{managed}"
    )

cluster = eks.Cluster(
    "platform",
    vpc_id=vpc.vpc_id,
    private_subnet_ids=vpc.private_subnet_ids,
    public_subnet_ids=vpc.public_subnet_ids,
    skip_default_node_group=True,
    instance_roles=[node_role],
    authentication_mode=eks.AuthenticationMode.API,
    endpoint_public_access=False,
    endpoint_private_access=True,
)

eks.ManagedNodeGroup(
    "platform-general",
    cluster=cluster,
    node_role=node_role,
    subnet_ids=vpc.private_subnet_ids,
    instance_types=["m6i.large"],
    scaling_config={"min_size": 2, "desired_size": 2, "max_size": 4},
)

admin_kubeconfig = cluster.get_kubeconfig(role_arn="arn:aws:iam::123456789012:role/platform-admins")
provider = k8s.Provider("platform", kubeconfig=cluster.kubeconfig)
k8s.core.v1.Namespace(
    "payments", metadata={"labels": {"team": "payments"}}, opts=pulumi.ResourceOptions(provider=provider)
)

pulumi.export("kubeconfig", pulumi.Output.secret(admin_kubeconfig))
