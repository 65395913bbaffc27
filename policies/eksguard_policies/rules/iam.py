"""Rules for controls/iam.toml: IAM roles and policies, EKS access policy associations, KMS keys.

IAM policy documents arrive as JSON strings (or objects); an unknown document is not checkable until apply.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .. import facts
from ..framework import NotApplicable, RuleContext, remediation, resource_rule
from ..values import (
    UNKNOWN_VALUE,
    as_bool,
    as_list,
    editable_props,
    get,
    known,
    peek,
    policy_document,
    show,
    statements,
    string_set,
    strings,
)

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


def _admin_policy_name(arn: Any) -> str | None:
    match = _MANAGED_POLICY_ARN.match(arn) if isinstance(arn, str) else None
    return match["name"] if match and match["name"] in ADMIN_MANAGED_POLICIES else None


def _trusts_ec2(assume_role_policy: Any) -> bool:
    document = policy_document(assume_role_policy)
    if document is None:
        return False
    for statement in statements(document):
        principal = statement.get("Principal")
        services = string_set(principal.get("Service")) if isinstance(principal, Mapping) else set()
        if statement.get("Effect") == "Allow" and any(s.startswith("ec2.amazonaws.com") for s in services):
            return True
    return False


def _name_matches(name: str, patterns: Any) -> bool:
    return any(fnmatch.fnmatch(name.lower(), p.lower()) for p in strings(patterns))


# https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
@resource_rule(
    "iam-node-role-admin",
    types=(ROLE, ROLE_POLICY_ATTACHMENT, POLICY_ATTACHMENT),
    config={
        "nodeRolePatterns": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["*node*", "*worker*"],
            "description": "Name globs (case-insensitive) of roles treated as node roles when only the name is known "
            "(RolePolicyAttachment, PolicyAttachment); roles trusting ec2.amazonaws.com are node roles whatever "
            "their name.",
        }
    },
)
def node_role_admin(ctx: RuleContext) -> Iterator[str]:
    if ctx.resource_type in (ROLE_POLICY_ATTACHMENT, POLICY_ATTACHMENT):
        policy = _admin_policy_name(get(ctx.props, "policyArn"))
        if policy is None:
            return
        patterns = ctx.config.get("nodeRolePatterns")
        if ctx.resource_type == ROLE_POLICY_ATTACHMENT:
            roles, where = [get(ctx.props, "role")], f"role {show(get(ctx.props, 'role'))} is not a node role"
        else:
            roles, where = get(ctx.props, "roles"), f"roles {show(get(ctx.props, 'roles'))} are not node roles"
        node_roles = [r for r in strings(roles) if _name_matches(r, patterns)]
        if not node_roles:
            raise NotApplicable(f"{where} by name (nodeRolePatterns)")
        for role in node_roles:
            yield f"attaches {policy} to node role {show(role)}"
        return
    if not _trusts_ec2(get(ctx.props, "assumeRolePolicy")):
        raise NotApplicable("not a node role: the trust policy does not name ec2.amazonaws.com")
    for arn in strings(get(ctx.props, "managedPolicyArns")):
        policy = _admin_policy_name(arn)
        if policy:
            yield f"managedPolicyArns gives the node role {policy}"


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
