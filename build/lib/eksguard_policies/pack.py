"""The eksguard policy list, importable without serving it (``__main__.py`` serves it)."""

from __future__ import annotations

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from .catalogue import Catalogue, default_catalogue
from .framework import build_policies, collect
from .rules import rule_modules

PACK_NAME = "eksguard"


def build(catalogue: Catalogue | None = None) -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return build_policies(catalogue or default_catalogue(), collect(rule_modules()))
