"""Rules for controls/images.toml: the ECR repositories and registry the clusters pull their images from.

Scanning (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html): a repository is scanned
on push when its own imageScanningConfiguration.scanOnPush is true, or when a rule of the registry's scanning
configuration (basic or enhanced) matches it with scan frequency SCAN_ON_PUSH or CONTINUOUS_SCAN. The registry's
configuration is one per account and region: judged in the stack that declares it, asked of the account when
configured to.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .. import facts
from ..framework import RuleContext, StackContext, resource_rule, stack_rule
from ..values import as_bool, as_list, get, peek, policy_document, show, split_known, statements
from ..values import string_set as principals_of
from ._account import ACCOUNT_CONFIG, ask, checks_account, region_of
from ._k8s import get_path

REPOSITORY = "aws:ecr/repository:Repository"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
REGISTRY_POLICY = "aws:ecr/registryPolicy:RegistryPolicy"
REGISTRY_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"

IMMUTABLE = facts.ECR_IMMUTABLE_TAGS
SCANNING_FREQUENCIES = facts.ECR_SCAN_FREQUENCIES
CUSTOMER_KEY_TYPES = facts.ECR_CUSTOMER_KEY_TYPES


# --- repositories -----------------------------------------------------------------------------------------------


@resource_rule("ecr-tag-immutability", types=(REPOSITORY,))
def tag_immutability(ctx: RuleContext) -> Iterator[str]:
    value = get(ctx.props, "imageTagMutability")
    if value not in IMMUTABLE:
        shown = "is not set (ECR default MUTABLE)" if value is None else f"is {show(value)}"
        yield f"imageTagMutability {shown}: a push can move a tag such as v1.4.2 to different image content"


@resource_rule("ecr-kms-encryption", types=(REPOSITORY,))
def kms_encryption(ctx: RuleContext) -> Iterator[str]:
    configs = as_list(get(ctx.props, "encryptionConfigurations")) or []
    config = configs[0] if len(configs) else None
    kind = get(config, "encryptionType")
    if kind is None:
        yield "encryptionConfigurations is not set: images are encrypted with an AWS-owned key (AES256)"
    elif kind not in CUSTOMER_KEY_TYPES:
        yield f"encryptionConfigurations encryptionType is {show(kind)}, not KMS with a customer-managed key"
    elif peek(config, "kmsKey") is None:
        yield f"encryptionType is {kind} without kmsKey: the AWS-managed key aws/ecr is used, not a customer key"


@resource_rule("ecr-public-policy", types=(REPOSITORY_POLICY, REGISTRY_POLICY))
def public_policy(ctx: RuleContext) -> Iterator[str]:
    raw = get(ctx.props, "policy")
    document = policy_document(raw)
    if document is None:
        if raw is not None:
            yield "policy is not a JSON policy document"
        return
    for i, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        principal = statement.get("Principal")
        everyone = principal == "*" or (isinstance(principal, Mapping) and "*" in principals_of(principal.get("AWS")))
        if everyone:
            sid = statement.get("Sid")
            label = f"Statement[{i}]" + (f" ({sid})" if isinstance(sid, str) and sid else "")
            yield f"{label} allows every AWS principal (Principal *) without a Condition: anyone can use the images"


# --- scanning and lifecycle (stack) -----------------------------------------------------------------------------


def rules_cover(rules: Any, repository: str) -> bool:
    """Whether scanning rules (RegistryScanningConfiguration.rules, or the API's scanningConfiguration.rules: the
    same camelCase names) scan ``repository`` on push or continuously."""
    for rule in as_list(rules) or []:
        if get(rule, "scanFrequency") not in SCANNING_FREQUENCIES:
            continue
        for repo_filter in as_list(get(rule, "repositoryFilters")) or []:
            pattern = get(repo_filter, "filter")
            if isinstance(pattern, str) and fnmatch.fnmatchcase(repository, pattern):
                return True
    return False


def _registry_scanned(ctx: StackContext, repository: Any, name: str) -> bool:
    def call(client: Any) -> bool:
        configuration = client.get_registry_scanning_configuration().get("scanningConfiguration") or {}
        return rules_cover(configuration.get("rules"), name)

    return ask("ecr", region_of(repository, ctx), "ECR registry scanning", call)[0]


@stack_rule("ecr-image-scanning", types=(REPOSITORY, REGISTRY_SCANNING), config=dict(ACCOUNT_CONFIG))
def image_scanning(ctx: StackContext) -> list[tuple[str, str | None]]:
    configurations = ctx.graph.of_type(REGISTRY_SCANNING)
    pending: UnknownValueError | None = None
    declared_rules: list[Any] = []
    for configuration in configurations:
        known_rules, unknown = split_known(get(configuration.props, "rules"))
        declared_rules += known_rules
        pending = pending or unknown
    findings: list[tuple[str, str | None]] = []
    for repository in ctx.graph.of_type(REPOSITORY):
        try:
            if as_bool(get_path(repository.props, "imageScanningConfiguration", "scanOnPush"), False) is True:
                continue
            name = get(repository.props, "name")
        except UnknownValueError as exc:
            pending = pending or exc
            continue
        if isinstance(name, str) and rules_cover(declared_rules, name):
            continue
        message = f"repository {name if isinstance(name, str) else repository.name} has scanOnPush off"
        if configurations:
            message += " and no rule of the stack's registry scanning configuration matches it"
        elif checks_account(ctx) and isinstance(name, str):
            if _registry_scanned(ctx, repository, name):
                continue
            message += " and no rule of the account's registry scanning configuration matches it"
        else:
            message += (
                " and the stack declares no registry scanning rule for it (one declared elsewhere: set checkAccount)"
            )
        findings.append((f"{message}: pushed images are not scanned for vulnerabilities", repository.urn))
    if pending is not None and not findings:
        raise pending
    return findings


@stack_rule("ecr-lifecycle-policy", types=(REPOSITORY, LIFECYCLE_POLICY))
def lifecycle_policy(ctx: StackContext) -> list[tuple[str, str | None]]:
    graph = ctx.graph
    covered: set[str] = set()
    pending: UnknownValueError | None = None
    for policy in graph.of_type(LIFECYCLE_POLICY):
        repository = graph.sources_of(policy, "repository", (REPOSITORY,))
        covered |= {r.urn for r in repository.resources}
        pending = pending or repository.unknown
    bare = [r for r in graph.of_type(REPOSITORY) if r.urn not in covered]
    if bare and pending is not None:
        raise pending  # the policy whose repository is unknown may be theirs
    return [
        (
            f"repository {r.name} has no lifecycle policy in the stack: untagged and old images pile up, and "
            "vulnerable ones stay pullable",
            r.urn,
        )
        for r in bare
    ]
