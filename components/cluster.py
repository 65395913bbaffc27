"""Cluster: an Amazon EKS control plane with the customer-side settings hardened, and its core add-ons.

Private endpoint only unless the caller names the CIDRs allowed to reach a public one; every
control-plane log type into a KMS-encrypted log group created first; Kubernetes secrets envelope-encrypted
with a customer-managed key; access entries only (no aws-auth ConfigMap, no implicit creator admin);
a Kubernetes version in standard support; a cluster role holding only AmazonEKSClusterPolicy; deletion protection.

The core add-ons are EKS-managed at the version expected for the Kubernetes version (data/eks_addons.json): the
VPC CNI enforcing Kubernetes NetworkPolicies (https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html),
kube-proxy, CoreDNS, the EBS CSI driver and the Pod Identity agent. aws-node and the EBS CSI controller get their
AWS permissions through EKS Pod Identity, each from a role holding only its managed policy (facts.ADDON_IDENTITIES),
so the node role never holds them. CoreDNS and the EBS CSI controller run on nodes: their add-ons turn ACTIVE once
the cluster's node groups (created alongside, e.g. by the Baseline) have joined.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from eksguard_policies import addons, facts, versions

from components._common import InvalidArgumentError, coerce_args, require_choice, type_token
from components.iam import (
    attach_managed_policies,
    logs_kms_key,
    pod_identity_role,
    require_retention,
    service_trust_policy,
)
from components.network import validate_cidrs

CLUSTER_POLICIES = {"policy-eks-cluster": "AmazonEKSClusterPolicy"}
SUPPORT_TYPES = ("STANDARD", "EXTENDED")
_EKS_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")

POD_IDENTITY_AGENT, VPC_CNI = facts.POD_IDENTITY_AGENT_ADDON, facts.VPC_CNI_ADDON
ADDONS: dict[str, tuple[str, ...]] = {
    POD_IDENTITY_AGENT: (),
    VPC_CNI: (POD_IDENTITY_AGENT,),
    facts.KUBE_PROXY_ADDON: (),
    facts.COREDNS_ADDON: (VPC_CNI,),
    facts.EBS_CSI_ADDON: (POD_IDENTITY_AGENT, VPC_CNI),
}
"""The EKS add-ons every Cluster manages, each with the add-ons created before it: the Pod Identity agent before
the add-ons whose pods take their AWS credentials from it, the VPC CNI before the pods that need pod networking."""


@dataclass
class ClusterArgs:
    subnet_ids: pulumi.Input[list[pulumi.Input[str]]] = field(default_factory=list)
    """Subnets for the control-plane network interfaces, in at least two Availability Zones (private subnets)."""
    cluster_name: str | None = None
    """The EKS cluster name (default: the component's name)."""
    version: str | None = None
    """Kubernetes version; must be in EKS standard support (default: the newest such version)."""
    cluster_security_group_id: pulumi.Input[str] | None = None
    """Additional security group for the control-plane ENIs, e.g. DataPlaneSecurityGroups.cluster_security_group_id."""
    allow_public_endpoint_cidrs: list[str] = field(default_factory=list)
    """Opt-in: enable the public API endpoint for exactly these CIDRs (never 0.0.0.0/0 or ::/0)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Customer-managed KMS key for secrets and the log group (default: a new key with rotation). A key you bring
    must let CloudWatch Logs use it."""
    log_retention_days: int = facts.LOG_RETENTION_DAYS
    """Retention of the control-plane log group, one of CloudWatch Logs' accepted periods."""
    support_type: str = "STANDARD"
    """Upgrade policy at the end of standard support: STANDARD (auto-upgrade) or EXTENDED (opt-in, paid)."""
    deletion_protection: bool = True
    """EKS refuses to delete the cluster while this is on. False only for clusters meant to be thrown away."""
    network_policy_enforcement: bool = True
    """The VPC CNI enforces Kubernetes NetworkPolicies. False leaves every NetworkPolicy of the cluster unenforced."""
    addon_versions: dict[str, str] = field(default_factory=dict)
    """Versions of managed add-ons (vpc-cni, kube-proxy, coredns, aws-ebs-csi-driver, eks-pod-identity-agent) instead
    of the expected version for the Kubernetes version, e.g. {"coredns": "v1.14.3-eksbuild.4"}; never older than it."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags for every taggable child resource."""


class Cluster(pulumi.ComponentResource):
    """An EKS control plane: private endpoint, all control-plane logs, KMS secrets encryption, access entries."""

    cluster_name: pulumi.Output[str]
    """The EKS cluster name."""
    cluster_arn: pulumi.Output[str]
    """The EKS cluster ARN."""
    kubernetes_version: pulumi.Output[str]
    """The Kubernetes version of the control plane."""
    endpoint: pulumi.Output[str]
    """The Kubernetes API server endpoint."""
    certificate_authority: pulumi.Output[str]
    """Base64 certificate data of the cluster's certificate authority."""
    oidc_issuer: pulumi.Output[str]
    """The cluster's OIDC issuer URL (for IRSA)."""
    eks_security_group_id: pulumi.Output[str]
    """The security group EKS creates for the cluster."""
    role_arn: pulumi.Output[str]
    """ARN of the cluster IAM role."""
    kms_key_arn: pulumi.Output[str]
    """ARN of the KMS key encrypting secrets and the control-plane log group."""
    log_group_name: pulumi.Output[str]
    """The control-plane log group, /aws/eks/<name>/cluster."""
    cni_role_arn: pulumi.Output[str]
    """ARN of the role kube-system/aws-node gets through Pod Identity (AmazonEKS_CNI_Policy only)."""
    ebs_csi_role_arn: pulumi.Output[str]
    """ARN of the role the EBS CSI controller gets through Pod Identity (AmazonEBSCSIDriverPolicy only); to use a
    customer-managed KMS key for volumes, grant it on the key."""

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = coerce_args(ClusterArgs, args)
        validate(name, args)
        super().__init__(type_token(Cluster), name, None, opts)
        self._name = name
        self._args = args
        self._eks_name = args.cluster_name or name
        # Plain, not an Output: same-stack node groups pick their patched AMI with it at preview.
        self.version: str = args.version or versions.latest_version()

        key_arn = args.kms_key_arn or self._create_key().arn
        log_group = self._create_log_group(key_arn)
        role, attachments = self._create_role()
        cluster = self._create_cluster(role, key_arn, depends_on=[log_group, *attachments])
        addon_roles, addons_created = self._create_addons(cluster)
        # Not an output: the resources this cluster's node groups wait for, so that aws-node has its identity when
        # the first nodes start (the node role holds no CNI policy). The Baseline passes them as depends_on.
        self.node_prerequisites: list[pulumi.Resource] = [addons_created[POD_IDENTITY_AGENT], addons_created[VPC_CNI]]

        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.kubernetes_version = cluster.version
        self.endpoint = cluster.endpoint
        self.certificate_authority = cluster.certificate_authority.data
        self.oidc_issuer = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
        self.eks_security_group_id = cluster.vpc_config.cluster_security_group_id
        self.role_arn = role.arn
        self.kms_key_arn = pulumi.Output.from_input(key_arn)
        self.log_group_name = log_group.name
        self.cni_role_arn = addon_roles[VPC_CNI].arn
        self.ebs_csi_role_arn = addon_roles[facts.EBS_CSI_ADDON].arn
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "kubernetes_version": self.kubernetes_version,
                "endpoint": self.endpoint,
                "certificate_authority": self.certificate_authority,
                "oidc_issuer": self.oidc_issuer,
                "eks_security_group_id": self.eks_security_group_id,
                "role_arn": self.role_arn,
                "kms_key_arn": self.kms_key_arn,
                "log_group_name": self.log_group_name,
                "cni_role_arn": self.cni_role_arn,
                "ebs_csi_role_arn": self.ebs_csi_role_arn,
            }
        )

    def _opts(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _create_key(self) -> aws.kms.Key:
        return logs_kms_key(f"{self._name}-kms", f"EKS {self._eks_name}: secrets and control-plane logs", self)

    def _create_log_group(self, key_arn: pulumi.Input[str]) -> aws.cloudwatch.LogGroup:
        # EKS writes to this exact name; creating it first keeps retention and encryption under our control.
        return aws.cloudwatch.LogGroup(
            f"{self._name}-logs",
            name=facts.control_plane_log_group(self._eks_name),
            retention_in_days=self._args.log_retention_days,
            kms_key_id=key_arn,
            tags=self._args.tags,
            opts=self._opts(),
        )

    def _create_role(self) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
        role = aws.iam.Role(
            f"{self._name}-role",
            assume_role_policy=service_trust_policy("eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession")),
            tags=self._args.tags,
            opts=self._opts(),
        )
        return role, attach_managed_policies(f"{self._name}-role", role, CLUSTER_POLICIES, self)

    def _create_cluster(
        self, role: aws.iam.Role, key_arn: pulumi.Input[str], depends_on: list[pulumi.Resource]
    ) -> aws.eks.Cluster:
        public_cidrs = self._args.allow_public_endpoint_cidrs
        extra_sgs = [self._args.cluster_security_group_id] if self._args.cluster_security_group_id else []
        return aws.eks.Cluster(
            f"{self._name}-eks",
            name=self._eks_name,
            version=self.version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=self._args.subnet_ids,
                security_group_ids=extra_sgs,
                endpoint_private_access=True,
                endpoint_public_access=bool(public_cidrs),
                public_access_cidrs=public_cidrs or None,
            ),
            enabled_cluster_log_types=list(facts.CONTROL_PLANE_LOG_TYPES),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key_arn),
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=False,
            ),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=self._args.support_type),
            deletion_protection=self._args.deletion_protection,
            tags=self._args.tags,
            opts=self._opts(depends_on=depends_on),
        )

    def _create_addons(self, cluster: aws.eks.Cluster) -> tuple[dict[str, aws.iam.Role], dict[str, aws.eks.Addon]]:
        """Every add-on of ADDONS, and the Pod Identity role of each that calls AWS; both by add-on."""
        roles: dict[str, aws.iam.Role] = {}
        created: dict[str, aws.eks.Addon] = {}
        for addon, after in ADDONS.items():
            identity = facts.ADDON_IDENTITIES.get(addon)
            associations, ready = None, []
            if identity is not None:
                roles[addon], ready = pod_identity_role(
                    f"{self._name}-{addon}-role",
                    self,
                    self._eks_name,  # known at preview, unlike the cluster's outputs
                    {"policy": identity.policy},
                    self._args.tags,
                )
                associations = [
                    aws.eks.AddonPodIdentityAssociationArgs(
                        role_arn=roles[addon].arn, service_account=identity.service_account
                    )
                ]
            created[addon] = aws.eks.Addon(
                f"{self._name}-{addon}",
                cluster_name=cluster.name,
                addon_name=addon,
                addon_version=self._args.addon_versions.get(addon) or addons.expected_version(addon, self.version),
                configuration_values=self._configuration(addon),
                pod_identity_associations=associations,
                # EKS installed self-managed vpc-cni, kube-proxy and CoreDNS with the cluster: the add-ons adopt
                # them, and keep the settings here over later edits made in the cluster.
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                tags=self._args.tags,
                opts=self._opts(depends_on=[*ready, *(created[a] for a in after)]),
            )
        return roles, created

    def _configuration(self, addon: str) -> str | None:
        if addon == VPC_CNI and self._args.network_policy_enforcement:
            return json.dumps(facts.VPC_CNI_NETWORK_POLICY)
        return None


def validate(name: str, args: ClusterArgs) -> None:
    """Raise the InvalidArgumentError that ``Cluster(name, args)`` would raise, registering nothing."""
    component = "Cluster"
    eks_name = args.cluster_name or name
    if not _EKS_NAME.match(eks_name):
        raise InvalidArgumentError(
            component, "cluster_name", f"is {eks_name!r}", "1-100 letters, digits, '-' or '_', starting alphanumeric"
        )
    # An Output (e.g. a VPC component's subnet ids) is checked by EKS at deploy time.
    if not isinstance(args.subnet_ids, pulumi.Output) and (
        not isinstance(args.subnet_ids, list) or len(args.subnet_ids) < 2
    ):
        raise InvalidArgumentError(
            component, "subnet_ids", f"is {args.subnet_ids!r}", "a list of at least two subnet ids in different AZs"
        )
    supported = versions.standard_support_versions()
    if args.version is not None:
        require_choice(component, "version", args.version, supported)
    validate_cidrs(component, "allow_public_endpoint_cidrs", args.allow_public_endpoint_cidrs, allow_internet=False)
    require_retention(component, "log_retention_days", args.log_retention_days)
    require_choice(component, "support_type", args.support_type, SUPPORT_TYPES)
    for flag in ("deletion_protection", "network_policy_enforcement"):
        if not isinstance(getattr(args, flag), bool):
            raise InvalidArgumentError(component, flag, f"is {getattr(args, flag)!r}", (True, False))
    _validate_addon_versions(args.addon_versions, args.version or versions.latest_version())


def _validate_addon_versions(chosen: object, kubernetes_version: str) -> None:
    if not isinstance(chosen, dict):
        raise InvalidArgumentError("Cluster", "addon_versions", f"is {chosen!r}, not a mapping", "{add-on: version}")
    for addon, version in chosen.items():
        if addon not in ADDONS:
            raise InvalidArgumentError("Cluster", "addon_versions", f"names {addon!r}, not a managed add-on", ADDONS)
        path = ("addon_versions", addon)
        try:
            addons.version_key(version)
        except ValueError:
            raise InvalidArgumentError(
                "Cluster", path, f"is {version!r}", "an EKS add-on version such as 'v1.21.1-eksbuild.7'"
            ) from None
        expected = addons.expected_version(addon, kubernetes_version)
        if expected is not None and addons.is_behind(version, expected):
            raise InvalidArgumentError(
                "Cluster",
                path,
                f"is {version!r}, older than {expected!r}, the version expected for Kubernetes {kubernetes_version}",
                f"{expected} or newer",
            )
