"""A plugin child process, started the way the Pulumi CLI starts one: it prints its gRPC port on the first
stdout line."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path


class PluginStartError(RuntimeError):
    """A plugin process did not print its port; ``stderr`` holds what it wrote."""

    def __init__(self, first_line: bytes, stderr: str) -> None:
        super().__init__(f"no port on the first stdout line: {first_line!r}")
        self.stderr = stderr


class PluginProcess:
    """A running plugin. Once its port is read, stdout is drained (a chatty plugin cannot block on a full pipe)
    and :attr:`stderr` collects what the process writes until it exits."""

    def __init__(self, command: Sequence[str], *, cwd: str | os.PathLike[str], env: Mapping[str, str]) -> None:
        self.stderr = ""
        self._proc = subprocess.Popen(
            list(command), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def read_port(self, timeout: float) -> int:
        """The port the process printed within ``timeout`` seconds; otherwise the process is killed and
        :class:`PluginStartError` carries its stderr."""
        assert self._proc.stdout is not None
        result: dict[str, bytes] = {}

        def read() -> None:
            result["line"] = self._proc.stdout.readline()  # type: ignore[union-attr]

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        line = result.get("line", b"").strip()
        if not line.isdigit():
            raise PluginStartError(line, self._kill_and_read_stderr())
        threading.Thread(target=self._proc.stdout.read, daemon=True).start()
        threading.Thread(target=self._collect_stderr, daemon=True).start()
        return int(line)

    def _kill_and_read_stderr(self) -> str:
        if self._proc.poll() is None:
            self._proc.kill()
        try:
            _, err = self._proc.communicate(timeout=10)
        except (subprocess.TimeoutExpired, ValueError):
            return ""
        return err.decode(errors="replace") if err else ""

    def _collect_stderr(self) -> None:
        assert self._proc.stderr is not None
        self.stderr = self._proc.stderr.read().decode(errors="replace")

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the process, killing it if it has not exited within ``timeout`` seconds."""
        if self._proc.poll() is not None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=timeout)


def venv_python(venv: Path) -> Path:
    """The interpreter of the virtualenv ``venv``."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def activated_env(venv: Path, env: Mapping[str, str]) -> dict[str, str]:
    """``env`` as activating ``venv`` leaves it: what the Pulumi CLI sets for a plugin or program it runs in a
    virtualenv (pulumi ``sdk/python/toolchain/toolchain.go``, ``ActivateVirtualEnv``)."""
    out = {k: v for k, v in env.items() if k != "PYTHONHOME"}
    out["VIRTUAL_ENV"] = str(venv)
    out["PATH"] = os.pathsep.join(p for p in (str(venv_python(venv).parent), env.get("PATH", "")) if p)
    return out
