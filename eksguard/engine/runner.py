"""Runs a Pulumi Python program as a real preview would and records what the engine would send a policy pack.

The program runs in its own process, under the interpreter the Pulumi CLI would use (:mod:`.environment`),
on the recording monitor of :mod:`eksguard.engine.sandbox`; this side serves its invokes and method calls
(:mod:`.invokes`) and collects each registration as it arrives, in wire form (camelCase names, unknown
sentinels, secret wrappers, resource references as ids or URNs, provider-assigned names filled in).
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eksguard.engine.environment import ProgramEnvironment, program_environment
from eksguard.engine.errors import ProgramError, UsageError
from eksguard.engine.fixtures import InvokeFixtures
from eksguard.engine.invokes import InvokeAnswers, InvokeFailed
from eksguard.engine.project import Project
from eksguard.engine.sandbox.channel import Channel
from eksguard.engine.sandbox.monitor import PLACEHOLDER_ACCOUNT
from eksguard.protocol.analyzer import Resource
from eksguard.reporters.model import SourceLocation

SANDBOX = Path(__file__).resolve().parent / "sandbox"


@dataclass
class RecordedResource:
    """A registered resource: the analyzer's view plus where the program declared it."""

    resource: Resource
    custom: bool
    location: SourceLocation | None = None
    provider_ref: str = ""
    remote: bool = False
    """A component served by another plugin (pulumi-eks, awsx): a real preview would also show its children."""


@dataclass
class ProgramRun:
    project: Project
    source_root: Path
    resources: list[RecordedResource] = field(default_factory=list)
    stack_urn: str = ""
    invokes: int = 0
    preview: bool = True
    unanswered_invokes: list[str] = field(default_factory=list)
    """Invoke tokens no fixture, lookup or computation answered (their results were unknown), each once."""
    environment: ProgramEnvironment | None = None


def _recorded(message: dict[str, Any]) -> RecordedResource:
    location = message["location"]
    return RecordedResource(
        resource=Resource(
            type=message["type"],
            name=message["name"],
            urn=message["urn"],
            properties=message["properties"],
            parent=message["parent"],
            dependencies=message["dependencies"],
            property_dependencies=message["property_dependencies"],
            protect=message["protect"],
        ),
        custom=message["custom"],
        location=SourceLocation(file=location[0], line=location[1]) if location else None,
        provider_ref=message["provider"],
        remote=message["remote"],
    )


class _Sandbox:
    """The program's process and the two pipes to it."""

    def __init__(self, environment: ProgramEnvironment, cwd: Path) -> None:
        to_child_r, self._to_child_w = os.pipe()
        self._from_child_r, from_child_w = os.pipe()
        self.process = subprocess.Popen(
            [str(environment.python), str(SANDBOX), str(to_child_r), str(from_child_w)],
            cwd=cwd,
            env=environment.env(dict(os.environ)),
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.channel = Channel(self._from_child_r, self._to_child_w)
        # The program's own output is drained (a chatty program cannot block on a full pipe) and kept for errors.
        self.output: dict[str, bytes] = {}
        self._drains = [
            threading.Thread(target=self._drain, args=(name, stream), daemon=True)
            for name, stream in (("stdout", self.process.stdout), ("stderr", self.process.stderr))
        ]
        for thread in self._drains:
            thread.start()

    def _drain(self, name: str, stream: Any) -> None:
        self.output[name] = stream.read()

    def messages(self) -> Iterator[dict[str, Any]]:
        """What the program's process sends, until it closes the channel."""
        while True:
            try:
                yield self.channel.receive()
            except EOFError:
                return

    def close(self) -> str:
        """Wait for the process to end; what it wrote to stderr."""
        self.channel.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for thread in self._drains:
            thread.join(timeout=5)
        return self.output.get("stderr", b"").decode(errors="replace")


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
    region = project.config.get("aws:region", "us-east-1")
    source_root = (source_root or find_source_root(project.directory)).resolve()
    if fixtures is None:
        fixtures = InvokeFixtures(variables=default_variables(region))
    environment = program_environment(project)
    answers = InvokeAnswers(fixtures, region, live=live_lookups, assume_apply=assume_apply)
    run = ProgramRun(project=project, source_root=source_root, preview=not assume_apply, environment=environment)
    sandbox = _Sandbox(environment, project.directory)
    end: dict[str, Any] | None = None
    try:
        sandbox.channel.send(
            {
                "program_dir": str(project.directory),
                "main": str(project.main),
                "project": project.name,
                "stack": project.stack,
                "config": project.config,
                "secret_keys": list(project.secret_keys),
                "assume_apply": assume_apply,
                "region": region,
                "source_root": str(source_root),
            }
        )
        for message in sandbox.messages():
            kind = message["kind"]
            if kind == "resource":
                run.resources.append(_recorded(message))
                if on_resource is not None:
                    on_resource(len(run.resources))
            elif kind in ("invoke", "call"):
                sandbox.channel.send(_answer(answers, message))
            else:
                end = message
                break
    finally:
        stderr = sandbox.close()
    run.invokes = answers.invokes
    run.unanswered_invokes = list(answers.unanswered)
    _raise_for(end, project, environment, answers, stderr)
    run.stack_urn = end["stack_urn"] if end else ""
    _attach_providers(run, project.config)
    return run


def _answer(answers: InvokeAnswers, message: dict[str, Any]) -> dict[str, Any]:
    try:
        if message["kind"] == "call":
            result = answers.call(message["token"], message["args"])
        else:
            result = answers.invoke(message["token"], message["args"])
    except InvokeFailed as exc:
        return {"failure": str(exc)}
    return {} if result is None else {"result": result}


def _raise_for(
    end: dict[str, Any] | None,
    project: Project,
    environment: ProgramEnvironment,
    answers: InvokeAnswers,
    stderr: str,
) -> None:
    """Turn the program's last word into the error ``check`` reports (exit 2), if it was one."""
    if end is None:
        detail = stderr.strip().splitlines()[-1] if stderr.strip() else "no output"
        raise ProgramError(f"the program's process ended without a result ({environment.describe()}): {detail}", stderr)
    if end["kind"] == "done":
        return
    error = end["error"]
    if answers.failure is not None:
        raise UsageError(str(answers.failure))
    if error == "config-missing":
        raise UsageError(
            f"stack {project.stack!r} is missing config key {end['key']!r}: set it in {project.stack_config_file}"
        )
    if error == "no-sdk":
        raise UsageError(
            f"the Pulumi SDK cannot be imported in {environment.describe()} ({end['message']}): "
            "install the program's requirements there (`pulumi install`)"
        )
    if error == "check-failed":
        raise ProgramError(f"the provider's Check would refuse a resource: {end['message']}", "")
    message = end["message"]
    if end.get("exception") in ("ImportError", "ModuleNotFoundError"):
        message += f" (the program ran in {environment.describe()})"
    raise ProgramError(message, end.get("traceback", ""))


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


def default_variables(region: str, account: str = PLACEHOLDER_ACCOUNT) -> dict[str, str]:
    from eksguard_policies import versions

    try:
        latest = versions.latest_version()
    except LookupError:
        latest = max(versions.load_versions(), key=lambda v: tuple(int(p) for p in v.split(".")))
    return {"aws_region": region, "account_id": account, "eks_latest_version": latest}
