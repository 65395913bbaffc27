"""EKS add-on versions by Kubernetes version, read from ``data/eks_addons.json``.

For each add-on and Kubernetes version the data holds the version a cluster is expected to run at least: the
default EKS installs, or where AWS documents only the latest version, that one (the file says which, and its
source). The figures live in that one data file; components and policies ask this module. Who calls the add-on
what, and which policy it needs, is a fact: ``facts.ADDON_IDENTITIES``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "eks_addons.json"
BASES = ("default", "latest-documented")
_VERSION = re.compile(r"^v(\d+)\.(\d+)\.(\d+)-eksbuild\.(\d+)$")


@dataclass(frozen=True)
class AddonVersions:
    name: str
    basis: str | None
    """How the figures were found (BASES); None when the data holds none."""
    source: str
    versions: Mapping[str, str]
    """The expected version by Kubernetes version (``"1.35"``)."""


@functools.cache
def load_addons(path: Path = DATA_FILE) -> dict[str, AddonVersions]:
    raw = json.loads(path.read_text())["addons"]
    addons = {
        name: AddonVersions(name, entry["basis"], entry["source"], dict(entry["versions"]))
        for name, entry in raw.items()
    }
    for addon in addons.values():
        if (addon.basis is None) != (not addon.versions) or (addon.basis is not None and addon.basis not in BASES):
            figures = len(addon.versions)
            raise ValueError(f"{path.name}: add-on {addon.name} has basis {addon.basis!r} for {figures} figures")
        for version in addon.versions.values():
            version_key(version)
    return addons


def version_key(addon_version: str) -> tuple[int, int, int, int]:
    """``v1.21.1-eksbuild.7`` as ``(1, 21, 1, 7)``, which orders add-on versions; ValueError for anything else."""
    found = _VERSION.match(addon_version) if isinstance(addon_version, str) else None
    if found is None:
        raise ValueError(f"{addon_version!r} is not an EKS add-on version (vMAJOR.MINOR.PATCH-eksbuild.N)")
    return tuple(int(part) for part in found.groups())  # type: ignore[return-value]


def expected_version(addon: str, kubernetes_version: str) -> str | None:
    """The version ``addon`` is expected to run at least on a cluster of ``kubernetes_version``; None when the data
    has no figure (then EKS's own default, chosen when the add-on is created without a version, is the reference).
    KeyError for an add-on the data does not know."""
    return load_addons()[addon].versions.get(kubernetes_version)


def is_behind(addon_version: str, expected: str) -> bool:
    """Whether ``addon_version`` is older than ``expected`` (both EKS add-on versions)."""
    return version_key(addon_version) < version_key(expected)
