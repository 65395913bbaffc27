"""CloudTrail trails, the S3 buckets they write to and those buckets' public access blocks, as
aws:cloudtrail/trail:Trail, aws:s3/bucket:Bucket and aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock.

Every trail that records a scanned region counts, including a multi-region trail homed elsewhere (a shadow
trail); each is read once, in its home region when that is scanned, else in the first scanned region.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from eksguard.audit.aws.context import RegionRead
from eksguard.audit.aws.eks import arn_name
from eksguard.audit.aws.reads import error_code, guarded
from eksguard.audit.aws.types import BUCKET, KMS_KEY, PUBLIC_ACCESS_BLOCK, TRAIL, TRAIL_TYPES
from eksguard.audit.live import GLOBAL, LiveResource, pruned

NO_BLOCK = "NoSuchPublicAccessBlockConfiguration"


def public_access_block(read: Any, **params: Any) -> dict[str, Any] | None:
    """An S3 or S3 Control GetPublicAccessBlock answer as declaration inputs; None when no block is configured."""
    try:
        config = read(**params)["PublicAccessBlockConfiguration"]
    except ClientError as exc:
        if error_code(exc) == NO_BLOCK:
            return None
        raise
    return {
        "blockPublicAcls": bool(config.get("BlockPublicAcls")),
        "blockPublicPolicy": bool(config.get("BlockPublicPolicy")),
        "ignorePublicAcls": bool(config.get("IgnorePublicAcls")),
        "restrictPublicBuckets": bool(config.get("RestrictPublicBuckets")),
    }


def trail_props(trail: dict[str, Any]) -> dict[str, Any]:
    return pruned(
        {
            "name": trail["Name"],
            "s3BucketName": trail.get("S3BucketName"),
            "s3KeyPrefix": trail.get("S3KeyPrefix"),
            "snsTopicName": trail.get("SnsTopicName"),
            "includeGlobalServiceEvents": trail.get("IncludeGlobalServiceEvents"),
            "isMultiRegionTrail": trail.get("IsMultiRegionTrail"),
            "isOrganizationTrail": trail.get("IsOrganizationTrail"),
            "enableLogFileValidation": trail.get("LogFileValidationEnabled"),
            "kmsKeyId": trail.get("KmsKeyId"),
            "cloudWatchLogsGroupArn": trail.get("CloudWatchLogsLogGroupArn"),
            "cloudWatchLogsRoleArn": trail.get("CloudWatchLogsRoleArn"),
            "region": trail.get("HomeRegion"),
        }
    )


def read_trails(ctx: RegionRead, regions: list[str]) -> list[LiveResource]:
    """The trails this region reads (see the module docstring), with their buckets' access blocks."""
    client = ctx.client("cloudtrail")
    listed = guarded(
        ctx.inventory, ctx.region, TRAIL_TYPES, lambda: client.describe_trails(includeShadowTrails=True)["trailList"]
    )
    trails = []
    for trail in listed or []:
        home = trail.get("HomeRegion", ctx.region)
        if home != ctx.region and (home in regions or ctx.region != regions[0]):
            continue
        live = LiveResource(TRAIL, trail["TrailARN"], home, trail_props(trail), arn=trail["TrailARN"])
        live.observed = {"trail_name": trail["Name"]}
        key = trail.get("KmsKeyId")
        if key and ":key/" in key:
            live.refer("kmsKeyId", KMS_KEY, key.split(":")[3], arn_name(key))
        bucket = trail.get("S3BucketName")
        if bucket:
            live.refer("s3BucketName", BUCKET, GLOBAL, bucket)
            guarded(
                ctx.inventory,
                home,
                {PUBLIC_ACCESS_BLOCK},
                lambda b=bucket, h=home, o=live.observed: _read_bucket(ctx, b, h, o),
            )
        ctx.inventory.add(live)
        trails.append(live)
    return trails


def _read_bucket(ctx: RegionRead, bucket: str, region: str, observed: dict[str, Any]) -> None:
    arn = f"arn:aws:s3:::{bucket}"
    ctx.inventory.add(LiveResource(BUCKET, bucket, GLOBAL, {"bucket": bucket}, arn=arn, observed=observed))
    block = public_access_block(ctx.client("s3", region).get_public_access_block, Bucket=bucket)
    if block is not None:
        live = LiveResource(
            PUBLIC_ACCESS_BLOCK, bucket, GLOBAL, {"bucket": bucket, **block}, arn=arn, observed=observed
        )
        live.refer("bucket", BUCKET, GLOBAL, bucket)
        ctx.inventory.add(live)
