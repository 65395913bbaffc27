"""Runs a Pulumi Python program under Pulumi's mock monitor and records what an analyzer would see.

:class:`RecordingMonitor` extends ``pulumi.runtime.mocks.MockMonitor``: each ``RegisterResourceRequest``
is recorded as it arrives, so properties keep their wire form (camelCase names, unknown sentinels,
secret wrappers) exactly as the real engine forwards them to a policy pack.
"""

from __future__ import annotations

import contextlib
import gc
import os
import runpy
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from google.protobuf import json_format

from eksguard.engine.errors import ProgramError, UsageError
from eksguard.engine.fixtures import InvokeFixtures, MissingFixtureError
from eksguard.engine.project import Project
from eksguard.protocol.analyzer import Resource
from eksguard.reporters.model import SourceLocation

PLACEHOLDER_ACCOUNT = "123456789012"
STACK_TYPE = "pulumi:pulumi:Stack"
_SITE_MARKERS = ("site-packages", "dist-packages", f"{os.sep}.venv{os.sep}")


@dataclass
class RecordedResource:
    """A registered resource: the analyzer's view plus where the program declared it."""

    resource: Resource
    custom: bool
    location: SourceLocation | None = None
    provider_ref: str = ""


@dataclass
class ProgramRun:
    project: Project
    source_root: Path
    resources: list[RecordedResource] = field(default_factory=list)
    stack_urn: str = ""
    invokes: int = 0
    preview: bool = True


class _Locator:
    """Maps an SDK stack trace to the first frame inside the program directory (not in a virtualenv)."""

    def __init__(self, program_dir: Path, source_root: Path) -> None:
        self.program_dir = program_dir
        self.source_root = source_root
        self._relative: dict[str, str | None] = {}  # file URIs repeat for every resource

    def relative(self, uri: str) -> str | None:
        if uri not in self._relative:
            self._relative[uri] = self._resolve(uri)
        return self._relative[uri]

    def _resolve(self, uri: str) -> str | None:
        if not uri.startswith("file:"):
            return None
        path = Path(unquote(urlparse(uri).path))
        text = str(path)
        if any(marker in text for marker in _SITE_MARKERS):
            return None
        if not path.is_relative_to(self.program_dir):
            return None
        try:
            return path.relative_to(self.source_root).as_posix()
        except ValueError:
            return path.relative_to(self.program_dir).as_posix()

    def locate(self, request: Any) -> SourceLocation | None:
        for frame in request.stackTrace.frames:
            if frame.HasField("pc"):
                rel = self.relative(frame.pc.uri)
                if rel is not None:
                    return SourceLocation(file=rel, line=frame.pc.line)
        if request.HasField("sourcePosition"):
            rel = self.relative(request.sourcePosition.uri)
            if rel is not None:
                return SourceLocation(file=rel, line=request.sourcePosition.line)
        return None


def _wire_object(struct: Any) -> dict[str, Any]:
    return json_format.MessageToDict(struct)


_GLOBAL_SERVICES = frozenset({"iam"})
"""Services whose ARNs carry no region."""
# Computed outputs given placeholder values under --assume-apply (everything else is inputs + id + arn).
_APPLY_PLACEHOLDERS: Mapping[str, Mapping[str, Any]] = {
    "aws:eks/cluster:Cluster": {
        "endpoint": "https://0123456789ABCDEF.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="},
        "identities": [{"oidcs": [{"issuer": "https://oidc.eks.{region}.amazonaws.com/id/0123456789ABCDEF"}]}],
        "clusterId": "{name}-id",
        "platformVersion": "eks.1",
        "status": "ACTIVE",
    },
}


class EngineMocks:
    """The mock callbacks: resource outputs as a preview (or apply) would give them, invokes from fixtures."""

    def __init__(self, fixtures: InvokeFixtures, region: str, live: Any = None, assume_apply: bool = False) -> None:
        self.fixtures = fixtures
        self.live = live
        self.region = region
        self.assume_apply = assume_apply
        self.invokes = 0
        self.invoke_error: Exception | None = None

    def new_resource(self, args: Any) -> tuple[str | None, dict]:
        if not args.custom and not args.resource_id:
            return "", {}
        if not self.assume_apply and not args.resource_id:
            # A preview knows the inputs; id and computed outputs stay unknown.
            return "", dict(args.inputs)
        rid = args.resource_id or f"{args.name}-id"
        service = args.typ.split(":")[1].split("/")[0] if args.typ.count(":") >= 2 else "x"
        kind = args.typ.rsplit(":", 1)[-1].lower()
        region = "" if service in _GLOBAL_SERVICES else self.region
        state = {"id": rid, "arn": f"arn:aws:{service}:{region}:{PLACEHOLDER_ACCOUNT}:{kind}/{args.name}"}
        for key, value in _APPLY_PLACEHOLDERS.get(args.typ, {}).items():
            state[key] = _format_placeholder(value, name=args.name, region=self.region)
        state.update(args.inputs)
        return rid, state

    def call(self, args: Any) -> dict:
        self.invokes += 1
        if self.live is not None and self.live.handles(args.token):
            try:
                return self.live.answer(args.token, args.args)
            except Exception as exc:  # botocore's errors: no credentials, access denied, not found
                failure = LookupError(f"--live-lookups: {args.token} failed: {type(exc).__name__}: {exc}")
                self.invoke_error = self.invoke_error or failure
                raise failure from None
        try:
            return self.fixtures.answer(args.token, args.args)
        except MissingFixtureError as exc:
            self.invoke_error = self.invoke_error or exc
            raise

    # pulumi's Mocks interface also has these hooks; transforms are not run (as in pulumi's own mocks).
    def register_transform(self, transform: Any) -> None: ...

    def register_invoke_transform(self, transform: Any) -> None: ...


def _format_placeholder(value: Any, **names: str) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: _format_placeholder(v, **names) for k, v in value.items()}
    if isinstance(value, list):
        return [_format_placeholder(v, **names) for v in value]
    return value


def _make_monitor_class() -> type:
    from pulumi.runtime.mocks import MockMonitor

    class RecordingMonitor(MockMonitor):
        def __init__(
            self, mocks: EngineMocks, locator: _Locator, on_resource: Callable[[int], None] | None = None
        ) -> None:
            super().__init__(mocks)
            self.locator = locator
            self.recorded: list[RecordedResource] = []
            self.stack_urn = ""
            self.on_resource = on_resource
            self._lock = threading.Lock()

        def make_urn(self, parent: str, type_: str, name: str) -> str:
            # As the engine does, the root stack's type is not part of its children's URNs.
            return super().make_urn("" if parent == self.stack_urn else parent, type_, name)

        def RegisterResource(self, request: Any) -> Any:
            if request.type == STACK_TYPE or request.importId or self.mocks.assume_apply:
                response = super().RegisterResource(request)
            else:
                # A preview's outputs are the inputs as sent (unknowns stay unknown) and a component's are
                # empty: answer from the request itself instead of deserializing and re-serializing it.
                from pulumi.runtime.proto import resource_pb2

                urn = self.make_urn(request.parent, request.type, request.name)
                self.resources[urn] = self.ResourceRegistration(urn, "", {})
                response = resource_pb2.RegisterResourceResponse(
                    urn=urn, object=request.object if request.custom else None
                )
            if request.type == STACK_TYPE:
                self.stack_urn = response.urn
                return response
            resource = Resource(
                type=request.type,
                name=request.name,
                urn=response.urn,
                properties=_wire_object(request.object),
                parent=request.parent,
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                protect=bool(request.protect),
            )
            record = RecordedResource(
                resource=resource,
                custom=bool(request.custom),
                location=self.locator.locate(request),
                provider_ref=request.provider,
            )
            with self._lock:
                self.recorded.append(record)
                count = len(self.recorded)
            if self.on_resource is not None:
                self.on_resource(count)
            return response

        def ExistsResource(self, request: Any) -> Any:
            # MockMonitor scans every resource here; nothing in a check run needs the answer.
            from pulumi.runtime.proto import resource_pb2

            return resource_pb2.ExistsResourceResponse(exists=False)

    return RecordingMonitor


def _attach_providers(run: ProgramRun, config: Mapping[str, str]) -> None:
    """Give each resource its provider as the engine describes it: explicit ones from the program,
    else the package's default provider configured from stack config (``aws:region`` etc.)."""
    by_urn = {r.resource.urn: r.resource for r in run.resources}
    defaults: dict[str, dict[str, Any]] = {}
    for record in run.resources:
        res = record.resource
        if res.type.startswith("pulumi:providers:") or not record.custom:
            continue
        # A provider reference is "<urn>::<id>"; the urn itself contains "::", so split on the last one.
        provider_urn = record.provider_ref.rsplit("::", 1)[0] if record.provider_ref else ""
        explicit = by_urn.get(provider_urn)
        if explicit is not None:
            res.provider = {
                "type": explicit.type,
                "urn": explicit.urn,
                "name": explicit.name,
                "properties": explicit.properties,
            }
            continue
        package = res.type.split(":", 1)[0]
        if package not in defaults:
            name = "default"
            prefix = f"{package}:"
            defaults[package] = {
                "type": f"pulumi:providers:{package}",
                "urn": f"urn:pulumi:{run.project.stack}::{run.project.name}::pulumi:providers:{package}::{name}",
                "name": name,
                "properties": {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)},
            }
        res.provider = defaults[package]


def find_source_root(program_dir: Path) -> Path:
    """The repository that holds the program (SARIF paths are relative to it), else the program dir."""
    for candidate in (program_dir, *program_dir.parents):
        if (candidate / ".git").exists():
            return candidate
    return program_dir


# The SDK allocates many short-lived objects per resource (tasks, futures); with the default thresholds the
# cyclic GC rescans the large, long-lived heap of provider SDK modules over and over (measured: ~45% of
# the program run's CPU on 800 resources). Collect less often while the program runs.
_RUN_GC_THRESHOLD = (50_000, 20, 100)


@contextlib.contextmanager
def _program_environment(project: Project):
    saved_gc = gc.get_threshold()
    gc.set_threshold(*_RUN_GC_THRESHOLD)
    saved_cwd = os.getcwd()
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    saved_argv = list(sys.argv)
    os.chdir(project.directory)
    sys.path.insert(0, str(project.directory))
    sys.argv = [str(project.main)]
    try:
        yield
    finally:
        gc.set_threshold(*saved_gc)
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.argv = saved_argv
        # Forget the program's own modules so the next run (same process) imports them afresh.
        program_dir = str(project.directory)
        for name in set(sys.modules) - saved_modules:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            if module_file.startswith(program_dir) and not any(m in module_file for m in _SITE_MARKERS):
                del sys.modules[name]


def program_traceback(exc: BaseException, program_dir: Path) -> str:
    """The exception's traceback with only the program's own frames.

    Without any (a syntax error, an error raised inside the SDK) only the exception itself is shown: a
    SyntaxError names the file and line there, and engine frames would only hide it.
    """
    te = traceback.TracebackException.from_exception(exc)
    frames = [
        f
        for f in te.stack
        if f.filename.startswith(str(program_dir)) and not any(m in f.filename for m in _SITE_MARKERS)
    ]
    if not frames:
        return "".join(te.format_exception_only())
    te.stack = traceback.StackSummary.from_list(frames)
    # Chained causes are engine internals (RPC wrappers); the program's own error is enough.
    te.__cause__ = te.__context__ = None
    return "".join(te.format())


def run_program(
    project: Project,
    *,
    fixtures: InvokeFixtures | None = None,
    live_lookups: Any = None,
    assume_apply: bool = False,
    source_root: Path | None = None,
    on_resource: Callable[[int], None] | None = None,
) -> ProgramRun:
    """Run ``project``'s program once and return every resource it registered, in registration order."""
    import pulumi
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import mocks, settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    region = project.config.get("aws:region", "us-east-1")
    source_root = (source_root or find_source_root(project.directory)).resolve()
    if fixtures is None:
        fixtures = InvokeFixtures(variables=default_variables(region))
    engine_mocks = EngineMocks(fixtures, region, live=live_lookups, assume_apply=assume_apply)
    monitor = _make_monitor_class()(engine_mocks, _Locator(project.directory, source_root), on_resource)

    run = ProgramRun(project=project, source_root=source_root, preview=not assume_apply)
    with _program_environment(project):
        runtime_config.set_all_config(dict(project.config), list(project.secret_keys))
        _forget_runtime_state(settings)
        mocks.set_mocks(
            engine_mocks,
            project=project.name,
            stack=project.stack,
            preview=not assume_apply,
            monitor=monitor,
            organization="organization",
        )
        try:
            _sync_await(run_pulumi_func(lambda: runpy.run_path(str(project.main), run_name="__main__")))
        except pulumi.ConfigMissingError as exc:
            raise UsageError(
                f"stack {project.stack!r} is missing config key {exc.key!r}: set it in {project.stack_config_file}"
            ) from None
        except MissingFixtureError as exc:
            raise UsageError(str(exc)) from None
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise ProgramError(f"the program exited with status {exc.code}", "") from None
        except Exception as exc:
            if engine_mocks.invoke_error is not None:
                raise UsageError(str(engine_mocks.invoke_error)) from None
            raise ProgramError(
                f"the program raised {type(exc).__name__}: {exc}", program_traceback(exc, project.directory)
            ) from None
        finally:
            _forget_runtime_state(settings)
    run.resources = monitor.recorded
    run.stack_urn = monitor.stack_urn
    run.invokes = engine_mocks.invokes
    _attach_providers(run, project.config)
    return run


def _forget_runtime_state(settings: Any) -> None:
    """Drop what a previous run in this process left behind (a failed run leaves pending outputs)."""
    for task in list(settings.SETTINGS.outputs):
        task.cancel()
    settings.SETTINGS.outputs.clear()
    settings.SETTINGS.rpc_manager.clear()
    settings.ROOT.set(None)


def default_variables(region: str, account: str = PLACEHOLDER_ACCOUNT) -> dict[str, str]:
    from eksguard_policies import versions

    try:
        latest = versions.latest_version()
    except LookupError:
        latest = max(versions.load_versions(), key=lambda v: tuple(int(p) for p in v.split(".")))
    return {"aws_region": region, "account_id": account, "eks_latest_version": latest}
