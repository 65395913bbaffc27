"""The rule modules, one per domain; each pairs with ``controls/<module>.toml``."""

from __future__ import annotations

import importlib
from types import ModuleType

MODULE_NAMES = (
    "eks_cluster",
    "nodes",
    "patching",
    "security_groups",
    "network",
    "iam",
    "cloudtrail",
    "rbac",
    "workloads",
    "exposure",
    "storage",
    "images",
    "detection",
)


def rule_modules() -> list[ModuleType]:
    return [importlib.import_module(f"{__name__}.{name}") for name in MODULE_NAMES]
