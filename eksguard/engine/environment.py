"""Which Python runs a program: the one the Pulumi CLI would pick from its Pulumi.yaml.

The Python language host (pulumi ``sdk/python/toolchain/toolchain.go``, ``ResolveToolchain``; ``pip.go``,
``uv.go``, ``poetry.go``) reads ``runtime.options``: with ``toolchain`` unset it uses uv when a ``uv.lock`` is
found from the program folder upwards, poetry for a ``poetry.lock``, else pip. pip runs the virtualenv named by
``virtualenv`` (relative to the project folder), or the ambient ``python`` when none is named; uv runs that
virtualenv, else ``$UV_PROJECT_ENVIRONMENT`` or ``.venv`` beside the nearest ``uv.lock`` or ``pyproject.toml``;
poetry runs the environment ``poetry env info --path`` names.

``eksguard check`` does the same, except that "the ambient python" is eksguard's own environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from eksguard.engine.errors import UsageError
from eksguard.engine.project import Project
from eksguard.protocol.plugin import activated_env, venv_python


@dataclass(frozen=True)
class ProgramEnvironment:
    python: Path
    virtualenv: Path | None
    """None: eksguard's own environment (the program names none)."""

    def describe(self) -> str:
        if self.virtualenv is None:
            return f"eksguard's own environment ({self.python}); the program's Pulumi.yaml names no virtualenv"
        return f"the program's virtualenv {self.virtualenv}"

    def env(self, base: dict[str, str]) -> dict[str, str]:
        return dict(base) if self.virtualenv is None else activated_env(self.virtualenv, base)


def _search_up(start: Path, name: str) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / name).exists():
            return folder
    return None


def _uv_virtualenv(project: Project, named: str | None) -> Path:
    if named:
        return project.directory / named
    program_dir = project.main.parent
    home = _search_up(program_dir, "uv.lock") or _search_up(program_dir, "pyproject.toml") or project.directory
    configured = os.environ.get("UV_PROJECT_ENVIRONMENT")
    return home / configured if configured else home / ".venv"


def _poetry_virtualenv(project: Project) -> Path:
    poetry = shutil.which("poetry")
    if poetry is None:
        raise UsageError(
            f"{project.directory / 'Pulumi.yaml'} uses the poetry toolchain, but `poetry` is not on PATH; "
            "install poetry, or set runtime.options.toolchain to pip with a virtualenv"
        )
    done = subprocess.run(
        [poetry, "env", "info", "--path"], cwd=project.main.parent, capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise UsageError(f"`poetry env info --path` found no environment for {project.directory}: run `pulumi install`")
    return Path(done.stdout.strip())


def program_environment(project: Project) -> ProgramEnvironment:
    """The interpreter to run ``project``'s program with; UsageError when the one it names does not exist."""
    options = project.runtime_options
    named = options.get("virtualenv")
    if named is not None and not isinstance(named, str):
        raise UsageError(f"{project.directory / 'Pulumi.yaml'}: runtime.options.virtualenv must be a string")
    toolchain = options.get("toolchain") or "auto"
    if toolchain not in ("auto", "pip", "uv", "poetry"):
        raise UsageError(
            f"{project.directory / 'Pulumi.yaml'}: runtime.options.toolchain is {toolchain!r}; "
            "accepted values: pip, uv, poetry"
        )
    if toolchain == "auto":
        program_dir = project.main.parent
        if _search_up(program_dir, "uv.lock"):
            toolchain = "uv"
        elif _search_up(program_dir, "poetry.lock"):
            toolchain = "poetry"
        else:
            toolchain = "pip"
    if toolchain == "uv":
        venv = _uv_virtualenv(project, named)
    elif toolchain == "poetry":
        venv = _poetry_virtualenv(project)
    elif named:
        venv = project.directory / named
    else:
        return ProgramEnvironment(Path(sys.executable), None)
    venv = Path(os.path.abspath(venv))
    python = venv_python(venv)
    if not python.is_file():
        raise UsageError(
            f"the program's virtualenv {venv} does not exist (named by {project.directory / 'Pulumi.yaml'}, "
            f"toolchain {toolchain}): create it as the Pulumi CLI does, with `pulumi install` in {project.directory}"
        )
    return ProgramEnvironment(python, venv)
