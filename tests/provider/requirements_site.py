"""A site-packages folder holding only what a requirements file installs (its distributions and their
dependencies), linked from this interpreter's environment: what a fresh virtualenv built from that file,
as the Pulumi CLI builds a plugin's, would let the plugin import."""

from __future__ import annotations

import importlib.metadata as metadata
import re
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(requirements_file: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in requirements_file.read_text().splitlines())
    return [Requirement(line).name for line in lines if line]


def dependency_closure(names: Iterable[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions ``names`` need, keyed by normalised name (extras are not followed)."""
    found: dict[str, metadata.Distribution] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        if _key(name) in found:
            continue
        distribution = metadata.distribution(name)
        found[_key(name)] = distribution
        for spec in distribution.requires or []:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return found


def link_site(distributions: Iterable[metadata.Distribution], target: Path) -> Path:
    """Link every file of ``distributions`` into ``target``; a top-level package that only one installed
    distribution provides is linked whole, one shared by several (``google``) file by file."""
    shared = {name for name, owners in metadata.packages_distributions().items() if len(set(owners)) > 1}
    shared.add("__pycache__")  # top-level modules' bytecode
    target.mkdir(parents=True)
    for distribution in distributions:
        for file in distribution.files or []:
            if file.parts[0] == "..":  # scripts and data outside site-packages
                continue
            entry = file.parts[0] if file.parts[0].split(".")[0] not in shared else file
            link = target / entry
            if link.is_symlink():
                continue
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(Path(distribution.locate_file(entry)))
    return target
