"""ImageRegistry: hardened Amazon ECR repositories for the images the clusters run.

Every repository: immutable tags (a pushed v1.4.2 stays what was reviewed and scanned), scan on push, images
encrypted with a customer-managed KMS key (fixed at creation), a lifecycle policy that expires untagged images and
keeps the newest N, and no repository policy unless the caller names who else may pull (never every principal).
Scanning: https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html; encryption:
https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html; lifecycle policies:
https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
import pulumi_aws as aws
from eksguard_policies import facts

from components._common import InvalidArgumentError, coerce_args, type_token
from components.iam import aws_account, customer_key, policy_document

_C = "ImageRegistry"
# https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html (repositoryName)
_REPOSITORY = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_TAG_FILTER = re.compile(r"^[A-Za-z0-9._*-]{1,128}$")
_MAX_TAG_FILTERS = 5
_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(root|role/[\w+=,.@/-]+|user/[\w+=,.@/-]+)$")
_ORGANIZATION = re.compile(r"^o-[a-z0-9]{10,32}$")
IMMUTABLE, IMMUTABLE_WITH_EXCLUSION = facts.ECR_IMMUTABLE_TAGS
KMS, _ = facts.ECR_CUSTOMER_KEY_TYPES
_, CONTINUOUS_SCAN = facts.ECR_SCAN_FREQUENCIES
PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")


@dataclass
class ImageRegistryArgs:
    repositories: list[str] = field(default_factory=list)
    """Names of the ECR repositories to create, e.g. ['shop/api', 'shop/web'] (at least one)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Customer-managed KMS key encrypting the images (default: a new key with rotation)."""
    mutable_tags: list[str] = field(default_factory=list)
    """Opt-in: up to five tag filters (letters, digits, '.', '_', '-', '*' wildcards) whose tags may be moved, e.g.
    ['latest', 'dev-*']; every other tag stays immutable."""
    untagged_expiry_days: int = 7
    """Untagged images are deleted this many days after their push (1-3650)."""
    max_image_count: int = 200
    """Images kept per repository: beyond this, the oldest are deleted (1-10000)."""
    pull_principal_arns: list[str] = field(default_factory=list)
    """Opt-in: other accounts or IAM roles and users that may pull, as ARNs such as arn:aws:iam::111122223333:root."""
    pull_organization_id: str | None = None
    """Opt-in: every principal of this AWS Organization may pull (aws:PrincipalOrgID), e.g. 'o-a1b2c3d4e5'."""
    enhanced_scanning: bool = False
    """Opt-in: switch the account's registry (one per region) to Amazon Inspector enhanced scanning, continuous, for
    every repository; this replaces the registry's scanning rules."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags for every taggable child resource."""


class ImageRegistry(pulumi.ComponentResource):
    """ECR repositories with immutable tags, scan on push, a customer-managed key, a lifecycle policy and no
    public access."""

    repository_urls: pulumi.Output[dict[str, str]]
    """Each repository's URL (to push and pull), by repository name."""
    repository_arns: pulumi.Output[dict[str, str]]
    """Each repository's ARN, by repository name."""
    kms_key_arn: pulumi.Output[str]
    """ARN of the KMS key encrypting the images."""
    scanning_configuration_id: pulumi.Output[Optional[str]]  # noqa: UP045 (the schema analyzer reads Optional)
    """The registry scanning configuration (enhanced_scanning only)."""

    def __init__(
        self, name: str, args: ImageRegistryArgs | None = None, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args = coerce_args(ImageRegistryArgs, args)
        validate(name, args)
        super().__init__(type_token(ImageRegistry), name, None, opts)
        self._name = name
        self._args = args

        key_arn = args.kms_key_arn or self._create_key().arn
        repositories = {repo: self._create_repository(repo, key_arn) for repo in args.repositories}
        scanning = self._create_registry_scanning() if args.enhanced_scanning else None

        self.repository_urls = pulumi.Output.all(**{n: r.repository_url for n, r in repositories.items()})
        self.repository_arns = pulumi.Output.all(**{n: r.arn for n, r in repositories.items()})
        self.kms_key_arn = pulumi.Output.from_input(key_arn)
        self.scanning_configuration_id = scanning.id if scanning else pulumi.Output.from_input(None)
        self.register_outputs(
            {
                "repository_urls": self.repository_urls,
                "repository_arns": self.repository_arns,
                "kms_key_arn": self.kms_key_arn,
                "scanning_configuration_id": self.scanning_configuration_id,
            }
        )

    def _opts(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _create_key(self) -> aws.kms.Key:
        # ECR uses the key through grants it creates for the principal that creates the repository, which IAM lets
        # use the key under this policy (https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html).
        return customer_key(
            f"{self._name}-kms",
            f"ECR repositories of {self._name}: images",
            aws_account(self).apply(lambda a: policy_document(a.administers_key())),
            self,
            self._args.tags,
        )

    def _create_repository(self, repository: str, key_arn: pulumi.Input[str]) -> aws.ecr.Repository:
        child = f"{self._name}-{_slug(repository)}"
        mutable = self._args.mutable_tags
        repo = aws.ecr.Repository(
            child,
            name=repository,
            image_tag_mutability=IMMUTABLE_WITH_EXCLUSION if mutable else IMMUTABLE,
            image_tag_mutability_exclusion_filters=[
                aws.ecr.RepositoryImageTagMutabilityExclusionFilterArgs(filter=f, filter_type="WILDCARD")
                for f in mutable
            ]
            or None,
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type=KMS, kms_key=key_arn)
            ],
            force_delete=False,
            tags=self._args.tags,
            opts=self._opts(),
        )
        aws.ecr.LifecyclePolicy(
            f"{child}-lifecycle",
            repository=repo.name,
            policy=json.dumps(lifecycle_policy(self._args.untagged_expiry_days, self._args.max_image_count)),
            opts=self._opts(),
        )
        statements = self._pull_statements()
        if statements:
            aws.ecr.RepositoryPolicy(
                f"{child}-policy",
                repository=repo.name,
                policy=policy_document(*statements),
                opts=self._opts(),
            )
        return repo

    def _pull_statements(self) -> list[dict[str, Any]]:
        statements: list[dict[str, Any]] = []
        if self._args.pull_principal_arns:
            statements.append(
                {
                    "Sid": "NamedPrincipalsPull",
                    "Effect": "Allow",
                    "Principal": {"AWS": list(self._args.pull_principal_arns)},
                    "Action": list(PULL_ACTIONS),
                }
            )
        if self._args.pull_organization_id:
            statements.append(
                {
                    "Sid": "OrganizationPulls",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": list(PULL_ACTIONS),
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": self._args.pull_organization_id}},
                }
            )
        return statements

    def _create_registry_scanning(self) -> aws.ecr.RegistryScanningConfiguration:
        return aws.ecr.RegistryScanningConfiguration(
            f"{self._name}-scanning",
            scan_type="ENHANCED",
            rules=[
                aws.ecr.RegistryScanningConfigurationRuleArgs(
                    scan_frequency=CONTINUOUS_SCAN,
                    repository_filters=[
                        aws.ecr.RegistryScanningConfigurationRuleRepositoryFilterArgs(
                            filter="*", filter_type="WILDCARD"
                        )
                    ],
                )
            ],
            opts=self._opts(),
        )


def lifecycle_policy(untagged_expiry_days: int, max_image_count: int) -> dict[str, Any]:
    """Untagged images expire first; then only the newest images are kept. A rule selecting every tag status must
    have the highest priority number (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html)."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images {untagged_expiry_days} days after push",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": untagged_expiry_days,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the newest {max_image_count} images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": max_image_count},
                "action": {"type": "expire"},
            },
        ]
    }


def _slug(repository: str) -> str:
    return repository.replace("/", "-")


def validate(name: str, args: ImageRegistryArgs) -> None:
    """Raise the InvalidArgumentError that ``ImageRegistry(name, args)`` would raise, registering nothing."""
    repos = args.repositories
    if not isinstance(repos, list) or not repos:
        raise InvalidArgumentError(_C, "repositories", f"is {repos!r}", "a non-empty list of repository names")
    slugs: list[str] = []
    for i, repo in enumerate(repos):
        if not isinstance(repo, str) or not 2 <= len(repo) <= 256 or not _REPOSITORY.match(repo):
            raise InvalidArgumentError(
                _C,
                ("repositories", i),
                f"is {repo!r}",
                "2-256 lowercase letters and digits, separated by '.', '_', '-' or '/' (e.g. 'shop/api')",
            )
        if _slug(repo) in slugs:
            raise InvalidArgumentError(
                _C, ("repositories", i), f"is {repo!r}, which names the same resources as another", "unique names"
            )
        slugs.append(_slug(repo))
    tags = args.mutable_tags
    if not isinstance(tags, list) or len(tags) > _MAX_TAG_FILTERS:
        raise InvalidArgumentError(_C, "mutable_tags", f"is {tags!r}", f"a list of at most {_MAX_TAG_FILTERS} filters")
    for i, tag in enumerate(tags):
        if not isinstance(tag, str) or not _TAG_FILTER.match(tag) or tag.strip("*") == "":
            raise InvalidArgumentError(
                _C,
                ("mutable_tags", i),
                f"is {tag!r}",
                "1-128 letters, digits, '.', '_', '-' or '*' naming some tags (not every tag)",
            )
    _require_int_range("untagged_expiry_days", args.untagged_expiry_days, 1, 3650)
    _require_int_range("max_image_count", args.max_image_count, 1, 10000)
    if not isinstance(args.pull_principal_arns, list):
        raise InvalidArgumentError(_C, "pull_principal_arns", f"is {args.pull_principal_arns!r}", "a list of ARNs")
    for i, arn in enumerate(args.pull_principal_arns):
        if not isinstance(arn, str) or not _PRINCIPAL.match(arn):
            raise InvalidArgumentError(
                _C,
                ("pull_principal_arns", i),
                f"is {arn!r}",
                "an account, role or user ARN such as arn:aws:iam::111122223333:root (never '*')",
            )
    org = args.pull_organization_id
    if org is not None and (not isinstance(org, str) or not _ORGANIZATION.match(org)):
        raise InvalidArgumentError(_C, "pull_organization_id", f"is {org!r}", "an organization id such as o-a1b2c3d4e5")
    if not isinstance(args.enhanced_scanning, bool):
        raise InvalidArgumentError(_C, "enhanced_scanning", f"is {args.enhanced_scanning!r}", (True, False))


def _require_int_range(argument: str, value: object, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidArgumentError(_C, argument, f"is {value!r}", f"{low} to {high}")
