"""Cluster: an Amazon EKS control plane with the customer-side settings hardened.

Private endpoint only unless the caller names the CIDRs allowed to reach a public one; every
control-plane log type into a KMS-encrypted log group created first; Kubernetes secrets envelope-encrypted
with a customer-managed key; access entries only (no aws-auth ConfigMap, no implicit creator admin);
a Kubernetes version in standard support; a cluster role holding only AmazonEKSClusterPolicy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from eksguard_policies import facts, versions

from components._common import InvalidArgumentError, coerce_args, require_choice, type_token
from components.iam import attach_managed_policies, logs_kms_key, require_retention, service_trust_policy
from components.network import validate_cidrs

CLUSTER_POLICIES = {"policy-eks-cluster": "AmazonEKSClusterPolicy"}
SUPPORT_TYPES = ("STANDARD", "EXTENDED")
_EKS_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")


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
    log_retention_days: int = 365
    """Retention of the control-plane log group, one of CloudWatch Logs' accepted periods."""
    support_type: str = "STANDARD"
    """Upgrade policy at the end of standard support: STANDARD (auto-upgrade) or EXTENDED (opt-in, paid)."""
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
            name=f"/aws/eks/{self._eks_name}/cluster",
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
            tags=self._args.tags,
            opts=self._opts(depends_on=depends_on),
        )


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
