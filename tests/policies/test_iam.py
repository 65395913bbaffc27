"""IAM, EKS access policy association and KMS controls over the real protocol."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eksguard.protocol.analyzer import Resource
from eksguard.protocol.wire import UNKNOWN, Secret

from .cases import Case, StackCase, case, run_case, run_stack_case, stack_case
from .pack_driver import resource, urn_for

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
KEY = "aws:kms/key:Key"

NODE_ADMIN = "iam-node-role-admin"
WILDCARD = "iam-policy-admin-wildcard"
BROAD = "access-policy-cluster-admin-broad"
ROTATION = "kms-key-rotation"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def managed(name: str) -> str:
    return f"arn:aws:iam::aws:policy/{name}"


EC2_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
EKS_TRUST = doc({"Effect": "Allow", "Principal": {"Service": ["eks.amazonaws.com"]}, "Action": "sts:AssumeRole"})
ADMIN_STATEMENT = {"Effect": "Allow", "Action": "*", "Resource": "*"}
SCOPED = doc({"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "arn:aws:logs:eu-west-1:111122223333:*"})
NODE_POLICIES = [managed("AmazonEKSWorkerNodePolicy"), managed("AmazonEC2ContainerRegistryPullOnly")]


def role(trust: str = EC2_TRUST, **props: Any) -> dict[str, Any]:
    return {"assumeRolePolicy": trust, "managedPolicyArns": NODE_POLICIES, **props}


def attachment(policy: str, role_name: str = "prod-node-role") -> dict[str, Any]:
    return {"role": role_name, "policyArn": managed(policy)}


CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
BREAK_GLASS = "arn:aws:iam::111122223333:role/break-glass"


def association(policy: str = CLUSTER_ADMIN, principal: Any = BREAK_GLASS, scope: Any = None) -> dict[str, Any]:
    return {
        "clusterName": "prod",
        "policyArn": policy,
        "principalArn": principal,
        "accessScope": scope if scope is not None else {"type": "cluster"},
    }


CASES = [
    case("role-node-baseline", ROLE, role()),
    # wildcard policy documents
    case("policy-scoped", POLICY, {"policy": SCOPED}),
    case("policy-admin", POLICY, {"policy": doc(ADMIN_STATEMENT)}, {WILDCARD}),
    case(
        "policy-admin-list-form",
        POLICY,
        {"policy": doc({"Effect": "Allow", "Action": ["s3:*", "*"], "Resource": ["*"]})},
        {WILDCARD},
    ),
    case("policy-admin-deny", POLICY, {"policy": doc({**ADMIN_STATEMENT, "Effect": "Deny"})}),
    case("policy-all-actions-one-bucket", POLICY, {"policy": doc({**ADMIN_STATEMENT, "Resource": "arn:aws:s3:::b"})}),
    case("policy-single-statement-object", POLICY, {"policy": json.dumps({"Statement": ADMIN_STATEMENT})}, {WILDCARD}),
    case(
        "policy-object-form", POLICY, {"policy": {"Version": "2012-10-17", "Statement": [ADMIN_STATEMENT]}}, {WILDCARD}
    ),
    case("policy-not-json", POLICY, {"policy": "{oops"}, {WILDCARD}),
    case("policy-unknown", POLICY, {"policy": UNKNOWN}, not_checkable={WILDCARD}),
    case("policy-secret", POLICY, {"policy": Secret(doc(ADMIN_STATEMENT))}, {WILDCARD}),
    case("role-policy-admin", ROLE_POLICY, {"role": "r", "policy": doc(ADMIN_STATEMENT)}, {WILDCARD}),
    case("role-policy-scoped", ROLE_POLICY, {"role": "r", "policy": SCOPED}),
    case(
        "role-inline-admin",
        ROLE,
        role(
            EKS_TRUST, inlinePolicies=[{"name": "a", "policy": SCOPED}, {"name": "b", "policy": doc(ADMIN_STATEMENT)}]
        ),
        {WILDCARD},
    ),
    case("role-inline-scoped", ROLE, role(inlinePolicies=[{"name": "a", "policy": SCOPED}])),
    case("role-inline-garbage", ROLE, role(inlinePolicies=[7.0, {"name": "x"}])),
    # access policy associations
    case("assoc-cluster-admin-named-role", ASSOCIATION, association()),
    case("assoc-cluster-admin-root", ASSOCIATION, association(principal="arn:aws:iam::111122223333:root"), {BROAD}),
    case(
        "assoc-cluster-admin-wildcard", ASSOCIATION, association(principal="arn:aws:iam::111122223333:role/*"), {BROAD}
    ),
    case("assoc-cluster-admin-not-string", ASSOCIATION, association(principal=12.0), {BROAD}),
    case(
        "assoc-cluster-admin-configured-broad",
        ASSOCIATION,
        association(principal="arn:aws:iam::111122223333:role/AWSReservedSSO_Developers_abc"),
        {BROAD},
        config={BROAD: {"broadPrincipals": ["*AWSReservedSSO_Developers*"]}},
    ),
    case("assoc-admin-cluster-scope-root", ASSOCIATION, association(ADMIN, "arn:aws:iam::111122223333:root"), {BROAD}),
    case(
        "assoc-admin-namespace-scope-root",
        ASSOCIATION,
        association(ADMIN, "arn:aws:iam::111122223333:root", {"type": "namespace", "namespaces": ["team"]}),
    ),
    case("assoc-view-root", ASSOCIATION, association(VIEW, "arn:aws:iam::111122223333:root")),
    case("assoc-view-scope-unknown", ASSOCIATION, association(VIEW, "arn:aws:iam::111122223333:root", UNKNOWN)),
    case(
        "assoc-cluster-admin-scope-unknown",
        ASSOCIATION,
        association(principal="arn:aws:iam::111122223333:root", scope=UNKNOWN),
        {BROAD},
    ),
    case("assoc-admin-scope-unknown", ASSOCIATION, association(ADMIN, BREAK_GLASS, UNKNOWN), not_checkable={BROAD}),
    case("assoc-principal-unknown", ASSOCIATION, association(principal=UNKNOWN), not_checkable={BROAD}),
    case(
        "assoc-policy-unknown-root",
        ASSOCIATION,
        association(UNKNOWN, "arn:aws:iam::111122223333:root"),
        not_checkable={BROAD},
    ),
    # KMS keys
    case("key-rotating", KEY, {"enableKeyRotation": True, "description": "k"}),
    case("key-rotation-default", KEY, {"description": "k"}, {ROTATION}),
    case("key-rotation-false", KEY, {"enableKeyRotation": False}, {ROTATION}),
    case("key-rotation-string", KEY, {"enableKeyRotation": "sometimes"}, {ROTATION}),
    case("key-asymmetric", KEY, {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}),
    case("key-custom-store", KEY, {"customKeyStoreId": "cks-1234"}),
    case("key-rotation-unknown", KEY, {"enableKeyRotation": UNKNOWN}, not_checkable={ROTATION}),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_iam_case(pack, c: Case) -> None:
    run_case(pack, c)


def test_messages_name_the_value(pack) -> None:
    inline = role(inlinePolicies=[{"name": "a", "policy": SCOPED}, {"name": "b", "policy": doc(ADMIN_STATEMENT)}])
    messages = {d.policy: d.message.splitlines()[-1] for d in pack.analyze(ROLE, inline)}
    assert messages == {WILDCARD: 'inlinePolicies[1].policy statement 0 allows Action "*" on Resource "*"'}


# --- iam-node-role-admin: a stack rule; the role's trust policy and the policy's document are other resources --
def role_resource(name: str, trust: Any = EC2_TRUST, **props: Any) -> Resource:
    return resource(ROLE, role(trust, **props), name)


def attach_to(target: Resource, policy_arn: Any, name: str = "attach", **deps: list[str]) -> Resource:
    """A RolePolicyAttachment whose role is ``target.name`` (the auto-named role's name: unknown at preview)."""
    return resource(
        ATTACHMENT,
        {"role": UNKNOWN, "policyArn": policy_arn},
        name,
        property_dependencies={"role": [target.urn], **deps},
    )


def attach_by_name(role_name: Any, policy: str, name: str = "attach") -> Resource:
    return resource(ATTACHMENT, attachment(policy, role_name), name)


# An IRSA trust as a preview sends it when the OIDC issuer comes from a cluster created in the same stack: the
# principal (the OIDC provider ARN) and the condition keys ("<issuer>:sub", "<issuer>:aud") are unknown, the
# structure and the action are not.
IRSA_TRUST_PREVIEW = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": UNKNOWN},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": UNKNOWN},
        }
    ],
}
NODE_ROLE = role_resource("nodes")
APP_ROLE = role_resource("app", EKS_TRUST)
ADMIN_POLICY = resource(POLICY, {"policy": doc(ADMIN_STATEMENT)}, "admin-policy")
SCOPED_POLICY = resource(POLICY, {"policy": SCOPED}, "scoped-policy")


def u(resource_type: str, name: str) -> str:
    return urn_for(resource_type, name)


STACK_CASES: list[StackCase] = [
    stack_case("node-role-none", []),
    stack_case("node-role-baseline", [NODE_ROLE]),
    stack_case(
        "node-role-managed-admin",
        [role_resource("nodes", managedPolicyArns=[*NODE_POLICIES, managed("AdministratorAccess")])],
        {(NODE_ADMIN, u(ROLE, "nodes"))},
    ),
    stack_case(
        "node-role-poweruser",
        [role_resource("nodes", managedPolicyArns=[managed("PowerUserAccess")])],
        {(NODE_ADMIN, u(ROLE, "nodes"))},
    ),
    stack_case(
        "node-role-iam-full-china",
        [role_resource("nodes", managedPolicyArns=["arn:aws-cn:iam::aws:policy/IAMFullAccess"])],
        {(NODE_ADMIN, u(ROLE, "nodes"))},
    ),
    stack_case("node-role-policies-garbage", [role_resource("nodes", managedPolicyArns="AdministratorAccess")]),
    stack_case(
        "node-role-not-node", [role_resource("admin", EKS_TRUST, managedPolicyArns=[managed("AdministratorAccess")])]
    ),
    stack_case(
        "node-role-trust-unparsable",
        [role_resource("nodes", "{not json", managedPolicyArns=[managed("AdministratorAccess")])],
    ),
    stack_case(
        "node-role-trust-unknown",
        [role_resource("nodes", UNKNOWN, managedPolicyArns=[managed("AdministratorAccess")])],
        not_checkable={NODE_ADMIN},
    ),
    stack_case("node-role-trust-unknown-harmless", [role_resource("nodes", UNKNOWN)]),
    stack_case(
        "node-role-trust-object",
        [role_resource("nodes", json.loads(EC2_TRUST), managedPolicyArns=[managed("AdministratorAccess")])],
        {(NODE_ADMIN, u(ROLE, "nodes"))},
    ),
    stack_case(
        "node-role-managed-customer-admin-policy",
        [
            ADMIN_POLICY,
            resource(
                ROLE,
                role(managedPolicyArns=[UNKNOWN]),
                "nodes",
                property_dependencies={"managedPolicyArns": [ADMIN_POLICY.urn]},
            ),
        ],
        {(NODE_ADMIN, u(ROLE, "nodes"))},
    ),
    # attachments by reference: the role's trust policy decides (cross-resource)
    stack_case(
        "node-role-attach-by-reference",
        [NODE_ROLE, attach_to(NODE_ROLE, managed("AdministratorAccess"))],
        {(NODE_ADMIN, u(ATTACHMENT, "attach"))},
    ),
    stack_case(
        "node-role-attach-worker-policy", [NODE_ROLE, attach_to(NODE_ROLE, managed("AmazonEKSWorkerNodePolicy"))]
    ),
    stack_case("node-role-attach-admin-to-app-role", [APP_ROLE, attach_to(APP_ROLE, managed("AdministratorAccess"))]),
    stack_case(
        "node-role-attach-customer-admin-policy",
        [NODE_ROLE, ADMIN_POLICY, attach_to(NODE_ROLE, UNKNOWN, policyArn=[ADMIN_POLICY.urn])],
        {(NODE_ADMIN, u(ATTACHMENT, "attach"))},
    ),
    stack_case(
        "node-role-attach-customer-scoped-policy",
        [NODE_ROLE, SCOPED_POLICY, attach_to(NODE_ROLE, UNKNOWN, policyArn=[SCOPED_POLICY.urn])],
    ),
    stack_case(
        "node-role-attach-to-role-with-unknown-trust",
        [role_resource("nodes", UNKNOWN), attach_to(role_resource("nodes", UNKNOWN), managed("AdministratorAccess"))],
        not_checkable={NODE_ADMIN},
    ),
    stack_case(
        "node-role-attach-by-name-declared-here",
        [
            resource(ROLE, role(name="prod-platform"), "platform"),
            attach_by_name("prod-platform", "AdministratorAccess"),
        ],
        {(NODE_ADMIN, u(ATTACHMENT, "attach"))},
    ),
    # structure before values: an IRSA role is no node role even while its issuer is unknown
    stack_case(
        "node-role-irsa-trust-issuer-unknown",
        [
            role_resource("irsa", IRSA_TRUST_PREVIEW),
            attach_to(role_resource("irsa", IRSA_TRUST_PREVIEW), managed("AdministratorAccess")),
        ],
    ),
    stack_case(
        "node-role-ec2-and-irsa-statements",
        [
            role_resource(
                "both",
                {"Statement": [*IRSA_TRUST_PREVIEW["Statement"], json.loads(EC2_TRUST)["Statement"][0]]},
                managedPolicyArns=[managed("AdministratorAccess")],
            )
        ],
        {(NODE_ADMIN, u(ROLE, "both"))},
    ),
    stack_case(
        "node-role-principal-unknown",
        [
            role_resource(
                "maybe",
                {"Statement": [{"Effect": "Allow", "Principal": UNKNOWN, "Action": "sts:AssumeRole"}]},
                managedPolicyArns=[managed("AdministratorAccess")],
            )
        ],
        not_checkable={NODE_ADMIN},
    ),
    # roles outside the stack: by name (nodeRolePatterns), else not checkable offline, never passed
    stack_case(
        "node-role-outside-by-name",
        [attach_by_name("prod-node-role", "AdministratorAccess")],
        {(NODE_ADMIN, u(ATTACHMENT, "attach"))},
    ),
    stack_case(
        "node-role-outside-worker-name",
        [attach_by_name("eks-Worker-Role", "PowerUserAccess")],
        {(NODE_ADMIN, u(ATTACHMENT, "attach"))},
    ),
    stack_case(
        "node-role-outside-other-name", [attach_by_name("ci-deployer", "AdministratorAccess")], offline={NODE_ADMIN}
    ),
    stack_case(
        "node-role-outside-configured-pattern",
        [attach_by_name("ci-deployer", "AdministratorAccess")],
        {(NODE_ADMIN, u(ATTACHMENT, "attach"))},
        config={NODE_ADMIN: {"nodeRolePatterns": ["ci-*"]}},
    ),
    stack_case("node-role-outside-harmless-policy", [attach_by_name("ci-deployer", "AmazonEKSWorkerNodePolicy")]),
    stack_case(
        "node-role-attach-role-unknown-no-dependency",
        [attach_by_name(UNKNOWN, "AdministratorAccess")],
        offline={NODE_ADMIN},
    ),
    stack_case(
        "node-role-policy-attachment-roles",
        [
            resource(
                POLICY_ATTACHMENT,
                {"name": "a", "policyArn": managed("AdministratorAccess"), "roles": ["ci", "prod-node-role"]},
                "pa",
            )
        ],
        {(NODE_ADMIN, u(POLICY_ATTACHMENT, "pa"))},
    ),
    stack_case(
        "node-role-policy-attachment-by-reference",
        [
            NODE_ROLE,
            resource(
                POLICY_ATTACHMENT,
                {"name": "a", "policyArn": managed("IAMFullAccess"), "roles": [UNKNOWN]},
                "pa",
                property_dependencies={"roles": [NODE_ROLE.urn]},
            ),
        ],
        {(NODE_ADMIN, u(POLICY_ATTACHMENT, "pa"))},
    ),
]


@pytest.mark.parametrize("c", STACK_CASES, ids=lambda c: c.id)
def test_node_role_stack_case(pack, c: StackCase) -> None:
    run_stack_case(pack, c)


def test_node_role_messages_name_policy_and_role(pack) -> None:
    stack = [NODE_ROLE, ADMIN_POLICY, attach_to(NODE_ROLE, UNKNOWN, policyArn=[ADMIN_POLICY.urn])]
    result = pack.process.analyze_stack(stack)
    assert [d.message.splitlines()[-1] for d in result.diagnostics] == [
        'attaches policy admin-policy (Action "*" on Resource "*") to node role nodes (its trust policy allows EC2)'
    ]
    reasons = run_stack_case(pack, next(c for c in STACK_CASES if c.id == "node-role-outside-other-name"))
    assert reasons[NODE_ADMIN] == (
        "not checkable offline: attach attaches AdministratorAccess to role 'ci-deployer', which is not declared "
        "in this stack: whether it is a node role needs its trust policy"
    )


def test_key_rotation_remediation(pack) -> None:
    with pack.configured({ROTATION: "remediate"}):
        fixed = pack.remediate(KEY, {"description": "k", "policy": Secret("{}")})
        assert pack.remediate(KEY, {"enableKeyRotation": True}) is None
        assert pack.remediate(KEY, {"customerMasterKeySpec": "RSA_2048"}) is None
    assert fixed == {"description": "k", "policy": Secret("{}"), "enableKeyRotation": True}
