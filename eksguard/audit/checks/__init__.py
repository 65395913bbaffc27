"""One check per control over the collected inventory. Each records what it evaluated and what it found.

Semantics follow the catalogue descriptions and the policy pack's rules: constants come from rules/*.py and
thresholds from the pack's config (:class:`Thresholds`), so ``check`` and ``audit`` agree. Missing fields
mean the AWS default (a missing ``publicAccessCidrs`` is ``0.0.0.0/0``).
"""

from __future__ import annotations

import datetime as dt

from eksguard.audit import controls as c
from eksguard.audit.checks.access import check_access_entries
from eksguard.audit.checks.cluster import check_cluster
from eksguard.audit.checks.iam import check_node_role
from eksguard.audit.checks.kms import check_kms
from eksguard.audit.checks.model import Evaluation, RawFinding
from eksguard.audit.checks.network import INTERNET_CIDRS, check_network_acl, check_security_group
from eksguard.audit.checks.nodes import check_nodegroup
from eksguard.audit.checks.trail import PAB_FLAGS, check_account_trail, check_trail
from eksguard.audit.collect import AccountInventory, RegionInventory
from eksguard.audit.config import Thresholds

__all__ = ["INTERNET_CIDRS", "PAB_FLAGS", "Evaluation", "RawFinding", "evaluate"]


def evaluate(
    regions: list[RegionInventory],
    account: AccountInventory,
    today: dt.date,
    thresholds: Thresholds | None = None,
) -> Evaluation:
    """Run every check over the regional and account inventories (default thresholds unless given)."""
    limits = thresholds or Thresholds.defaults()
    ev = Evaluation()
    for inv in regions:
        _mark_failures(ev, inv.region, inv.failures)
        for cluster in inv.clusters:
            check_cluster(ev, inv, cluster, today, limits)
            for ng in cluster["nodegroups"]:
                check_nodegroup(ev, inv, cluster, ng, today, limits.max_ami_age_days)
            check_access_entries(ev, inv, cluster, limits.broad_principals)
        for group in inv.security_groups.values():
            check_security_group(ev, inv, group, limits)
        for acl in inv.network_acls:
            check_network_acl(ev, inv, acl, limits.admin_ports)
        check_kms(ev, inv)
        for trail in inv.trails:
            if trail.get("HomeRegion", inv.region) == inv.region:
                check_trail(ev, inv, trail, account.public_access_block)
    _mark_failures(ev, "account", account.failures)
    for role_arn, role in account.node_roles.items():
        check_node_role(ev, role_arn, role)
    check_account_trail(ev, regions, account)
    return ev


def _mark_failures(ev: Evaluation, where: str, failures: dict[str, str]) -> None:
    """Every control fed by a failed inventory source is not assessed there."""
    for source, reason in failures.items():
        for control_id, sources in c.SOURCES.items():
            if source in sources:
                ev.unassessed(control_id, f"{where}: {reason}")
