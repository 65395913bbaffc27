"""How far a node group's AMI release is behind the newest one AWS recommends (the public SSM parameters of
``facts.PATCHED_AMI_PARAMETERS``), and when each release was published. The lag is a remediation fact (the plan
names the release to move to); the publication date of a release that carries no build date (Bottlerocket's
``1.50.0-5f7c6ac5``) is what the pack's ``nodegroup-ami-age`` judges such a release's age by.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from eksguard_policies import facts
from eksguard_policies.rules._amis import family_of
from eksguard_policies.rules.patching import release_build_date


def ami_parameter(ami_type: str, cluster_version: str) -> str | None:
    """The public parameter holding the newest release for this AMI type and Kubernetes version, or None (an AMI
    family AWS publishes no such parameter for, or no version)."""
    family = family_of(ami_type)
    if family not in facts.PATCHED_AMI_PARAMETERS or not cluster_version:
        return None
    architecture = "arm64" if "ARM_64" in ami_type.upper() else "x86_64"
    return facts.PATCHED_AMI_PARAMETERS[family].release(cluster_version, architecture)


def _release_key(release: str) -> tuple[Any, ...]:
    built = release_build_date(release)
    semver = release.split("-", 1)[0]
    try:
        numbers = tuple(int(p) for p in semver.split("."))
    except ValueError:
        numbers = ()
    return (built.isoformat() if built else "", numbers)


def published(release: str, history: list[dict[str, Any]]) -> dt.date | None:
    """When ``release`` first became the parameter's value (None when the history does not hold it)."""
    dates = [
        e["LastModifiedDate"]
        for e in history
        if e.get("Value") == release and isinstance(e.get("LastModifiedDate"), dt.datetime)
    ]
    return min(dates).date() if dates else None


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
    current_date, latest_date = release_build_date(current), release_build_date(latest)
    if current_date and latest_date:
        days = (latest_date - current_date).days
    else:
        dates = [d for d in newer.values() if isinstance(d, dt.datetime)]
        if dates:
            days = max(0, (today - min(dates).date()).days)
    return Lag(latest=latest, releases_behind=len(newer), days_behind=days)
