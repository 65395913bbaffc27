"""The clusters' control-plane log groups (``/aws/eks/<cluster>/cluster``, where EKS writes their logs,
https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html) as aws:cloudwatch/logGroup:LogGroup
declarations: one paginated DescribeLogGroups per region, whatever the number of clusters."""

from __future__ import annotations

from eksguard_policies.facts import control_plane_log_group

from eksguard.audit.aws.context import RegionRead
from eksguard.audit.aws.eks import arn_name
from eksguard.audit.aws.reads import paginate
from eksguard.audit.aws.types import KMS_KEY, LOG_GROUP
from eksguard.audit.live import LiveResource, pruned

PREFIX = control_plane_log_group("\0").split("\0", 1)[0]
"""What every cluster's log group name starts with (``/aws/eks/``)."""


def read_log_groups(ctx: RegionRead) -> None:
    wanted = {control_plane_log_group(c["name"]): c["name"] for c in ctx.clusters}
    if not wanted:
        return
    logs = ctx.client("logs")
    for group in paginate(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=PREFIX):
        cluster = wanted.get(group.get("logGroupName", ""))
        if cluster is None:
            continue
        key = group.get("kmsKeyId")
        live = LiveResource(
            LOG_GROUP,
            group["logGroupName"],
            ctx.region,
            pruned(
                {
                    "name": group["logGroupName"],
                    "retentionInDays": group.get("retentionInDays"),
                    "kmsKeyId": key,
                    "logGroupClass": group.get("logGroupClass"),
                    "deletionProtectionEnabled": group.get("deletionProtectionEnabled"),
                    "region": ctx.region,
                }
            ),
            arn=group.get("logGroupArn") or str(group.get("arn", group["logGroupName"])).removesuffix(":*"),
            observed={"cluster_name": cluster},
        )
        if key and ":key/" in key:
            live.refer("kmsKeyId", KMS_KEY, key.split(":")[3], arn_name(key))
        ctx.inventory.add(live)
