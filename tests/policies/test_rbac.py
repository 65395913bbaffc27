"""Kubernetes RBAC controls (rules/rbac.py) over the real protocol: exact violation sets per mutation."""

from __future__ import annotations

from typing import Any

import pytest

from eksguard.protocol.wire import UNKNOWN, Secret

from .cases import Case, case, run_case

RBAC = "kubernetes:rbac.authorization.k8s.io"
CLUSTER_ROLE = f"{RBAC}/v1:ClusterRole"
ROLE = f"{RBAC}/v1:Role"
CRB = f"{RBAC}/v1:ClusterRoleBinding"
RB = f"{RBAC}/v1:RoleBinding"

ADMIN = "rbac-cluster-admin-binding"
ANON = "rbac-anonymous-subjects"
WILD = "rbac-wildcards"
SECRETS = "rbac-secrets-read"
ESC = "rbac-privilege-escalation-verbs"
DANGER = "rbac-dangerous-create"

VIEW_RULE = {"apiGroups": [""], "resources": ["pods", "services", "configmaps"], "verbs": ["get", "list", "watch"]}
EDIT_RULE = {
    "apiGroups": ["apps"],
    "resources": ["deployments", "statefulsets"],
    "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
}


def role(*extra_rules: Any, rules: Any = None, **top: Any) -> dict[str, Any]:
    """The compliant role (read pods, manage deployments) plus ``extra_rules``; ``rules`` replaces all rules."""
    props: dict[str, Any] = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "metadata": {"name": "app", "namespace": "team-a"},
        "rules": [VIEW_RULE, EDIT_RULE, *extra_rules] if rules is None else rules,
    }
    props.update(top)
    return props


def rule(groups: Any, resources: Any, verbs: Any, **more: Any) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs, **more}


def binding(role_name: Any = "view", *subjects: Any, kind: Any = "ClusterRole") -> dict[str, Any]:
    return {
        "metadata": {"name": "team-a-view", "namespace": "team-a"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role_name},
        "subjects": list(subjects) or [group("eksguard:viewer:team-a")],
    }


def group(name: Any) -> dict[str, Any]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": name}


def user(name: Any) -> dict[str, Any]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name}


CSR = "rbac-csr-approval"
ADMIN_EDIT = "rbac-admin-edit-cluster-binding"
FULL_WILDCARD = rule(["*"], ["*"], ["*"])
CORE = [""]
RBAC_GROUP = ["rbac.authorization.k8s.io"]
WEBHOOKS = ["admissionregistration.k8s.io"]

ROLE_CASES = [
    case("role-baseline", ROLE, role()),
    case("role-read-only-nonresource", CLUSTER_ROLE, role(rules=[{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}])),
    # wildcards, and what they imply
    case("role-full-wildcard", ROLE, role(FULL_WILDCARD), {WILD, SECRETS, ESC, DANGER}),
    case("role-wildcard-verbs-on-pods", ROLE, role(rule(CORE, ["pods"], ["*"])), {WILD, DANGER}),
    case("role-wildcard-resources-get", ROLE, role(rule(CORE, ["*"], ["get"])), {WILD, SECRETS, DANGER}),
    case("role-wildcard-resources-list", ROLE, role(rule(CORE, ["*"], ["list"])), {WILD, SECRETS}),
    case("role-wildcard-group-only", ROLE, role(rule(["*"], ["deployments"], ["get"])), {WILD}),
    case("role-wildcard-subresource", ROLE, role(rule(["apps"], ["*/scale"], ["update"])), {WILD}),
    case("role-star-exec", ROLE, role(rule(CORE, ["*/exec"], ["create"])), {WILD, DANGER}),
    # secrets
    case("role-secrets-get", ROLE, role(rule(CORE, ["secrets"], ["get"])), {SECRETS}),
    case("role-secrets-watch", CLUSTER_ROLE, role(rule(CORE, ["secrets"], ["watch"])), {SECRETS}),
    case("role-secrets-create-only", ROLE, role(rule(CORE, ["secrets"], ["create", "update"]))),
    case("role-secrets-named", ROLE, role(rule(CORE, ["secrets"], ["get"], resourceNames=["app-tls"]))),
    case("role-secrets-empty-names", ROLE, role(rule(CORE, ["secrets"], ["get"], resourceNames=[])), {SECRETS}),
    case("role-secrets-other-group", ROLE, role(rule(["apps"], ["secrets"], ["get"]))),
    case("role-secrets-no-groups", ROLE, role({"resources": ["secrets"], "verbs": ["get"]})),
    case("role-secrets-secret-wrapped", ROLE, role(rule(CORE, Secret(["secrets"]), ["list"])), {SECRETS}),
    # bind, escalate, impersonate
    case("role-bind-clusterroles", CLUSTER_ROLE, role(rule(RBAC_GROUP, ["clusterroles"], ["bind"])), {ESC}),
    case("role-escalate-roles", ROLE, role(rule(RBAC_GROUP, ["roles"], ["escalate"])), {ESC}),
    case("role-bind-named", ROLE, role(rule(RBAC_GROUP, ["roles"], ["bind"], resourceNames=["view"])), {ESC}),
    case("role-bind-wrong-group", ROLE, role(rule(CORE, ["roles"], ["bind"]))),
    case("role-impersonate-users", CLUSTER_ROLE, role(rule(CORE, ["users", "groups"], ["impersonate"])), {ESC}),
    case("role-impersonate-sa", ROLE, role(rule(CORE, ["serviceaccounts"], ["impersonate"])), {ESC}),
    case(
        "role-impersonate-uids", CLUSTER_ROLE, role(rule(["authentication.k8s.io"], ["uids"], ["impersonate"])), {ESC}
    ),
    case("role-rbac-read", ROLE, role(rule(RBAC_GROUP, ["roles", "rolebindings"], ["get", "list"]))),
    # dangerous create and friends
    case("role-create-pods", ROLE, role(rule(CORE, ["pods"], ["create"])), {DANGER}),
    case("role-delete-pods", ROLE, role(rule(CORE, ["pods"], ["delete"]))),
    case("role-exec", ROLE, role(rule(CORE, ["pods/exec"], ["create"])), {DANGER}),
    case("role-exec-get", ROLE, role(rule(CORE, ["pods/exec"], ["get"])), {DANGER}),
    case("role-attach", ROLE, role(rule(CORE, ["pods/attach"], ["create"])), {DANGER}),
    case("role-logs", ROLE, role(rule(CORE, ["pods/log"], ["get"]))),
    case("role-ephemeral", ROLE, role(rule(CORE, ["pods/ephemeralcontainers"], ["patch"])), {DANGER}),
    case("role-node-proxy", CLUSTER_ROLE, role(rule(CORE, ["nodes/proxy"], ["get"])), {DANGER}),
    case("role-node-proxy-namespaced", ROLE, role(rule(CORE, ["nodes/proxy"], ["get"]))),
    case("role-impersonate-users-namespaced", ROLE, role(rule(CORE, ["users", "groups"], ["impersonate"]))),
    case("role-bind-clusterroles-namespaced", ROLE, role(rule(RBAC_GROUP, ["clusterroles"], ["bind"])), {ESC}),
    case("role-escalate-clusterroles-namespaced", ROLE, role(rule(RBAC_GROUP, ["clusterroles"], ["escalate"]))),
    case("role-nodes-read", CLUSTER_ROLE, role(rule(CORE, ["nodes"], ["get", "list"]))),
    case("role-pv-create", CLUSTER_ROLE, role(rule(CORE, ["persistentvolumes"], ["create"])), {DANGER}),
    case("role-sa-token", ROLE, role(rule(CORE, ["serviceaccounts/token"], ["create"])), {DANGER}),
    case(
        "role-webhooks",
        CLUSTER_ROLE,
        role(rule(WEBHOOKS, ["mutatingwebhookconfigurations"], ["patch"])),
        {DANGER},
    ),
    case("role-webhooks-read", CLUSTER_ROLE, role(rule(WEBHOOKS, ["validatingwebhookconfigurations"], ["list"]))),
    # removed API versions are the same kinds
    case(
        "role-v1beta1-wildcard", f"{RBAC}/v1beta1:ClusterRole", role(FULL_WILDCARD), {WILD, SECRETS, ESC, DANGER, CSR}
    ),
    # missing and oddly typed
    case("role-no-rules", ROLE, {"metadata": {"name": "empty"}}),
    case("role-rules-empty", ROLE, role(rules=[])),
    case("role-rules-string", ROLE, role(rules="*")),
    case("role-rules-garbage", ROLE, role(rules=[None, 5, "x", {"verbs": {"*": True}}])),
    case("role-verbs-string", ROLE, role(rule(CORE, ["secrets"], "*"))),
    case("role-aggregated", CLUSTER_ROLE, role(rules=[], aggregationRule={"clusterRoleSelectors": []})),
    case(
        "role-aggregated-selector-unknown",
        CLUSTER_ROLE,
        {"metadata": {"name": "agg"}, "aggregationRule": UNKNOWN},
    ),
    # unknowns: definite violations first, otherwise not checkable
    case("role-rules-unknown", ROLE, role(rules=UNKNOWN), not_checkable={WILD, SECRETS, ESC, DANGER}),
    case(
        "role-one-rule-unknown",
        ROLE,
        role(rules=[UNKNOWN, rule(CORE, ["secrets"], ["get"])]),
        {SECRETS},
        not_checkable={WILD, ESC, DANGER},
    ),
    case(
        "role-groups-unknown",
        ROLE,
        role(rule(UNKNOWN, ["secrets"], ["get"])),
        not_checkable={WILD, SECRETS},
    ),
    case(
        "role-verb-unknown-beside-get",
        ROLE,
        role(rule(CORE, ["secrets"], [UNKNOWN, "get"])),
        {SECRETS},
        not_checkable={WILD},
    ),
    case(
        "role-resource-unknown-known-wildcard-verb",
        ROLE,
        role(rule(CORE, [UNKNOWN], ["*"])),
        {WILD},
        not_checkable={SECRETS, ESC, DANGER},
    ),
    case(
        "role-names-unknown",
        ROLE,
        role(rule(CORE, ["secrets"], ["get"], resourceNames=UNKNOWN)),
        not_checkable={SECRETS},
    ),
]

BINDING_CASES = [
    case("crb-baseline", CRB, binding()),
    case("rb-baseline", RB, binding("eksguard-viewer", kind="Role")),
    case("crb-cluster-admin", CRB, binding("cluster-admin"), {ADMIN}),
    case("rb-cluster-admin", RB, binding("cluster-admin"), {ADMIN}),
    case("crb-cluster-admin-no-kind", CRB, {"roleRef": {"name": "cluster-admin"}, "subjects": []}, {ADMIN}),
    case("rb-role-named-cluster-admin", RB, binding("cluster-admin", kind="Role")),
    case("crb-cluster-admin-unknown-kind", CRB, binding("cluster-admin", kind=UNKNOWN), not_checkable={ADMIN}),
    case("crb-role-unknown", CRB, binding(UNKNOWN), not_checkable={ADMIN, ADMIN_EDIT}),
    case("crb-roleref-missing", CRB, {"subjects": [group("team")]}),
    case("crb-roleref-garbage", CRB, {"roleRef": "cluster-admin", "subjects": "system:anonymous"}),
    case("crb-authenticated", CRB, binding("view", group("system:authenticated")), {ANON}),
    case("crb-anonymous-user", CRB, binding("view", user("system:anonymous")), {ANON}),
    case("rb-unauthenticated", RB, binding("view", group("team"), group("system:unauthenticated")), {ANON}),
    case(
        "crb-admin-to-everyone",
        CRB,
        binding("cluster-admin", group("system:authenticated")),
        {ADMIN, ANON},
    ),
    case(
        "crb-sa-named-like-group",
        CRB,
        binding("view", {"kind": "ServiceAccount", "name": "system:anonymous", "namespace": "x"}),
    ),
    case("crb-subject-unknown", CRB, binding("view", group(UNKNOWN)), not_checkable={ANON}),
    case("crb-subject-unknown-and-anon", CRB, binding("view", group(UNKNOWN), user("system:anonymous")), {ANON}),
    case("crb-subjects-unknown", CRB, binding("view") | {"subjects": UNKNOWN}, not_checkable={ANON}),
    case("crb-subjects-garbage", CRB, binding("view", None, 7, {"kind": "Group"})),
    case(
        "crb-authenticated-allowed",
        CRB,
        binding("view", group("system:authenticated")),
        config={ANON: {"forbiddenSubjects": ["system:anonymous", "system:unauthenticated"]}},
    ),
    case(
        "crb-all-serviceaccounts-forbidden",
        CRB,
        binding("view", group("system:serviceaccounts")),
        {ANON},
        config={ANON: {"forbiddenSubjects": ["system:serviceaccounts"]}},
    ),
    case(
        "crb-cluster-admin-exempted",
        CRB,
        binding("cluster-admin"),
        name="break-glass",
        config={ADMIN: {"exemptions": [{"pattern": "break-*", "reason": "break-glass access, reviewed quarterly"}]}},
    ),
]

CERTS = "certificates.k8s.io"
CSR_CASES = [
    case(
        "csr-approval-update",
        CLUSTER_ROLE,
        role(rule([CERTS], ["certificatesigningrequests/approval"], ["update"])),
        {CSR},
    ),
    case(
        "csr-approve-signers",
        CLUSTER_ROLE,
        role(rule([CERTS], ["signers"], ["approve"], resourceNames=["kubernetes.io/kube-apiserver-client"])),
        {CSR},
    ),
    case("csr-read-only", CLUSTER_ROLE, role(rule([CERTS], ["certificatesigningrequests"], ["get", "list", "watch"]))),
    case(
        "csr-namespaced-role-cannot-grant",
        ROLE,
        role(rule([CERTS], ["certificatesigningrequests/approval"], ["update"])),
    ),
    case("csr-verbs-unknown", CLUSTER_ROLE, role(rule([CERTS], ["signers"], UNKNOWN)), not_checkable={CSR, WILD}),
    case("admin-cluster-wide", CRB, binding("admin", group("devs")), {ADMIN_EDIT}),
    case("edit-cluster-wide", CRB, binding("edit", group("devs")), {ADMIN_EDIT}),
    case("edit-in-namespace", RB, binding("edit", group("devs"))),
    case("view-cluster-wide", CRB, binding("view", group("devs"))),
    case("edit-role-named-edit", CRB, binding("edit", group("devs"), kind="Role")),
]

CASES: list[Case] = ROLE_CASES + BINDING_CASES + CSR_CASES


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_rbac_case(pack, c: Case) -> None:
    run_case(pack, c)


def test_messages_name_the_rule_and_the_permission(pack) -> None:
    props = role(rules=[VIEW_RULE, FULL_WILDCARD, rule(CORE, ["secrets"], ["list", "watch"])])
    found = pack.messages(CLUSTER_ROLE, props)
    assert found[SECRETS] == [
        "rules[1] grants get on secrets, list on secrets, watch on secrets",
        "rules[2] grants list on secrets, watch on secrets",
    ]
    assert found[WILD] == [
        "rules[1].apiGroups uses the wildcard '*'",
        "rules[1].resources uses the wildcard '*'",
        "rules[1].verbs uses the wildcard '*'",
    ]
    assert found[ESC] == [
        "rules[1] grants bind on rbac.authorization.k8s.io/clusterroles, escalate on "
        "rbac.authorization.k8s.io/clusterroles, bind on rbac.authorization.k8s.io/roles, escalate on "
        "rbac.authorization.k8s.io/roles, impersonate on users, impersonate on groups, impersonate on "
        "serviceaccounts, impersonate on authentication.k8s.io/uids"
    ]
    # a namespaced Role cannot grant cluster-scoped permissions
    assert pack.messages(ROLE, role(rules=[FULL_WILDCARD]))[ESC] == [
        "rules[0] grants bind on rbac.authorization.k8s.io/clusterroles, bind on rbac.authorization.k8s.io/roles, "
        "escalate on rbac.authorization.k8s.io/roles, impersonate on serviceaccounts"
    ]


def test_binding_messages(pack) -> None:
    found = pack.messages(RB, binding("cluster-admin", group("dev"), user("system:anonymous")))
    assert found == {
        ADMIN: ["roleRef.name is ClusterRole cluster-admin: the subjects get full control of its namespace"],
        ANON: ["subjects[1] is User system:anonymous"],
    }


def test_aggregated_cluster_role_is_not_applicable_with_reason(pack) -> None:
    props = {"metadata": {"name": "agg"}, "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]}}
    reasons = pack.not_applicable(CLUSTER_ROLE, props)
    assert {WILD, SECRETS, ESC, DANGER} <= set(reasons)
    assert reasons[WILD].startswith("aggregated ClusterRole")
    # an aggregated role that also declares rules has them checked (the controller overwrites them later)
    assert pack.violations(CLUSTER_ROLE, props | {"rules": [FULL_WILDCARD]}) == {WILD, SECRETS, ESC, DANGER, CSR}
