"""The IAM roles the clusters use (cluster, node and add-on roles) with their policies, as the declarations
pulumi-aws 7 recommends: aws:iam/role:Role, one aws:iam/rolePolicyAttachment:RolePolicyAttachment per attached
policy, one aws:iam/rolePolicy:RolePolicy per inline policy and aws:iam/policy:Policy for each customer managed
policy (the Role's own managedPolicyArns and inlinePolicies are deprecated in pulumi-aws 7)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from eksguard.audit.aws.eks import arn_name
from eksguard.audit.aws.reads import guarded, paginate
from eksguard.audit.aws.types import IAM_TYPES, POLICY, ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT
from eksguard.audit.live import GLOBAL, Inventory, LiveResource, pruned
from eksguard.audit.session import ReadOnlySession

AWS_MANAGED = ":aws:policy/"


def document(value: Any) -> str:
    """A policy document as the JSON string a declaration gives (botocore decodes IAM's URL-encoded JSON)."""
    if isinstance(value, str):
        return unquote(value)
    return json.dumps(value)


def read_roles(
    session: ReadOnlySession, region: str, inventory: Inventory, roles: Mapping[str, dict[str, Any]]
) -> None:
    """``roles``: role ARN -> the component arguments observed where it is used."""
    if not roles:
        return
    iam = session.client("iam", region)
    policies: dict[str, LiveResource] = {}
    for arn, observed in sorted(roles.items()):
        name = arn_name(arn)
        guarded(
            inventory,
            f"role {name}",
            IAM_TYPES,
            lambda a=arn, n=name, o=observed: _read_role(iam, inventory, a, n, o, policies),
        )


def _read_role(
    iam: Any, inventory: Inventory, arn: str, name: str, observed: dict[str, Any], policies: dict[str, LiveResource]
) -> None:
    role = iam.get_role(RoleName=name)["Role"]
    boundary = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    props = pruned(
        {
            "name": role["RoleName"],
            "path": role.get("Path"),
            "description": role.get("Description"),
            "assumeRolePolicy": document(role.get("AssumeRolePolicyDocument")),
            "maxSessionDuration": role.get("MaxSessionDuration"),
            "permissionsBoundary": boundary,
            "tags": {t["Key"]: t.get("Value", "") for t in role.get("Tags") or []},
        }
    )
    inventory.add(LiveResource(ROLE, name, GLOBAL, props, arn=role.get("Arn", arn), observed=observed))
    for attached in paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name):
        policy_arn = attached["PolicyArn"]
        attachment = LiveResource(
            ROLE_POLICY_ATTACHMENT,
            f"{name}/{policy_arn}",
            GLOBAL,
            {"role": name, "policyArn": policy_arn},
            arn=arn,
            observed=observed,
        )
        attachment.refer("role", ROLE, GLOBAL, name)
        if AWS_MANAGED not in policy_arn:
            if policy_arn not in policies:
                policies[policy_arn] = _customer_policy(iam, policy_arn, observed)
                inventory.add(policies[policy_arn])
            attachment.refer("policyArn", POLICY, GLOBAL, policy_arn)
        inventory.add(attachment)
    for policy_name in paginate(iam, "list_role_policies", "PolicyNames", RoleName=name):
        body = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        inline = LiveResource(
            ROLE_POLICY,
            f"{name}:{policy_name}",
            GLOBAL,
            {"name": policy_name, "role": name, "policy": document(body)},
            arn=arn,
            observed=observed,
        )
        inline.refer("role", ROLE, GLOBAL, name)
        inventory.add(inline)


def _customer_policy(iam: Any, arn: str, observed: dict[str, Any]) -> LiveResource:
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    props = pruned(
        {
            "name": policy.get("PolicyName"),
            "path": policy.get("Path"),
            "description": policy.get("Description"),
            "policy": document(version.get("Document")),
            "tags": {t["Key"]: t.get("Value", "") for t in policy.get("Tags") or []},
        }
    )
    return LiveResource(POLICY, arn, GLOBAL, props, arn=arn, observed=observed)
