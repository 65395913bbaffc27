"""Rules for controls/patching.toml: the node operating system family and how old the node image is.

EKS-optimized Amazon Linux 2 AMIs reached end of support (facts.AL2_END_OF_SUPPORT); AL2023, Bottlerocket and
Windows AMIs are patched. A missing amiType takes the EKS default: AL2023_x86_64_STANDARD for Kubernetes 1.30
and later, AL2_x86_64 before (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html).

AMI age: AL2023/AL2 release versions carry their build date (``1.35.2-20261120``), Windows ones too
(``1.35-2026.11.12``); Bottlerocket versions (``1.50.0-5f7c6ac5``) do not, so their age is "not checkable
offline" (a not-applicable result with that reason, never a pass). An explicit image id (launch template
``imageId``, instance ``ami``) is looked up with EC2 DescribeImages only when ``liveAmiAgeCheck`` is true and
AWS credentials are present; otherwise it is "not checkable offline" too.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from ..facts import AL2_END_OF_SUPPORT
from ..framework import NotApplicable, RuleContext, as_of_date, not_checkable_offline, resource_rule
from ..values import as_map, get, has
from ._amis import AL2023_DEFAULT_SINCE, minor_version
from ._aws import aws_client, aws_errors
from ._ec2 import show
from .nodes import INSTANCE, LAUNCH_TEMPLATE, NODE_GROUP

AL2_EOL = AL2_END_OF_SUPPORT
SUPPORTED_FAMILIES = ("AL2023_", "BOTTLEROCKET_", "WINDOWS_")

_DATED_RELEASE = re.compile(r"^\d+\.\d+(?:\.\d+)?-(\d{4})\.?(\d{2})\.?(\d{2})$")


# --- AMI family ---------------------------------------------------------------------------------------
@resource_rule("nodegroup-ami-family", types=(NODE_GROUP,))
def ami_family(ctx: RuleContext) -> list[str]:
    ami_type = get(ctx.props, "amiType")
    if ami_type is None:
        return _default_family(ctx.props)
    if not isinstance(ami_type, str):
        return [f"amiType is {show(ami_type)}, not an EKS AMI type"]
    name = ami_type.strip()
    if name.startswith("AL2_"):
        return [
            f"amiType {name!r} is Amazon Linux 2, whose EKS AMIs reached end of support on {AL2_EOL}: "
            "use an AL2023_* or BOTTLEROCKET_* type"
        ]
    if name == "CUSTOM":
        if as_map(get(ctx.props, "launchTemplate")) is None:
            return ["amiType is 'CUSTOM' without a launchTemplate to supply the image"]
        raise not_checkable_offline(
            "amiType CUSTOM runs the launch template's imageId, whose OS family the node group does not show"
        )
    if name.startswith(SUPPORTED_FAMILIES):
        return []
    return [f"amiType {name!r} is not a supported AMI family ({', '.join(p + '*' for p in SUPPORTED_FAMILIES)})"]


def _default_family(props: Any) -> list[str]:
    if has(props, "launchTemplate"):
        raise not_checkable_offline(
            "amiType is not set and a launchTemplate is given; the AMI is the "
            "template's imageId if it has one, else the EKS default for the cluster version"
        )
    version = get(props, "version")
    minor = minor_version(version)
    if minor is not None and minor < AL2023_DEFAULT_SINCE:
        return [
            f"amiType is not set and version is {show(version)}: EKS defaults to AL2_x86_64 before "
            f"Kubernetes 1.30 (Amazon Linux 2 reached end of support on {AL2_EOL})"
        ]
    return []  # AL2023 by default; an unset version follows the cluster (eks-version-standard-support)


# --- AMI age ------------------------------------------------------------------------------------------------
_AGE_CONFIG = {
    "maxAmiAgeDays": {
        "type": "integer",
        "minimum": 1,
        "default": 30,
        "description": "Largest accepted age in days of a node image (its build date), as of asOf.",
    },
    "asOf": {
        "type": "string",
        "default": "",
        "description": "Judge ages on this date (YYYY-MM-DD) instead of today (UTC); for tests and planning.",
    },
    "releaseDates": {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "default": {},
        "description": "Publication date (YYYY-MM-DD) of releases whose version carries no build date (Bottlerocket "
        "releases such as 1.50.0-5f7c6ac5), by release; their age is counted from it. `eksguard audit` fills it "
        "from the public SSM parameter's history.",
    },
    "liveAmiAgeCheck": {
        "type": "boolean",
        "default": False,
        "description": "Look up the creation date of an explicit imageId/ami with EC2 DescribeImages, using the "
        "AWS credentials of the environment. Off: such images are reported as not checkable offline.",
    },
    "awsRegion": {
        "type": "string",
        "default": "",
        "description": "Region for the live lookup when the resource has no region property (default: the "
        "environment's AWS region).",
    },
}


def release_build_date(release: str) -> dt.date | None:
    match = _DATED_RELEASE.match(release.strip())
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _too_old(what: str, built: dt.date, ctx: RuleContext, event: str = "built") -> list[str]:
    as_of = as_of_date(ctx.config)
    limit = ctx.config.get("maxAmiAgeDays")
    limit = limit if isinstance(limit, int | float) and not isinstance(limit, bool) else 30
    age = (as_of - built).days
    if age > limit:
        return [f"{what} was {event} on {built}, {age} days before {as_of} (maxAmiAgeDays {int(limit)})"]
    return []


@resource_rule("nodegroup-ami-age", types=(NODE_GROUP, LAUNCH_TEMPLATE, INSTANCE), config=_AGE_CONFIG)
def ami_age(ctx: RuleContext) -> list[str]:
    if ctx.resource_type == NODE_GROUP:
        return release_age(ctx)
    field = "imageId" if ctx.resource_type == LAUNCH_TEMPLATE else "ami"
    image = get(ctx.props, field)
    if image is None:
        raise NotApplicable(
            f"no {field}: the image is chosen elsewhere (node group amiType/releaseVersion or "
            "the instance's launch template)"
        )
    if not isinstance(image, str) or not image.strip():
        return [f"{field} is {show(image)}, not an AMI id"]
    return image_age(ctx, field, image.strip())


def release_age(ctx: RuleContext) -> list[str]:
    release = get(ctx.props, "releaseVersion")
    if release is None:
        return []  # EKS starts the node group on the newest release for its Kubernetes version
    if not isinstance(release, str):
        return [f"releaseVersion is {show(release)}, not an EKS AMI release such as '1.35.2-20261120'"]
    built = release_build_date(release)
    if built is not None:
        return _too_old(f"releaseVersion {release!r}", built, ctx)
    dates = ctx.config.get("releaseDates")
    published = dates.get(release.strip()) if isinstance(dates, dict) else None
    try:
        day = dt.date.fromisoformat(published) if isinstance(published, str) else None
    except ValueError:
        day = None
    if day is None:
        raise not_checkable_offline(
            f"releaseVersion {release!r} carries no build date (Bottlerocket releases do not); its age needs the "
            "date it was published (releaseDates)"
        )
    return _too_old(f"releaseVersion {release!r}", day, ctx, "published")


def image_age(ctx: RuleContext, field: str, image: str) -> list[str]:
    if ctx.config.get("liveAmiAgeCheck") is not True:
        raise not_checkable_offline(
            f"the age of {field} {image!r} needs EC2 DescribeImages (set "
            "liveAmiAgeCheck to look it up with the environment's AWS credentials)"
        )
    region = get(ctx.props, "region")
    if not isinstance(region, str) or not region.strip():
        configured = ctx.config.get("awsRegion")
        region = configured if isinstance(configured, str) else ""
    created, problem = image_creation_date(image, region.strip())
    if created is None:
        raise not_checkable_offline(problem)
    return _too_old(f"{field} {image!r}", created, ctx)


@functools.lru_cache(maxsize=256)
def image_creation_date(image_id: str, region: str) -> tuple[dt.date | None, str]:
    """(creation date, "") of an AMI via EC2 DescribeImages, or (None, why not)."""
    client, problem = aws_client("ec2", region, f"to look up image {image_id!r}")
    if client is None:
        return None, problem
    where = client.meta.region_name
    missing = f"image {image_id!r} was not found in {where} (deregistered, or not shared with you)"
    try:
        images = client.describe_images(ImageIds=[image_id]).get("Images", [])
    except aws_errors() as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code.startswith("InvalidAMIID."):
            return None, missing
        return None, f"looking up image {image_id!r} in {where} failed: {exc}"
    created = images[0].get("CreationDate") if images else None
    if not isinstance(created, str):
        return None, missing
    try:
        return dt.date.fromisoformat(created[:10]), ""
    except ValueError:
        return None, f"image {image_id!r} has an unreadable CreationDate {created!r}"
