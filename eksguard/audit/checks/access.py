"""EKS access entries: cluster-admin access policies granted to broad principals."""

from __future__ import annotations

import fnmatch
import re

from eksguard.audit import controls as c
from eksguard.audit.checks.model import Evaluation, RawFinding
from eksguard.audit.collect import RegionInventory

_ROOT_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:root$")


def check_access_entries(
    ev: Evaluation, inv: RegionInventory, cluster: dict, broad_principals: tuple[str, ...]
) -> None:
    """Cluster-wide admin access policies must not be associated with broad principals."""
    for entry in cluster.get("accessEntries") or []:
        ev.count(c.ACCESS_POLICY_ADMIN)
        principal = entry["principalArn"]
        for assoc in entry.get("associatedAccessPolicies", []):
            policy = str(assoc.get("policyArn", "")).rsplit("/", 1)[-1]
            scope = (assoc.get("accessScope") or {}).get("type", "cluster")
            admin = policy == "AmazonEKSClusterAdminPolicy" or (policy == "AmazonEKSAdminPolicy" and scope == "cluster")
            if admin and _broad_principal(principal, broad_principals):
                message = f"cluster {cluster['name']}: {policy} at {scope} scope for the broad principal {principal}"
                ev.add(_access_entry_finding(inv, cluster, principal, message))


def _access_entry_finding(inv: RegionInventory, cluster: dict, principal: str, message: str) -> RawFinding:
    import_id = f"{cluster['name']}:{principal}"
    name = principal.rsplit(":", 1)[-1]
    args = {"cluster_name": cluster["name"]}
    return RawFinding(c.ACCESS_POLICY_ADMIN, principal, message, inv.region, "access_entry", import_id, name, args)


def _broad_principal(principal: str, broad_principals: tuple[str, ...]) -> bool:
    """As the pack's rule: wildcards and the account root always, and the configured ARN globs."""
    configured = any(fnmatch.fnmatch(principal.lower(), p.lower()) for p in broad_principals)
    return "*" in principal or bool(_ROOT_PRINCIPAL.match(principal)) or configured
