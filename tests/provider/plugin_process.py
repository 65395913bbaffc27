"""Start a Python component plugin the way the Pulumi CLI's Python language host does, and talk to it over
the provider gRPC protocol.

The language host runs ``python <plugin dir> <engine address> [flags]`` with the plugin dir as cwd; the
plugin prints its port on the first stdout line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, provider_pb2_grpc

START_TIMEOUT = 60.0


class PluginError(RuntimeError):
    pass


class _Engine(engine_pb2_grpc.EngineServicer):
    """The engine's log service, which a provider may call."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def Log(self, request, context):
        self.messages.append(request.message)
        return empty_pb2.Empty()


class ComponentPluginProcess:
    def __init__(
        self,
        plugin_dir: str | os.PathLike[str],
        *,
        python: Sequence[str] = (sys.executable,),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.plugin_dir = Path(plugin_dir).resolve()
        self.python = list(python)
        self.env = dict(os.environ if env is None else env)
        self.engine = _Engine()
        self.stderr = ""
        self._engine_server: grpc.Server | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self.stub: provider_pb2_grpc.ResourceProviderStub | None = None

    def __enter__(self) -> ComponentPluginProcess:
        self._engine_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self._engine_server)
        engine_port = self._engine_server.add_insecure_port("127.0.0.1:0")
        self._engine_server.start()
        self._proc = subprocess.Popen(
            [*self.python, str(self.plugin_dir), f"127.0.0.1:{engine_port}", "--logtostderr"],
            cwd=self.plugin_dir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        port = self._read_port()
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(self._channel).result(timeout=START_TIMEOUT)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        return self

    def _read_port(self) -> int:
        assert self._proc is not None and self._proc.stdout is not None and self._proc.stderr is not None
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self._proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        text = line[0].strip() if line else b""
        if not text.isdigit():
            self._proc.kill()
            _, err = self._proc.communicate(timeout=10)
            self.stop()
            detail = err.decode(errors="replace")
            raise PluginError(f"plugin {self.plugin_dir} did not print a port: {text!r}\n{detail}")
        threading.Thread(target=self._proc.stdout.read, daemon=True).start()
        threading.Thread(target=self._collect_stderr, daemon=True).start()
        return int(text)

    def _collect_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        self.stderr = self._proc.stderr.read().decode(errors="replace")

    def stop(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        if self._engine_server is not None:
            self._engine_server.stop(0)
            self._engine_server = None

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # provider calls --------------------------------------------------------------------------------
    def get_schema(self) -> dict[str, Any]:
        assert self.stub is not None
        response = self.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=START_TIMEOUT)
        return json.loads(response.schema)

    def get_plugin_version(self) -> str:
        assert self.stub is not None
        return self.stub.GetPluginInfo(empty_pb2.Empty(), timeout=START_TIMEOUT).version

    def construct(self, request: provider_pb2.ConstructRequest) -> provider_pb2.ConstructResponse:
        assert self.stub is not None
        return self.stub.Construct(request, timeout=START_TIMEOUT)


__all__ = ["ComponentPluginProcess", "PluginError", "engine_pb2"]
