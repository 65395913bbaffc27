"""AccessControl under mocks: hardened defaults on the registered inputs, each opt-out, each rejection."""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components._common import InvalidArgumentError
from components.access import AccessControl, AccessControlArgs, AccessMapping, ClusterAdmin, ManagedNamespace
from tests.components import harness

NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
K8S_PROVIDER = "pulumi:providers:kubernetes"

ALICE = "arn:aws:iam::123456789012:role/alice"
BOB = "arn:aws:iam::123456789012:role/bob"
POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"


def base_args(**overrides) -> AccessControlArgs:
    values = {
        "cluster_name": "existing",
        "namespaces": [ManagedNamespace("team-a"), ManagedNamespace("team-b")],
        "access_mappings": [AccessMapping("alice", ALICE, role="developer", namespaces=["team-a", "team-b"])],
    }
    values.update(overrides)
    return AccessControlArgs(**values)


def build(**overrides) -> harness.Result:
    return harness.run(lambda: AccessControl("ac", base_args(**overrides)))


@pytest.fixture(scope="module")
def default() -> harness.Result:
    return build()


# --- namespaces -------------------------------------------------------------------------------------------
def test_namespaces_enforce_restricted_pod_security_with_audit_warn_and_versions(default):
    expected = {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
    }
    namespaces = default.of_type(NAMESPACE)
    assert {ns.inputs["metadata"]["name"] for ns in namespaces} == {"team-a", "team-b"}
    for ns in namespaces:
        assert ns.inputs["metadata"]["labels"] == expected


def test_weaker_enforce_level_is_per_namespace_and_audit_warn_stay_restricted():
    result = build(
        namespaces=[ManagedNamespace("team-a", pod_security_level="baseline"), ManagedNamespace("team-b")],
        pod_security_version="v1.35",
    )
    labels = {ns.inputs["metadata"]["name"]: ns.inputs["metadata"]["labels"] for ns in result.of_type(NAMESPACE)}
    assert labels["team-a"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["team-b"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for ns_labels in labels.values():
        assert ns_labels["pod-security.kubernetes.io/audit"] == "restricted"
        assert ns_labels["pod-security.kubernetes.io/warn"] == "restricted"
        assert {v for k, v in ns_labels.items() if k.endswith("-version")} == {"v1.35"}


def test_default_service_account_token_automount_disabled_in_every_namespace(default):
    accounts = default.of_type(SERVICE_ACCOUNT)
    assert {(sa.inputs["metadata"]["namespace"], sa.inputs["metadata"]["name"]) for sa in accounts} == {
        ("team-a", "default"),
        ("team-b", "default"),
    }
    assert all(sa.inputs["automountServiceAccountToken"] is False for sa in accounts)


def test_default_deny_ingress_and_egress_plus_dns_to_kube_dns_in_every_namespace(default):
    policies = {
        (p.inputs["metadata"]["namespace"], p.inputs["metadata"]["name"]): p for p in default.of_type(NETWORK_POLICY)
    }
    assert set(policies) == {(ns, n) for ns in ("team-a", "team-b") for n in ("default-deny-all", "allow-dns-egress")}
    for ns in ("team-a", "team-b"):
        assert policies[(ns, "default-deny-all")].inputs["spec"] == {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
        }
        assert policies[(ns, "allow-dns-egress")].inputs["spec"] == {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }
            ],
        }


# --- RBAC -------------------------------------------------------------------------------------------------
def _grants(role: harness.Registered) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in role.inputs["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def test_role_templates_exist_in_every_namespace_bound_to_namespace_scoped_groups(default):
    roles = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]) for r in default.of_type(ROLE)}
    expected = {(ns, f"eksguard-{role}") for ns in ("team-a", "team-b") for role in ("viewer", "developer", "operator")}
    assert roles == expected
    bindings = {
        (b.inputs["metadata"]["namespace"], b.inputs["roleRef"]["name"]): b.inputs
        for b in default.of_type(ROLE_BINDING)
    }
    assert set(bindings) == expected
    for (ns, role_name), binding in bindings.items():
        assert binding["roleRef"]["kind"] == "Role"
        role = role_name.removeprefix("eksguard-")
        assert binding["subjects"] == [
            {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": f"eksguard:{role}:{ns}"}
        ]


FORBIDDEN_RESOURCES = {
    "secrets",
    "pods/exec",
    "pods/attach",
    "roles",
    "rolebindings",
    "networkpolicies",
    "serviceaccounts/token",
}
FORBIDDEN_VERBS = {"escalate", "bind", "impersonate", "*"}


def test_role_templates_have_no_wildcards_secrets_or_escalation_by_default(default):
    for role in default.of_type(ROLE):
        grants = _grants(role)
        assert grants, role.name
        assert not [g for g in grants if "*" in g], role.name
        assert not {resource for _, resource, _ in grants} & FORBIDDEN_RESOURCES, role.name
        assert not {verb for _, _, verb in grants} & FORBIDDEN_VERBS, role.name
        assert not {group for group, _, _ in grants} & {"rbac.authorization.k8s.io"}, role.name


def test_viewer_is_read_only_and_privileges_grow_viewer_developer_operator(default):
    by_name = {
        r.inputs["metadata"]["name"]: _grants(r)
        for r in default.of_type(ROLE)
        if r.inputs["metadata"]["namespace"] == "team-a"
    }
    assert {verb for _, _, verb in by_name["eksguard-viewer"]} == {"get", "list", "watch"}
    writes = {
        name: {(g, r) for g, r, v in grants if v in ("create", "update", "patch", "delete")}
        for name, grants in by_name.items()
    }
    assert writes["eksguard-viewer"] == set()
    assert writes["eksguard-developer"] < writes["eksguard-operator"]


def test_secrets_access_only_for_the_named_role_in_the_named_namespace():
    result = build(
        namespaces=[ManagedNamespace("team-a", secrets_access_roles=["operator"]), ManagedNamespace("team-b")]
    )
    with_secrets = {
        (r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"])
        for r in result.of_type(ROLE)
        if any(resource == "secrets" for _, resource, _ in _grants(r))
    }
    assert with_secrets == {("team-a", "eksguard-operator")}


# --- access entries ---------------------------------------------------------------------------------------
def test_access_entry_is_standard_and_maps_principal_to_its_namespace_groups(default):
    entry = default.one(ACCESS_ENTRY)
    assert entry.inputs == {
        "clusterName": "existing",
        "principalArn": ALICE,
        "type": "STANDARD",
        "kubernetesGroups": ["eksguard:developer:team-a", "eksguard:developer:team-b"],
    }


def test_default_access_policy_is_view_scoped_to_the_mapping_namespaces(default):
    association = default.one(ASSOCIATION)
    assert association.inputs == {
        "clusterName": "existing",
        "principalArn": ALICE,
        "policyArn": POLICY_PREFIX + "AmazonEKSViewPolicy",
        "accessScope": {"type": "namespace", "namespaces": ["team-a", "team-b"]},
    }


def test_no_cluster_scoped_access_without_cluster_admins(default):
    assert [a.name for a in default.of_type(ASSOCIATION) if a.inputs["accessScope"]["type"] != "namespace"] == []


def test_cluster_admin_is_explicit_and_cluster_scoped():
    result = build(cluster_admins=[ClusterAdmin("breakglass", BOB)])
    admin = result.one(ASSOCIATION, "ac-admin-breakglass-policy")
    assert admin.inputs["policyArn"] == POLICY_PREFIX + "AmazonEKSClusterAdminPolicy"
    assert admin.inputs["accessScope"] == {"type": "cluster"}
    assert result.one(ACCESS_ENTRY, "ac-admin-breakglass").inputs["type"] == "STANDARD"


@pytest.mark.parametrize(
    ("access_policy", "allow_secrets", "expected"),
    [
        ("none", False, None),
        ("edit", True, "AmazonEKSEditPolicy"),
        ("admin", True, "AmazonEKSAdminPolicy"),
    ],
)
def test_access_policy_opt_outs(access_policy, allow_secrets, expected):
    mapping = AccessMapping(
        "alice", ALICE, namespaces=["team-a"], access_policy=access_policy, allow_secrets_access=allow_secrets
    )
    result = build(access_mappings=[mapping])
    associations = result.of_type(ASSOCIATION)
    if expected is None:
        assert associations == []
    else:
        assert [a.inputs["policyArn"] for a in associations] == [POLICY_PREFIX + expected]
        assert associations[0].inputs["accessScope"] == {"type": "namespace", "namespaces": ["team-a"]}


# --- the Kubernetes provider ------------------------------------------------------------------------------
def _kubeconfig(result: harness.Result) -> dict:
    provider = next(r for r in result.all if r.type == K8S_PROVIDER)
    return json.loads(provider.inputs["kubeconfig"])


def test_existing_cluster_provider_reads_endpoint_and_ca_by_name_and_uses_exec_tokens(default):
    assert default.invokes(harness.EKS_GET_CLUSTER) == [{"name": "existing"}]
    config = _kubeconfig(default)
    existing = harness.existing_cluster("existing")
    assert config["clusters"][0]["cluster"] == {
        "server": existing["endpoint"],
        "certificate-authority-data": existing["certificateAuthorities"][0]["data"],
    }
    (user,) = config["users"]
    assert set(user["user"]) == {"exec"}  # no static token or client key
    assert user["user"]["exec"]["command"] == "aws"
    assert user["user"]["exec"]["args"][:4] == ["eks", "get-token", "--cluster-name", "existing"]


def test_cluster_in_the_same_stack_uses_its_endpoint_without_lookup():
    from components.cluster import Cluster, ClusterArgs

    def program():
        cluster = Cluster("c", ClusterArgs(subnet_ids=["subnet-1", "subnet-2"], cluster_name="prod"))
        return AccessControl(
            "ac",
            base_args(
                cluster_name=cluster.cluster_name,
                cluster_endpoint=cluster.endpoint,
                cluster_certificate_authority=cluster.certificate_authority,
            ),
        )

    result = harness.run(program)
    assert result.invokes(harness.EKS_GET_CLUSTER) == []
    assert _kubeconfig(result)["clusters"][0]["cluster"]["server"] == "https://PROD.gr7.us-east-1.eks.amazonaws.com"
    assert {e.inputs["clusterName"] for e in result.of_type(ACCESS_ENTRY)} == {"prod"}


def test_caller_provider_is_used_instead_of_building_one():
    def program():
        provider = k8s.Provider("mine", kubeconfig="{}")
        return AccessControl("ac", base_args(), pulumi.ResourceOptions(providers=[provider]))

    result = harness.run(program)
    assert [r.name for r in result.all if r.type == K8S_PROVIDER] == ["mine"]
    assert result.invokes(harness.EKS_GET_CLUSTER) == []


def test_outputs(default):
    component = default.value
    assert default.output(component.namespace_names) == ["team-a", "team-b"]
    assert default.output(component.kubernetes_groups) == {
        "alice": ["eksguard:developer:team-a", "eksguard:developer:team-b"]
    }
    assert len(default.output(component.access_entry_arns)) == 1


def test_every_child_is_parented_to_the_component(default):
    component = default.one("eksguard:index:AccessControl")
    assert all(r.parent == component.urn for r in default.all if r is not component)
    assert all(r.name.startswith("ac-") for r in default.all if r is not component)


# --- rejections -------------------------------------------------------------------------------------------
def _mapping(**kw) -> AccessMapping:
    values = {"name": "alice", "principal_arn": ALICE, "namespaces": ["team-a"]}
    values.update(kw)
    return AccessMapping(**values)


REJECTED = [
    ({"cluster_name": ""}, "cluster_name", "the name of an EKS cluster"),
    ({"cluster_endpoint": "https://x"}, "cluster_certificate_authority", "both"),
    ({"pod_security_version": "1.35"}, "pod_security_version", "'latest'"),
    ({"namespaces": [ManagedNamespace("Team_A")]}, "namespaces[0].name", "DNS-1123"),
    ({"namespaces": [ManagedNamespace("kube-system")]}, "namespaces[0].name", "other than default and kube-*"),
    ({"namespaces": [ManagedNamespace("default")]}, "namespaces[0].name", "other than default and kube-*"),
    ({"namespaces": [ManagedNamespace("a"), ManagedNamespace("a")]}, "namespaces[1].name", "unique"),
    (
        {"namespaces": [ManagedNamespace("a", pod_security_level="none")]},
        "namespaces[0].pod_security_level",
        "'restricted', 'baseline', 'privileged'",
    ),
    (
        {"namespaces": [ManagedNamespace("a", secrets_access_roles=["admin"])]},
        "namespaces[0].secrets_access_roles",
        "'viewer', 'developer', 'operator'",
    ),
    ({"access_mappings": [_mapping(role="admin")]}, "access_mappings[0].role", "'viewer', 'developer', 'operator'"),
    ({"access_mappings": [_mapping(namespaces=[])]}, "access_mappings[0].namespaces", "'team-a', 'team-b'"),
    ({"access_mappings": [_mapping(namespaces=["other"])]}, "access_mappings[0].namespaces", "'team-a', 'team-b'"),
    (
        {"access_mappings": [_mapping(principal_arn="arn:aws:iam::123456789012:role/*")]},
        "access_mappings[0].principal_arn",
        "no wildcards",
    ),
    (
        {"access_mappings": [_mapping(principal_arn="alice")]},
        "access_mappings[0].principal_arn",
        "IAM role or user ARN",
    ),
    (
        {"access_mappings": [_mapping(access_policy="cluster-admin")]},
        "access_mappings[0].access_policy",
        "'view', 'edit', 'admin', 'none'",
    ),
    (
        {"access_mappings": [_mapping(access_policy="edit")]},
        "access_mappings[0].access_policy",
        "allow_secrets_access=True",
    ),
    ({"access_mappings": [_mapping(), _mapping()]}, "access_mappings[1].name", "unique"),
    ({"access_mappings": [_mapping(), _mapping(name="again")]}, "access_mappings", "one mapping or cluster admin"),
    ({"cluster_admins": [ClusterAdmin("alice", BOB)]}, "cluster_admins[0].name", "unique"),
    ({"cluster_admins": [ClusterAdmin("root", "*")]}, "cluster_admins[0].principal_arn", "no wildcards"),
    ({"cluster_admins": [ClusterAdmin("root", ALICE)]}, "access_mappings", "one mapping or cluster admin"),
]


@pytest.mark.parametrize(
    ("overrides", "argument", "accepted"), REJECTED, ids=[r[1] + "-" + str(i) for i, r in enumerate(REJECTED)]
)
def test_rejected_arguments_name_the_argument_and_register_nothing(overrides, argument, accepted):
    result = harness.attempt(lambda: AccessControl("ac", base_args(**overrides)))
    assert isinstance(result.error, InvalidArgumentError)
    assert result.error.argument == argument
    message = str(result.error)
    assert message.startswith(f"AccessControl: argument {argument!r} ")
    assert "accepted values: " in message and accepted in message
    assert result.all == []
    assert result.calls == []


def test_dict_args_from_the_component_provider_host_are_accepted():
    args = {
        "cluster_name": "existing",
        "namespaces": [{"name": "team-a", "pod_security_level": "baseline"}],
        "access_mappings": [{"name": "alice", "principal_arn": ALICE, "namespaces": ["team-a"]}],
    }
    result = harness.run(lambda: AccessControl("ac", args))
    assert result.one(NAMESPACE).inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert result.one(ACCESS_ENTRY).inputs["kubernetesGroups"] == ["eksguard:viewer:team-a"]


def test_kubernetes_resources_wait_for_the_cluster_admin_entries():
    result = build(cluster_admins=[ClusterAdmin("deployer", BOB)])
    admin = {result.one(ACCESS_ENTRY, "ac-admin-deployer").urn, result.one(ASSOCIATION, "ac-admin-deployer-policy").urn}
    k8s_resources = [r for r in result.resources if r.type.startswith("kubernetes:")]
    assert len(k8s_resources) == 2 * (1 + 1 + 2 + 3 + 3)
    assert all(admin <= set(r.dependencies) for r in k8s_resources)
