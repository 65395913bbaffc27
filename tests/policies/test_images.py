"""ECR controls (rules/images.py) over the real protocol: tag immutability, KMS keys, public policies, and the stack
rules for scanning and lifecycle policies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eksguard.protocol.wire import UNKNOWN

from .cases import Case, case, run_case
from .pack_driver import resource, urn_for

REPOSITORY = "aws:ecr/repository:Repository"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
REGISTRY_POLICY = "aws:ecr/registryPolicy:RegistryPolicy"
SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"

IMMUTABLE = "ecr-tag-immutability"
KMS = "ecr-kms-encryption"
PUBLIC = "ecr-public-policy"
SCAN = "ecr-image-scanning"
LIFECYCLE_POLICY = "ecr-lifecycle-policy"
KEY = "arn:aws:kms:eu-west-1:111122223333:key/abcd"


def repository(**changes: Any) -> dict[str, Any]:
    props = {
        "name": "shop/api",
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY}],
        **changes,
    }
    return {k: v for k, v in props.items() if v is not None}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"repository": "shop/api", "policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
ORG = {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}

CASES: list[Case] = [
    case("repo-baseline", REPOSITORY, repository()),
    case("repo-mutable-default", REPOSITORY, repository(imageTagMutability=None), {IMMUTABLE}),
    case("repo-mutable", REPOSITORY, repository(imageTagMutability="MUTABLE"), {IMMUTABLE}),
    case("repo-immutable-exclusions", REPOSITORY, repository(imageTagMutability="IMMUTABLE_WITH_EXCLUSION")),
    case("repo-mutable-exclusions", REPOSITORY, repository(imageTagMutability="MUTABLE_WITH_EXCLUSION"), {IMMUTABLE}),
    case("repo-mutability-unknown", REPOSITORY, repository(imageTagMutability=UNKNOWN), not_checkable={IMMUTABLE}),
    case("repo-aes", REPOSITORY, repository(encryptionConfigurations=[{"encryptionType": "AES256"}]), {KMS}),
    case("repo-no-encryption-config", REPOSITORY, repository(encryptionConfigurations=None), {KMS}),
    case("repo-aws-managed-key", REPOSITORY, repository(encryptionConfigurations=[{"encryptionType": "KMS"}]), {KMS}),
    case(
        "repo-key-created-in-stack",
        REPOSITORY,
        repository(encryptionConfigurations=[{"encryptionType": "KMS", "kmsKey": UNKNOWN}]),
    ),
    case("repo-dsse", REPOSITORY, repository(encryptionConfigurations=[{"encryptionType": "KMS_DSSE", "kmsKey": KEY}])),
    case(
        "policy-account",
        REPOSITORY_POLICY,
        policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222233334444:root"}, "Action": PULL}),
    ),
    case("policy-public", REPOSITORY_POLICY, policy({"Effect": "Allow", "Principal": "*", "Action": PULL}), {PUBLIC}),
    case(
        "policy-public-aws-list",
        REGISTRY_POLICY,
        {
            "policy": json.dumps(
                {
                    "Statement": {
                        "Sid": "all",
                        "Effect": "Allow",
                        "Principal": {"AWS": ["arn:aws:iam::1:root", "*"]},
                        "Action": "ecr:*",
                        "Resource": "*",
                    }
                }
            )
        },
        {PUBLIC},
    ),
    case(
        "policy-public-with-condition",
        REPOSITORY_POLICY,
        policy({"Effect": "Allow", "Principal": "*", "Action": PULL, "Condition": ORG}),
    ),
    case("policy-public-deny", REPOSITORY_POLICY, policy({"Effect": "Deny", "Principal": "*", "Action": "ecr:*"})),
    case("ecr-policy-not-json", REPOSITORY_POLICY, {"repository": "r", "policy": "{"}, {PUBLIC}),
    case("ecr-policy-unknown", REPOSITORY_POLICY, {"repository": "r", "policy": UNKNOWN}, not_checkable={PUBLIC}),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_image_case(pack, c: Case) -> None:
    run_case(pack, c)


# --- stack rules ------------------------------------------------------------------------------------------------


def _repo(name: str = "api", **changes: Any) -> Any:
    return resource(REPOSITORY, repository(name=f"shop/{name}", **changes), name=name)


def _scanning(*filters: str, frequency: str = "CONTINUOUS_SCAN", scan_type: str = "ENHANCED") -> Any:
    rules = [
        {"scanFrequency": frequency, "repositoryFilters": [{"filter": f, "filterType": "WILDCARD"} for f in filters]}
    ]
    return resource(SCANNING, {"scanType": scan_type, "rules": rules}, name="registry-scanning")


def _lifecycle(repository_name: Any, depends_on: str | None = None, name: str = "api-lifecycle") -> Any:
    props = {"repository": repository_name, "policy": json.dumps({"rules": []})}
    deps = {"repository": [urn_for(REPOSITORY, depends_on)]} if depends_on else {}
    return resource(LIFECYCLE, props, name=name, property_dependencies=deps)


API = urn_for(REPOSITORY, "api")
NO_SCAN = {"imageScanningConfiguration": {"scanOnPush": False}}

STACK_CASES: list[tuple[str, list[Any], set[tuple[str, str]], dict[str, Any]]] = [
    ("ecr-scan-on-push", [_repo(), _lifecycle("shop/api")], set(), {}),
    ("ecr-scan-off", [_repo(**NO_SCAN), _lifecycle("shop/api")], {(SCAN, API)}, {}),
    ("ecr-scan-missing", [_repo(imageScanningConfiguration=None), _lifecycle("shop/api")], {(SCAN, API)}, {}),
    ("ecr-enhanced-all", [_repo(**NO_SCAN), _scanning("*"), _lifecycle("shop/api")], set(), {}),
    ("ecr-enhanced-prefix", [_repo(**NO_SCAN), _scanning("shop/*"), _lifecycle("shop/api")], set(), {}),
    ("ecr-enhanced-other-prefix", [_repo(**NO_SCAN), _scanning("ops/*"), _lifecycle("shop/api")], {(SCAN, API)}, {}),
    (
        "ecr-basic-on-push",
        [_repo(**NO_SCAN), _scanning("*", frequency="SCAN_ON_PUSH", scan_type="BASIC"), _lifecycle("shop/api")],
        set(),
        {},
    ),
    (
        "ecr-enhanced-manual",
        [_repo(**NO_SCAN), _scanning("*", frequency="MANUAL"), _lifecycle("shop/api")],
        {(SCAN, API)},
        {},
    ),
    ("ecr-lifecycle-missing", [_repo()], {(LIFECYCLE_POLICY, API)}, {}),
    ("ecr-lifecycle-by-dependency", [_repo(), _lifecycle(UNKNOWN, depends_on="api")], set(), {}),
    ("ecr-lifecycle-other-repo", [_repo(), _repo("web"), _lifecycle("shop/web")], {(LIFECYCLE_POLICY, API)}, {}),
    ("ecr-no-repositories", [_scanning("*")], set(), {}),
]


@pytest.mark.parametrize("c", STACK_CASES, ids=lambda c: c[0])
def test_image_stack_case(pack, c) -> None:
    _, resources, expected, config = c
    with pack.configured(config):
        assert pack.stack_violations(resources) == expected


def test_lifecycle_target_unknown_without_dependency_is_not_checkable(pack) -> None:
    result = pack.process.analyze_stack([_repo(), _lifecycle(UNKNOWN)])
    assert [(d.policy, "during preview" in d.message) for d in result.diagnostics] == [(LIFECYCLE_POLICY, True)]


def test_scanning_message_points_at_the_account_question(pack) -> None:
    result = pack.process.analyze_stack([_repo(**NO_SCAN), _lifecycle("shop/api")])
    assert [d.message.splitlines()[-1] for d in result.diagnostics] == [
        "repository shop/api has scanOnPush off and the stack declares no registry scanning rule for it (one declared "
        "elsewhere: set checkAccount): pushed images are not scanned for vulnerabilities"
    ]
