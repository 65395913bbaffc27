"""Start a Python component plugin the way the Pulumi CLI's Python language host does, and talk to it over
the provider gRPC protocol.

The language host runs ``python <plugin dir> <engine address> [flags]`` (from the directory the engine names,
by default here the plugin dir); the plugin prints its port on the first stdout line.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, provider_pb2_grpc

from eksguard.protocol.plugin import PluginProcess, PluginStartError

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
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        self.plugin_dir = Path(plugin_dir).resolve()
        self.cwd = Path(cwd) if cwd is not None else self.plugin_dir
        self.python = list(python)
        self.env = dict(os.environ if env is None else env)
        self.engine = _Engine()
        self._engine_server: grpc.Server | None = None
        self._plugin: PluginProcess | None = None
        self._channel: grpc.Channel | None = None
        self.stub: provider_pb2_grpc.ResourceProviderStub | None = None

    @property
    def stderr(self) -> str:
        return self._plugin.stderr if self._plugin is not None else ""

    def __enter__(self) -> ComponentPluginProcess:
        self._engine_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self._engine_server)
        engine_port = self._engine_server.add_insecure_port("127.0.0.1:0")
        self._engine_server.start()
        command = [*self.python, str(self.plugin_dir), f"127.0.0.1:{engine_port}", "--logtostderr"]
        self._plugin = PluginProcess(command, cwd=self.cwd, env=self.env)
        try:
            port = self._plugin.read_port(START_TIMEOUT)
        except PluginStartError as exc:
            self.stop()
            raise PluginError(f"plugin {self.plugin_dir} did not print a port: {exc}\n{exc.stderr}") from None
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(self._channel).result(timeout=START_TIMEOUT)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        return self

    def stop(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._plugin is not None:
            self._plugin.stop(timeout=10)
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
