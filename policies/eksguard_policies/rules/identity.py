"""Rules for controls/identity.toml: the AWS identities an EKS cluster hands out, and who they trust.

- the node role holds node policies only (no add-on's policy, ECR pull access only), found by its trust policy
  through the graph as ``iam-node-role-admin`` does (rules/iam.py);
- IRSA roles trust one service account of one cluster, Pod Identity roles only EKS Pod Identity of this account;
- Fargate pod execution roles hold their one policy;
- the aws-auth ConfigMap maps nobody to system:masters, no root or wildcard principal, node roles only as nodes.

Trust policies are read structure first (rules/iam.py's rule for node roles does the same): a statement whose
known parts already break the control is reported even while its OIDC issuer is unknown at preview.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping
from typing import Any

import yaml
from pulumi_policy.proxy import UnknownValueError

from .. import facts
from ..components import UnknownMajorVersion, defaults_for
from ..facts import EKS_CLUSTER
from ..framework import NotApplicable, RuleContext, StackContext, not_checkable_offline, resource_rule, stack_rule
from ..graph import OutsideStack, ResourceGraph
from ..values import UNKNOWN_VALUE, as_list, as_map, get, peek, policy_document, raw, show, strings
from ._ec2 import Verdict
from ._k8s import CONFIG_MAP_TYPES, get_path
from .iam import (
    NODE_ROLE_CONFIG,
    NODE_ROLE_SUBJECTS,
    POLICY,
    POLICY_ATTACHMENT,
    ROLE,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
    NodeRoles,
    managed_policy_names,
    trusts_ec2,
)

WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
EKS_OIDC = re.compile(r"oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/id/", re.IGNORECASE)
SERVICE_ACCOUNT_SUBJECT = re.compile(r"^system:serviceaccount:[^:*?]+:[^:*?]+$")
WILDCARDS = ("*", "?")


# --- the node role -------------------------------------------------------------------------------------------
ADDON_POLICIES = {identity.policy_name: addon for addon, identity in facts.ADDON_IDENTITIES.items()}
ECR_POLICY_PREFIXES = ("AmazonEC2ContainerRegistry", "AmazonElasticContainerRegistry")


def least_privilege_grades(graph: ResourceGraph, resource: Any, prop: str) -> list[str]:
    """The AWS managed policies ``resource.props[prop]`` names that no node role should hold."""
    found = []
    for name in sorted(managed_policy_names(resource, prop)):
        if name in ADDON_POLICIES:
            found.append(
                f"{name} (the {ADDON_POLICIES[name]} add-on's: every pod on the node gets it through the node's "
                "credentials; give it to the add-on's service account with Pod Identity or IRSA)"
            )
        elif name.startswith(ECR_POLICY_PREFIXES) and name not in facts.ECR_PULL_POLICIES:
            found.append(f"{name} (nodes only pull images: {' or '.join(facts.ECR_PULL_POLICIES)})")
    return found


# https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
@stack_rule("iam-node-role-least-privilege", types=(*NODE_ROLE_SUBJECTS, EKS_CLUSTER), config=NODE_ROLE_CONFIG)
def node_role_least_privilege(ctx: StackContext) -> list[tuple[str, str | None]]:
    subjects = ctx.subjects(*NODE_ROLE_SUBJECTS, EKS_CLUSTER)
    if not subjects:
        raise NotApplicable("the stack declares no IAM roles, policy attachments or pulumi-eks clusters")
    roles = NodeRoles(ctx, least_privilege_grades)
    roles.judge(subjects)
    for cluster in (r for r in subjects if r.resource_type == EKS_CLUSTER):
        with roles.verdict.checking():
            try:
                for message in _pulumi_eks_instance_role(cluster):
                    roles.verdict.add((message, cluster.urn))
            except UnknownMajorVersion as exc:
                roles.offline.append(str(exc))
    return roles.findings()


def _pulumi_eks_instance_role(cluster: Any) -> Iterator[str]:
    """pulumi-eks creates the instance role itself, with AmazonEKS_CNI_Policy, unless the program gives one
    (cluster/cluster.ts:930-967)."""
    props = cluster.props
    if get(props, "instanceRole") is not None or get(props, "instanceRoles") is not None:
        return
    create = get(props, "createInstanceRole")
    if create is False or (create is None and get(props, "skipDefaultNodeGroup") is True):
        return
    cite = defaults_for(cluster.resource_type, getattr(cluster, "provider", None)).cite("instanceRole")
    yield (
        f"pulumi-eks creates the instance role of cluster {cluster.name} with AmazonEKS_CNI_Policy ({cite}): every "
        "pod on its nodes can rewire the VPC's network interfaces; pass instanceRole (or instanceRoles) holding "
        "AmazonEKSWorkerNodePolicy and AmazonEC2ContainerRegistryPullOnly, and give aws-node its own role"
    )


# --- trust policies ------------------------------------------------------------------------------------------
def _trust_statements(props: Any) -> tuple[list[Any], UnknownValueError | None]:
    """The statements of a role's trust policy (items may hold unknown values), and the error of an unknown whole."""
    try:
        value = get(props, "assumeRolePolicy")
    except UnknownValueError as exc:
        return [], exc
    document = policy_document(value) if isinstance(value, str) else value
    if as_map(document) is None:
        return [], None
    try:
        raw_statements = get(document, "Statement")
    except UnknownValueError as exc:
        return [], exc
    items = [raw_statements] if as_map(raw_statements) is not None else list(as_list(raw_statements) or [])
    return items, None


def _known(value: Any) -> tuple[set[str], bool]:
    """The known strings of a policy element and whether some part of it is unknown."""
    if value is UNKNOWN_VALUE:
        return set(), True
    if isinstance(value, str):
        return {value}, False
    items = as_list(value)
    if items is None:
        return set(), False
    found, unknown = set(), False
    for i in range(len(items)):
        try:
            item = items[i]
        except UnknownValueError:
            unknown = True
            continue
        if isinstance(item, str):
            found.add(item)
    return found, unknown


def _conditions(statement: Any) -> tuple[dict[str, dict[str, Any]], UnknownValueError | None]:
    """Condition operator -> {key: value} of the known parts, and the error of the first unknown part."""
    pending: UnknownValueError | None = None

    def read(mapping: Any, key: str) -> Any:
        nonlocal pending
        try:
            return get(mapping, key)
        except UnknownValueError as exc:
            pending = pending or exc
            return UNKNOWN_VALUE

    condition = read(statement, "Condition")
    if as_map(condition) is None:
        return {}, pending
    found: dict[str, dict[str, Any]] = {}
    for operator in list(condition.keys()):
        block = read(condition, operator)
        found[operator] = {}
        if as_map(block) is not None:
            for key in list(block.keys()):
                found[operator][key] = read(block, key)
    return found, pending


def _trust_rule(ctx: RuleContext, kind: str, relevant: Any, judge: Any) -> list[str]:
    """Judge each Allow statement of the role's trust policy that ``relevant(statement)`` selects; not applicable
    when none does (the role is no ``kind`` role)."""
    statements, pending = _trust_statements(ctx.props)
    verdict = Verdict()
    if pending is not None:
        verdict.note(pending)
    judged = False
    for i, statement in enumerate(statements):
        with verdict.checking():
            if as_map(statement) is None or peek(statement, "Effect") not in ("Allow", UNKNOWN_VALUE):
                continue
            if not relevant(statement):
                continue
            judged = True
            for message in judge(statement):
                verdict.add(f"statement {i}: {message}")
    messages = verdict.done()
    if not judged:
        raise NotApplicable(f"the role's trust policy has no {kind} statement")
    return messages


def _irsa(statement: Any) -> bool:
    """A statement trusting an EKS cluster's OIDC issuer with web identity tokens (raises when unknown matters)."""
    actions, actions_unknown = _known(peek(statement, "Action"))
    if not actions_unknown and not actions & {WEB_IDENTITY, "sts:*", "*"}:
        return False
    principal = peek(statement, "Principal")
    federated, federated_unknown = _known(peek(principal, "Federated") if as_map(principal) is not None else None)
    if any(EKS_OIDC.search(f) for f in federated):
        return True
    if federated and not federated_unknown:
        return False  # another identity provider (GitHub, Cognito, SAML)
    if not federated_unknown:
        return False
    conditions, _ = _conditions(statement)
    keys = [key for block in conditions.values() for key in block]
    return not keys or any(EKS_OIDC.search(key) for key in keys)  # an issuer made in this stack


def irsa_findings(statement: Any) -> Iterator[str]:
    conditions, unknown = _conditions(statement)
    if not conditions and unknown is None:
        yield (
            "trusts web identity tokens of the cluster's OIDC issuer without a Condition: every service account of "
            "the cluster can assume the role"
        )
        return
    subjects = {op: v for op, block in conditions.items() for k, v in block.items() if k.endswith(":sub")}
    audiences = {op: v for op, block in conditions.items() for k, v in block.items() if k.endswith(":aud")}
    if not subjects and unknown is None:
        yield "has no condition on the token's <issuer>:sub: every service account of the cluster can assume the role"
    for operator, value in subjects.items():
        names, _ = _known(value)
        if operator.startswith("ForAnyValue") or operator.startswith("ForAllValues"):
            yield f"matches <issuer>:sub with {operator}: name one service account with StringEquals"
        if "Like" in operator and any(w in name for name in names for w in WILDCARDS):
            shown = ", ".join(sorted(n for n in names if any(w in n for w in WILDCARDS)))
            yield f"{operator} on <issuer>:sub matches {shown}: a wildcard lets several service accounts assume it"
        if len(names) > 1:
            yield f"<issuer>:sub names {len(names)} service accounts: give each service account its own role"
        for name in names:
            if not any(w in name for w in WILDCARDS) and not SERVICE_ACCOUNT_SUBJECT.match(name):
                yield f"<issuer>:sub is {name!r}, not system:serviceaccount:<namespace>:<name>"
    if not audiences and unknown is None:
        yield f"has no condition on the token's <issuer>:aud: it should be {facts.IRSA_AUDIENCE}"
    for operator, value in audiences.items():
        names, _ = _known(value)
        other = sorted(n for n in names if n != facts.IRSA_AUDIENCE)
        if other:
            yield f"<issuer>:aud allows {', '.join(other)}: only {facts.IRSA_AUDIENCE} is IRSA's audience"
        elif operator != "StringEquals" and names:
            yield f"<issuer>:aud is matched with {operator}, not StringEquals"
    undecided = any(_known(v)[1] for v in (*subjects.values(), *audiences.values()))
    if unknown is not None and (undecided or not (subjects and audiences)):
        raise unknown


# https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
@resource_rule("iam-irsa-trust-scoped", types=(ROLE,))
def irsa_trust(ctx: RuleContext) -> list[str]:
    return _trust_rule(ctx, "IRSA (web identity from an EKS OIDC issuer)", _irsa, irsa_findings)


def _pod_identity(statement: Any) -> bool:
    principal = peek(statement, "Principal")
    services, unknown = _known(peek(principal, "Service") if as_map(principal) is not None else None)
    if facts.POD_IDENTITY_PRINCIPAL in services:
        return True
    if unknown:
        get(principal, "Service")  # raises: which service is trusted is not known yet
    return False


SOURCE_KEYS = ("aws:sourceaccount", "aws:sourcearn")


def pod_identity_findings(statement: Any) -> Iterator[str]:
    actions, actions_unknown = _known(peek(statement, "Action"))
    wanted = set(facts.POD_IDENTITY_ACTIONS)
    broad = sorted(a for a in actions if a.endswith("*"))
    if broad:
        yield f"allows {', '.join(broad)}: EKS Pod Identity needs {' and '.join(facts.POD_IDENTITY_ACTIONS)} only"
    extra = sorted(actions - wanted - set(broad))
    if extra:
        yield f"also allows {', '.join(extra)}: EKS Pod Identity needs {' and '.join(facts.POD_IDENTITY_ACTIONS)} only"
    missing = sorted(wanted - actions)
    if missing and not broad and not actions_unknown:
        yield f"does not allow {', '.join(missing)}, which EKS Pod Identity needs"
    conditions, unknown = _conditions(statement)
    keys = {key.lower() for block in conditions.values() for key in block}
    if not keys & set(SOURCE_KEYS):
        if unknown is not None:
            raise unknown
        yield (
            "has no aws:SourceAccount or aws:SourceArn condition: Pod Identity of any cluster, in any account, may "
            "hand the role out (confused deputy); limit it to this account's Pod Identity associations"
        )


# https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
@resource_rule("iam-pod-identity-trust-scoped", types=(ROLE,))
def pod_identity_trust(ctx: RuleContext) -> list[str]:
    return _trust_rule(ctx, "EKS Pod Identity", _pod_identity, pod_identity_findings)


# --- Fargate pod execution roles -------------------------------------------------------------------------------
FARGATE_PROFILE = "aws:eks/fargateProfile:FargateProfile"
FARGATE_CONFIG = {
    "allowedPolicies": {
        "type": "array",
        "items": {"type": "string"},
        "default": [facts.FARGATE_POD_EXECUTION_POLICY],
        "description": "Names (globs) of the policies a Fargate pod execution role may hold: AWS managed policies by "
        "name, the stack's aws.iam.Policy and inline policies by resource or policy name (add the one granting "
        "CloudWatch Logs to Fargate logging, https://docs.aws.amazon.com/eks/latest/userguide/fargate-logging.html).",
    }
}


class _RolePolicies:
    """Every policy the stack gives each role: managed ARNs, attachments, inline policies."""

    def __init__(self, graph: ResourceGraph) -> None:
        self.graph = graph
        self.held: dict[str, list[tuple[str, str]]] = {}
        """Role URN -> (policy, how it got there)."""
        self.pending: UnknownValueError | None = None
        for attachment in graph.of_type(ROLE_POLICY_ATTACHMENT, POLICY_ATTACHMENT, ROLE_POLICY):
            try:
                self._attach(attachment)
            except UnknownValueError as exc:
                self.pending = self.pending or exc

    def _attach(self, resource: Any) -> None:
        kind = resource.resource_type
        prop = "roles" if kind == POLICY_ATTACHMENT else "role"
        if kind == ROLE_POLICY:
            names = [f"inline policy {get(resource.props, 'name') or resource.name}"]
        else:
            names = sorted(managed_policy_names(resource, "policyArn"))
            names += [p.name for p in self.graph.sources_of(resource, "policyArn", (POLICY,)).resources]
            if not names:
                names = [f"{show(peek(resource.props, 'policyArn'))}"]
        for role in self.graph.sources_of(resource, prop, (ROLE,)).resources:
            for name in names:
                self.held.setdefault(role.urn, []).append((name, f"attached by {resource.name}"))

    def of(self, role: Any) -> list[tuple[str, str]]:
        held = [(name, "managedPolicyArns") for name in sorted(managed_policy_names(role, "managedPolicyArns"))]
        customer = self.graph.sources_of(role, "managedPolicyArns", (POLICY,)).resources
        held += [(p.name, "managedPolicyArns") for p in customer if p.resource_type == POLICY]
        inline = as_list(peek(role.props, "inlinePolicies")) or []
        for i in range(len(inline)):
            entry = inline[i]
            if as_map(entry) is None or peek(entry, "policy") in (None, ""):
                continue  # an empty entry removes the role's inline policies
            name = peek(entry, "name")
            held.append((f"inline policy {name if isinstance(name, str) else i}", "inlinePolicies"))
        return held + self.held.get(role.urn, [])


# https://docs.aws.amazon.com/eks/latest/userguide/pod-execution-role.html
@stack_rule(
    "eks-fargate-pod-execution-role",
    types=(FARGATE_PROFILE, EKS_CLUSTER, ROLE, ROLE_POLICY_ATTACHMENT, POLICY_ATTACHMENT, ROLE_POLICY, POLICY),
    config=FARGATE_CONFIG,
)
def fargate_pod_execution_role(ctx: StackContext) -> list[tuple[str, str | None]]:
    profiles = ctx.subjects(FARGATE_PROFILE)
    clusters = [c for c in ctx.subjects(EKS_CLUSTER) if peek(c.props, "fargate") not in (None, False)]
    if not profiles and not clusters:
        raise NotApplicable("the stack declares no Fargate profiles")
    allowed = strings(ctx.config.get("allowedPolicies")) or [facts.FARGATE_POD_EXECUTION_POLICY]
    policies = _RolePolicies(ctx.graph)
    verdict, offline = Verdict(), []
    subjects = [(p, "podExecutionRoleArn") for p in profiles] + [(c, "fargate") for c in clusters]
    for subject, prop in subjects:
        with verdict.checking():
            own_role = peek(get(subject.props, "fargate"), "podExecutionRoleArn")
            if subject.resource_type == EKS_CLUSTER and own_role is None:
                continue  # pulumi-eks creates it with the Fargate policy alone (cluster/cluster.ts:1119-1135)
            try:
                role = ctx.graph.source_of(subject, prop, (ROLE,))
            except OutsideStack as exc:
                offline.append(f"{subject.name}: {exc.reason}")
                continue
            if role is None or role.resource_type != ROLE:
                continue
            for name, how in policies.of(role):
                if not any(fnmatch.fnmatchcase(name, pattern) for pattern in allowed):
                    verdict.add(
                        (
                            f"the pod execution role {role.name} of {subject.name} holds {name} ({how}): every pod "
                            f"Fargate runs for the profile gets it; it needs {facts.FARGATE_POD_EXECUTION_POLICY} only",
                            subject.urn,
                        )
                    )
    if verdict.messages:
        return verdict.messages
    if policies.pending is not None:
        verdict.note(policies.pending)
    verdict.done()
    if offline:
        raise not_checkable_offline("; ".join(offline))
    return []


# --- aws-auth ------------------------------------------------------------------------------------------------
ROOT_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:root$")
NODE_USERNAME = "system:node:"
NODE_GROUPS = frozenset(facts.NODE_GROUPS)


class _AwsAuth:
    """Mappings of the aws-auth ConfigMap (mapRoles, mapUsers) and of pulumi-eks roleMappings/userMappings."""

    def __init__(self, ctx: StackContext) -> None:
        self.graph = ctx.graph
        self.node_roles = self._node_role_names(ctx.graph)
        self.verdict = Verdict()
        self.judged = False

    @staticmethod
    def _node_role_names(graph: ResourceGraph) -> set[str]:
        names: set[str] = set()
        for role in graph.of_type(ROLE):
            try:
                if trusts_ec2(get(role.props, "assumeRolePolicy")):
                    name = peek(role.props, "name")
                    names.add(name if isinstance(name, str) else role.name)
            except UnknownValueError:
                continue
        return names

    def mapping(self, entry: Any, arn_key: str, where: str, urn: str) -> None:
        if not isinstance(entry, Mapping):
            return
        arn, groups = entry.get(arn_key), entry.get("groups")
        groups = [g for g in groups if isinstance(g, str)] if isinstance(groups, list) else []
        username = entry.get("username")
        who = show(arn) if arn is not None else "an entry without an ARN"
        if facts.CLUSTER_ADMIN_GROUP in groups:
            self.verdict.add((f"{where} maps {who} to {facts.CLUSTER_ADMIN_GROUP}: RBAC cannot limit it", urn))
        if isinstance(arn, str) and ("*" in arn or ROOT_ARN.match(arn)):
            self.verdict.add((f"{where} maps {who}, which stands for every identity it matches", urn))
        node = (isinstance(username, str) and username.startswith(NODE_USERNAME)) or bool(set(groups) & NODE_GROUPS)
        node = node or (isinstance(arn, str) and arn.rsplit("/", 1)[-1] in self.node_roles)
        other = sorted(set(groups) - NODE_GROUPS)
        if node and other:
            message = f"{where} maps the node role {who} to {', '.join(other)}: only {', '.join(facts.NODE_GROUPS)}"
            self.verdict.add((message, urn))

    def config_map(self, config_map: Any) -> None:
        namespace, name = facts.AWS_AUTH_CONFIG_MAP
        if get_path(config_map.props, "metadata", "name") != name:
            return
        if get_path(config_map.props, "metadata", "namespace") not in (namespace, None):
            return
        self.judged = True
        data = get(config_map.props, "data")
        for key, arn_key in (("mapRoles", "rolearn"), ("mapUsers", "userarn")):
            with self.verdict.checking():
                text = get(data, key)
                if not isinstance(text, str):
                    continue
                try:
                    entries = yaml.safe_load(text)
                except yaml.YAMLError:
                    self.verdict.add((f"aws-auth data.{key} is not YAML: EKS ignores the mappings", config_map.urn))
                    continue
                for i, entry in enumerate(entries if isinstance(entries, list) else []):
                    self.mapping(entry, arn_key, f"aws-auth data.{key}[{i}]", config_map.urn)

    def cluster(self, cluster: Any) -> None:
        mode = peek(cluster.props, "authenticationMode")
        if mode == "API":
            return  # pulumi-eks writes no aws-auth ConfigMap
        self.judged = True
        for key, arn_key in (("roleMappings", "roleArn"), ("userMappings", "userArn")):
            with self.verdict.checking():
                entries = raw(get(cluster.props, key))
                for i, entry in enumerate(entries if isinstance(entries, list) else []):
                    self.mapping(entry, arn_key, f"{key}[{i}]", cluster.urn)


# https://docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html
@stack_rule("eks-aws-auth-mappings", types=(*CONFIG_MAP_TYPES, EKS_CLUSTER, ROLE))
def aws_auth_mappings(ctx: StackContext) -> list[tuple[str, str | None]]:
    subjects = ctx.subjects(*CONFIG_MAP_TYPES, EKS_CLUSTER)
    if not subjects:
        raise NotApplicable("the stack declares no aws-auth ConfigMap and no pulumi-eks cluster")
    auth = _AwsAuth(ctx)
    for resource in subjects:
        with auth.verdict.checking():
            if resource.resource_type == EKS_CLUSTER:
                auth.cluster(resource)
            else:
                auth.config_map(resource)
    findings = auth.verdict.done()
    if not auth.judged:
        raise NotApplicable("the stack declares no aws-auth ConfigMap, and its pulumi-eks clusters write none")
    return findings
