"""Component-level rules for the awsx components that carry controls.

``awsx:cloudtrail:Trail`` passes isMultiRegionTrail, enableLogFileValidation, kmsKeyId and enableLogging through
to its trail, so the resource rules of rules/cloudtrail.py judge those inputs themselves; its CloudWatch Logs
delivery and its bucket are its own (data/components/pulumi-awsx.json), judged here and in the stack rule
``stack-trail-bucket-public-access-block``. ``awsx:ec2:Vpc`` carries no control by itself: its public subnets
matter where nodes are placed in them (rules/placement.py, rules/_subnets.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..components import UnknownMajorVersion, defaults_for
from ..facts import AWSX_TRAIL
from ..framework import RuleContext, not_checkable_offline, resource_rule
from ..values import as_bool, get, show


@resource_rule("cloudtrail-cloudwatch-logs", types=(AWSX_TRAIL,))
def trail_cloudwatch_logs(ctx: RuleContext) -> Iterator[str]:
    group = get(ctx.props, "cloudWatchLogsGroup")
    enable = get(group, "enable")
    flag = as_bool(enable, default=False)
    if flag:
        return
    try:
        cite = defaults_for(AWSX_TRAIL, ctx.provider).cite("cloudWatchLogsGroup")
    except UnknownMajorVersion as exc:
        raise not_checkable_offline(str(exc)) from None
    shown = "not set" if enable is None else f"{show(enable)}"
    yield (
        f"cloudWatchLogsGroup.enable is {shown}: awsx creates no log group for the trail ({cite}), so events are "
        "not delivered to CloudWatch Logs"
    )
