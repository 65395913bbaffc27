"""ECR repositories with their repository and lifecycle policies, and the registry's policy and scanning
configuration, as the aws:ecr/* declarations that would manage them (pulumi-aws 7 input names).

One DescribeRepositories (paged), GetRegistryPolicy and GetRegistryScanningConfiguration per region, and
GetRepositoryPolicy plus GetLifecyclePolicy per repository: the calls grow with repositories, not clusters.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from eksguard.audit.aws.context import RegionRead
from eksguard.audit.aws.iam import document
from eksguard.audit.aws.reads import error_code, guarded, paginate
from eksguard.audit.aws.types import (
    LIFECYCLE_POLICY,
    REGISTRY_POLICY,
    REGISTRY_SCANNING,
    REPOSITORY,
    REPOSITORY_POLICY,
)
from eksguard.audit.live import LiveResource, pruned

NOT_FOUND = ("RepositoryPolicyNotFoundException", "LifecyclePolicyNotFoundException", "RegistryPolicyNotFoundException")


def _absent_when_not_found(read: Any, **params: Any) -> dict[str, Any] | None:
    """``read(**params)``, or None when ECR says the policy does not exist."""
    try:
        return read(**params)
    except ClientError as exc:
        if error_code(exc) in NOT_FOUND:
            return None
        raise


def repository_props(repository: dict[str, Any], region: str) -> dict[str, Any]:
    encryption = repository.get("encryptionConfiguration") or {}
    return pruned(
        {
            "name": repository["repositoryName"],
            "imageTagMutability": repository.get("imageTagMutability"),
            "imageTagMutabilityExclusionFilters": [
                {"filter": f.get("filter"), "filterType": f.get("filterType")}
                for f in repository.get("imageTagMutabilityExclusionFilters") or []
            ],
            "imageScanningConfiguration": {
                "scanOnPush": (repository.get("imageScanningConfiguration") or {}).get("scanOnPush")
            },
            "encryptionConfigurations": [
                pruned({"encryptionType": encryption.get("encryptionType"), "kmsKey": encryption.get("kmsKey")})
            ]
            if encryption
            else [],
            "region": region,
        }
    )


def _aws_managed(ctx: RegionRead, key: str, managed: dict[str, bool]) -> bool:
    """Whether ``key`` is an AWS managed key (KMS DescribeKey, once per key). ECR names the aws/ecr managed key
    when a repository asks for KMS without a key; the declaration that gives that state names no key."""
    if key not in managed:
        meta = guarded(
            ctx.inventory,
            f"key {key} ({ctx.region})",
            (),
            lambda: ctx.client("kms").describe_key(KeyId=key)["KeyMetadata"],
        )
        managed[key] = (meta or {}).get("KeyManager") == "AWS"
    return managed[key]


def read_repositories(ctx: RegionRead) -> None:
    ecr = ctx.client("ecr")
    managed: dict[str, bool] = {}
    for repository in paginate(ecr, "describe_repositories", "repositories"):
        name = repository["repositoryName"]
        arn = repository.get("repositoryArn", name)
        props = repository_props(repository, ctx.region)
        for encryption in props.get("encryptionConfigurations") or []:
            if encryption.get("kmsKey") and _aws_managed(ctx, encryption["kmsKey"], managed):
                del encryption["kmsKey"]
        ctx.inventory.add(LiveResource(REPOSITORY, name, ctx.region, props, arn=arn))
        for kind, read in (
            (REPOSITORY_POLICY, lambda n=name: _absent_when_not_found(ecr.get_repository_policy, repositoryName=n)),
            (LIFECYCLE_POLICY, lambda n=name: _absent_when_not_found(ecr.get_lifecycle_policy, repositoryName=n)),
        ):
            answer = guarded(ctx.inventory, f"repository {name} ({ctx.region})", {kind}, read)
            text = (answer or {}).get("policyText") or (answer or {}).get("lifecyclePolicyText")
            if text:
                live = LiveResource(
                    kind, name, ctx.region, {"repository": name, "policy": document(text), "region": ctx.region}
                )
                live.arn = arn
                live.refer("repository", REPOSITORY, ctx.region, name)
                ctx.inventory.add(live)


def read_registry(ctx: RegionRead) -> None:
    """The registry's policy and scanning configuration (one each per account and region)."""
    ecr, account = ctx.client("ecr"), ctx.inventory.account
    policy = guarded(
        ctx.inventory, ctx.region, {REGISTRY_POLICY}, lambda: _absent_when_not_found(ecr.get_registry_policy)
    )
    if policy and policy.get("policyText"):
        props = {"policy": document(policy["policyText"]), "region": ctx.region}
        ctx.inventory.add(LiveResource(REGISTRY_POLICY, account, ctx.region, props, arn=account))
    scanning = guarded(ctx.inventory, ctx.region, {REGISTRY_SCANNING}, ecr.get_registry_scanning_configuration)
    configuration = (scanning or {}).get("scanningConfiguration") or {}
    if configuration:
        props = pruned(
            {
                "scanType": configuration.get("scanType"),
                "rules": [
                    {
                        "scanFrequency": rule.get("scanFrequency"),
                        "repositoryFilters": [
                            {"filter": f.get("filter"), "filterType": f.get("filterType")}
                            for f in rule.get("repositoryFilters") or []
                        ],
                    }
                    for rule in configuration.get("rules") or []
                ],
                "region": ctx.region,
            }
        )
        ctx.inventory.add(LiveResource(REGISTRY_SCANNING, account, ctx.region, props, arn=account))
