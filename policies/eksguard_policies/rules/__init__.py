"""The rule modules: one per domain, each pairing with ``controls/<module>.toml``; ``placement`` (the stack rule of
nodes.toml's node-public-ip); and the component-level rules of the multi-language components users declare
(``pulumi_eks``, ``awsx``), which judge the same controls."""

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
    "kubelet",
    "identity",
    "addons",
    "control_plane_logs",
    "version_skew",
    "placement",
    "pulumi_eks",
    "awsx",
    "auto_mode",
    "node_classes",
)


def rule_modules() -> list[ModuleType]:
    return [importlib.import_module(f"{__name__}.{name}") for name in MODULE_NAMES]
