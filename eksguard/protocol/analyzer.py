"""A client for Pulumi's analyzer (policy pack) gRPC protocol, playing the engine's part.

:class:`PolicyPackProcess` starts a Python policy pack exactly as the Pulumi CLI does
(``python -m pulumi.policy <engine-address> <pack-dir>``), reads the port from the pack's first stdout
line and exposes the analyzer calls. It also serves the small Engine service a pack may log to, so
``pulumi.log`` calls from policies are captured instead of failing.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

from eksguard.protocol.messages import (
    LEVEL_NAMES,
    LEVELS,
    SEVERITY_NAMES,
    AnalyzeResult,
    Diagnostic,
    Remediation,
    Resource,
    analyze_result,
    config_with_defaults,
    struct_to_dict,
)
from eksguard.protocol.plugin import PluginProcess, PluginStartError, activated_env, venv_python
from eksguard.protocol.wire import from_struct, to_struct

__all__ = [
    "LEVELS",
    "LEVEL_NAMES",
    "SEVERITY_NAMES",
    "AnalyzeResult",
    "Diagnostic",
    "PluginProcess",
    "PluginStartError",
    "PolicyPackError",
    "PolicyPackProcess",
    "Remediation",
    "Resource",
    "config_with_defaults",
    "pack_python",
    "struct_to_dict",
]

_GRPC_OPTIONS = [("grpc.max_receive_message_length", 400 * 1024 * 1024)]


class PolicyPackError(RuntimeError):
    """The policy pack could not be started or answered with an error."""


class _EngineLog(engine_pb2_grpc.EngineServicer):
    """The Engine service a pack logs to; keeps ``(severity, message, urn)`` of each call."""

    def __init__(self) -> None:
        self.messages: list[tuple[int, str, str]] = []
        self._lock = threading.Lock()

    def Log(self, request, context):
        with self._lock:
            self.messages.append((request.severity, request.message, request.urn))
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):
        return engine_pb2.GetRootResourceResponse(urn="")

    def SetRootResource(self, request, context):
        return engine_pb2.SetRootResourceResponse()


class PolicyPackProcess:
    """A running policy pack and the analyzer calls the engine makes to it.

    Use as a context manager; the pack process and the engine log server stop on exit.
    """

    def __init__(
        self,
        pack_dir: str | os.PathLike[str],
        *,
        python: str | None = None,
        env: Mapping[str, str] | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.pack_dir = Path(pack_dir).resolve()
        self.python = python
        """The pack's interpreter; by default the one the Pulumi CLI picks (:func:`pack_python`)."""
        self.env = env
        self.start_timeout = start_timeout
        self.engine_log = _EngineLog()
        self._engine: grpc.Server | None = None
        self._plugin: PluginProcess | None = None
        self._channel: grpc.Channel | None = None
        self.stub: analyzer_pb2_grpc.AnalyzerStub | None = None

    @property
    def version(self) -> str:
        """The version in PulumiPolicy.yaml, which the CLI uses over the SDK's placeholder ``0.0.1``."""
        return str(_pack_meta(self.pack_dir).get("version", ""))

    # lifecycle -------------------------------------------------------------------------------------
    def start(self) -> PolicyPackProcess:
        """Start the engine log server and the pack, and wait until the pack accepts calls."""
        if not (self.pack_dir / "PulumiPolicy.yaml").is_file():
            raise PolicyPackError(f"{self.pack_dir} is not a policy pack (no PulumiPolicy.yaml)")
        self._engine = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine_log, self._engine)
        engine_port = self._engine.add_insecure_port("127.0.0.1:0")
        self._engine.start()

        env = dict(os.environ if self.env is None else self.env)
        python = self.python
        if python is None:
            python = str(pack_python(self.pack_dir))
            if python != sys.executable:
                env = activated_env(Path(python).parent.parent, env)
        # The CLI runs the pack from the folder that holds it, naming the pack folder relatively.
        command = [python, "-m", "pulumi.policy", f"127.0.0.1:{engine_port}", self.pack_dir.name]
        self._plugin = PluginProcess(command, cwd=self.pack_dir.parent, env=env)
        try:
            port = self._plugin.read_port(self.start_timeout)
        except PluginStartError as exc:
            self.stop()
            detail = exc.stderr.strip().splitlines()[-1] if exc.stderr.strip() else "no output"
            raise PolicyPackError(f"policy pack {self.pack_dir} failed to start: {detail}\n{exc.stderr}") from None
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_GRPC_OPTIONS)
        try:
            grpc.channel_ready_future(self._channel).result(timeout=self.start_timeout)
        except grpc.FutureTimeoutError:
            self.stop()
            raise PolicyPackError(f"policy pack {self.pack_dir} did not accept connections") from None
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self

    @property
    def stderr(self) -> str:
        """What the pack process wrote to stderr (complete once it has exited)."""
        return self._plugin.stderr if self._plugin is not None else ""

    def stop(self) -> None:
        """Close the channel and stop the pack and the engine log server (safe to call twice)."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._plugin is not None:
            self._plugin.stop(timeout=5)
        if self._engine is not None:
            self._engine.stop(0)
            self._engine = None

    def __enter__(self) -> PolicyPackProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # analyzer calls ---------------------------------------------------------------------------------
    def _call(self, method: str, request: Any) -> Any:
        if self.stub is None:
            raise PolicyPackError("policy pack is not running")
        try:
            return getattr(self.stub, method)(request)
        except grpc.RpcError as exc:
            raise self._call_failed(method, exc) from None

    def _call_failed(self, method: str, exc: grpc.RpcError) -> PolicyPackError:
        return PolicyPackError(f"policy pack {self.pack_dir}: {method} failed: {exc.code().name}: {exc.details()}")

    def get_analyzer_info(self) -> analyzer_pb2.AnalyzerInfo:
        return self._call("GetAnalyzerInfo", empty_pb2.Empty())

    def configure(self, policy_config: Mapping[str, Mapping[str, Any]]) -> None:
        """Send ``{policy: {"enforcementLevel": level, **properties}}``, as the engine does.

        The engine fills in schema defaults before calling; :func:`config_with_defaults` does that.
        """
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, entry in policy_config.items():
            props = {k: v for k, v in entry.items() if k != "enforcementLevel"}
            level = entry.get("enforcementLevel")
            msg = request.policyConfig[name]
            if level is not None:
                msg.enforcementLevel = LEVELS[level]
            if props:
                msg.properties.CopyFrom(to_struct(props))
        self._call("Configure", request)

    def configure_stack(
        self,
        *,
        stack: str,
        project: str,
        organization: str = "organization",
        dry_run: bool = True,
        config: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Tell the pack which stack it judges, as the engine does before the first Analyze."""
        self._call(
            "ConfigureStack",
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=stack,
                project=project,
                organization=organization,
                dry_run=dry_run,
                config=dict(config or {}),
                tags=dict(tags or {}),
            ),
        )

    def analyze(self, resource: Resource) -> AnalyzeResult:
        return analyze_result(self._call("Analyze", resource.analyze_request()))

    def analyze_many(self, resources: Iterable[Resource], window: int = 32) -> Iterator[AnalyzeResult]:
        """Analyze each resource, in order, keeping up to ``window`` calls in flight (hides round trips)."""
        if self.stub is None:
            raise PolicyPackError("policy pack is not running")
        pending: deque[grpc.Future] = deque()

        def take() -> AnalyzeResult:
            try:
                return analyze_result(pending.popleft().result())
            except grpc.RpcError as exc:
                raise self._call_failed("Analyze", exc) from None

        for resource in resources:
            pending.append(self.stub.Analyze.future(resource.analyze_request()))
            if len(pending) >= window:
                yield take()
        while pending:
            yield take()

    def analyze_stack(self, resources: Iterable[Resource]) -> AnalyzeResult:
        request = analyzer_pb2.AnalyzeStackRequest(resources=[r.stack_resource() for r in resources])
        return analyze_result(self._call("AnalyzeStack", request))

    def remediate(self, resource: Resource) -> list[Remediation]:
        """Each remediating policy's answer for ``resource``, in the pack's order."""
        response = self._call("Remediate", resource.analyze_request())
        out: list[Remediation] = []
        for r in response.remediations:
            props = None
            if r.HasField("properties"):
                props = from_struct(r.properties)
            out.append(Remediation(policy=r.policyName, properties=props, diagnostic=r.diagnostic))
        return out


def _pack_meta(pack_dir: Path) -> dict[str, Any]:
    import yaml

    try:
        meta = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    return meta if isinstance(meta, dict) else {}


def pack_python(pack_dir: str | os.PathLike[str]) -> Path:
    """The interpreter the Pulumi CLI runs a Python pack with: the virtualenv its PulumiPolicy.yaml names
    (``runtime.options.virtualenv``, relative to the pack folder), else the current interpreter.

    Raises :class:`PolicyPackError` when that virtualenv does not exist (the CLI refuses to start the pack too).
    """
    pack_dir = Path(pack_dir).resolve()
    runtime = _pack_meta(pack_dir).get("runtime")
    options = runtime.get("options") if isinstance(runtime, dict) else None
    virtualenv = options.get("virtualenv") if isinstance(options, dict) else None
    if not virtualenv:
        return Path(sys.executable)
    venv = pack_dir / str(virtualenv)
    python = venv_python(venv)
    if not python.is_file():
        raise PolicyPackError(
            f"policy pack {pack_dir}: PulumiPolicy.yaml sets runtime.options.virtualenv to {virtualenv!r}, "
            f"but {venv} is not a virtualenv; create it with `python3 -m venv {venv}` and install the pack's "
            "requirements.txt into it"
        )
    return python
