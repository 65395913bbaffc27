"""Platform IAM and Kubernetes RBAC for one EKS cluster: EKS access entries mapped to namespace-scoped
Kubernetes groups, least-privilege Role templates, Pod Security Admission labels, default-deny
NetworkPolicies and no service-account token automount in every managed namespace.

Access entries: https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html
Access policies: https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html
Pod Security Admission: https://kubernetes.io/docs/concepts/security/pod-security-admission/
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components._common import InvalidArgumentError, coerce_args, require_choice, type_token

ROLES = ("viewer", "developer", "operator")
POD_SECURITY_LEVELS = ("restricted", "baseline", "privileged")
ACCESS_POLICIES = {
    "view": "AmazonEKSViewPolicy",
    "edit": "AmazonEKSEditPolicy",
    "admin": "AmazonEKSAdminPolicy",
    "none": None,
}
# AmazonEKSEditPolicy and AmazonEKSAdminPolicy include read/write access to Secrets.
SECRET_READING_ACCESS_POLICIES = frozenset({"edit", "admin"})
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
_PSA_VERSION = re.compile(r"^(latest|v1\.\d+)$")

_READ = ["get", "list", "watch"]
_WRITE = ["get", "list", "watch", "create", "update", "patch", "delete"]
_WORKLOADS = ("apps", ["deployments", "replicasets", "statefulsets", "daemonsets"])
_BATCH = ("batch", ["jobs", "cronjobs"])
_CORE_READ = ["pods", "pods/log", "services", "endpoints", "configmaps", "persistentvolumeclaims", "events"]

# Role templates: (api group, resources, verbs) rules, no wildcards and no Secrets (added per namespace only
# through ManagedNamespace.secrets_access_roles). No role can write RBAC, NetworkPolicies or exec into pods.
ROLE_RULES: dict[str, list[tuple[str, list[str], list[str]]]] = {
    "viewer": [
        ("", _CORE_READ, _READ),
        (_WORKLOADS[0], _WORKLOADS[1], _READ),
        (_BATCH[0], _BATCH[1], _READ),
        ("networking.k8s.io", ["ingresses"], _READ),
        ("autoscaling", ["horizontalpodautoscalers"], _READ),
    ],
    "developer": [
        ("", ["pods", "pods/log", "endpoints", "events"], _READ),
        ("", ["services", "configmaps", "persistentvolumeclaims"], _WRITE),
        ("", ["pods"], ["delete"]),
        (_WORKLOADS[0], ["deployments", "statefulsets"], _WRITE),
        (_WORKLOADS[0], ["replicasets", "daemonsets"], _READ),
        (_BATCH[0], _BATCH[1], _WRITE),
        ("networking.k8s.io", ["ingresses"], _READ),
        ("autoscaling", ["horizontalpodautoscalers"], _READ),
    ],
    "operator": [
        ("", ["pods", "pods/log", "endpoints", "events"], _READ),
        ("", ["services", "configmaps", "persistentvolumeclaims"], _WRITE),
        ("", ["pods"], ["delete"]),
        (_WORKLOADS[0], _WORKLOADS[1], _WRITE),
        (_WORKLOADS[0], ["deployments/scale", "statefulsets/scale"], ["get", "update", "patch"]),
        (_BATCH[0], _BATCH[1], _WRITE),
        ("networking.k8s.io", ["ingresses"], _WRITE),
        ("autoscaling", ["horizontalpodautoscalers"], _WRITE),
        ("policy", ["poddisruptionbudgets"], _WRITE),
    ],
}
# A role granted Secrets gets the verbs it has on ConfigMaps.
SECRET_VERBS = {"viewer": _READ, "developer": _WRITE, "operator": _WRITE}


def kubernetes_group(role: str, namespace: str) -> str:
    """The Kubernetes group bound to ``role`` in ``namespace`` only (groups are cluster-wide names)."""
    return f"eksguard:{role}:{namespace}"


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
        if args.cluster_endpoint is not None:
            endpoint, ca = args.cluster_endpoint, args.cluster_certificate_authority
        else:
            found = aws.eks.get_cluster_output(name=args.cluster_name, opts=pulumi.InvokeOutputOptions(parent=self))
            endpoint, ca = found.endpoint, found.certificate_authorities[0].data
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        kubeconfig = pulumi.Output.json_dumps(_kubeconfig(args.cluster_name, region, endpoint, ca))
        return k8s.Provider(
            f"{self._name}-k8s",
            kubeconfig=kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _k8s_opts(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._k8s_provider, depends_on=self._k8s_depends_on)

    # --- namespaces ----------------------------------------------------------------------------------
    def _create_namespace(self, ns: ManagedNamespace) -> k8s.core.v1.Namespace:
        prefix = f"{self._name}-{ns.name}"
        namespace = k8s.core.v1.Namespace(
            f"{prefix}-namespace",
            metadata={"name": ns.name, "labels": _pod_security_labels(ns, self._args.pod_security_version)},
            opts=self._k8s_opts(),
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
        deny = k8s.networking.v1.NetworkPolicy(
            f"{prefix}-default-deny",
            metadata={"name": "default-deny-all", "namespace": ns_name},
            spec={"pod_selector": {}, "policy_types": ["Ingress", "Egress"]},
            opts=self._k8s_opts(),
        )
        dns = k8s.networking.v1.NetworkPolicy(
            f"{prefix}-allow-dns",
            metadata={"name": "allow-dns-egress", "namespace": ns_name},
            spec={
                "pod_selector": {},
                "policy_types": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "pod_selector": {"match_labels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
            opts=self._k8s_opts(),
        )
        self.network_resources += [deny, dns]

    def _create_role(self, prefix: str, ns_name: pulumi.Output[str], ns: ManagedNamespace, role: str) -> None:
        rules = [{"api_groups": [g], "resources": r, "verbs": v} for g, r, v in ROLE_RULES[role]]
        if role in ns.secrets_access_roles:
            rules.append({"api_groups": [""], "resources": ["secrets"], "verbs": SECRET_VERBS[role]})
        k8s_role = k8s.rbac.v1.Role(
            f"{prefix}-role-{role}",
            metadata={"name": f"eksguard-{role}", "namespace": ns_name},
            rules=rules,
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
            self._associate(
                f"{self._name}-access-{mapping.name}-policy",
                entry,
                policy,
                {"type": "namespace", "namespaces": list(mapping.namespaces)},
            )
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
        partition = self._partition()
        association = aws.eks.AccessPolicyAssociation(
            resource_name,
            cluster_name=entry.cluster_name,
            principal_arn=entry.principal_arn,
            policy_arn=pulumi.Output.concat("arn:", partition, ":eks::aws:cluster-access-policy/", policy),
            access_scope=scope,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.iam_resources.append(association)


def _pod_security_labels(ns: ManagedNamespace, version: str) -> dict[str, str]:
    labels = {}
    for mode, level in (("enforce", ns.pod_security_level), ("audit", "restricted"), ("warn", "restricted")):
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = version
    return labels


def _kubeconfig(
    cluster_name: pulumi.Input[str], region: pulumi.Input[str], endpoint: pulumi.Input[str], ca: pulumi.Input[str]
) -> dict:
    """A kubeconfig that authenticates with a short-lived token from ``aws eks get-token`` (no stored secret)."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "eks", "cluster": {"server": endpoint, "certificate-authority-data": ca}}],
        "contexts": [{"name": "eks", "context": {"cluster": "eks", "user": "eks"}}],
        "current-context": "eks",
        "users": [
            {
                "name": "eks",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": [
                            "eks",
                            "get-token",
                            "--cluster-name",
                            cluster_name,
                            "--region",
                            region,
                            "--output",
                            "json",
                        ],
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
    }


# --- validation --------------------------------------------------------------------------------------
_C = "AccessControl"


def validate(name: str, args: AccessControlArgs) -> None:
    """Raise the InvalidArgumentError that ``AccessControl(name, args)`` would raise, registering nothing."""
    if isinstance(args.cluster_name, str) and not args.cluster_name:
        raise InvalidArgumentError(_C, "cluster_name", "is empty", "the name of an EKS cluster")
    if (args.cluster_endpoint is None) != (args.cluster_certificate_authority is None):
        raise InvalidArgumentError(
            _C,
            "cluster_certificate_authority",
            "must be given together with cluster_endpoint",
            "both (a cluster created in this stack) or neither (looked up by cluster_name)",
        )
    if not _PSA_VERSION.match(str(args.pod_security_version)):
        raise InvalidArgumentError(
            _C, "pod_security_version", f"is {args.pod_security_version!r}", "'latest' or 'v1.<minor>' such as 'v1.35'"
        )
    managed = _validate_namespaces(args.namespaces)
    _validate_mappings(args.access_mappings, managed)
    _validate_admins(args)


def _validate_label(argument: str, value: Any) -> None:
    if not isinstance(value, str) or not _DNS_LABEL.match(value):
        raise InvalidArgumentError(_C, argument, f"is {value!r}", "a DNS-1123 label (lowercase a-z, 0-9, '-')")


def _validate_namespaces(namespaces: list[ManagedNamespace]) -> set[str]:
    seen: set[str] = set()
    for i, ns in enumerate(namespaces):
        where = f"namespaces[{i}]"
        _validate_label(f"{where}.name", ns.name)
        if ns.name in RESERVED_NAMESPACES or ns.name.startswith("kube-"):
            raise InvalidArgumentError(
                _C,
                f"{where}.name",
                f"is the reserved namespace {ns.name!r}",
                "a namespace other than default and kube-*",
            )
        if ns.name in seen:
            raise InvalidArgumentError(_C, f"{where}.name", f"repeats {ns.name!r}", "unique namespace names")
        seen.add(ns.name)
        require_choice(_C, f"{where}.pod_security_level", ns.pod_security_level, POD_SECURITY_LEVELS)
        for role in ns.secrets_access_roles:
            require_choice(_C, f"{where}.secrets_access_roles", role, ROLES)
    return seen


def _validate_principal(argument: str, arn: Any) -> None:
    if isinstance(arn, str) and not _PRINCIPAL_ARN.match(arn):
        raise InvalidArgumentError(
            _C, argument, f"is {arn!r}", "an IAM role or user ARN (arn:aws:iam::<account>:role/<name>), no wildcards"
        )


def _validate_mappings(mappings: list[AccessMapping], managed: set[str]) -> None:
    names: set[str] = set()
    accepted = sorted(managed) or "a namespace listed in namespaces (none is)"
    for i, m in enumerate(mappings):
        where = f"access_mappings[{i}]"
        _validate_label(f"{where}.name", m.name)
        if m.name in names:
            raise InvalidArgumentError(_C, f"{where}.name", f"repeats {m.name!r}", "unique mapping names")
        names.add(m.name)
        _validate_principal(f"{where}.principal_arn", m.principal_arn)
        require_choice(_C, f"{where}.role", m.role, ROLES)
        if not m.namespaces:
            raise InvalidArgumentError(_C, f"{where}.namespaces", "is empty", accepted)
        for ns in m.namespaces:
            if ns not in managed:
                raise InvalidArgumentError(_C, f"{where}.namespaces", f"names {ns!r}, which is not managed", accepted)
        require_choice(_C, f"{where}.access_policy", m.access_policy, ACCESS_POLICIES)
        if m.access_policy in SECRET_READING_ACCESS_POLICIES and m.allow_secrets_access is not True:
            raise InvalidArgumentError(
                _C,
                f"{where}.access_policy",
                f"is {m.access_policy!r}, which grants access to Secrets, without allow_secrets_access=True",
                ["view", "none", "edit or admin with allow_secrets_access=True"],
            )


def _validate_admins(args: AccessControlArgs) -> None:
    names = {m.name for m in args.access_mappings}
    principals = [m.principal_arn for m in args.access_mappings]
    for i, admin in enumerate(args.cluster_admins):
        where = f"cluster_admins[{i}]"
        _validate_label(f"{where}.name", admin.name)
        if admin.name in names:
            raise InvalidArgumentError(
                _C, f"{where}.name", f"repeats {admin.name!r}", "names unique across access_mappings and cluster_admins"
            )
        names.add(admin.name)
        _validate_principal(f"{where}.principal_arn", admin.principal_arn)
        principals.append(admin.principal_arn)
    literal = [p for p in principals if isinstance(p, str)]
    duplicates = sorted({p for p in literal if literal.count(p) > 1})
    if duplicates:
        raise InvalidArgumentError(
            _C,
            "access_mappings",
            f"gives {duplicates[0]!r} more than one access entry",
            "one mapping or cluster admin per principal",
        )
