"""Rules for controls/cloudtrail.toml: CloudTrail trails, S3 public access blocks and two stack rules.

Trail defaults: https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html
(IsMultiRegionTrail and EnableLogFileValidation default false; a new trail logs unless stopped).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from ..components import UnknownMajorVersion, defaults_for
from ..facts import AWSX_TRAIL
from ..framework import RuleContext, StackContext, remediation, resource_rule, stack_rule
from ..graph import ResourceGraph
from ..values import UNKNOWN_VALUE, as_bool, as_list, editable_props, get, known, peek, show, split_known, strings
from ._account import ACCOUNT_CONFIG, account_findings
from .eks_cluster import CLUSTERS

TRAIL = "aws:cloudtrail/trail:Trail"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
# awsx's Trail passes these controls' inputs through to its trail (data/components/pulumi-awsx.json).
TRAILS = (TRAIL, AWSX_TRAIL)
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _flag_findings(props: Any, field: str, default: bool, wanted: bool, consequence: str) -> Iterator[str]:
    value = get(props, field)
    flag = as_bool(value, default)
    if flag is None:
        yield f"{field} is {show(value)}, not a boolean"
    elif flag != wanted:
        shown = str(flag).lower() if value is not None else f"not set (AWS default {str(default).lower()})"
        yield f"{field} is {shown}: {consequence}"


def _set_flag(ctx: RuleContext, field: str, default: bool) -> dict[str, Any] | None:
    props = editable_props(ctx.props)
    if as_bool(known(props, field), default) is True:
        return None
    props[field] = True
    return props


@resource_rule("cloudtrail-multi-region", types=TRAILS)
def multi_region(ctx: RuleContext) -> Iterator[str]:
    consequence = "API calls in other regions are not recorded"
    yield from _flag_findings(ctx.props, "isMultiRegionTrail", False, True, consequence)


@remediation("cloudtrail-multi-region")
def make_multi_region(ctx: RuleContext) -> dict[str, Any] | None:
    return _set_flag(ctx, "isMultiRegionTrail", False)


# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html
@resource_rule("cloudtrail-log-validation", types=TRAILS)
def log_validation(ctx: RuleContext) -> Iterator[str]:
    yield from _flag_findings(
        ctx.props, "enableLogFileValidation", False, True, "tampering with log files cannot be detected"
    )


@remediation("cloudtrail-log-validation")
def enable_log_validation(ctx: RuleContext) -> dict[str, Any] | None:
    return _set_flag(ctx, "enableLogFileValidation", False)


# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html
@resource_rule("cloudtrail-kms", types=TRAILS)
def kms(ctx: RuleContext) -> Iterator[str]:
    key = peek(ctx.props, "kmsKeyId")  # unknown: a key created in this stack
    if key is None:
        yield "kmsKeyId is not set: log files are encrypted with S3-managed keys only"
    elif key is not UNKNOWN_VALUE and (not isinstance(key, str) or not key.strip()):
        yield f"kmsKeyId is {show(key)}, not a KMS key ARN or alias"


# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html
@resource_rule("cloudtrail-cloudwatch-logs", types=(TRAIL,))
def cloudwatch_logs(ctx: RuleContext) -> Iterator[str]:
    for field in ("cloudWatchLogsGroupArn", "cloudWatchLogsRoleArn"):
        value = peek(ctx.props, field)  # unknown: a log group or role created in this stack
        if value is None:
            yield f"{field} is not set: events are not delivered to CloudWatch Logs"
        elif value is not UNKNOWN_VALUE and (not isinstance(value, str) or not value.strip()):
            yield f"{field} is {show(value)}, not an ARN"


@resource_rule("cloudtrail-logging-enabled", types=TRAILS)
def logging_enabled(ctx: RuleContext) -> Iterator[str]:
    yield from _flag_findings(ctx.props, "enableLogging", True, True, "the trail records nothing")


@remediation("cloudtrail-logging-enabled")
def start_logging(ctx: RuleContext) -> dict[str, Any] | None:
    return _set_flag(ctx, "enableLogging", True)


# Management events: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html
# A trail without selectors records every read and write management event; basic selectors record them when
# includeManagementEvents (default true) with readWriteType (default All); advanced selectors when one selects
# eventCategory Management, for the readOnly values it does not filter out. Selectors add up.
READ_WRITE = {"All": {"read", "write"}, "ReadOnly": {"read"}, "WriteOnly": {"write"}}
BOTH = frozenset({"read", "write"})


@resource_rule("cloudtrail-management-events", types=(TRAIL,))
def management_events(ctx: RuleContext) -> list[str]:
    advanced = get(ctx.props, "advancedEventSelectors")
    if as_list(advanced):
        field, covered, pending = "advancedEventSelectors", *_advanced_coverage(advanced)
    else:
        selectors = get(ctx.props, "eventSelectors")
        if not as_list(selectors):
            return []  # no selectors: every management event is recorded
        field, covered, pending = "eventSelectors", *_basic_coverage(selectors)
    missing = sorted(BOTH - covered)
    if not missing:
        return []
    if pending is not None:
        raise pending
    what = "no" if covered == set() else f"no {' or '.join(missing)}"
    return [f"{field} record {what} management events: those API calls (such as changes to the cluster) go unrecorded"]


def _basic_coverage(selectors: Any) -> tuple[set[str], UnknownValueError | None]:
    covered: set[str] = set()
    known_items, pending = split_known(selectors)
    for selector in known_items:
        try:
            if as_bool(get(selector, "includeManagementEvents"), True) is True:
                covered |= READ_WRITE.get(get(selector, "readWriteType") or "All", set())
        except UnknownValueError as exc:
            pending = pending or exc
    return covered, pending


def _advanced_coverage(selectors: Any) -> tuple[set[str], UnknownValueError | None]:
    covered: set[str] = set()
    known_items, pending = split_known(selectors)
    for selector in known_items:
        try:
            fields = {get(f, "field"): f for f in as_list(get(selector, "fieldSelectors")) or [] if get(f, "field")}
            if "Management" not in strings(get(fields.get("eventCategory"), "equals")):
                continue
            read_only = strings(get(fields.get("readOnly"), "equals"))
            covered |= {"read" if v == "true" else "write" for v in read_only} if read_only else set(BOTH)
        except UnknownValueError as exc:
            pending = pending or exc
    return covered, pending


# https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
@resource_rule("cloudtrail-bucket-public-access-block", types=(PUBLIC_ACCESS_BLOCK,))
def bucket_public_access_block(ctx: RuleContext) -> Iterator[str]:
    for flag in PAB_FLAGS:
        yield from _flag_findings(ctx.props, flag, False, True, "the bucket can be made public")


# --- stack rules --------------------------------------------------------------------------------------------


def _awsx_bucket_findings(graph: ResourceGraph, blocked: set[str]) -> list[tuple[str, str]]:
    """awsx trails whose own bucket (created unless s3Bucket.existing names one) has no public access block; a
    block on ``trail.bucket`` depends on the trail component itself (or, in a real preview, on its bucket)."""
    findings = []
    for trail in graph.of_type(AWSX_TRAIL):
        if get(get(trail.props, "s3Bucket"), "existing") is not None:
            continue  # a bucket of another stack: not this control's
        own = {trail.urn} | {c.urn for c in graph.children_of(trail) if c.resource_type in BUCKETS}
        if own & blocked:
            continue
        try:
            cite = defaults_for(AWSX_TRAIL, getattr(trail, "provider", None)).cite("s3Bucket")
        except UnknownMajorVersion:
            cite = "its source"
        message = f"awsx trail {trail.name} creates its bucket without a public access block ({cite})"
        findings.append((message, trail.urn))
    return findings


# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
@stack_rule(
    "stack-trail-bucket-public-access-block",
    types=(*BUCKETS, AWSX_TRAIL, TRAIL, PUBLIC_ACCESS_BLOCK, ACCOUNT_PUBLIC_ACCESS_BLOCK),
)
def trail_bucket_public_access_block(ctx: StackContext) -> Iterator[tuple[str, str | None]]:
    graph = ctx.graph
    pending: UnknownValueError | None = None  # an unknown the verdict may depend on
    blocked: set[str] = set()
    for pab in graph.of_type(PUBLIC_ACCESS_BLOCK):
        bucket = graph.sources_of(pab, "bucket", BUCKETS)
        blocked |= {r.urn for r in bucket.resources}
        pending = pending or bucket.unknown  # a block whose bucket cannot be told may protect any bucket
    unblocked = [b for b in graph.of_type(*BUCKETS) if b.urn not in blocked]
    findings: list[tuple[str, str]] = _awsx_bucket_findings(graph, blocked)
    for trail in graph.of_type(TRAIL):
        target = graph.sources_of(trail, "s3BucketName", BUCKETS)
        if target.unknown is not None and unblocked:
            pending = pending or target.unknown  # the trail may write to one of the unprotected buckets
        targets = {r.urn for r in target.resources}
        for bucket in unblocked:
            if bucket.urn in targets:
                message = f"trail {trail.name} writes to bucket {bucket.name}, which has no public access block"
                findings.append((message, bucket.urn))
    if not findings and not (pending and unblocked):
        return
    for account in graph.of_type(ACCOUNT_PUBLIC_ACCESS_BLOCK):
        try:
            if all(as_bool(get(account.props, flag), False) is True for flag in PAB_FLAGS):
                return
        except UnknownValueError as exc:
            pending = pending or exc
    if pending is not None:
        raise pending
    yield from findings


@stack_rule(
    "stack-multi-region-trail",
    types=(*CLUSTERS, *TRAILS),
    config={
        "externalTrailArn": {
            "type": "string",
            "default": "",
            "description": "ARN of a multi-region trail managed outside this stack (e.g. an organization trail) "
            "that records this account.",
        },
        **ACCOUNT_CONFIG,
    },
)
def multi_region_trail(ctx: StackContext) -> list[tuple[str, str | None]]:
    clusters = ctx.subjects(*CLUSTERS)
    external = ctx.config.get("externalTrailArn")
    if not clusters or (isinstance(external, str) and external.strip()):
        return []
    pending: UnknownValueError | None = None
    for trail in ctx.graph.of_type(*TRAILS):
        try:
            if _is_logging_multi_region(trail.props):
                return []
        except UnknownValueError as exc:
            pending = pending or exc
    if pending is not None:  # no trail qualifies for sure, one may once its values are known
        raise pending
    return account_findings(
        ctx,
        clusters,
        declared="no logging multi-region CloudTrail trail",
        topic="CloudTrail",
        service="cloudtrail",
        lacking=_account_trail_lacking,
    )


def _is_logging_multi_region(props: Any) -> bool:
    """Raises UnknownValueError only when the answer depends on an unknown flag."""
    multi, logging = peek(props, "isMultiRegionTrail"), peek(props, "enableLogging")
    if multi is not UNKNOWN_VALUE and as_bool(multi, False) is not True:
        return False
    if logging is not UNKNOWN_VALUE and as_bool(logging, True) is not True:
        return False
    for field in ("isMultiRegionTrail", "enableLogging"):
        get(props, field)  # raises for the unknown one
    return True


def _account_trail_lacking(client: Any) -> list[str]:
    """DescribeTrails (with the organization's and other regions' trails) and GetTrailStatus."""
    for trail in client.describe_trails(includeShadowTrails=True).get("trailList", []):
        if trail.get("IsMultiRegionTrail") and client.get_trail_status(Name=trail["TrailARN"]).get("IsLogging"):
            return []
    return ["logging multi-region CloudTrail trail"]
