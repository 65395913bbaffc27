"""The stack rule of ``eks-control-plane-log-group`` (controls/eks_cluster.toml): a cluster that sends control-plane
logs and the log group they land in.

EKS writes them to ``/aws/eks/<cluster name>/cluster``; when no such log group exists it creates one itself, with
no retention (never expire) and no KMS key of the customer's
(https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html). So the log group must be declared in the
stack, before the cluster, with a retention and a key. A log group is the cluster's when its name is that path, or
when its name is computed from the cluster (a property dependency on it, as ``f"/aws/eks/{cluster.name}/cluster"``
gives at preview).
"""

from __future__ import annotations

from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .. import facts
from ..facts import AWS_EKS_CLUSTER, EKS_CLUSTER
from ..framework import NotApplicable, StackContext, stack_rule
from ..values import UNKNOWN_VALUE, get, peek, split_known
from ._ec2 import Verdict, as_int, show

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
CLUSTERS = (AWS_EKS_CLUSTER, EKS_CLUSTER)


def _sends_logs(cluster: Any) -> bool:
    types, pending = split_known(get(cluster.props, "enabledClusterLogTypes"))
    if not types and pending is not None:
        raise pending
    return bool(types) or pending is not None


def _dependents(log_group: Any) -> set[str]:
    deps = (getattr(log_group, "property_dependencies", None) or {}).get("name") or []
    return {getattr(d, "urn", d) for d in deps}


class _LogGroups:
    def __init__(self, ctx: StackContext) -> None:
        self.groups = ctx.graph.of_type(LOG_GROUP)

    def of(self, cluster: Any) -> Any | None:
        """The cluster's log group; raises UnknownValueError when one whose name is unknown may be it."""
        name = peek(cluster.props, "name")
        urns = {cluster.urn, getattr(cluster, "parent", None) or ""}
        undecided: UnknownValueError | None = None
        for group in self.groups:
            group_name = peek(group.props, "name")
            if group_name is UNKNOWN_VALUE:
                if _dependents(group) & urns:
                    return group
                if not _dependents(group):
                    try:
                        get(group.props, "name")
                    except UnknownValueError as exc:
                        undecided = undecided or exc
            elif isinstance(name, str) and group_name == facts.control_plane_log_group(name):
                return group
        if undecided is not None or (name is UNKNOWN_VALUE and self.groups):
            raise undecided or UnknownValueError(UNKNOWN_VALUE, ["name"])
        return None


def _judge(group: Any, minimum: int) -> list[str]:
    findings = []
    retention = get(group.props, "retentionInDays")
    days = as_int(retention)
    if retention is None or days == 0:
        findings.append(f"log group {group.name} has no retention (never expires): set retentionInDays")
    elif days is None or days < 0:
        findings.append(f"log group {group.name}: retentionInDays is {show(retention)}, not a number of days")
    elif days < minimum:
        findings.append(f"log group {group.name} keeps events {days} days, less than minRetentionDays ({minimum})")
    key = peek(group.props, "kmsKeyId")
    if key is None or (isinstance(key, str) and not key.strip()):
        findings.append(
            f"log group {group.name} has no kmsKeyId: the audit log is encrypted only with CloudWatch's key"
        )
    return findings


# https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html
@stack_rule(
    "eks-control-plane-log-group",
    types=(*CLUSTERS, LOG_GROUP),
    config={
        "minRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "default": facts.LOG_RETENTION_DAYS,
            "description": "Fewest days the control-plane log group may keep its events (Security Hub CloudWatch.16 "
            "and Checkov CKV_AWS_338 ask for a year).",
        }
    },
)
def control_plane_log_group(ctx: StackContext) -> list[tuple[str, str | None]]:
    clusters = ctx.subjects(*CLUSTERS)
    if not clusters:
        raise NotApplicable("the stack declares no EKS cluster")
    minimum = ctx.config.get("minRetentionDays")
    minimum = as_int(minimum) if as_int(minimum) is not None else facts.LOG_RETENTION_DAYS  # JSON numbers: floats
    groups = _LogGroups(ctx)
    verdict = Verdict()
    sending = 0
    for cluster in clusters:
        with verdict.checking():
            if not _sends_logs(cluster):
                continue
            sending += 1
            group = groups.of(cluster)
            if group is None:
                name = peek(cluster.props, "name")
                path = facts.control_plane_log_group(name if isinstance(name, str) else "<cluster name>")
                verdict.add(
                    (
                        f"cluster {cluster.name} sends control-plane logs, but the stack declares no log group {path}: "
                        "EKS creates it itself, never expiring and without a KMS key of yours; declare it before the "
                        "cluster with retentionInDays and kmsKeyId",
                        cluster.urn,
                    )
                )
                continue
            verdict.messages.extend((message, group.urn) for message in _judge(group, minimum))
    if not sending and not verdict.messages:
        verdict.done()
        raise NotApplicable("the stack's clusters send no control-plane logs (eks-control-plane-logging)")
    return verdict.done()
