"""Account-level services asked of the account (checkAccount) over the real protocol: pack processes whose
environment points every AWS client at a moto server on 127.0.0.1, one with an empty account, one with an account
that has a logging multi-region trail, GuardDuty EKS protection, Inspector and enhanced ECR scanning.

The STACK_CASES here run against the empty account: stacks that declare nothing are violations there, stacks that
declare the services pass without asking."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from eksguard.protocol.analyzer import PolicyPackProcess

from .pack_driver import PACK_DIR, PackDriver, child_urn, fake_aws_env, resource, urn_for
from .test_detection import ADDON, INSPECTOR, guardduty_stack

REGION = "eu-west-1"
SEEDED_ACCOUNT = "111111111111"
CLUSTER = "aws:eks/cluster:Cluster"
EKS_CLUSTER = "eks:index:Cluster"
REPOSITORY = "aws:ecr/repository:Repository"
TRAIL = "aws:cloudtrail/trail:Trail"
STACK_TRAIL = "stack-multi-region-trail"
STACK_GUARDDUTY = "stack-guardduty-eks-protection"
STACK_INSPECTOR = "stack-inspector-scanning"
SCAN = "ecr-image-scanning"
ASK = {"checkAccount": True}
ASK_ALL = {STACK_TRAIL: ASK, STACK_GUARDDUTY: ASK, STACK_INSPECTOR: ASK, SCAN: ASK}


def _cluster(name: str = "prod") -> Any:
    """A cluster without the self-managed VPC CNI EKS would otherwise install on the node role's credentials (which
    eks-addon-identity reports, rightly: test_addons.py's case): here only the account-level controls matter."""
    return resource(CLUSTER, {"name": name, "version": "1.35", "bootstrapSelfManagedAddons": False}, name=name)


CLUSTER_URN = urn_for(CLUSTER, "prod")
# a pulumi-eks cluster: alone (what check sees) and with the child a real preview also sends
EKS = resource(
    EKS_CLUSTER,
    {  # aws-node with a role of its own: the add-on controls are test_addons.py's
        "version": "1.35",
        "skipDefaultNodeGroup": True,
        "vpcCniOptions": {"serviceAccountRoleArn": "arn:aws:iam::111122223333:role/aws-node"},
    },
    name="platform",
)
EKS_CHILD = resource(
    CLUSTER,
    {"version": "1.35"},
    name="platform-eksCluster",
    urn=child_urn(EKS.urn, CLUSTER, "platform-eksCluster"),
    parent=EKS.urn,
)
ON_THE_COMPONENT = {(STACK_TRAIL, EKS.urn), (STACK_GUARDDUTY, EKS.urn), (STACK_INSPECTOR, EKS.urn)}
US_CLUSTER = _cluster("us")
IS_ACCOUNT = {STACK_TRAIL: {"stackIsAccount": True}, STACK_GUARDDUTY: {"stackIsAccount": True}}
IS_ACCOUNT[STACK_INSPECTOR] = {"stackIsAccount": True}


def _regional(declared: Any, region: str) -> Any:
    return resource(declared.type, {**declared.properties, "region": region}, name=declared.name, urn=declared.urn)


TRAIL_IN_STACK = resource(TRAIL, {"s3BucketName": "b", "isMultiRegionTrail": True, "enableLogging": True}, name="t")

STACK_CASES: list[tuple[str, list[Any], set[tuple[str, str]], dict[str, Any]]] = [
    (
        "account-empty",
        [_cluster()],
        {(STACK_TRAIL, CLUSTER_URN), (STACK_GUARDDUTY, CLUSTER_URN), (STACK_INSPECTOR, CLUSTER_URN)},
        ASK_ALL,
    ),
    ("account-empty-all-declared", [_cluster(), TRAIL_IN_STACK, *guardduty_stack(), INSPECTOR], set(), ASK_ALL),
    (
        "account-empty-runtime-unmanaged",
        [_cluster(), TRAIL_IN_STACK, *guardduty_stack(runtime=("ENABLED",)), INSPECTOR],
        {(STACK_GUARDDUTY, CLUSTER_URN)},
        ASK_ALL,
    ),
    ("account-empty-pulumi-eks-cluster", [EKS], ON_THE_COMPONENT, ASK_ALL),
    # stackIsAccount (eksguard audit): what the stack lacks, the account lacks; nothing is asked
    (
        "stack-is-account-empty",
        [_cluster()],
        {(STACK_TRAIL, CLUSTER_URN), (STACK_GUARDDUTY, CLUSTER_URN), (STACK_INSPECTOR, CLUSTER_URN)},
        IS_ACCOUNT,
    ),
    ("stack-is-account-all-declared", [_cluster(), TRAIL_IN_STACK, *guardduty_stack(), INSPECTOR], set(), IS_ACCOUNT),
    (  # a region's GuardDuty and Inspector serve that region's clusters only
        "stack-is-account-per-region",
        [_regional(_cluster(), "eu-west-1"), _regional(US_CLUSTER, "us-east-1"), TRAIL_IN_STACK]
        + [_regional(r, "eu-west-1") for r in (*guardduty_stack(), INSPECTOR)],
        {(STACK_GUARDDUTY, US_CLUSTER.urn), (STACK_INSPECTOR, US_CLUSTER.urn)},
        IS_ACCOUNT,
    ),
    (
        "stack-is-account-regions-unsaid",
        [_cluster(), US_CLUSTER, TRAIL_IN_STACK, *guardduty_stack(), INSPECTOR],
        set(),
        IS_ACCOUNT,
    ),
    ("account-empty-pulumi-eks-cluster-and-its-child", [EKS, EKS_CHILD], ON_THE_COMPONENT, ASK_ALL),
]


def _env(endpoint: str, key: str | None, secret: str | None, token: str | None = None) -> dict[str, str]:
    return fake_aws_env(endpoint, REGION, key=key, secret=secret, token=token)


@pytest.fixture(scope="module")
def empty_account(moto_endpoint: str) -> Iterator[PackDriver]:
    with PolicyPackProcess(PACK_DIR, env=_env(moto_endpoint, "testing", "testing")) as process:
        yield PackDriver(process)


def _seed(endpoint: str) -> dict[str, str]:
    """Credentials for an account with every service on (moto maps assumed-role credentials to the role's account)."""
    sts = boto3.client(
        "sts", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{SEEDED_ACCOUNT}:role/platform", RoleSessionName="seed")[
        "Credentials"
    ]
    session = boto3.Session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], REGION)
    s3 = session.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket="org-trail", CreateBucketConfiguration={"LocationConstraint": REGION})
    cloudtrail = session.client("cloudtrail", endpoint_url=endpoint)
    cloudtrail.create_trail(Name="org", S3BucketName="org-trail", IsMultiRegionTrail=True)
    cloudtrail.start_logging(Name="org")
    session.client("guardduty", endpoint_url=endpoint).create_detector(
        Enable=True,
        Features=[
            {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"},
            {
                "Name": "RUNTIME_MONITORING",
                "Status": "ENABLED",
                "AdditionalConfiguration": [{"Name": ADDON["name"], "Status": "ENABLED"}],
            },
        ],
    )
    session.client("inspector2", endpoint_url=endpoint).enable(
        accountIds=[SEEDED_ACCOUNT], resourceTypes=["EC2", "ECR"]
    )
    session.client("ecr", endpoint_url=endpoint).put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}],
    )
    return _env(endpoint, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


@pytest.fixture(scope="module")
def seeded_account(moto_endpoint: str) -> Iterator[PackDriver]:
    with PolicyPackProcess(PACK_DIR, env=_seed(moto_endpoint)) as process:
        yield PackDriver(process)


@pytest.mark.parametrize("c", STACK_CASES, ids=lambda c: c[0])
def test_account_stack_case(empty_account: PackDriver, c) -> None:
    _, resources, expected, config = c
    with empty_account.configured(config):
        assert empty_account.stack_violations(resources) == expected


def test_the_account_answers_what_the_stack_does_not_declare(seeded_account: PackDriver) -> None:
    with seeded_account.configured(ASK_ALL):
        result = seeded_account.process.analyze_stack([_cluster()])
    assert result.diagnostics == []
    assert {STACK_TRAIL, STACK_GUARDDUTY, STACK_INSPECTOR} & set(result.not_applicable) == set()


def test_violation_messages_say_what_the_account_lacks(empty_account: PackDriver) -> None:
    with empty_account.configured(ASK_ALL):
        diagnostics = empty_account.process.analyze_stack([_cluster()]).diagnostics
    found = {d.policy: d.message.splitlines()[-1] for d in diagnostics}
    assert found == {
        STACK_TRAIL: f"Cluster prod: the account has no logging multi-region CloudTrail trail in {REGION} (asked "
        "CloudTrail)",
        STACK_GUARDDUTY: f"Cluster prod: the account has no GuardDuty detector in {REGION} (asked GuardDuty)",
        STACK_INSPECTOR: f"Cluster prod: the account has no Inspector EC2 scanning or Inspector ECR scanning in "
        f"{REGION} (asked Inspector)",
    }
    assert {d.level for d in diagnostics} == {"advisory"}


def test_with_stack_is_account_the_messages_say_the_account_lacks_it(empty_account: PackDriver) -> None:
    with empty_account.configured(IS_ACCOUNT):
        diagnostics = empty_account.process.analyze_stack([_cluster()]).diagnostics
    found = {d.policy: d.message.splitlines()[-1] for d in diagnostics}
    assert found == {
        STACK_TRAIL: "Cluster prod: the account has no logging multi-region CloudTrail trail (read by the audit)",
        STACK_GUARDDUTY: "Cluster prod: the account has no GuardDuty EKS audit log monitoring or GuardDuty EKS "
        "runtime monitoring with EKS_ADDON_MANAGEMENT (read by the audit)",
        STACK_INSPECTOR: "Cluster prod: the account has no Inspector EC2 or ECR scanning (read by the audit)",
    }


def test_registry_scanning_is_read_from_the_account(empty_account: PackDriver, seeded_account: PackDriver) -> None:
    repo = resource(REPOSITORY, {"name": "shop/api", "imageScanningConfiguration": {"scanOnPush": False}}, name="api")
    with empty_account.configured(ASK_ALL), seeded_account.configured(ASK_ALL):
        empty = empty_account.stack_violations([repo])
        seeded = seeded_account.stack_violations([repo])
    assert (SCAN, repo.urn) in empty
    assert (SCAN, repo.urn) not in seeded


def test_without_credentials_the_account_is_not_checkable(moto_endpoint: str) -> None:
    with PolicyPackProcess(PACK_DIR, env=_env(moto_endpoint, None, None)) as process:
        pack = PackDriver(process)
        with pack.configured(ASK_ALL):
            result = process.analyze_stack([_cluster()])
    assert result.diagnostics == []
    assert result.not_applicable[STACK_TRAIL] == (
        "not checkable offline: no AWS credentials to ask the account about CloudTrail"
    )
