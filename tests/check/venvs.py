"""Virtualenvs for programs, built in tests as the Pulumi CLI builds them, without reinstalling the world.

A new virtualenv (no system site-packages, no pip) gets the packages of eksguard's own environment — which
`make` installs from requirements.txt — through one line in a ``.pth`` file. A path added that way is not a
site directory: the ``.pth`` files inside it (eksguard-dev.pth, which puts the repository and policies/ on the
path) are not read. So the new environment holds requirements.txt's packages and nothing of eksguard itself.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path


def _purelib(python: Path) -> Path:
    done = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip())


def requirements_virtualenv(venv: Path, extra_packages: tuple[str, ...] = ()) -> Path:
    """A virtualenv at ``venv`` with requirements.txt's packages and ``extra_packages`` from PyPI; its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = _purelib(python)
    (site / "requirements-txt.pth").write_text(sysconfig.get_path("purelib") + "\n")
    if extra_packages:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), *extra_packages],
            check=True,
            timeout=300,
        )
    return python
