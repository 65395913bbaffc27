"""Every catalogue control id the audit reports, in one place, with what it needs to be assessed.

``SOURCES`` names the collectors a control depends on: when a collector fails in a region (access denied,
service unavailable, not implemented) the controls that depend on it are *not assessed* there.
"""

from __future__ import annotations

EKS_ENDPOINT_PUBLIC = "eks-endpoint-public-access"
EKS_PUBLIC_CIDRS_OPEN = "eks-public-access-cidrs-open"
EKS_LOGGING = "eks-control-plane-logging"
EKS_SECRETS_ENCRYPTION = "eks-secrets-encryption"
EKS_VERSION_SUPPORT = "eks-version-standard-support"
EKS_AUTH_MODE = "eks-authentication-mode"
EKS_BOOTSTRAP_ADMIN = "eks-bootstrap-cluster-creator-admin"
NODE_IMDSV2 = "node-imdsv2-required"
NODE_EBS_ENCRYPTED = "node-ebs-encrypted"
NODE_PUBLIC_IP = "node-public-ip"
NODEGROUP_SSH = "nodegroup-ssh-remote-access"
NODEGROUP_AMI_FAMILY = "nodegroup-ami-family"
NODEGROUP_AMI_AGE = "nodegroup-ami-age"
SG_OPEN_INGRESS = "sg-open-ingress"
SG_KUBELET_EXPOSED = "sg-kubelet-exposed"
SG_RULE_DESCRIPTION = "sg-rule-description"
NACL_ADMIN_PORTS = "nacl-admin-ports-open"
IAM_NODE_ROLE_ADMIN = "iam-node-role-admin"
IAM_POLICY_WILDCARD = "iam-policy-admin-wildcard"
ACCESS_POLICY_ADMIN = "access-policy-cluster-admin-broad"
KMS_ROTATION = "kms-key-rotation"
TRAIL_MULTI_REGION = "cloudtrail-multi-region"
TRAIL_VALIDATION = "cloudtrail-log-validation"
TRAIL_KMS = "cloudtrail-kms"
TRAIL_CLOUDWATCH = "cloudtrail-cloudwatch-logs"
TRAIL_LOGGING = "cloudtrail-logging-enabled"
TRAIL_BUCKET_PAB = "cloudtrail-bucket-public-access-block"
ACCOUNT_MULTI_REGION_TRAIL = "stack-multi-region-trail"

# Collector names (see collect.py) each control needs.
SOURCES: dict[str, tuple[str, ...]] = {
    EKS_ENDPOINT_PUBLIC: ("eks",),
    EKS_PUBLIC_CIDRS_OPEN: ("eks",),
    EKS_LOGGING: ("eks",),
    EKS_SECRETS_ENCRYPTION: ("eks",),
    EKS_VERSION_SUPPORT: ("eks",),
    EKS_AUTH_MODE: ("eks",),
    EKS_BOOTSTRAP_ADMIN: ("eks",),
    NODE_IMDSV2: ("eks", "launch_templates"),
    NODE_EBS_ENCRYPTED: ("eks", "launch_templates", "ebs_default"),
    NODE_PUBLIC_IP: ("eks", "launch_templates"),
    NODEGROUP_SSH: ("eks",),
    NODEGROUP_AMI_FAMILY: ("eks",),
    NODEGROUP_AMI_AGE: ("eks", "ami_releases"),
    SG_OPEN_INGRESS: ("eks", "security_groups"),
    SG_KUBELET_EXPOSED: ("eks", "security_groups"),
    SG_RULE_DESCRIPTION: ("eks", "security_groups"),
    NACL_ADMIN_PORTS: ("eks", "network_acls"),
    IAM_NODE_ROLE_ADMIN: ("eks", "iam"),
    IAM_POLICY_WILDCARD: ("eks", "iam"),
    ACCESS_POLICY_ADMIN: ("eks", "access_entries"),
    KMS_ROTATION: ("eks", "cloudtrail", "kms"),
    TRAIL_MULTI_REGION: ("cloudtrail",),
    TRAIL_VALIDATION: ("cloudtrail",),
    TRAIL_KMS: ("cloudtrail",),
    TRAIL_CLOUDWATCH: ("cloudtrail",),
    TRAIL_LOGGING: ("cloudtrail", "trail_status"),
    TRAIL_BUCKET_PAB: ("cloudtrail", "trail_buckets"),
    ACCOUNT_MULTI_REGION_TRAIL: ("cloudtrail",),
}

AUDIT_CONTROL_IDS: tuple[str, ...] = tuple(SOURCES)

# Pulumi type tokens of the AWS resources a finding can point at, for `pulumi import`.
IMPORT_TYPES: dict[str, str] = {
    "cluster": "aws:eks/cluster:Cluster",
    "nodegroup": "aws:eks/nodeGroup:NodeGroup",
    "launch_template": "aws:ec2/launchTemplate:LaunchTemplate",
    "security_group": "aws:ec2/securityGroup:SecurityGroup",
    "network_acl": "aws:ec2/networkAcl:NetworkAcl",
    "iam_role": "aws:iam/role:Role",
    "access_entry": "aws:eks/accessEntry:AccessEntry",
    "kms_key": "aws:kms/key:Key",
    "trail": "aws:cloudtrail/trail:Trail",
    "bucket_public_access_block": "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "account": "",
}
