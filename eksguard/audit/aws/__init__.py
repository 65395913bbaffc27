"""Read an AWS account's EKS estate with the read-only session and turn it into declarations.

``collect_region`` reads one region (clusters first: their node groups, networks and keys are found from them;
then the region's trails, image repositories, GuardDuty, Inspector and EFS file systems, which the clusters use
without naming them); ``collect_account`` reads what is global (IAM, the account's S3 public access block).
Each read is guarded: an error becomes a gap and the other reads go on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from eksguard.audit.aws import enrichers
from eksguard.audit.aws.cloudtrail import read_trails
from eksguard.audit.aws.context import RegionRead
from eksguard.audit.aws.detection import read_detectors, read_inspector
from eksguard.audit.aws.ec2 import (
    read_instance_metadata_defaults,
    read_launch_templates,
    read_network_acls,
    read_security_groups,
    read_subnets,
)
from eksguard.audit.aws.ecr import read_registry, read_repositories
from eksguard.audit.aws.efs import read_file_systems
from eksguard.audit.aws.eks import read_clusters
from eksguard.audit.aws.iam import read_roles
from eksguard.audit.aws.kms import read_keys
from eksguard.audit.aws.logs import read_log_groups
from eksguard.audit.aws.reads import describe_error, guarded
from eksguard.audit.aws.types import (
    DETECTOR_TYPES,
    EFS_FILE_SYSTEM,
    INSTANCE_METADATA_DEFAULTS,
    LAUNCH_TEMPLATE,
    LOG_GROUP,
    NETWORK_ACL,
    REPOSITORY_TYPES,
    SECURITY_GROUP,
    SUBNET,
)
from eksguard.audit.live import Inventory
from eksguard.audit.session import ReadOnlySession

__all__ = ["RegionRead", "caller_account", "collect_account", "collect_region", "describe_error"]


def caller_account(session: ReadOnlySession, region: str) -> str:
    """The account the credentials belong to; unguarded, so missing or invalid credentials stop the run."""
    return session.client("sts", region).get_caller_identity()["Account"]


def collect_region(
    session: ReadOnlySession, region: str, account: str, regions: list[str], today: dt.date
) -> RegionRead:
    ctx = RegionRead(session, region, Inventory(account))
    read_clusters(ctx)
    ctx.inventory.clusters = len(ctx.clusters)
    guarded(ctx.inventory, ctx.region, {LAUNCH_TEMPLATE}, lambda: read_launch_templates(ctx))
    enrichers.generated_launch_templates(ctx)
    guarded(ctx.inventory, ctx.region, {SECURITY_GROUP}, lambda: read_security_groups(ctx))
    guarded(ctx.inventory, ctx.region, {SUBNET}, lambda: read_subnets(ctx))
    guarded(ctx.inventory, ctx.region, {NETWORK_ACL}, lambda: read_network_acls(ctx))
    guarded(ctx.inventory, ctx.region, {INSTANCE_METADATA_DEFAULTS}, lambda: read_instance_metadata_defaults(ctx))
    guarded(ctx.inventory, ctx.region, {LOG_GROUP}, lambda: read_log_groups(ctx))
    trails = read_trails(ctx, regions)
    enrichers.trail_logging(ctx, trails)
    guarded(ctx.inventory, ctx.region, REPOSITORY_TYPES, lambda: read_repositories(ctx))
    read_registry(ctx)
    guarded(ctx.inventory, ctx.region, DETECTOR_TYPES, lambda: read_detectors(ctx))
    read_inspector(ctx)
    guarded(ctx.inventory, ctx.region, {EFS_FILE_SYSTEM}, lambda: read_file_systems(ctx))
    read_keys(session, region, ctx.inventory, _keys(ctx))
    enrichers.ebs_encryption_by_default(ctx)
    enrichers.ami_releases(ctx, today)
    enrichers.addon_default_versions(ctx)
    return ctx


def _keys(ctx: RegionRead) -> dict[str, dict[str, Any]]:
    keys: dict[str, dict[str, Any]] = {}
    for cluster in ctx.clusters:
        for config in cluster.get("encryptionConfig") or []:
            key = (config.get("provider") or {}).get("keyArn")
            if key:
                keys.setdefault(key, {"cluster_name": cluster["name"]})
    for live in list(ctx.inventory.resources.values()):
        key = live.props.get("kmsKeyId") if live.type.startswith("aws:cloudtrail/") or live.type == LOG_GROUP else None
        if key:
            keys.setdefault(key, {})
    return keys


def roles_in_use(reads: list[RegionRead]) -> dict[str, dict[str, Any]]:
    """Role ARN -> observed component arguments, for the cluster, node and pod roles of every region."""
    roles: dict[str, dict[str, Any]] = {}
    for ctx in reads:
        for ng in ctx.nodegroups:
            if ng.nodegroup.get("nodeRole"):
                roles.setdefault(ng.nodegroup["nodeRole"], ng.live.observed)
        for cluster in ctx.clusters:
            auto_mode_nodes = (cluster.get("computeConfig") or {}).get("nodeRoleArn")
            for role in (cluster.get("roleArn"), auto_mode_nodes):
                if role:
                    roles.setdefault(role, {"cluster_name": cluster["name"]})
        for role, observed in ctx.pod_roles.items():
            roles.setdefault(role, observed)
    return roles


def collect_account(
    session: ReadOnlySession, region: str, inventory: Inventory, reads: list[RegionRead], endpoint_url: str | None
) -> None:
    read_roles(session, region, inventory, roles_in_use(reads))
    enrichers.account_public_access_block(session, region, inventory, endpoint_url)
    enrichers.default_addon_versions(inventory, reads)
