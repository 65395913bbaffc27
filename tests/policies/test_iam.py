"""IAM, EKS access policy association and KMS controls over the real protocol."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eksguard.protocol.wire import UNKNOWN, Secret

from .cases import Case, case, run_case

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
    # node roles: trust ec2 -> managed admin policies are violations
    case("role-node-baseline", ROLE, role()),
    case(
        "role-node-admin", ROLE, role(managedPolicyArns=[*NODE_POLICIES, managed("AdministratorAccess")]), {NODE_ADMIN}
    ),
    case("role-node-poweruser", ROLE, role(managedPolicyArns=[managed("PowerUserAccess")]), {NODE_ADMIN}),
    case(
        "role-node-iam-full", ROLE, role(managedPolicyArns=["arn:aws-cn:iam::aws:policy/IAMFullAccess"]), {NODE_ADMIN}
    ),
    case("role-node-policies-garbage", ROLE, role(managedPolicyArns="AdministratorAccess")),
    case("role-cluster-admin-not-node", ROLE, role(EKS_TRUST, managedPolicyArns=[managed("AdministratorAccess")])),
    case("role-trust-unparsable", ROLE, role("{not json", managedPolicyArns=[managed("AdministratorAccess")])),
    case("role-trust-unknown", ROLE, role(UNKNOWN), not_checkable={NODE_ADMIN}),
    case(
        "role-trust-object",
        ROLE,
        role(json.loads(EC2_TRUST), managedPolicyArns=[managed("AdministratorAccess")]),
        {NODE_ADMIN},
    ),
    # attachments: node roles recognised by name
    case("attach-node-worker-policy", ATTACHMENT, attachment("AmazonEKSWorkerNodePolicy")),
    case("attach-node-admin", ATTACHMENT, attachment("AdministratorAccess"), {NODE_ADMIN}),
    case("attach-worker-poweruser", ATTACHMENT, attachment("PowerUserAccess", "eks-Worker-Role"), {NODE_ADMIN}),
    case("attach-admin-other-role", ATTACHMENT, attachment("AdministratorAccess", "ci-deployer")),
    case(
        "attach-admin-configured-pattern",
        ATTACHMENT,
        attachment("AdministratorAccess", "ci-deployer"),
        {NODE_ADMIN},
        config={NODE_ADMIN: {"nodeRolePatterns": ["ci-*"]}},
    ),
    case(
        "attach-admin-role-unknown", ATTACHMENT, attachment("AdministratorAccess", UNKNOWN), not_checkable={NODE_ADMIN}
    ),
    case(
        "attach-policy-unknown",
        ATTACHMENT,
        {"role": "prod-node-role", "policyArn": UNKNOWN},
        not_checkable={NODE_ADMIN},
    ),
    case("attach-role-unknown-harmless-policy", ATTACHMENT, attachment("AmazonEKSWorkerNodePolicy", UNKNOWN)),
    case(
        "policy-attach-admin-to-node-role",
        POLICY_ATTACHMENT,
        {"name": "a", "policyArn": managed("AdministratorAccess"), "roles": ["ci", "prod-node-role"]},
        {NODE_ADMIN},
    ),
    case(
        "policy-attach-admin-other-roles",
        POLICY_ATTACHMENT,
        {"policyArn": managed("AdministratorAccess"), "roles": ["ci"]},
    ),
    case(
        "policy-attach-worker-policy",
        POLICY_ATTACHMENT,
        {"policyArn": managed("AmazonEKSWorkerNodePolicy"), "roles": ["node"]},
    ),
    case(
        "policy-attach-roles-unknown",
        POLICY_ATTACHMENT,
        {"policyArn": managed("IAMFullAccess"), "roles": UNKNOWN},
        not_checkable={NODE_ADMIN},
    ),
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


def test_not_applicable_reasons(pack) -> None:
    assert pack.not_applicable(ROLE, role(EKS_TRUST)) == {
        NODE_ADMIN: "not a node role: the trust policy does not name ec2.amazonaws.com"
    }
    assert pack.not_applicable(ATTACHMENT, attachment("AdministratorAccess", "ci-deployer")) == {
        NODE_ADMIN: "role 'ci-deployer' is not a node role by name (nodeRolePatterns)"
    }


def test_messages_name_the_value(pack) -> None:
    messages = {d.policy: d.message.splitlines()[-1] for d in pack.analyze(ATTACHMENT, attachment("IAMFullAccess"))}
    assert messages == {NODE_ADMIN: "attaches IAMFullAccess to node role 'prod-node-role'"}
    inline = role(inlinePolicies=[{"name": "a", "policy": SCOPED}, {"name": "b", "policy": doc(ADMIN_STATEMENT)}])
    messages = {d.policy: d.message.splitlines()[-1] for d in pack.analyze(ROLE, inline)}
    assert messages == {WILDCARD: 'inlinePolicies[1].policy statement 0 allows Action "*" on Resource "*"'}


def test_key_rotation_remediation(pack) -> None:
    with pack.configured({ROTATION: "remediate"}):
        fixed = pack.remediate(KEY, {"description": "k", "policy": Secret("{}")})
        assert pack.remediate(KEY, {"enableKeyRotation": True}) is None
        assert pack.remediate(KEY, {"customerMasterKeySpec": "RSA_2048"}) is None
    assert fixed == {"description": "k", "policy": Secret("{}"), "enableKeyRotation": True}
