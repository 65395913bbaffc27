"""The multi-language components users declare (pulumi-eks, awsx) and their defaults, as data.

Their type tokens are facts (``facts.EKS_CLUSTER``, ``facts.AWSX_VPC``, ...). Each package's defaults live in
``data/components/pulumi-<package>.json``, keyed by the package's MAJOR version, each default with the source
file and line it was read from. Component rules read them through
:func:`defaults_for`, which picks the major version from the resource's provider (the engine sends the package's
provider with its ``version`` when it has one) and otherwise the newest major eksguard has read. A major
version eksguard has not read is *not checkable offline*: its defaults may differ.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "components"


@dataclass(frozen=True)
class Default:
    """What a component does with one argument when the program leaves it unset."""

    value: Any
    source: str
    aws_default: Any = None
    fixed: bool = False
    """The component always sends ``value``; no argument changes it."""
    ignored: bool = False
    """The component accepts the argument and never reads it."""
    note: str = ""


@dataclass(frozen=True)
class ComponentDefaults:
    package: str
    major: str
    component: str
    args: Mapping[str, Default]

    def __getitem__(self, arg: str) -> Default:
        return self.args[arg]

    def cite(self, arg: str) -> str:
        """``pulumi-eks 4, nodes/nodegroup.ts:1267``: where the default of ``arg`` comes from."""
        return f"pulumi-{self.package} {self.major}, {self.args[arg].source}"


@functools.cache
def _load(package: str) -> Mapping[str, Any]:
    return json.loads((DATA / f"pulumi-{package}.json").read_text())


def _packages() -> list[str]:
    return sorted(p.stem.removeprefix("pulumi-") for p in DATA.glob("pulumi-*.json"))


@functools.cache
def component_types() -> frozenset[str]:
    """Every component type whose defaults eksguard has read (any major version)."""
    return frozenset(
        component
        for package in _packages()
        for major in _load(package)["majors"].values()
        for component in major["components"]
    )


COMPONENT_TYPES = component_types()


class UnknownMajorVersion(LookupError):
    """The program uses a major version of the package whose defaults eksguard has not read."""


@functools.lru_cache(maxsize=64)
def _defaults(package: str, major: str, component: str) -> ComponentDefaults:
    majors = _load(package)["majors"]
    if major not in majors:
        known = ", ".join(sorted(majors))
        raise UnknownMajorVersion(
            f"pulumi-{package} {major}.x: eksguard has read the defaults of major version {known} only"
        )
    entries = majors[major]["components"].get(component, {})
    args = {
        name: Default(
            value=entry.get("default"),
            source=entry["source"],
            aws_default=entry.get("aws_default"),
            fixed=bool(entry.get("fixed")),
            ignored=bool(entry.get("ignored")),
            note=entry.get("note", ""),
        )
        for name, entry in entries.items()
    }
    return ComponentDefaults(package, major, component, args)


def _major(version: Any) -> str | None:
    if not isinstance(version, str) or not version.strip():
        return None
    head = version.strip().lstrip("v").split(".", 1)[0]
    return head if head.isdigit() else None


def newest_major(package: str) -> str:
    return max(_load(package)["majors"], key=int)


def defaults_for(component: str, provider: Any = None) -> ComponentDefaults:
    """The defaults of ``component`` in the package version its provider names (else the newest eksguard read).

    Raises :class:`UnknownMajorVersion` for a major version without data."""
    package = component.split(":", 1)[0]
    version = None
    props = getattr(provider, "props", None)
    if isinstance(props, Mapping):
        try:
            version = props.get("version")
        except Exception:  # an unknown provider version: the newest major is the best guess
            version = None
    return _defaults(package, _major(version) or newest_major(package), component)
