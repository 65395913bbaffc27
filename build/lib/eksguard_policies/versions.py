"""Amazon EKS Kubernetes versions and their support windows, read from ``data/eks_versions.json``.

The dates live in that one data file; components, policies and the audit all ask this module.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "eks_versions.json"


@dataclass(frozen=True)
class EksVersion:
    version: str
    released: dt.date
    standard_support_end: dt.date
    extended_support_end: dt.date

    def in_standard_support(self, today: dt.date) -> bool:
        return self.released <= today < self.standard_support_end


@functools.cache
def load_versions(path: Path = DATA_FILE) -> dict[str, EksVersion]:
    raw = json.loads(path.read_text())["versions"]
    return {
        v: EksVersion(
            version=v,
            released=dt.date.fromisoformat(d["released"]),
            standard_support_end=dt.date.fromisoformat(d["standard_support_end"]),
            extended_support_end=dt.date.fromisoformat(d["extended_support_end"]),
        )
        for v, d in raw.items()
    }


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def standard_support_versions(today: dt.date | None = None) -> list[str]:
    """Versions in standard support on ``today`` (default: the current UTC date), oldest first."""
    today = today or dt.datetime.now(dt.UTC).date()
    return sorted((v for v, e in load_versions().items() if e.in_standard_support(today)), key=_key)


def latest_version(today: dt.date | None = None) -> str:
    supported = standard_support_versions(today)
    if not supported:
        raise LookupError("no EKS version is in standard support by data/eks_versions.json; update the file")
    return supported[-1]
