"""The AMI family of an EKS managed node group, as EKS decides it.

A missing amiType takes the EKS default: AL2023_x86_64_STANDARD for Kubernetes 1.30 and later, AL2_x86_64 before
(https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html).
"""

from __future__ import annotations

import re
from typing import Any

AL2023_DEFAULT_SINCE = (1, 30)
FAMILIES = ("AL2023", "AL2", "BOTTLEROCKET", "WINDOWS", "CUSTOM")

_K8S_VERSION = re.compile(r"^(\d+)\.(\d+)")


def minor_version(value: Any) -> tuple[int, int] | None:
    if isinstance(value, float | int) and not isinstance(value, bool):
        value = f"{value:.2f}"  # wire numbers are floats: 1.3 -> "1.30"
    match = _K8S_VERSION.match(value.strip()) if isinstance(value, str) else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def family_of(ami_type: Any) -> str | None:
    """``AL2023``, ``AL2``, ``BOTTLEROCKET``, ``WINDOWS`` or ``CUSTOM`` for an EKS amiType; None when unrecognised."""
    if not isinstance(ami_type, str):
        return None
    name = ami_type.strip().upper()
    if name == "CUSTOM":
        return "CUSTOM"
    for family in ("AL2023", "AL2", "BOTTLEROCKET", "WINDOWS"):
        if name.startswith(family + "_"):
            return family
    return None


def default_family(version: Any) -> str:
    """The family EKS gives a node group without amiType (an unset version follows the cluster: AL2023 on any
    version in standard support)."""
    minor = minor_version(version)
    return "AL2" if minor is not None and minor < AL2023_DEFAULT_SINCE else "AL2023"
