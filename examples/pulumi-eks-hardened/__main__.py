"""A platform cluster on pulumi-eks and awsx, hardened where they can be and by eksguard where they cannot.

pulumi-eks and awsx take every safe setting they offer: a private API endpoint, the API authentication mode, all
five control-plane log types, Secrets encrypted with a rotating customer-managed key, a Kubernetes version in
standard support, deletion protection, the VPC CNI enforcing NetworkPolicies, private subnets for the nodes, and
no default node group (pulumi-eks's self-managed node groups cannot require IMDSv2 with hop limit 1: the
multi-language schema has no metadataOptions). The program declares the control-plane log group itself, before
the cluster, with a year's retention and the same key (pulumi-eks has no argument for it; without it EKS creates
the group on first write, never expiring and unencrypted).

eksguard's components cover what those packages leave open:
- NodeGroup: managed nodes on a launch template with IMDSv2 only and hop limit 1, volumes encrypted with a
  rotating key, no public IP, and the latest patched AL2023 release (eks.ManagedNodeGroup's enableIMDSv2 sets
  hop limit 2, and without a launch template the volumes are unencrypted);
- DataPlaneSecurityGroups: the node security group with described rules only from the control plane;
- AuditTrail: a multi-region, validated, KMS-encrypted CloudTrail trail delivered to CloudWatch Logs, with a
  public access block on its bucket (awsx.cloudtrail.Trail creates its bucket without one);
- ThreatDetection: GuardDuty EKS audit log and runtime monitoring, Inspector scanning of the nodes and images
  (account-level: where the organization runs them, pass guardduty=False / inspector=False or leave it out).

What remains (README.md): pulumi-eks 4 always makes the cluster's creator admin
(bootstrapClusterCreatorAdminPermissions, cluster/cluster.ts:739), an advisory finding that no argument fixes;
remove the creator's access entry once the platform team's own access entries are in place.
"""

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx
import pulumi_eks as eks

from components.audit_trail import AuditTrail
from components.nodegroup import NodeGroup, NodeGroupArgs
from components.security_groups import DataPlaneSecurityGroups, DataPlaneSecurityGroupsArgs
from components.threat_detection import ThreatDetection, ThreatDetectionArgs

config = pulumi.Config()
kubernetes_version = config.require("kubernetesVersion")
cluster_name = "platform"
tags = {"team": "platform", "managed-by": "pulumi"}

vpc = awsx.ec2.Vpc(
    "platform",
    cidr_block="10.20.0.0/16",
    subnet_strategy="Auto",
    nat_gateways=awsx.ec2.NatGatewayConfigurationArgs(strategy="OnePerAz"),
    tags=tags,
)

account_id = aws.get_caller_identity_output().account_id
region = aws.get_region_output().region
control_plane_logs = f"/aws/eks/{cluster_name}/cluster"
# The account administers the key; CloudWatch Logs may use it for the control-plane log group only
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
key_policy = aws.iam.get_policy_document_output(
    statements=[
        aws.iam.GetPolicyDocumentStatementArgs(
            sid="AccountAdministers",
            principals=[
                aws.iam.GetPolicyDocumentStatementPrincipalArgs(
                    type="AWS", identifiers=[account_id.apply(lambda a: f"arn:aws:iam::{a}:root")]
                )
            ],
            actions=["kms:*"],
            resources=["*"],
        ),
        aws.iam.GetPolicyDocumentStatementArgs(
            sid="CloudWatchLogsUse",
            principals=[
                aws.iam.GetPolicyDocumentStatementPrincipalArgs(
                    type="Service", identifiers=[region.apply(lambda r: f"logs.{r}.amazonaws.com")]
                )
            ],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            resources=["*"],
            conditions=[
                aws.iam.GetPolicyDocumentStatementConditionArgs(
                    test="ArnEquals",
                    variable="kms:EncryptionContext:aws:logs:arn",
                    values=[
                        pulumi.Output.all(region, account_id).apply(
                            lambda a: f"arn:aws:logs:{a[0]}:{a[1]}:log-group:{control_plane_logs}"
                        )
                    ],
                )
            ],
        ),
    ]
)
platform_key = aws.kms.Key(
    "platform-key",
    description="The platform cluster's Kubernetes Secrets and control-plane logs",
    enable_key_rotation=True,
    policy=key_policy.json,
    tags=tags,
)
log_group = aws.cloudwatch.LogGroup(
    "platform-control-plane-logs",
    name=control_plane_logs,
    retention_in_days=365,
    kms_key_id=platform_key.arn,
    tags=tags,
)

cluster = eks.Cluster(
    "platform",
    name=cluster_name,
    vpc_id=vpc.vpc_id,
    private_subnet_ids=vpc.private_subnet_ids,
    endpoint_private_access=True,
    endpoint_public_access=False,
    authentication_mode=eks.AuthenticationMode.API,
    enabled_cluster_log_types=["api", "audit", "authenticator", "controllerManager", "scheduler"],
    encryption_config_key_arn=platform_key.arn,
    version=kubernetes_version,
    deletion_protection=True,
    vpc_cni_options=eks.VpcCniOptionsArgs(enable_network_policy=True),
    skip_default_node_group=True,
    tags=tags,
    opts=pulumi.ResourceOptions(depends_on=[log_group]),
)

security_groups = DataPlaneSecurityGroups(
    "platform-sg",
    DataPlaneSecurityGroupsArgs(cluster_name=cluster.eks_cluster.name, vpc_id=vpc.vpc_id, tags=tags),
)

nodes = NodeGroup(
    "platform-nodes",
    NodeGroupArgs(
        cluster_name=cluster.eks_cluster.name,
        subnet_ids=vpc.private_subnet_ids,
        node_security_group_id=security_groups.node_security_group_id,
        kubernetes_version=kubernetes_version,
        tags=tags,
    ),
)

trail = AuditTrail("platform-audit")
ThreatDetection("platform-detection", ThreatDetectionArgs(tags=tags))

pulumi.export("cluster_name", cluster.eks_cluster.name)
pulumi.export("node_group", nodes.node_group_name)
pulumi.export("trail_arn", trail.trail_arn)
