"""One release number and one set of pins across the published artefacts: the component package, the
policy pack and the Python distribution."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from eksguard_policies import facts

from tests.provider.schema_expectations import plugin_module

REPO_ROOT = Path(__file__).resolve().parents[2]
_PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)$")


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_component_package_policy_pack_and_distribution_share_one_semver() -> None:
    """facts.VERSION is the release: the distribution and the component package read it; the Pulumi CLI reads
    the pack's version from PulumiPolicy.yaml, which must say the same."""
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "eksguard_policies.facts.VERSION"}
    pack = yaml.safe_load((REPO_ROOT / "policies" / "PulumiPolicy.yaml").read_text())["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", facts.VERSION)
    assert plugin_module().PACKAGE_VERSION == pack == facts.VERSION


def test_the_plugin_manifest_runs_python_in_its_own_virtualenv() -> None:
    manifest = yaml.safe_load((REPO_ROOT / "components" / "PulumiPlugin.yaml").read_text())
    assert manifest["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}


def test_the_plugin_requirements_are_pinned_as_the_lock() -> None:
    plugin = _pins(REPO_ROOT / "components" / "requirements.txt")
    lock = _pins(REPO_ROOT / "requirements.txt")
    assert set(plugin) == {"pulumi", "pulumi-aws", "pulumi-kubernetes"}
    assert {name: lock.get(name) for name in plugin} == plugin
