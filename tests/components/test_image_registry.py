"""ImageRegistry: every hardened default, every opt-out, every rejected argument (under Pulumi mocks)."""

from __future__ import annotations

import json

import pytest

from components._common import InvalidArgumentError
from components.image_registry import ImageRegistry, ImageRegistryArgs
from tests.components.harness import ACCOUNT_ID, REGION, attempt, run

REPO = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
KEY = "aws:kms/key:Key"
REPOS = ["shop/api", "shop/web"]
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/reg-kms-key-id"  # the harness's ARN for key "reg-kms"
PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]


def registry(**overrides):
    return run(lambda: ImageRegistry("reg", ImageRegistryArgs(repositories=REPOS, **overrides)))


@pytest.fixture(scope="module")
def default():
    return registry()


def repos(result):
    return {r.inputs["name"]: r for r in result.of_type(REPO)}


def test_every_repository_has_immutable_tags_scan_on_push_and_the_customer_key(default):
    assert set(repos(default)) == set(REPOS)
    for repo in repos(default).values():
        assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
        assert "imageTagMutabilityExclusionFilters" not in repo.inputs
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KEY_ARN}]
        assert repo.inputs["forceDelete"] is False


def test_the_created_key_rotates_and_only_the_account_administers_it(default):
    key = default.one(KEY)
    assert key.inputs["enableKeyRotation"] is True
    assert json.loads(key.inputs["policy"])["Statement"] == [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]


def test_every_repository_has_a_lifecycle_policy_expiring_untagged_then_old_images(default):
    policies = {p.inputs["repository"]: json.loads(p.inputs["policy"]) for p in default.of_type(LIFECYCLE)}
    assert set(policies) == set(REPOS)
    for policy in policies.values():
        assert [(r["rulePriority"], r["selection"], r["action"]) for r in policy["rules"]] == [
            (
                1,
                {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
                {"type": "expire"},
            ),
            (2, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 200}, {"type": "expire"}),
        ]


def test_no_repository_policy_and_no_registry_setting_unless_asked(default):
    assert default.of_type(POLICY) == []
    assert default.of_type(SCANNING) == []


def test_children_are_named_after_the_component_and_parented_to_it(default):
    component = default.one("eksguard:index:ImageRegistry")
    assert {r.name for r in default.children_of(component)} == {
        "reg-kms",
        "reg-shop-api",
        "reg-shop-api-lifecycle",
        "reg-shop-web",
        "reg-shop-web-lifecycle",
    }
    assert len(default.children_of(component)) == len(default.resources) - 1


def test_outputs_are_resolvable(default):
    component = default.value
    assert default.output(component.repository_urls) == {
        repo: f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{repo}" for repo in REPOS
    }
    assert set(default.output(component.repository_arns)) == set(REPOS)
    assert default.output(component.kms_key_arn) == KEY_ARN
    assert default.output(component.scanning_configuration_id) is None


# Opt-ins: each one explicit and named.


def test_named_tags_may_move_while_every_other_tag_stays_immutable():
    repo = repos(registry(mutable_tags=["latest", "dev-*"]))["shop/api"]
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert repo.inputs["imageTagMutabilityExclusionFilters"] == [
        {"filter": "latest", "filterType": "WILDCARD"},
        {"filter": "dev-*", "filterType": "WILDCARD"},
    ]


def test_a_caller_key_replaces_the_created_key():
    caller = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555"
    result = registry(kms_key_arn=caller)
    assert result.of_type(KEY) == []
    assert {r.inputs["encryptionConfigurations"][0]["kmsKey"] for r in result.of_type(REPO)} == {caller}


def test_lifecycle_figures_are_configurable():
    policy = json.loads(registry(untagged_expiry_days=1, max_image_count=30).of_type(LIFECYCLE)[0].inputs["policy"])
    assert [r["selection"]["countNumber"] for r in policy["rules"]] == [1, 30]


def test_named_principals_and_an_organization_may_pull_and_nobody_else():
    result = registry(pull_principal_arns=["arn:aws:iam::111122223333:root"], pull_organization_id="o-a1b2c3d4e5")
    documents = {p.inputs["repository"]: json.loads(p.inputs["policy"]) for p in result.of_type(POLICY)}
    assert set(documents) == set(REPOS)
    assert documents["shop/api"]["Statement"] == [
        {
            "Sid": "NamedPrincipalsPull",
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]},
            "Action": PULL,
        },
        {
            "Sid": "OrganizationPulls",
            "Effect": "Allow",
            "Principal": "*",
            "Action": PULL,
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        },
    ]


def test_enhanced_scanning_scans_every_repository_continuously():
    result = registry(enhanced_scanning=True)
    scanning = result.one(SCANNING).inputs
    assert scanning["scanType"] == "ENHANCED"
    assert scanning["rules"] == [
        {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}
    ]
    assert result.output(result.value.scanning_configuration_id) == "reg-scanning-id"


def test_args_may_be_a_dict_as_the_provider_host_passes_them():
    result = run(lambda: ImageRegistry("reg", {"repositories": ["solo"], "max_image_count": 50.0}))
    assert json.loads(result.one(LIFECYCLE).inputs["policy"])["rules"][1]["selection"]["countNumber"] == 50


# Rejections: one clear error naming the argument and the accepted values, and nothing registered.

NAMES = "2-256 lowercase letters and digits, separated by '.', '_', '-' or '/' (e.g. 'shop/api')"
REJECTED = [
    ({"repositories": []}, "argument 'repositories' is []; accepted values: a non-empty list of repository names"),
    ({"repositories": ["Shop/API"]}, f"argument 'repositories[0]' is 'Shop/API'; accepted values: {NAMES}"),
    ({"repositories": ["ok", "a/"]}, f"argument 'repositories[1]' is 'a/'; accepted values: {NAMES}"),
    ({"repositories": ["x"]}, f"argument 'repositories[0]' is 'x'; accepted values: {NAMES}"),
    (
        {"repositories": ["a/b", "a-b"]},
        "argument 'repositories[1]' is 'a-b', which names the same resources as another; accepted values: unique names",
    ),
    (
        {"mutable_tags": ["*"]},
        "argument 'mutable_tags[0]' is '*'; accepted values: 1-128 letters, digits, '.', '_', '-' or '*' naming "
        "some tags (not every tag)",
    ),
    (
        {"mutable_tags": ["a", "b", "c", "d", "e", "f"]},
        "argument 'mutable_tags' is ['a', 'b', 'c', 'd', 'e', 'f']; accepted values: a list of at most 5 filters",
    ),
    ({"untagged_expiry_days": 0}, "argument 'untagged_expiry_days' is 0; accepted values: 1 to 3650"),
    ({"max_image_count": True}, "argument 'max_image_count' is True; accepted values: 1 to 10000"),
    (
        {"pull_principal_arns": ["*"]},
        "argument 'pull_principal_arns[0]' is '*'; accepted values: an account, role or user ARN such as "
        "arn:aws:iam::111122223333:root (never '*')",
    ),
    (
        {"pull_principal_arns": ["arn:aws:iam::*:root"]},
        "argument 'pull_principal_arns[0]' is 'arn:aws:iam::*:root'; accepted values: an account, role or user ARN "
        "such as arn:aws:iam::111122223333:root (never '*')",
    ),
    (
        {"pull_organization_id": "*"},
        "argument 'pull_organization_id' is '*'; accepted values: an organization id such as o-a1b2c3d4e5",
    ),
    ({"enhanced_scanning": "yes"}, "argument 'enhanced_scanning' is 'yes'; accepted values: True, False"),
]


@pytest.mark.parametrize(("overrides", "message"), REJECTED, ids=[str(o) for o, _ in REJECTED])
def test_invalid_arguments_are_rejected_before_anything_is_registered(overrides, message):
    args = {"repositories": REPOS, **overrides}
    result = attempt(lambda: ImageRegistry("reg", ImageRegistryArgs(**args)))
    assert isinstance(result.error, InvalidArgumentError)
    assert str(result.error) == f"ImageRegistry: {message}"
    assert result.resources == []
