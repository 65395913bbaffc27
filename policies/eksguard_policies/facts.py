"""Facts every part of eksguard shares, each stated once, with its source.

Standard library only: the policy pack imports this module from inside policies/ (the Pulumi CLI loads that
folder as it is), and the components, the command line and the embedded engine import it from here too.
The EKS versions and their support dates are data, not code: data/eks_versions.json, read by versions.py.
tests/test_facts.py fails when one of these facts is written out anywhere else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# --- the release ------------------------------------------------------------------------------------------
VERSION = "0.1.0"
"""eksguard's release (semantic versioning). pyproject.toml and the component package read it from here;
policies/PulumiPolicy.yaml must say it too, because the Pulumi CLI reads the pack's version there (a test
compares them)."""

# --- the component package (https://www.pulumi.com/docs/iac/guides/building-extending/components/) ---------
PACKAGE = "eksguard"
TYPE_TOKEN_PREFIX = f"{PACKAGE}:index:"
"""Every component's type token is ``eksguard:index:<Class>``."""
COMPONENTS: dict[str, str] = {
    "Cluster": "cluster",
    "DataPlaneSecurityGroups": "security_groups",
    "NetworkControls": "network",
    "NodeGroup": "nodegroup",
    "AccessControl": "access",
    "AuditTrail": "audit_trail",
    "ImageRegistry": "image_registry",
    "ThreatDetection": "threat_detection",
    "Baseline": "baseline",
}
"""Every component, by class, with its module in the ``components`` package: what the component package serves
and what a catalogue control's ``component`` may name."""


def component_token(class_name: str) -> str:
    """The type token of a component class, e.g. ``eksguard:index:Cluster``."""
    return f"{TYPE_TOKEN_PREFIX}{class_name}"


# --- resource types of other packages (https://www.pulumi.com/registry/) ---------------------------------------
AWS_EKS_CLUSTER = "aws:eks/cluster:Cluster"
"""pulumi-aws's EKS cluster: what the pack judges clusters on, and what the engine gives apply placeholders."""
EKS_CLUSTER = "eks:index:Cluster"
EKS_MANAGED_NODE_GROUP = "eks:index:ManagedNodeGroup"
EKS_NODE_GROUP = "eks:index:NodeGroup"
EKS_NODE_GROUP_V2 = "eks:index:NodeGroupV2"
"""The pulumi-eks components users declare (https://www.pulumi.com/registry/packages/eks/); their defaults are
data (data/components/pulumi-eks.json, read by components.py)."""
AWSX_VPC = "awsx:ec2:Vpc"
AWSX_TRAIL = "awsx:cloudtrail:Trail"
"""The awsx components the pack judges (https://www.pulumi.com/registry/packages/awsx/); their defaults:
data/components/pulumi-awsx.json."""


# --- the internet -----------------------------------------------------------------------------------------
INTERNET_CIDRS = ("0.0.0.0/0", "::/0")
"""Every IPv4 address and every IPv6 address, as AWS APIs write them."""

# --- network ports ----------------------------------------------------------------------------------------
KUBELET_PORT = 10250
"""The kubelet API (https://kubernetes.io/docs/reference/networking/ports-and-protocols/)."""
ADMIN_PORTS: dict[str, tuple[int, int]] = {
    "ssh": (22, 22),
    "telnet": (23, 23),
    "rdp": (3389, 3389),
    "winrm": (5985, 5986),
    "etcd": (2379, 2380),
    "kubelet": (KUBELET_PORT, KUBELET_PORT),
}
"""Remote administration and node-control ports that must never be reachable from the internet, by id: (first,
last) TCP port. SSH, Telnet, RDP and WinRM (HTTP and HTTPS) are IANA's assignments; etcd's client and peer ports
and the kubelet's are Kubernetes' (https://kubernetes.io/docs/reference/networking/ports-and-protocols/). The
order is NetworkControls' rule order, so it stays stable."""


def admin_port_numbers() -> list[int]:
    """Every port of ADMIN_PORTS, ascending."""
    return sorted({port for first, last in ADMIN_PORTS.values() for port in range(first, last + 1)})


# --- EKS control plane ------------------------------------------------------------------------------------
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
"""The five EKS control-plane log types (https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html)."""


def control_plane_log_group(cluster_name: str) -> str:
    """The CloudWatch Logs group EKS writes a cluster's control-plane logs to; EKS creates it, never expiring and
    without a customer-managed key, unless it exists first
    (https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html)."""
    return f"/aws/eks/{cluster_name}/cluster"


CLUSTER_ADMIN_ACCESS_POLICY = "AmazonEKSClusterAdminPolicy"
ADMIN_ACCESS_POLICY = "AmazonEKSAdminPolicy"
"""EKS access policies granting admin: cluster-wide, and per scope
(https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html)."""

# --- CloudWatch Logs ----------------------------------------------------------------------------------------
LOG_RETENTION_DAYS = 365
"""How long logs an investigation needs (control-plane logs, CloudTrail's copy, VPC flow logs) are kept at least:
a year (Security Hub CloudWatch.16, https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html;
Checkov CKV_AWS_338)."""
CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""The only retention periods CloudWatch Logs accepts (PutRetentionPolicy, retentionInDays:
https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html)."""

# --- EKS add-ons (their versions are data: data/eks_addons.json, read by addons.py) ----------------------------
VPC_CNI_ADDON = "vpc-cni"
KUBE_PROXY_ADDON = "kube-proxy"
COREDNS_ADDON = "coredns"
EBS_CSI_ADDON = "aws-ebs-csi-driver"
EFS_CSI_ADDON = "aws-efs-csi-driver"
"""The EKS add-on names (addonName) eksguard manages or judges
(https://docs.aws.amazon.com/eks/latest/userguide/workloads-add-ons-available-eks.html)."""
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"
"""The service principal an EKS Pod Identity role trusts, with sts:AssumeRole and sts:TagSession
(https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html)."""
VPC_CNI_NETWORK_POLICY = {"enableNetworkPolicy": "true"}
"""The vpc-cni add-on configuration (configurationValues, JSON) that turns on its network policy agent: without it,
NetworkPolicies are accepted by the API server and enforced by nothing
(https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html)."""
POD_IDENTITY_AGENT_ADDON = "eks-pod-identity-agent"
"""The add-on that hands Pod Identity credentials to pods on the nodes
(https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html)."""


@dataclass(frozen=True)
class AddonIdentity:
    """Where an EKS add-on's AWS API calls come from, and the AWS managed policy they need. The policy belongs on a
    role for that service account alone (EKS Pod Identity or IRSA), never on the node role, where every pod of the
    node could use it."""

    namespace: str
    service_account: str
    policy: str
    """The managed policy's path and name under ``arn:<partition>:iam::aws:policy/``."""
    source: str

    @property
    def policy_name(self) -> str:
        return self.policy.rsplit("/", 1)[-1]


ADDON_IDENTITIES: dict[str, AddonIdentity] = {
    VPC_CNI_ADDON: AddonIdentity(
        "kube-system",
        "aws-node",
        "AmazonEKS_CNI_Policy",
        "https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html",
    ),
    EBS_CSI_ADDON: AddonIdentity(
        "kube-system",
        "ebs-csi-controller-sa",
        "service-role/AmazonEBSCSIDriverPolicy",
        "https://docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html",
    ),
    EFS_CSI_ADDON: AddonIdentity(
        "kube-system",
        "efs-csi-controller-sa",
        "service-role/AmazonEFSCSIDriverPolicy",
        "https://docs.aws.amazon.com/eks/latest/userguide/efs-csi.html",
    ),
}
"""The EKS add-ons that call AWS APIs, by add-on name (the IPv4 policy for vpc-cni; an IPv6 cluster needs its own)."""
VPC_CNI_NETWORK_POLICY_CONTROLLER = {"enable-network-policy-controller": "true"}
"""What turns NetworkPolicy enforcement on in an EKS Auto Mode cluster, whose VPC CNI is AWS's: this key in the
kube-system/amazon-vpc-cni ConfigMap (with the NodeClass's networkPolicy, DefaultAllow unless set)
(https://docs.aws.amazon.com/eks/latest/userguide/auto-net-pol.html)."""
VPC_CNI_CONFIG_MAP = ("kube-system", "amazon-vpc-cni")

# --- IAM for EKS (https://docs.aws.amazon.com/eks/latest/userguide/) ------------------------------------------
POD_IDENTITY_ACTIONS = ("sts:AssumeRole", "sts:TagSession")
"""The actions an EKS Pod Identity role's trust allows pods.eks.amazonaws.com, no more
(https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html)."""
IRSA_AUDIENCE = "sts.amazonaws.com"
"""The audience (``<issuer>:aud``) of the service account tokens IRSA exchanges
(https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html)."""
FARGATE_POD_EXECUTION_POLICY = "AmazonEKSFargatePodExecutionRolePolicy"
"""The one managed policy a Fargate pod execution role needs: pull images from ECR, nothing else
(https://docs.aws.amazon.com/eks/latest/userguide/pod-execution-role.html)."""
ECR_PULL_ONLY_POLICY = "AmazonEC2ContainerRegistryPullOnly"
ECR_READ_ONLY_POLICY = "AmazonEC2ContainerRegistryReadOnly"
ECR_PULL_POLICIES = (ECR_PULL_ONLY_POLICY, ECR_READ_ONLY_POLICY)
"""The ECR managed policies a node role may hold: pulling images (PullOnly; ReadOnly also lists and describes)
(https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html)."""
AWS_AUTH_CONFIG_MAP = ("kube-system", "aws-auth")
"""The ConfigMap that maps IAM principals to Kubernetes users and groups under the CONFIG_MAP authentication modes
(https://docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html)."""
NODE_GROUPS = ("system:bootstrappers", "system:nodes")
"""The only groups a node role is mapped to, in aws-auth or by an EC2_LINUX access entry."""
CLUSTER_ADMIN_GROUP = "system:masters"
"""The Kubernetes group that bypasses RBAC entirely: no Role or binding can take its rights away
(https://kubernetes.io/docs/concepts/security/rbac-good-practices/)."""

# --- Amazon ECR (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/) ----------------------------------
ECR_IMMUTABLE_TAGS = ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION")
"""The imageTagMutability values under which a pushed tag cannot be moved to another image: every tag, or every tag
but those matching the exclusion filters
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html)."""
ECR_SCAN_FREQUENCIES = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")
"""The registry scanning rule frequencies that scan every pushed image (MANUAL scans nothing by itself)
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html)."""
ECR_CUSTOMER_KEY_TYPES = ("KMS", "KMS_DSSE")
"""The repository encryption types that use a KMS key, which may be the customer's (AES256 never is)
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html)."""

# --- threat detection -------------------------------------------------------------------------------------
GUARDDUTY_EKS_AUDIT_LOGS = "EKS_AUDIT_LOGS"
GUARDDUTY_RUNTIME_MONITORING = ("RUNTIME_MONITORING", "EKS_RUNTIME_MONITORING")
"""GuardDuty's runtime monitoring features for EKS: the unified one, then its EKS-only predecessor (a detector
uses one or the other)."""
GUARDDUTY_AGENT_MANAGEMENT = "EKS_ADDON_MANAGEMENT"
"""The runtime monitoring configuration with which GuardDuty deploys and updates its security agent on every
cluster (https://docs.aws.amazon.com/guardduty/latest/ug/runtime-monitoring-configuration.html); the feature names
are DetectorFeatureConfiguration's
(https://docs.aws.amazon.com/guardduty/latest/APIReference/API_DetectorFeatureConfiguration.html)."""
INSPECTOR_EKS_SCANS = ("EC2", "ECR")
"""What Amazon Inspector must scan for an EKS platform: the nodes (EC2) and the images they pull (ECR)
(https://docs.aws.amazon.com/inspector/latest/user/scanning-resources.html)."""

# --- nodes ------------------------------------------------------------------------------------------------
IMDS_HOP_LIMIT = 1
"""The instance metadata hop limit that keeps containers, one network hop beyond the node, away from the node
role's credentials (https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html)."""
AL2_END_OF_SUPPORT = dt.date(2025, 11, 26)
"""EKS-optimized Amazon Linux 2 AMIs reached end of support on this day and get no more security patches
(https://docs.aws.amazon.com/eks/latest/userguide/eks-ami-deprecation-faqs.html)."""
KUBELET_MAX_MINOR_SKEW = 3
"""How many minor versions a kubelet may be older than the API server; never newer
(https://kubernetes.io/releases/version-skew-policy/#kubelet, kubelet 1.25 and later; EKS allows the same for node
groups from Kubernetes 1.28, and requires nodes at the control plane's version before the control plane is updated:
https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html)."""
AMI_ARCHITECTURES = ("x86_64", "arm64")
"""The architectures the public AMI parameters are published for."""


@dataclass(frozen=True)
class AmiParameters:
    """Where AWS publishes the newest patched AMI of one family, as public SSM parameters."""

    path: str
    """Template of the parameters' folder, with ``{version}`` (Kubernetes minor version) and ``{arch}``."""
    release_name: str
    """The parameter holding the AMI's release version (next to ``image_id``)."""
    source: str

    def image_id(self, version: str, arch: str) -> str:
        return f"{self.path.format(version=version, arch=arch)}/image_id"

    def release(self, version: str, arch: str) -> str:
        return f"{self.path.format(version=version, arch=arch)}/{self.release_name}"


PATCHED_AMI_PARAMETERS: dict[str, AmiParameters] = {
    "AL2023": AmiParameters(
        "/aws/service/eks/optimized-ami/{version}/amazon-linux-2023/{arch}/standard/recommended",
        "release_version",
        "https://docs.aws.amazon.com/eks/latest/userguide/retrieve-ami-id.html",
    ),
    "BOTTLEROCKET": AmiParameters(
        "/aws/service/bottlerocket/aws-k8s-{version}/{arch}/latest",
        "image_version",
        "https://docs.aws.amazon.com/eks/latest/userguide/retrieve-ami-id-bottlerocket.html",
    ),
}
"""The patched EKS node AMI families, by name. AL2023 release versions carry their build date
(``1.35.2-20261120``); Bottlerocket's (``1.50.0-5f7c6ac5``) do not."""

# --- Kubernetes Pod Security Admission (https://kubernetes.io/docs/concepts/security/pod-security-admission/) ---
POD_SECURITY_LABEL_PREFIX = "pod-security.kubernetes.io/"
POD_SECURITY_MODES = ("enforce", "audit", "warn")
POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")
"""The Pod Security Standards levels, from the least to the most restrictive."""


def pod_security_label(mode: str) -> str:
    """The namespace label naming the level of ``mode``, e.g. ``pod-security.kubernetes.io/enforce``."""
    return f"{POD_SECURITY_LABEL_PREFIX}{mode}"


def pod_security_version_label(mode: str) -> str:
    """The namespace label pinning the Pod Security Standards version of ``mode``."""
    return f"{pod_security_label(mode)}-version"
