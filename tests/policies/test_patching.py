"""Guest OS patching controls over the real protocol: AMI family and AMI age.

Node group cases reuse the compliant baseline of test_nodes. Results that are "not checkable offline" are
not-applicable answers with a reason (never a pass, never a violation); the live image lookup runs against a
moto server on 127.0.0.1 in a second pack process whose environment points EC2 at it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest

from eksguard.protocol.analyzer import PolicyPackProcess
from eksguard.protocol.wire import UNKNOWN

from .cases import Case, run_case
from .pack_driver import PACK_DIR, PackDriver, fake_aws_env
from .test_nodes import DROP, INSTANCE, LAUNCH_TEMPLATE, NODE_GROUP, instance, lt, ng, node_group

FAMILY = "nodegroup-ami-family"
AGE = "nodegroup-ami-age"
EBS = "node-ebs-encrypted"  # a node group without a launch template runs on EKS's, unencrypted (test_nodes)
AS_OF = "2026-11-28"
OFFLINE = "not checkable offline"


def aged(**config: Any) -> dict[str, Any]:
    return {AGE: {"asOf": AS_OF, **config}}


BOTTLEROCKET = {"amiType": "BOTTLEROCKET_x86_64", "releaseVersion": "1.50.0-5f7c6ac5"}

CASES: list[Case] = [
    # family
    ng("family-al2", node_group(amiType="AL2_x86_64", version="1.32", releaseVersion=DROP), {FAMILY}),
    ng("family-al2-arm", node_group(amiType="AL2_ARM_64", releaseVersion=DROP), {FAMILY}),
    ng("family-al2-gpu", node_group(amiType="AL2_x86_64_GPU", releaseVersion=DROP), {FAMILY}),
    ng("family-al2023-arm", node_group(amiType="AL2023_ARM_64_STANDARD")),
    ng("family-bottlerocket", node_group(**BOTTLEROCKET)),
    ng("family-windows", node_group(amiType="WINDOWS_CORE_2022_X86_64", releaseVersion="1.35-2026.11.12")),
    ng("family-unrecognised", node_group(amiType="UBUNTU_22_04"), {FAMILY}),
    ng("family-number", node_group(amiType=2023), {FAMILY}),
    ng("family-unknown", node_group(amiType=UNKNOWN), not_checkable={FAMILY}),
    ng("family-custom-without-template", node_group(amiType="CUSTOM", launchTemplate=DROP), {FAMILY, EBS}),
    ng("family-custom-with-template", node_group(amiType="CUSTOM", releaseVersion=DROP)),
    ng("family-default-recent-version", node_group(amiType=DROP, launchTemplate=DROP), {EBS}),
    ng("family-default-version-float", node_group(amiType=DROP, launchTemplate=DROP, version=1.3), {EBS}),
    ng("family-default-old-version", node_group(amiType=DROP, launchTemplate=DROP, version="1.29"), {FAMILY, EBS}),
    ng("family-default-no-version", node_group(amiType=DROP, launchTemplate=DROP, version=DROP), {EBS}),
    ng("family-default-with-template", node_group(amiType=DROP)),
    # age (AL2023 build date in the release version; asOf 2026-11-28, maxAmiAgeDays 30)
    ng("age-recent", node_group(releaseVersion="1.35.2-20261029")),
    ng("age-too-old", node_group(releaseVersion="1.35.2-20261028"), {AGE}),
    ng("age-old-larger-window", node_group(releaseVersion="1.35.2-20261001"), config=aged(maxAmiAgeDays=90)),
    ng("age-old-as-of-earlier", node_group(releaseVersion="1.35.2-20261001"), config=aged(asOf="2026-10-15")),
    ng("age-no-release", node_group(releaseVersion=DROP)),
    ng("age-bottlerocket-no-date", node_group(**BOTTLEROCKET)),
    ng(
        "age-bottlerocket-published-long-ago",
        node_group(**BOTTLEROCKET),
        {AGE},
        config=aged(releaseDates={"1.50.0-5f7c6ac5": "2026-09-01"}),
    ),
    ng(
        "age-bottlerocket-published-lately",
        node_group(**BOTTLEROCKET),
        config=aged(releaseDates={"1.50.0-5f7c6ac5": "2026-11-20"}),
    ),
    ng(
        "age-bottlerocket-other-release-dated",
        node_group(**BOTTLEROCKET),
        config=aged(releaseDates={"1.49.0-aaaa": "2026-01-01"}),
    ),
    ng("age-bottlerocket-odd-date", node_group(**BOTTLEROCKET), config=aged(releaseDates={"1.50.0-5f7c6ac5": "soon"})),
    ng("age-windows-old", node_group(amiType="WINDOWS_CORE_2022_X86_64", releaseVersion="1.35-2025.01.14"), {AGE}),
    ng("age-release-number", node_group(releaseVersion=1.35), {AGE}),
    ng("age-release-impossible-date", node_group(releaseVersion="1.35.2-20261399")),
    ng("age-release-unknown", node_group(releaseVersion=UNKNOWN), not_checkable={AGE}),
    ng("age-and-family-al2", node_group(amiType="AL2_x86_64", releaseVersion="1.32.9-20251120"), {FAMILY, AGE}),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_patching_case(pack, c: Case) -> None:
    run_case(pack, c)


def _reason(pack: PackDriver, resource_type: str, props: dict[str, Any], config: dict[str, Any] | None = None) -> str:
    with pack.configured(config or aged()):
        return pack.not_applicable(resource_type, props).get(AGE, "")


@pytest.mark.parametrize(
    ("resource_type", "props", "policy", "expected"),
    [
        (NODE_GROUP, node_group(**BOTTLEROCKET), AGE, "carries no build date (Bottlerocket releases do not); its age"),
        (NODE_GROUP, node_group(amiType="CUSTOM", releaseVersion=DROP), FAMILY, "amiType CUSTOM runs the launch"),
        (NODE_GROUP, node_group(amiType=DROP), FAMILY, "amiType is not set and a launchTemplate is given"),
        (LAUNCH_TEMPLATE, lt(imageId="ami-0abc"), AGE, "imageId 'ami-0abc' needs EC2 DescribeImages"),
        (INSTANCE, instance(), AGE, "ami 'ami-0123456789abcdef0' needs EC2 DescribeImages"),
    ],
    ids=["bottlerocket", "custom", "default-with-template", "launch-template-image", "instance-ami"],
)
def test_not_checkable_offline_is_said_precisely(pack, resource_type, props, policy, expected) -> None:
    with pack.configured(aged()):
        result = pack.process.analyze(_resource(resource_type, props))
    assert f"{OFFLINE}: " in result.not_applicable[policy]
    assert expected in result.not_applicable[policy]
    assert policy not in {d.policy for d in result.diagnostics}


def test_template_without_image_leaves_the_choice_elsewhere(pack) -> None:
    assert _reason(pack, LAUNCH_TEMPLATE, lt()).startswith("no imageId")


def test_age_message_names_release_date_and_age(pack) -> None:
    with pack.configured(aged()):
        diagnostics = pack.analyze(NODE_GROUP, node_group(releaseVersion="1.35.2-20261001"))
    assert [d.message.splitlines()[-1] for d in diagnostics if d.policy == AGE] == [
        "releaseVersion '1.35.2-20261001' was built on 2026-10-01, 58 days before 2026-11-28 (maxAmiAgeDays 30)"
    ]


def test_bottlerocket_age_counts_from_the_publication_date(pack) -> None:
    with pack.configured(aged(releaseDates={"1.50.0-5f7c6ac5": "2026-09-01"})):
        diagnostics = pack.analyze(NODE_GROUP, node_group(**BOTTLEROCKET))
    assert [d.message.splitlines()[-1] for d in diagnostics if d.policy == AGE] == [
        "releaseVersion '1.50.0-5f7c6ac5' was published on 2026-09-01, 88 days before 2026-11-28 (maxAmiAgeDays 30)"
    ]


def _resource(resource_type: str, props: dict[str, Any]) -> Any:
    from .pack_driver import resource

    return resource(resource_type, props)


# --- the live lookup (EC2 DescribeImages) against moto on 127.0.0.1 ----------------------------------------------
REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account for any access key


def _fake_aws_env(endpoint: str | None) -> dict[str, str]:
    return fake_aws_env(endpoint, REGION, endpoint_var="AWS_ENDPOINT_URL_EC2")


def _register_image(endpoint: str, name: str, created: dt.datetime) -> str:
    import boto3
    from moto.ec2.models import ec2_backends

    client = boto3.client(
        "ec2", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    image_id = client.register_image(Name=name, RootDeviceName="/dev/xvda")["ImageId"]
    ec2_backends[ACCOUNT][REGION].amis[image_id].creation_date = created
    return image_id


@pytest.fixture(scope="module")
def live_pack(moto_endpoint: str) -> Iterator[PackDriver]:
    with PolicyPackProcess(PACK_DIR, env=_fake_aws_env(moto_endpoint)) as process:
        yield PackDriver(process)


LIVE = aged(liveAmiAgeCheck=True)


def test_live_lookup_flags_an_old_image_and_passes_a_new_one(moto_endpoint: str, live_pack: PackDriver) -> None:
    old = _register_image(moto_endpoint, "old-node-image", dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC))
    new = _register_image(moto_endpoint, "new-node-image", dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC))
    with live_pack.configured(LIVE):
        old_lt = live_pack.analyze(LAUNCH_TEMPLATE, lt(imageId=old))
        new_lt = live_pack.analyze(LAUNCH_TEMPLATE, lt(imageId=new))
        old_instance = live_pack.violations(INSTANCE, instance(ami=old))
    assert [d.message.splitlines()[-1] for d in old_lt if d.policy == AGE] == [
        f"imageId '{old}' was built on 2026-09-01, 88 days before 2026-11-28 (maxAmiAgeDays 30)"
    ]
    assert [d for d in new_lt if d.policy == AGE] == []
    assert old_instance == {AGE}


def test_live_lookup_of_a_missing_image_is_not_checkable(live_pack: PackDriver) -> None:
    assert "was not found in eu-west-1" in _reason(live_pack, LAUNCH_TEMPLATE, lt(imageId="ami-00000000"), LIVE)


def test_live_lookup_is_off_by_default(moto_endpoint: str, live_pack: PackDriver) -> None:
    old = _register_image(moto_endpoint, "old-default-off", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert "set liveAmiAgeCheck" in _reason(live_pack, LAUNCH_TEMPLATE, lt(imageId=old))


def test_live_lookup_without_credentials_is_not_checkable(monkeypatch) -> None:
    from eksguard_policies.rules.patching import image_creation_date

    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in _fake_aws_env(None).items():
        if key not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            monkeypatch.setenv(key, value)
    image_creation_date.cache_clear()
    assert image_creation_date("ami-0abc", REGION) == (None, "no AWS credentials to look up image 'ami-0abc'")


def test_family_messages_say_why(pack) -> None:
    with pack.configured(aged()):
        al2 = pack.analyze(NODE_GROUP, node_group(amiType="AL2_ARM_64", releaseVersion=DROP))
        other = pack.analyze(NODE_GROUP, node_group(amiType="UBUNTU_22_04"))
    assert [d.message.splitlines()[-1] for d in al2 if d.policy == FAMILY] == [
        "amiType 'AL2_ARM_64' is Amazon Linux 2, whose EKS AMIs reached end of support on 2025-11-26: "
        "use an AL2023_* or BOTTLEROCKET_* type"
    ]
    assert [d.message.splitlines()[-1] for d in other if d.policy == FAMILY] == [
        "amiType 'UBUNTU_22_04' is not a supported AMI family (AL2023_*, BOTTLEROCKET_*, WINDOWS_*)"
    ]
