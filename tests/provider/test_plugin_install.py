"""``pulumi package add <repo>/components`` runs the plugin from the consumer's copy of the repository (the
CLI clones the whole repository and runs the ``components`` folder), in a virtualenv built from
components/requirements.txt alone: no eksguard-dev.pth, no development dependencies.

``python -S`` skips site-packages and .pth files; PYTHONPATH gives only the linked requirements."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.provider.plugin_process import ComponentPluginProcess, PluginError
from tests.provider.requirements_site import dependency_closure, link_site, requirement_names
from tests.provider.schema_expectations import DESIGN_COMPONENTS, REPO_ROOT

REQUIREMENTS = REPO_ROOT / "components" / "requirements.txt"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The folders a clone of the repository has that the plugin may read."""
    root = tmp_path / "eksguard"
    ignore = shutil.ignore_patterns("__pycache__", "venv")
    for folder in ("components", "policies"):
        shutil.copytree(REPO_ROOT / folder, root / folder, ignore=ignore)
    return root


def _plugin(checkout: Path, site: Path) -> ComponentPluginProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(site)
    # The language host runs the plugin from the engine's working directory, not the plugin's.
    return ComponentPluginProcess(checkout / "components", python=[sys.executable, "-S"], env=env, cwd=site.parent)


def test_the_plugin_serves_its_schema_with_only_its_own_requirements(checkout: Path, tmp_path: Path) -> None:
    site = link_site(dependency_closure(requirement_names(REQUIREMENTS)).values(), tmp_path / "site")
    with _plugin(checkout, site) as plugin:
        schema = plugin.get_schema()
    assert set(schema["resources"]) == {f"eksguard:index:{name}" for name in DESIGN_COMPONENTS}


def test_a_requirement_left_out_of_the_file_stops_the_plugin(checkout: Path, tmp_path: Path) -> None:
    """The isolation above is real: without pulumi-kubernetes the plugin cannot import the components."""
    names = [name for name in requirement_names(REQUIREMENTS) if name != "pulumi-kubernetes"]
    site = link_site(dependency_closure(names).values(), tmp_path / "site")
    with pytest.raises(PluginError, match="No module named 'pulumi_kubernetes'"), _plugin(checkout, site):
        pass


def test_the_requirements_are_exactly_what_the_components_import() -> None:
    assert requirement_names(REQUIREMENTS) == ["pulumi", "pulumi-aws", "pulumi-kubernetes"]
