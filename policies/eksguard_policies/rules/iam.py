"""Rules for controls/iam.toml: IAM roles and policies, EKS access policy associations, KMS keys.

IAM policy documents arrive as JSON strings (or objects); an unknown document is not checkable until apply.
``iam-node-role-admin`` is a stack rule: whether a role is a node role lives in the Role's trust policy, and
whether an attached policy is administrator-grade may live in an aws.iam.Policy, both reached through the graph.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .. import facts
from ..framework import (
    NotApplicable,
    RuleContext,
    StackContext,
    not_checkable_offline,
    remediation,
    resource_rule,
    stack_rule,
)
from ..graph import ResourceGraph
from ..values import (
    UNKNOWN_VALUE,
    as_bool,
    as_list,
    as_map,
    editable_props,
    get,
    known,
    peek,
    policy_document,
    show,
    split_known,
    statements,
    string_set,
    strings,
)
from ._ec2 import Verdict

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
ACCESS_POLICY_ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
KMS_KEY = "aws:kms/key:Key"

ADMIN_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
_MANAGED_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:.*/)?(?P<name>[^/]+)$")
_ROOT_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:root$")


def _name_matches(name: str, patterns: Any) -> bool:
    return any(fnmatch.fnmatch(name.lower(), p.lower()) for p in strings(patterns))


# --- node roles: structure before values ---------------------------------------------------------------------
ASSUME_ROLE_ACTIONS = {"sts:AssumeRole", "sts:*", "*"}


def trusts_ec2(assume_role_policy: Any) -> bool:
    """The trust policy lets EC2 assume the role (a node role). Structure is read before values: a statement
    whose known parts rule EC2 out (a Federated principal with sts:AssumeRoleWithWebIdentity, as IRSA trusts
    are, even when the OIDC issuer in its condition keys is unknown at preview) is decided without its unknown
    values. Raises UnknownValueError only when the answer depends on an unknown part."""
    document = policy_document(assume_role_policy) if isinstance(assume_role_policy, str) else assume_role_policy
    if as_map(document) is None:
        return False
    raw_statements = get(document, "Statement")
    items = [raw_statements] if as_map(raw_statements) is not None else as_list(raw_statements) or []
    pending: UnknownValueError | None = None
    for i in range(len(items)):
        try:
            if _statement_trusts_ec2(items[i]):
                return True
        except UnknownValueError as exc:
            pending = pending or exc
    if pending is not None:
        raise pending
    return False


def _known_strings(value: Any) -> tuple[set[str], UnknownValueError | None]:
    """The known string items of a policy element (a string or a list) and the error of an unknown item."""
    if as_list(value) is None:
        return ({value} if isinstance(value, str) else set()), None
    items, pending = split_known(value)
    return {item for item in items if isinstance(item, str)}, pending


def _statement_trusts_ec2(statement: Any) -> bool:
    if as_map(statement) is None:
        return False
    effect = peek(statement, "Effect")
    if effect is not UNKNOWN_VALUE and effect != "Allow":
        return False
    actions = peek(statement, "Action")
    if actions is not UNKNOWN_VALUE and actions is not None:
        names, unknown = _known_strings(actions)
        if names and not unknown and not names & ASSUME_ROLE_ACTIONS:
            return False  # web identity or SAML only: not an EC2 trust, whatever the principal
    principal = get(statement, "Principal")
    services, unknown = _known_strings(get(principal, "Service") if as_map(principal) is not None else None)
    if any(s.startswith("ec2.amazonaws.com") for s in services):
        get(statement, "Effect")  # raises when the statement's effect is what is unknown
        return True
    if unknown is not None:
        raise unknown
    return False


def _admin_document(policy: Any) -> bool:
    """An aws.iam.Policy in the stack whose document allows every action on every resource."""
    document = policy_document(get(policy.props, "policy"))
    return document is not None and bool(_wildcard_statements(document))


def managed_policy_names(resource: Any, prop: str) -> set[str]:
    """The AWS managed policies ``resource.props[prop]`` names by ARN (an ARN or a list of them); unknown ARNs (made
    in this stack) are left to the graph."""
    named = peek(resource.props, prop)
    names = _known_strings(named)[0] if named is not UNKNOWN_VALUE else set()
    return {match["name"] for match in map(_MANAGED_POLICY_ARN.match, names) if match}


Grader = Callable[[ResourceGraph, Any, str], list[str]]
"""What is wrong with the policies ``resource.props[prop]`` names, for a node role (one phrase each)."""


def admin_grades(graph: ResourceGraph, resource: Any, prop: str) -> list[str]:
    """The administrator-grade policies ``resource.props[prop]`` names: AWS managed ones by ARN, the stack's own
    aws.iam.Policy resources by their document."""
    found = [name for name in managed_policy_names(resource, prop) if name in ADMIN_MANAGED_POLICIES]
    for policy in graph.sources_of(resource, prop, (POLICY,)).resources:
        if policy.resource_type == POLICY and _admin_document(policy):
            found.append(f'policy {policy.name} (Action "*" on Resource "*")')
    return sorted(found)


class NodeRoles:
    """Policies a grader finds wrong reaching node roles, over the resource graph."""

    def __init__(self, ctx: StackContext, grader: Grader) -> None:
        self.graph = ctx.graph
        self.grader = grader
        self.patterns = ctx.config.get("nodeRolePatterns")
        self.verdict = Verdict()
        self.offline: list[str] = []

    def grades(self, resource: Any, prop: str) -> list[str]:
        return self.grader(self.graph, resource, prop)

    def role(self, role: Any) -> None:
        grades = self.grades(role, "managedPolicyArns")
        if grades and trusts_ec2(get(role.props, "assumeRolePolicy")):
            for grade in grades:
                self.verdict.add((f"managedPolicyArns gives the node role {role.name} {grade}", role.urn))

    def attachment(self, attachment: Any, prop: str) -> None:
        grades = self.grades(attachment, "policyArn")
        if not grades:
            return
        sources = self.graph.sources_of(attachment, prop, (ROLE,))
        for role in sources.resources:
            with self.verdict.checking():
                if role.resource_type == ROLE and trusts_ec2(get(role.props, "assumeRolePolicy")):
                    for grade in grades:
                        message = f"attaches {grade} to node role {role.name} (its trust policy allows EC2)"
                        self.verdict.add((message, attachment.urn))
        for name in sources.literals:
            if _name_matches(name, self.patterns):
                for grade in grades:
                    self.verdict.add((f"attaches {grade} to node role {show(name)} (nodeRolePatterns)", attachment.urn))
            else:
                self.offline.append(
                    f"{attachment.name} attaches {grades[0]} to role {name!r}, which is not declared in this stack: "
                    "whether it is a node role needs its trust policy"
                )
        if not sources.literals:
            self.offline.extend(f"{attachment.name}: {reason}" for reason in sources.outside)

    def judge(self, subjects: list[Any]) -> None:
        for resource in subjects:
            with self.verdict.checking():
                if resource.resource_type == ROLE:
                    self.role(resource)
                elif resource.resource_type in (ROLE_POLICY_ATTACHMENT, POLICY_ATTACHMENT):
                    self.attachment(resource, "role" if resource.resource_type == ROLE_POLICY_ATTACHMENT else "roles")

    def findings(self) -> list[tuple[str, str | None]]:
        """The violations; without any, what is unknown (raised) or outside the stack (not checkable offline)."""
        if self.verdict.messages:
            return self.verdict.messages
        self.verdict.done()
        if self.offline:
            raise not_checkable_offline("; ".join(dict.fromkeys(self.offline)))
        return []


NODE_ROLE_SUBJECTS = (ROLE, ROLE_POLICY_ATTACHMENT, POLICY_ATTACHMENT)
NODE_ROLE_CONFIG = {
    "nodeRolePatterns": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["*node*", "*worker*"],
        "description": "Name globs (case-insensitive) of roles treated as node roles when the role is not "
        "declared in the stack and only its name is known (RolePolicyAttachment, PolicyAttachment); roles in "
        "the stack are node roles when their trust policy allows ec2.amazonaws.com, whatever their name.",
    }
}


# https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
@stack_rule("iam-node-role-admin", types=(*NODE_ROLE_SUBJECTS, POLICY), config=NODE_ROLE_CONFIG)
def node_role_admin(ctx: StackContext) -> list[tuple[str, str | None]]:
    subjects = ctx.subjects(*NODE_ROLE_SUBJECTS)
    if not subjects:
        raise NotApplicable("the stack declares no IAM roles or policy attachments")
    roles = NodeRoles(ctx, admin_grades)
    roles.judge(subjects)
    return roles.findings()


def _wildcard_statements(document: Mapping[str, Any]) -> list[int]:
    found = []
    for i, statement in enumerate(statements(document)):
        actions = string_set(statement.get("Action"))
        resources = string_set(statement.get("Resource"))
        if statement.get("Effect") == "Allow" and actions & {"*", "*:*"} and "*" in resources:
            found.append(i)
    return found


# https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-1
@resource_rule("iam-policy-admin-wildcard", types=(ROLE, ROLE_POLICY, POLICY))
def policy_admin_wildcard(ctx: RuleContext) -> Iterator[str]:
    if ctx.resource_type == ROLE:
        inline = get(ctx.props, "inlinePolicies")
        for i, entry in enumerate(as_list(inline) or []):
            if isinstance(entry, Mapping):
                yield from _document_findings(get(entry, "policy"), f"inlinePolicies[{i}].policy")
        return
    yield from _document_findings(get(ctx.props, "policy"), "policy")


def _document_findings(raw: Any, field: str) -> Iterator[str]:
    if raw is None:
        return
    document = policy_document(raw)
    if document is None:
        yield f"{field} is not a valid IAM policy document"
        return
    for i in _wildcard_statements(document):
        yield f'{field} statement {i} allows Action "*" on Resource "*"'


# https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html
@resource_rule(
    "access-policy-cluster-admin-broad",
    types=(ACCESS_POLICY_ASSOCIATION,),
    config={
        "broadPrincipals": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Further principal ARN globs that stand for many identities (the account root and "
            "wildcards always do).",
        }
    },
)
def cluster_admin_broad(ctx: RuleContext) -> Iterator[str]:
    policy_arn = get(ctx.props, "policyArn")
    policy = policy_arn.rsplit("/", 1)[-1] if isinstance(policy_arn, str) else None
    if policy == facts.CLUSTER_ADMIN_ACCESS_POLICY:
        access = peek(ctx.props, "accessScope")  # any scope: only shown in the message
        scope = UNKNOWN_VALUE if access is UNKNOWN_VALUE else peek(access, "type", "cluster")
        scope = "its" if scope is UNKNOWN_VALUE else scope
    elif policy == facts.ADMIN_ACCESS_POLICY:
        scope = get(get(ctx.props, "accessScope"), "type", "cluster")
        if scope != "cluster":
            return
    else:
        return
    principal = get(ctx.props, "principalArn")
    if not isinstance(principal, str):
        yield f"associates {policy} with principalArn {show(principal)}, which is not an IAM principal ARN"
    elif _broad(principal, ctx.config.get("broadPrincipals")):
        yield f"associates {policy} at {scope} scope with the broad principal {principal}"


def _broad(principal: str, configured: Any) -> bool:
    return "*" in principal or bool(_ROOT_PRINCIPAL.match(principal)) or _name_matches(principal, configured)


# https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
@resource_rule("kms-key-rotation", types=(KMS_KEY,))
def key_rotation(ctx: RuleContext) -> Iterator[str]:
    _require_rotatable(lambda key, default: get(ctx.props, key, default))
    value = get(ctx.props, "enableKeyRotation")
    enabled = as_bool(value, default=False)
    if enabled is None:
        yield f"enableKeyRotation is {show(value)}, not a boolean"
    elif not enabled:
        yield "enableKeyRotation is " + ("false" if value is not None else "not set (AWS default false)")


def _require_rotatable(read: Callable[[str, Any], Any]) -> None:
    spec = read("customerMasterKeySpec", "SYMMETRIC_DEFAULT")
    usage = read("keyUsage", "ENCRYPT_DECRYPT")
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        raise NotApplicable(f"only symmetric encryption keys rotate (key spec {show(spec)}, usage {show(usage)})")
    if read("customKeyStoreId", None):
        raise NotApplicable("keys in a custom key store cannot rotate automatically")


@remediation("kms-key-rotation")
def enable_key_rotation(ctx: RuleContext) -> dict[str, Any] | None:
    props = editable_props(ctx.props)
    _require_rotatable(lambda key, default: known(props, key, default))
    if as_bool(known(props, "enableKeyRotation"), default=False) is True:
        return None
    props["enableKeyRotation"] = True
    return props
