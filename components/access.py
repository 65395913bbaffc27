"""Platform IAM and Kubernetes RBAC for one EKS cluster: EKS access entries mapped to namespace-scoped
Kubernetes groups, least-privilege Role templates, Pod Security Admission labels, default-deny
NetworkPolicies and no service-account token automount in every managed namespace.

Access entries: https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html
Role templates: rbac_templates.py; namespace hardening: namespace_hardening.py; access policies:
eks_access_policies.py; argument checks: access_validation.py; the default provider: kubernetes_provider.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components._common import coerce_args, type_token
from components.access_validation import validate
from components.eks_access_policies import (
    ACCESS_POLICIES,
    CLUSTER_ADMIN_POLICY,
    SECRET_READING_ACCESS_POLICIES,
    access_policy_arn,
)
from components.kubernetes_provider import eks_kubernetes_provider
from components.namespace_hardening import (
    POD_SECURITY_LEVELS,
    RESERVED_NAMESPACES,
    default_network_policies,
    pod_security_labels,
)
from components.rbac_templates import ROLE_RULES, ROLES, SECRET_VERBS, kubernetes_group, role_rules

__all__ = [
    "ACCESS_POLICIES",
    "CLUSTER_ADMIN_POLICY",
    "POD_SECURITY_LEVELS",
    "RESERVED_NAMESPACES",
    "ROLES",
    "ROLE_RULES",
    "SECRET_READING_ACCESS_POLICIES",
    "SECRET_VERBS",
    "AccessControl",
    "AccessControlArgs",
    "AccessMapping",
    "ClusterAdmin",
    "ManagedNamespace",
    "access_entry_groups",
    "kubernetes_group",
    "validate",
]


def access_entry_groups(mapping: AccessMapping) -> list[str]:
    """The Kubernetes groups a mapping's principal joins: its role in each of its namespaces."""
    return [kubernetes_group(mapping.role, ns) for ns in mapping.namespaces]


@dataclass
class ManagedNamespace:
    name: str
    """Namespace name (DNS-1123 label); not default or kube-*."""
    pod_security_level: str = "restricted"
    """Pod Security Admission level enforced: restricted (default), or the weaker baseline or privileged.
    audit and warn stay at restricted whatever is enforced."""
    secrets_access_roles: list[str] = field(default_factory=list)
    """Role templates (viewer, developer, operator) that may access Secrets in this namespace; none by default."""


@dataclass
class AccessMapping:
    name: str
    """Stable id of the mapping (DNS-1123 label), used in resource names."""
    principal_arn: pulumi.Input[str]
    """IAM role or user ARN given access to the cluster."""
    role: str = "viewer"
    """Role template bound to the principal in each of its namespaces: viewer, developer or operator."""
    namespaces: list[str] = field(default_factory=list)
    """Managed namespaces the principal gets access to (at least one)."""
    access_policy: str = "view"
    """EKS access policy associated in those namespaces: view (default), edit, admin or none."""
    allow_secrets_access: bool = False
    """Required to choose the edit or admin access policy, which include access to Secrets."""


@dataclass
class ClusterAdmin:
    name: str
    """Stable id (DNS-1123 label), used in resource names."""
    principal_arn: pulumi.Input[str]
    """IAM role or user ARN given cluster-wide AmazonEKSClusterAdminPolicy."""


@dataclass
class AccessControlArgs:
    cluster_name: pulumi.Input[str] = ""
    """Name of the EKS cluster (created in this stack or existing)."""
    namespaces: list[ManagedNamespace] = field(default_factory=list)
    """Namespaces to create and harden."""
    access_mappings: list[AccessMapping] = field(default_factory=list)
    """IAM principals mapped to namespace-scoped Kubernetes groups (one mapping per principal)."""
    cluster_admins: list[ClusterAdmin] = field(default_factory=list)
    """Principals given cluster-scoped admin; empty by default. Weakening: grant only break-glass roles."""
    pod_security_version: str = "latest"
    """Pod Security Standards version in the -version labels: latest or v1.<minor>."""
    cluster_endpoint: pulumi.Input[str] | None = None
    """API server endpoint of a cluster created in this stack; looked up by name when omitted."""
    cluster_certificate_authority: pulumi.Input[str] | None = None
    """Base64 CA data of a cluster created in this stack; looked up by name when omitted."""


class AccessControl(pulumi.ComponentResource):
    """Access entries, RBAC and namespace hardening. Kubernetes resources go through the kubernetes
    provider passed in ``opts.providers``, or one built from the cluster (exec ``aws eks get-token``)."""

    namespace_names: pulumi.Output[list[str]]
    """The managed namespaces."""
    access_entry_arns: pulumi.Output[list[str]]
    """ARNs of the EKS access entries (cluster admins, then mappings)."""
    kubernetes_groups: pulumi.Output[dict[str, list[str]]]
    """For each access mapping, the Kubernetes groups its principal joins (eksguard:<role>:<namespace>)."""

    def __init__(self, name: str, args: AccessControlArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = coerce_args(AccessControlArgs, args)
        validate(name, args)
        super().__init__(type_token(AccessControl), name, None, opts)
        self._name = name
        self._args = args
        self.iam_resources: list[pulumi.Resource] = []
        self.rbac_resources: list[pulumi.Resource] = []
        self.network_resources: list[pulumi.Resource] = []
        self.workload_resources: list[pulumi.Resource] = []
        self._partition_output: pulumi.Output[str] | None = None

        entries = [self._create_cluster_admin(a) for a in args.cluster_admins]
        # The deploying identity may hold its Kubernetes rights only through a cluster admin entry made here.
        self._k8s_depends_on = list(self.iam_resources)
        entries += [self._create_access_mapping(m) for m in args.access_mappings]
        self._k8s_provider = self._create_kubernetes_provider()
        namespaces = [self._create_namespace(ns) for ns in args.namespaces]

        self.namespace_names = pulumi.Output.all(*[ns.metadata.name for ns in namespaces])
        self.access_entry_arns = pulumi.Output.all(*[e.access_entry_arn for e in entries])
        self.kubernetes_groups = pulumi.Output.from_input(
            {m.name: access_entry_groups(m) for m in args.access_mappings}
        )
        self.register_outputs(
            {
                "namespace_names": self.namespace_names,
                "access_entry_arns": self.access_entry_arns,
                "kubernetes_groups": self.kubernetes_groups,
            }
        )

    # --- Kubernetes provider -------------------------------------------------------------------------
    def _create_kubernetes_provider(self) -> k8s.Provider | None:
        if self.get_provider("kubernetes::") is not None:
            return None  # the caller's provider is inherited by every child
        args = self._args
        return eks_kubernetes_provider(
            f"{self._name}-k8s", self, args.cluster_name, args.cluster_endpoint, args.cluster_certificate_authority
        )

    def _k8s_opts(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._k8s_provider, depends_on=self._k8s_depends_on)

    # --- namespaces ----------------------------------------------------------------------------------
    def _create_namespace(self, ns: ManagedNamespace) -> k8s.core.v1.Namespace:
        prefix = f"{self._name}-{ns.name}"
        labels = pod_security_labels(ns.pod_security_level, self._args.pod_security_version)
        namespace = k8s.core.v1.Namespace(
            f"{prefix}-namespace", metadata={"name": ns.name, "labels": labels}, opts=self._k8s_opts()
        )
        self.workload_resources.append(namespace)
        ns_name = namespace.metadata.name
        self._create_default_service_account(prefix, ns_name)
        self._create_network_policies(prefix, ns_name)
        for role in ROLES:
            self._create_role(prefix, ns_name, ns, role)
        return namespace

    def _create_default_service_account(self, prefix: str, ns_name: pulumi.Output[str]) -> None:
        # A ServiceAccount rather than a ServiceAccountPatch: the namespace is created here, so the
        # service-account controller may not have made "default" yet; a Patch fails on a missing object,
        # while server-side apply upserts. The namespace owns its lifetime either way.
        sa = k8s.core.v1.ServiceAccount(
            f"{prefix}-default-sa",
            metadata={"name": "default", "namespace": ns_name},
            automount_service_account_token=False,
            opts=self._k8s_opts(),
        )
        self.workload_resources.append(sa)

    def _create_network_policies(self, prefix: str, ns_name: pulumi.Output[str]) -> None:
        for suffix, policy_name, spec in default_network_policies():
            policy = k8s.networking.v1.NetworkPolicy(
                f"{prefix}-{suffix}",
                metadata={"name": policy_name, "namespace": ns_name},
                spec=spec,
                opts=self._k8s_opts(),
            )
            self.network_resources.append(policy)

    def _create_role(self, prefix: str, ns_name: pulumi.Output[str], ns: ManagedNamespace, role: str) -> None:
        k8s_role = k8s.rbac.v1.Role(
            f"{prefix}-role-{role}",
            metadata={"name": f"eksguard-{role}", "namespace": ns_name},
            rules=role_rules(role, with_secrets=role in ns.secrets_access_roles),
            opts=self._k8s_opts(),
        )
        binding = k8s.rbac.v1.RoleBinding(
            f"{prefix}-rolebinding-{role}",
            metadata={"name": f"eksguard-{role}", "namespace": ns_name},
            role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "Role", "name": k8s_role.metadata.name},
            subjects=[
                {"api_group": "rbac.authorization.k8s.io", "kind": "Group", "name": kubernetes_group(role, ns.name)}
            ],
            opts=self._k8s_opts(),
        )
        self.rbac_resources += [k8s_role, binding]

    # --- access entries ------------------------------------------------------------------------------
    def _create_access_mapping(self, mapping: AccessMapping) -> aws.eks.AccessEntry:
        entry = aws.eks.AccessEntry(
            f"{self._name}-access-{mapping.name}",
            cluster_name=self._args.cluster_name,
            principal_arn=mapping.principal_arn,
            type="STANDARD",
            kubernetes_groups=access_entry_groups(mapping),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.iam_resources.append(entry)
        policy = ACCESS_POLICIES[mapping.access_policy]
        if policy is not None:
            scope = {"type": "namespace", "namespaces": list(mapping.namespaces)}
            self._associate(f"{self._name}-access-{mapping.name}-policy", entry, policy, scope)
        return entry

    def _create_cluster_admin(self, admin: ClusterAdmin) -> aws.eks.AccessEntry:
        entry = aws.eks.AccessEntry(
            f"{self._name}-admin-{admin.name}",
            cluster_name=self._args.cluster_name,
            principal_arn=admin.principal_arn,
            type="STANDARD",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.iam_resources.append(entry)
        self._associate(f"{self._name}-admin-{admin.name}-policy", entry, CLUSTER_ADMIN_POLICY, {"type": "cluster"})
        return entry

    def _partition(self) -> pulumi.Output[str]:
        if self._partition_output is None:
            invoke = pulumi.InvokeOutputOptions(parent=self)
            self._partition_output = aws.get_partition_output(opts=invoke).partition
        return self._partition_output

    def _associate(self, resource_name: str, entry: aws.eks.AccessEntry, policy: str, scope: dict) -> None:
        """Associate an EKS access policy with the entry's principal, within ``scope``."""
        association = aws.eks.AccessPolicyAssociation(
            resource_name,
            cluster_name=entry.cluster_name,
            principal_arn=entry.principal_arn,
            policy_arn=access_policy_arn(self._partition(), policy),
            access_scope=scope,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.iam_resources.append(association)
