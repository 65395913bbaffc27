"""EKS cluster settings: endpoint exposure, control plane logs, Secrets encryption, version, access mode."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from eksguard_policies.rules.eks_cluster import LOG_TYPES
from eksguard_policies.versions import load_versions

from eksguard.audit import controls as c
from eksguard.audit.checks.model import Evaluation, RawFinding
from eksguard.audit.checks.network import INTERNET_CIDRS
from eksguard.audit.collect import RegionInventory
from eksguard.audit.config import Thresholds


def check_cluster(ev: Evaluation, inv: RegionInventory, cluster: dict, today: dt.date, limits: Thresholds) -> None:
    """Endpoint exposure, control plane logs, Secrets encryption, version support and access mode of a cluster."""
    ev.count(c.EKS_ENDPOINT_PUBLIC, c.EKS_PUBLIC_CIDRS_OPEN, c.EKS_LOGGING, c.EKS_SECRETS_ENCRYPTION)
    ev.count(c.EKS_VERSION_SUPPORT, c.EKS_AUTH_MODE, c.EKS_BOOTSTRAP_ADMIN)
    for control_id, message, observed in _cluster_problems(cluster, today, limits.allow_api_and_config_map):
        ev.add(_cluster_finding(control_id, inv, cluster, message, **observed))


def _cluster_finding(control_id: str, inv: RegionInventory, cluster: dict, message: str, **observed: Any) -> RawFinding:
    vpc = cluster.get("resourcesVpcConfig") or {}
    args = {"cluster_name": cluster["name"], "subnet_ids": vpc.get("subnetIds", []), **observed}
    name = cluster["name"]
    return RawFinding(control_id, cluster.get("arn", name), message, inv.region, "cluster", name, name, args)


def _cluster_problems(
    cluster: dict, today: dt.date, allow_api_and_config_map: bool
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(control id, message, observed component arguments) for each control the cluster fails."""
    vpc = cluster.get("resourcesVpcConfig") or {}
    if vpc.get("endpointPublicAccess", True):
        cidrs = vpc.get("publicAccessCidrs") or ["0.0.0.0/0"]
        yield c.EKS_ENDPOINT_PUBLIC, f"API server endpoint is public (publicAccessCidrs {', '.join(cidrs)})", {}
        open_cidrs = sorted(INTERNET_CIDRS.intersection(cidrs))
        if open_cidrs:
            yield c.EKS_PUBLIC_CIDRS_OPEN, f"public endpoint accepts {', '.join(open_cidrs)}", {}
    enabled: set[str] = set()
    for entry in (cluster.get("logging") or {}).get("clusterLogging", []):
        if entry.get("enabled"):
            enabled.update(entry.get("types", []))
    missing = [t for t in LOG_TYPES if t not in enabled]
    if missing:
        yield c.EKS_LOGGING, f"control plane log types not enabled: {', '.join(missing)}", {}
    if not any("secrets" in (e.get("resources") or []) for e in cluster.get("encryptionConfig") or []):
        yield c.EKS_SECRETS_ENCRYPTION, "Kubernetes Secrets are not envelope-encrypted with a KMS key", {}
    version = str(cluster.get("version", ""))
    known = load_versions().get(version)
    if known is None or not known.in_standard_support(today):
        why = f"standard support ended {known.standard_support_end}" if known else "not in eksguard's version data"
        yield c.EKS_VERSION_SUPPORT, f"Kubernetes {version}: {why}", {"version": version}
    access = cluster.get("accessConfig") or {}
    mode = access.get("authenticationMode", "CONFIG_MAP")
    if mode != "API" and not (mode == "API_AND_CONFIG_MAP" and allow_api_and_config_map):
        yield c.EKS_AUTH_MODE, f"authentication mode is {mode}: the aws-auth ConfigMap still grants access", {}
    if access.get("bootstrapClusterCreatorAdminPermissions", True):
        yield c.EKS_BOOTSTRAP_ADMIN, "bootstrapClusterCreatorAdminPermissions is true", {}
