"""The pack imports nothing from outside policies/: the Pulumi CLI loads the folder as it is.

Two proofs: every import statement in policies/ names the standard library, the pack's own package or a
distribution its requirements.txt installs; and a copy of the folder, started as the CLI starts it from a
directory and a sys.path that hold nothing of this repository, serves every control.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from eksguard_policies.catalogue import default_catalogue

from eksguard.protocol.analyzer import PolicyPackProcess

from .pack_driver import PACK_DIR, REPO, resource

# Top-level modules the pack's requirements.txt provides (google.protobuf, grpc and yaml, PyYAML, come with pulumi).
REQUIRED_MODULES = {"pulumi", "pulumi_policy", "google", "grpc", "yaml", "boto3", "botocore"}
PACK_PACKAGE = "eksguard_policies"
HIDE_REPO = """
import os, sys
repo, venv = {repo!r}, sys.prefix
def _of_repo(p):
    p = os.path.abspath(p or os.curdir)
    return (p == repo or p.startswith(repo + os.sep)) and not p.startswith(venv + os.sep)
sys.path[:] = [p for p in sys.path if not _of_repo(p)]
"""


def _imported_top_levels(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_import_is_stdlib_the_pack_or_a_requirement() -> None:
    allowed = set(sys.stdlib_module_names) | REQUIRED_MODULES | {PACK_PACKAGE}
    outside = {
        f"{path.relative_to(PACK_DIR)}: {name}"
        for path in PACK_DIR.rglob("*.py")
        for name in _imported_top_levels(path)
        if name not in allowed
    }
    assert sorted(outside) == []


def test_requirements_install_every_imported_distribution() -> None:
    pinned = {line.split("==")[0].strip() for line in (PACK_DIR / "requirements.txt").read_text().splitlines()}
    assert {"pulumi", "pulumi-policy", "boto3"} <= pinned


@pytest.fixture
def isolated(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of policies/ outside the repo, and an environment whose sys.path holds nothing of the repo
    (the venv's eksguard-dev.pth puts the repo root and policies/ on every interpreter's path)."""
    pack = shutil.copytree(PACK_DIR, tmp_path / "policies", ignore=shutil.ignore_patterns("__pycache__"))
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HIDE_REPO.format(repo=str(REPO)))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    return Path(pack), env


def test_the_isolated_environment_cannot_import_the_repo(isolated: tuple[Path, dict[str, str]]) -> None:
    pack, env = isolated
    for module in ("eksguard", "eksguard_policies", "components"):
        done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=pack.parent, env=env, capture_output=True)
        assert done.returncode != 0, f"{module} is importable: the isolation proves nothing"


def test_a_copy_of_the_pack_serves_without_the_repo(isolated: tuple[Path, dict[str, str]]) -> None:
    pack, env = isolated
    with PolicyPackProcess(pack, env=env) as process:
        assert [p.name for p in process.get_analyzer_info().policies] == list(default_catalogue())
        public = resource("aws:eks/cluster:Cluster", {"vpcConfig": {"endpointPublicAccess": True}})
        assert "eks-endpoint-public-access" in {d.policy for d in process.analyze(public).diagnostics}


def test_project_file_fits_pulumi_policy_publish() -> None:
    """runtime is required; the CLI publishes under the version given here (semantic versioning)."""
    import yaml

    meta = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert meta["runtime"] == "python"
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(meta["version"]))
    assert isinstance(meta.get("description"), str) and meta["description"].strip()
    assert (PACK_DIR / "__main__.py").is_file() and (PACK_DIR / "requirements.txt").is_file()
