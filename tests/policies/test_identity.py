"""The identities an EKS cluster hands out, over the real protocol: IRSA and Pod Identity trust policies (resource
cases), node roles' managed policies, Fargate pod execution roles and aws-auth mappings (stack cases)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eksguard.protocol.analyzer import Resource
from eksguard.protocol.wire import UNKNOWN, Secret

from .cases import Case, StackCase, case, run_case, run_stack_case, stack_case
from .pack_driver import PackDriver, resource, urn_for

ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FARGATE_PROFILE = "aws:eks/fargateProfile:FargateProfile"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
CONFIG_MAP_PATCH = "kubernetes:core/v1:ConfigMapPatch"
EKS_CLUSTER = "eks:index:Cluster"

IRSA = "iam-irsa-trust-scoped"
POD_IDENTITY = "iam-pod-identity-trust-scoped"
LEAST = "iam-node-role-least-privilege"
ADMIN = "iam-node-role-admin"
FARGATE = "eks-fargate-pod-execution-role"
AWS_AUTH = "eks-aws-auth-mappings"

ACCOUNT = "111122223333"
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"
SA = "system:serviceaccount:payments:api"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def managed(name: str) -> str:
    return f"arn:aws:iam::aws:policy/{name}"


def irsa(condition: Any = None, federated: Any = PROVIDER, action: Any = "sts:AssumeRoleWithWebIdentity") -> dict:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Federated": federated}, "Action": action}
    if condition is not None:
        statement["Condition"] = condition
    return statement


SCOPED = {"StringEquals": {f"{ISSUER}:sub": SA, f"{ISSUER}:aud": "sts.amazonaws.com"}}


def pod_identity(actions: Any = ("sts:AssumeRole", "sts:TagSession"), condition: Any = "default") -> dict:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": list(actions) if isinstance(actions, tuple) else actions,
    }
    if condition == "default":
        condition = {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:eks:eu-west-1:{ACCOUNT}:podidentityassociation/prod/*"},
        }
    if condition is not None:
        statement["Condition"] = condition
    return statement


def role(trust: Any, **props: Any) -> dict[str, Any]:
    return {"assumeRolePolicy": trust, **props}


CASES: list[Case] = [
    # IRSA: one service account, the STS audience, StringEquals
    case("irsa-scoped", ROLE, role(doc(irsa(SCOPED)))),
    case("irsa-no-condition", ROLE, role(doc(irsa())), {IRSA}),
    case("irsa-no-sub", ROLE, role(doc(irsa({"StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"}}))), {IRSA}),
    case("irsa-no-aud", ROLE, role(doc(irsa({"StringEquals": {f"{ISSUER}:sub": SA}}))), {IRSA}),
    case(
        "irsa-wildcard-sub",
        ROLE,
        role(
            doc(
                irsa(
                    {
                        "StringLike": {f"{ISSUER}:sub": "system:serviceaccount:payments:*"},
                        "StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"},
                    }
                )
            )
        ),
        {IRSA},
    ),
    case(
        "irsa-string-like-without-wildcard",
        ROLE,
        role(doc(irsa({"StringLike": {f"{ISSUER}:sub": SA}, "StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"}}))),
    ),
    case(
        "irsa-two-service-accounts",
        ROLE,
        role(doc(irsa({"StringEquals": {f"{ISSUER}:sub": [SA, "system:serviceaccount:payments:worker"]}}))),
        {IRSA},
    ),
    case(
        "irsa-other-audience",
        ROLE,
        role(doc(irsa({"StringEquals": {f"{ISSUER}:sub": SA, f"{ISSUER}:aud": "api.example.com"}}))),
        {IRSA},
    ),
    case("irsa-object-document", ROLE, role(json.loads(doc(irsa(SCOPED))))),
    case("irsa-secret-document", ROLE, role(Secret(doc(irsa()))), {IRSA}),
    # the issuer of a cluster created in the same stack is unknown at preview: structure first
    case(
        "irsa-issuer-unknown-no-condition",
        ROLE,
        role({"Statement": [irsa(federated=UNKNOWN)]}),
        {IRSA},
    ),
    case(
        "irsa-issuer-unknown-conditions-unknown",
        ROLE,
        role({"Statement": [irsa({"StringEquals": UNKNOWN}, federated=UNKNOWN)]}),
        not_checkable={IRSA},
    ),
    case("irsa-document-unknown", ROLE, role(UNKNOWN), not_checkable={IRSA, POD_IDENTITY}),
    # other web identities (GitHub Actions) and other services are not IRSA
    case(
        "irsa-github-actions-is-not-irsa",
        ROLE,
        role(
            doc(
                irsa(
                    {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}},
                    federated=f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
                )
            )
        ),
    ),
    # Pod Identity: AssumeRole + TagSession, for this account's associations
    case("pod-identity-scoped", ROLE, role(doc(pod_identity()))),
    case(
        "pod-identity-account-only",
        ROLE,
        role(doc(pod_identity(condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}}))),
    ),
    case("pod-identity-no-condition", ROLE, role(doc(pod_identity(condition=None))), {POD_IDENTITY}),
    case("pod-identity-wildcard-action", ROLE, role(doc(pod_identity(actions="sts:*"))), {POD_IDENTITY}),
    case("pod-identity-no-tag-session", ROLE, role(doc(pod_identity(actions=("sts:AssumeRole",)))), {POD_IDENTITY}),
    case(
        "pod-identity-extra-action",
        ROLE,
        role(doc(pod_identity(actions=("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity")))),
        {POD_IDENTITY},
    ),
    case(
        "pod-identity-condition-unknown",
        ROLE,
        role({"Statement": [pod_identity(condition=UNKNOWN)]}),
        not_checkable={POD_IDENTITY},
    ),
    case(
        "pod-identity-and-irsa",
        ROLE,
        role(doc(pod_identity(condition=None), irsa())),
        {POD_IDENTITY, IRSA},
    ),
    case(
        "trust-ec2-only",
        ROLE,
        role(doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})),
    ),
    case("trust-denied", ROLE, role(doc({**irsa(), "Effect": "Deny"}))),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_trust_case(pack: PackDriver, c: Case) -> None:
    run_case(pack, c)


def test_trust_messages(pack: PackDriver) -> None:
    wildcard = doc(
        irsa({"StringLike": {f"{ISSUER}:sub": "system:serviceaccount:*:*"}, "StringEquals": {f"{ISSUER}:aud": "x"}})
    )
    assert pack.messages(ROLE, role(wildcard))[IRSA] == [
        "statement 0: StringLike on <issuer>:sub matches system:serviceaccount:*:*: a wildcard lets several service "
        "accounts assume it",
        "statement 0: <issuer>:aud allows x: only sts.amazonaws.com is IRSA's audience",
    ]
    assert pack.messages(ROLE, role(doc(pod_identity(condition=None))))[POD_IDENTITY] == [
        "statement 0: has no aws:SourceAccount or aws:SourceArn condition: Pod Identity of any cluster, in any "
        "account, may hand the role out (confused deputy); limit it to this account's Pod Identity associations"
    ]
    reasons = pack.not_applicable(ROLE, role(doc(pod_identity())))
    assert reasons[IRSA] == "the role's trust policy has no IRSA (web identity from an EKS OIDC issuer) statement"


# --- node roles: no add-on policies, ECR pull access only (by trust policy, through the graph) ---------------
EC2_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
NODE_POLICIES = [managed("AmazonEKSWorkerNodePolicy"), managed("AmazonEC2ContainerRegistryPullOnly")]
NODE_ROLE = resource(ROLE, role(EC2_TRUST, managedPolicyArns=NODE_POLICIES), "nodes")


def u(resource_type: str, name: str) -> str:
    return urn_for(resource_type, name)


def attach(policy: str, target: Resource = NODE_ROLE, name: str = "attach") -> Resource:
    return resource(
        ATTACHMENT, {"role": UNKNOWN, "policyArn": managed(policy)}, name, property_dependencies={"role": [target.urn]}
    )


def node_role(*policies: str) -> Resource:
    return resource(ROLE, role(EC2_TRUST, managedPolicyArns=[*NODE_POLICIES, *map(managed, policies)]), "nodes")


POD_ROLE = resource(ROLE, role(doc(pod_identity())), "cni")
FARGATE_TRUST = doc(
    {"Effect": "Allow", "Principal": {"Service": "eks-fargate-pods.amazonaws.com"}, "Action": "sts:AssumeRole"}
)


def fargate_role(*policies: str) -> Resource:
    return resource(ROLE, role(FARGATE_TRUST, managedPolicyArns=[managed(p) for p in policies]), "fargate")


def fargate_inline_policy(name: str) -> Resource:
    """An inline policy on :func:`fargate_role`, attached by reference (its role is unknown at preview)."""
    return resource(
        ROLE_POLICY,
        {"role": UNKNOWN, "name": name, "policy": "{}"},
        name,
        property_dependencies={"role": [fargate_role().urn]},
    )


def profile(target: Resource) -> Resource:
    return resource(
        FARGATE_PROFILE,
        {"clusterName": "prod", "podExecutionRoleArn": UNKNOWN, "selectors": [{"namespace": "batch"}]},
        "batch",
        property_dependencies={"podExecutionRoleArn": [target.urn]},
    )


def aws_auth(map_roles: Any = None, map_users: Any = None, kind: str = CONFIG_MAP, **metadata: Any) -> Resource:
    data = {}
    if map_roles is not None:
        data["mapRoles"] = map_roles if not isinstance(map_roles, list) else json.dumps(map_roles)
    if map_users is not None:
        data["mapUsers"] = json.dumps(map_users)
    meta = {"name": "aws-auth", "namespace": "kube-system", **metadata}
    return resource(kind, {"metadata": meta, "data": data}, "aws-auth")


NODE_MAPPING = {
    "rolearn": f"arn:aws:iam::{ACCOUNT}:role/prod-nodes",
    "username": "system:node:{{EC2PrivateDNSName}}",
    "groups": ["system:bootstrappers", "system:nodes"],
}
ADMIN_MAPPING = {
    "rolearn": f"arn:aws:iam::{ACCOUNT}:role/platform-admins",
    "username": "admin",
    "groups": ["platform-admins"],
}
AUTH_URN = u(CONFIG_MAP, "aws-auth")
HARDENED_EKS = {"authenticationMode": "API", "version": "1.35", "skipDefaultNodeGroup": True}

STACK_CASES: list[StackCase] = [
    stack_case("least-privilege-node-role-clean", [NODE_ROLE]),
    stack_case("least-privilege-cni-on-node-role", [node_role("AmazonEKS_CNI_Policy")], {(LEAST, NODE_ROLE.urn)}),
    stack_case(
        "least-privilege-ebs-csi-attached",
        [NODE_ROLE, attach("service-role/AmazonEBSCSIDriverPolicy")],
        {(LEAST, u(ATTACHMENT, "attach"))},
    ),
    stack_case("least-privilege-ecr-read-only", [node_role("AmazonEC2ContainerRegistryReadOnly")]),
    stack_case(
        "least-privilege-ecr-power-user",
        [NODE_ROLE, attach("AmazonEC2ContainerRegistryPowerUser")],
        {(LEAST, u(ATTACHMENT, "attach"))},
    ),
    stack_case("least-privilege-cni-on-its-own-role", [NODE_ROLE, POD_ROLE, attach("AmazonEKS_CNI_Policy", POD_ROLE)]),
    stack_case(
        "least-privilege-outside-by-name",
        [resource(ATTACHMENT, {"role": "prod-node-role", "policyArn": managed("AmazonEKS_CNI_Policy")}, "attach")],
        {(LEAST, u(ATTACHMENT, "attach"))},
    ),
    stack_case(
        "least-privilege-outside-other-name",
        [resource(ATTACHMENT, {"role": "ci", "policyArn": managed("AmazonEKS_CNI_Policy")}, "attach")],
        offline={LEAST},
    ),
    stack_case(
        "least-privilege-pulumi-eks-instance-role",
        [
            resource(
                EKS_CLUSTER,
                {"authenticationMode": "API", "version": "1.35", "nodeAssociatePublicIpAddress": False},
                "cluster",
            )
        ],
        {(LEAST, u(EKS_CLUSTER, "cluster")), ("eks-addon-identity", u(EKS_CLUSTER, "cluster"))},
        offline={"stack-multi-region-trail", "stack-guardduty-eks-protection", "stack-inspector-scanning"},
    ),
    # Fargate pod execution roles
    stack_case(
        "fargate-role-execution-policy-only",
        [fargate_role("AmazonEKSFargatePodExecutionRolePolicy"), profile(fargate_role())],
    ),
    stack_case(
        "fargate-role-with-s3",
        [fargate_role("AmazonEKSFargatePodExecutionRolePolicy", "AmazonS3FullAccess"), profile(fargate_role())],
        {(FARGATE, u(FARGATE_PROFILE, "batch"))},
    ),
    stack_case(
        "fargate-role-attached-inline",
        [
            fargate_role("AmazonEKSFargatePodExecutionRolePolicy"),
            fargate_inline_policy("logs"),
            profile(fargate_role()),
        ],
        {(FARGATE, u(FARGATE_PROFILE, "batch"))},
    ),
    stack_case(
        "fargate-role-logging-allowed",
        [
            fargate_role("AmazonEKSFargatePodExecutionRolePolicy"),
            fargate_inline_policy("logs"),
            profile(fargate_role()),
        ],
        config={FARGATE: {"allowedPolicies": ["AmazonEKSFargatePodExecutionRolePolicy", "inline policy logs"]}},
    ),
    stack_case(
        "fargate-role-outside",
        [
            resource(
                FARGATE_PROFILE,
                {"clusterName": "prod", "podExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ext"},
                "batch",
            )
        ],
        offline={FARGATE},
    ),
    # aws-auth
    stack_case("aws-auth-nodes-and-admins", [aws_auth([NODE_MAPPING, ADMIN_MAPPING])]),
    stack_case(
        "aws-auth-system-masters",
        [aws_auth([NODE_MAPPING, {**ADMIN_MAPPING, "groups": ["system:masters"]}])],
        {(AWS_AUTH, AUTH_URN)},
    ),
    stack_case(
        "aws-auth-root",
        [aws_auth(map_users=[{"userarn": f"arn:aws:iam::{ACCOUNT}:root", "username": "r", "groups": []}])],
        {(AWS_AUTH, AUTH_URN)},
    ),
    stack_case(
        "aws-auth-wildcard",
        [aws_auth([{**ADMIN_MAPPING, "rolearn": f"arn:aws:iam::{ACCOUNT}:role/*"}])],
        {(AWS_AUTH, AUTH_URN)},
    ),
    stack_case(
        "aws-auth-node-role-also-admin",
        [aws_auth([{**NODE_MAPPING, "groups": [*NODE_MAPPING["groups"], "platform-admins"]}])],
        {(AWS_AUTH, AUTH_URN)},
    ),
    stack_case(
        "aws-auth-stack-node-role-as-admin",
        [
            resource(ROLE, role(EC2_TRUST, name="prod-nodes"), "nodes"),
            aws_auth([{**NODE_MAPPING, "username": "ops", "groups": ["ops"]}]),
        ],
        {(AWS_AUTH, AUTH_URN)},
    ),
    stack_case(
        "aws-auth-yaml-text",
        [aws_auth("- rolearn: arn:aws:iam::111122223333:role/x\n  groups: [system:masters]\n")],
        {(AWS_AUTH, AUTH_URN)},
    ),
    stack_case("aws-auth-not-yaml", [aws_auth("- {")], {(AWS_AUTH, AUTH_URN)}),
    stack_case(
        "aws-auth-patch",
        [aws_auth([{**ADMIN_MAPPING, "groups": ["system:masters"]}], kind=CONFIG_MAP_PATCH)],
        {(AWS_AUTH, u(CONFIG_MAP_PATCH, "aws-auth"))},
    ),
    stack_case(
        "aws-auth-data-unknown",
        [
            resource(
                CONFIG_MAP, {"metadata": {"name": "aws-auth", "namespace": "kube-system"}, "data": UNKNOWN}, "aws-auth"
            )
        ],
        not_checkable={AWS_AUTH},
    ),
    stack_case(
        "aws-auth-other-config-map",
        [resource(CONFIG_MAP, {"metadata": {"name": "app"}, "data": {"mapRoles": "x"}}, "app")],
    ),
    stack_case(
        "aws-auth-pulumi-eks-role-mappings",
        [
            resource(
                EKS_CLUSTER,
                {
                    **HARDENED_EKS,
                    "authenticationMode": "API_AND_CONFIG_MAP",
                    "roleMappings": [
                        {"roleArn": ADMIN_MAPPING["rolearn"], "username": "a", "groups": ["system:masters"]}
                    ],
                },
                "cluster",
            )
        ],
        {(AWS_AUTH, u(EKS_CLUSTER, "cluster")), ("eks-addon-identity", u(EKS_CLUSTER, "cluster"))},
        offline={"stack-multi-region-trail", "stack-guardduty-eks-protection", "stack-inspector-scanning"},
    ),
]


@pytest.mark.parametrize("c", STACK_CASES, ids=lambda c: c.id)
def test_identity_stack_case(pack: PackDriver, c: StackCase) -> None:
    run_stack_case(pack, c)


def test_stack_messages(pack: PackDriver) -> None:
    found = pack.process.analyze_stack([node_role("AmazonEKS_CNI_Policy")]).diagnostics
    assert [d.message.splitlines()[-1] for d in found if d.policy == LEAST] == [
        "managedPolicyArns gives the node role nodes AmazonEKS_CNI_Policy (the vpc-cni add-on's: every pod on the "
        "node gets it through the node's credentials; give it to the add-on's service account with Pod Identity "
        "or IRSA)"
    ]
    stack = [aws_auth([{**ADMIN_MAPPING, "groups": ["system:masters"]}])]
    found = pack.process.analyze_stack(stack).diagnostics
    assert [d.message.splitlines()[-1] for d in found if d.policy == AWS_AUTH] == [
        "aws-auth data.mapRoles[0] maps 'arn:aws:iam::111122223333:role/platform-admins' to system:masters: RBAC "
        "cannot limit it"
    ]
