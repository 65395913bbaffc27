"""Insecure add-ons, node boot configuration and identities: what a cluster grows into when nobody reviews it.

Breaks every control of policies/eksguard_policies/controls/{addons,identity,kubelet}.toml, the private endpoint,
deletion protection, control-plane log group, version skew and account IMDS defaults controls, and puts a
Karpenter node class and the aws-auth ConfigMap under the node and access controls.
"""

import base64
import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from cluster_and_audit import cluster, node_role
from workloads import opts

ACCOUNT = "123456789012"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"


def _document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# The VPC CNI as the add-on's defaults leave it: no network policy agent, the node role's credentials, an old build.
aws.eks.Addon("vpc-cni", cluster_name=cluster.name, addon_name="vpc-cni", addon_version="v1.18.0-eksbuild.1")
# The node role does the add-ons' work, so it got their policies (and ECR push for the CI that builds on the nodes).
aws.iam.RolePolicyAttachment(
    "node-role-cni", role=node_role.name, policy_arn="arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
)
aws.iam.RolePolicyAttachment(
    "node-role-ecr-push", role=node_role.name, policy_arn="arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser"
)

# A node group left two years behind its control plane (1.31): 1.27 kubelets.
aws.eks.NodeGroup(
    "legacy-nodes",
    cluster_name=cluster.name,
    node_role_arn=node_role.arn,
    subnet_ids=["subnet-0private0a"],
    version="1.27",
    scaling_config=aws.eks.NodeGroupScalingConfigArgs(desired_size=1, min_size=1, max_size=2),
)

# An IRSA role any service account of the cluster can assume, and a Pod Identity role any cluster can be handed.
aws.iam.Role(
    "reports-irsa",
    assume_role_policy=_document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringLike": {f"{ISSUER}:sub": "system:serviceaccount:*"}},
        }
    ),
)
aws.iam.Role(
    "reports-pod-identity",
    assume_role_policy=_document(
        {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:*"}
    ),
)

# Fargate for batch jobs, whose execution role also got the jobs' S3 access.
fargate_role = aws.iam.Role(
    "batch-fargate",
    assume_role_policy=_document(
        {"Effect": "Allow", "Principal": {"Service": "eks-fargate-pods.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ),
    managed_policy_arns=[
        "arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy",
        "arn:aws:iam::aws:policy/AmazonS3FullAccess",
    ],
)
aws.eks.FargateProfile(
    "batch",
    cluster_name=cluster.name,
    pod_execution_role_arn=fargate_role.arn,
    subnet_ids=["subnet-0private0a"],
    selectors=[aws.eks.FargateProfileSelectorArgs(namespace="batch")],
)

# Nodes bootstrapped from a script found online: the kubelet opened up "for metrics", AWS keys "for the agent".
BOOTSTRAP = """#!/bin/bash
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY
/etc/eks/bootstrap.sh quickstart --kubelet-extra-args '--anonymous-auth=true --authorization-mode=AlwaysAllow \
--read-only-port=10255 --rotate-certificates=false --event-qps=1'
"""
aws.ec2.LaunchTemplate(
    "metrics-nodes",
    image_id="ami-0123456789abcdef0",
    instance_type="m5.large",
    user_data=base64.b64encode(BOOTSTRAP.encode()).decode(),
)

# The account default that lets every template without metadata options run IMDSv1 with pods two hops away.
aws.ec2.InstanceMetadataDefaults("imds-defaults", http_tokens="optional", http_put_response_hop_limit=3)

# Karpenter nodes with the v1beta1 habit of hop limit 2 and an unencrypted data volume.
k8s.apiextensions.CustomResource(
    "spot-nodes",
    api_version="karpenter.k8s.aws/v1",
    kind="EC2NodeClass",
    metadata={"name": "spot"},
    spec={
        "amiFamily": "AL2023",
        "role": "KarpenterNodeRole",
        "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2},
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": "100Gi", "volumeType": "gp3"}}],
        "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "quickstart"}}],
        "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "quickstart"}}],
    },
    opts=opts,
)

# aws-auth edited by hand: the whole account as cluster admins.
k8s.core.v1.ConfigMap(
    "aws-auth",
    metadata={"name": "aws-auth", "namespace": "kube-system"},
    data={
        "mapRoles": pulumi.Output.from_input(node_role.arn).apply(
            lambda arn: json.dumps(
                [
                    {"rolearn": arn, "username": "system:node:{{EC2PrivateDNSName}}", "groups": ["system:nodes"]},
                    {"rolearn": f"arn:aws:iam::{ACCOUNT}:role/*", "username": "admin", "groups": ["system:masters"]},
                ]
            )
        ),
        "mapUsers": json.dumps(
            [{"userarn": f"arn:aws:iam::{ACCOUNT}:root", "username": "root", "groups": ["system:masters"]}]
        ),
    },
    opts=opts,
)
