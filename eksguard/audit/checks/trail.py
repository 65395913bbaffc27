"""CloudTrail: per-trail settings, the trail bucket's public access block, and one logging multi-region trail."""

from __future__ import annotations

from typing import Any

from eksguard.audit import controls as c
from eksguard.audit.checks.model import Evaluation, RawFinding
from eksguard.audit.collect import AccountInventory, RegionInventory

PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def check_trail(ev: Evaluation, inv: RegionInventory, trail: dict, account_pab: dict[str, Any] | None) -> None:
    """Multi-region, log validation, KMS, CloudWatch delivery and logging of a trail, and its bucket's access block."""
    arn, name = trail["TrailARN"], trail["Name"]
    args = {"trail_name": name}
    checks = [
        (c.TRAIL_MULTI_REGION, not trail.get("IsMultiRegionTrail"), "not a multi-region trail"),
        (c.TRAIL_VALIDATION, not trail.get("LogFileValidationEnabled"), "log file validation is disabled"),
        (c.TRAIL_KMS, not trail.get("KmsKeyId"), "logs are not encrypted with a KMS key"),
        (c.TRAIL_CLOUDWATCH, not trail.get("CloudWatchLogsLogGroupArn"), "not delivered to CloudWatch Logs"),
    ]
    if trail.get("status") is not None:
        checks.append((c.TRAIL_LOGGING, not trail["status"].get("IsLogging"), "logging is stopped"))
    for control_id, failed, message in checks:
        ev.count(control_id)
        if failed:
            ev.add(RawFinding(control_id, arn, f"trail {name}: {message}", inv.region, "trail", arn, name, args))
    _check_trail_bucket(ev, inv, trail, account_pab)


def _check_trail_bucket(ev: Evaluation, inv: RegionInventory, trail: dict, account_pab: dict[str, Any] | None) -> None:
    """Each public access block flag must be on for the trail's bucket or the whole account."""
    name, bucket = trail["Name"], trail.get("S3BucketName", "")
    args = {"trail_name": name}
    pab = trail.get("bucketPublicAccessBlock")
    if pab is not None and bucket:
        ev.count(c.TRAIL_BUCKET_PAB)
        off = [flag for flag in PAB_FLAGS if not (pab.get(flag) or (account_pab or {}).get(flag))]
        if off:
            scope = "bucket or account" if account_pab is not None else "bucket; the account-level block was not read"
            message = f"trail {name}: bucket {bucket} public access block ({scope}) off: {', '.join(off)}"
            kind = "bucket_public_access_block"
            ev.add(
                RawFinding(
                    c.TRAIL_BUCKET_PAB, f"arn:aws:s3:::{bucket}", message, inv.region, kind, bucket, bucket, args
                )
            )


def check_account_trail(ev: Evaluation, regions: list[RegionInventory], account: AccountInventory) -> None:
    """The account needs at least one logging multi-region trail (unless CloudTrail could not be read anywhere)."""
    if not regions or all("cloudtrail" in inv.failures for inv in regions):
        return
    ev.count(c.ACCOUNT_MULTI_REGION_TRAIL)
    trails = {t["TrailARN"]: t for inv in regions for t in inv.trails}
    logging_multi = [
        t for t in trails.values() if t.get("IsMultiRegionTrail") and (t.get("status") or {}).get("IsLogging", True)
    ]
    if not logging_multi:
        account_id = account.account_id or "unknown"
        message = "no logging multi-region CloudTrail trail in the account"
        resource = f"account {account_id}"
        ev.add(RawFinding(c.ACCOUNT_MULTI_REGION_TRAIL, resource, message, "global", "account", "", resource, {}))
