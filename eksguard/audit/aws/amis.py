"""How far a node group's AMI release is behind the newest one AWS recommends (the public SSM parameters the
NodeGroup component resolves, components.nodegroup.ami_release_parameter). A remediation fact: the rules judge
the release's age; the plan names the release to move to.

AL2023 release versions carry their build date (``1.35.2-20261120``); Bottlerocket's (``1.50.0-5f7c6ac5``) do
not, so their lag in days comes from the parameter history's dates.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

# Managed node group amiType -> (NodeGroup ami_family, architecture) for the types with a recommended release.
TRACKED_AMI_TYPES: dict[str, tuple[str, str]] = {
    "AL2023_x86_64_STANDARD": ("AL2023", "x86_64"),
    "AL2023_ARM_64_STANDARD": ("AL2023", "arm64"),
    "BOTTLEROCKET_x86_64": ("BOTTLEROCKET", "x86_64"),
    "BOTTLEROCKET_ARM_64": ("BOTTLEROCKET", "arm64"),
}

_DATED_RELEASE = re.compile(r"^(\d+(?:\.\d+)*)-(\d{8})$")


def ami_parameter(ami_type: str, cluster_version: str) -> str | None:
    """The public parameter holding the newest release for this AMI type and Kubernetes version, or None."""
    from components.nodegroup import ami_release_parameter

    tracked = TRACKED_AMI_TYPES.get(ami_type)
    if not tracked or not cluster_version:
        return None
    return ami_release_parameter(cluster_version, *tracked)


def _release_key(release: str) -> tuple[Any, ...]:
    match = _DATED_RELEASE.match(release)
    if match:
        return (match.group(2), tuple(int(p) for p in match.group(1).split(".")))
    semver = release.split("-", 1)[0]
    try:
        return ("", tuple(int(p) for p in semver.split(".")))
    except ValueError:
        return ("", ())


def build_date(release: str) -> dt.date | None:
    match = _DATED_RELEASE.match(release)
    return dt.datetime.strptime(match.group(2), "%Y%m%d").date() if match else None


@dataclass(frozen=True)
class Lag:
    latest: str
    releases_behind: int
    days_behind: int | None


def release_lag(current: str, history: list[dict[str, Any]], today: dt.date) -> Lag | None:
    """How far ``current`` is behind the newest value of a public parameter's history (oldest first).
    None when the history is empty or ``current`` is the newest."""
    if not history:
        return None
    latest = history[-1]["Value"]
    current_key = _release_key(current)
    newer: dict[str, Any] = {}
    for entry in history:
        if _release_key(entry["Value"]) > current_key:
            newer.setdefault(entry["Value"], entry.get("LastModifiedDate"))
    if not newer:
        return None
    days: int | None = None
    current_date, latest_date = build_date(current), build_date(latest)
    if current_date and latest_date:
        days = (latest_date - current_date).days
    else:
        published = [d for d in newer.values() if isinstance(d, dt.datetime)]
        if published:
            days = max(0, (today - min(published).date()).days)
    return Lag(latest=latest, releases_behind=len(newer), days_behind=days)
