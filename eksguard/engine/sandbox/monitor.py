"""The resource monitor the program talks to: Pulumi's mock monitor, answering as a preview does and recording,
for every registration, what the real engine would send a policy pack.

- Properties keep their wire form (camelCase names, unknown sentinels, secret wrappers), with a resource
  reference replaced by the referenced resource's id (a custom resource; unknown until created) or URN (a
  component), as the engine marshals analyzer properties without ``KeepResources`` (pulumi
  ``sdk/go/common/resource/plugin/analyzer_plugin.go`` ``Analyze``/``AnalyzeStack``, and ``rpc.go``
  ``MarshalPropertyValue``/``UnmarshalPropertyValue`` for resource references: an empty id means unknown).
- Names the provider would assign in Check are filled in (:mod:`.autonaming`), in the recorded inputs and in
  the outputs the program reads.
- Outputs are the inputs (a preview's planned state); the id and every other computed output stay unknown,
  except with ``assume_apply``, where ids, ARNs and a few EKS cluster outputs get placeholders.
- Invokes and component method calls are answered by ``eksguard check`` over the channel.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import provider_pb2, resource_pb2

from .autonaming import UNKNOWN, SdkInputs, autoname
from .channel import Channel

SIG_KEY = "4dabf18193072939515e22adb298388d"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_RESOURCE_SIG_BYTES = RESOURCE_SIG.encode()
STACK_TYPE = "pulumi:pulumi:Stack"
PLACEHOLDER_ACCOUNT = "123456789012"
SITE_MARKERS = ("site-packages", "dist-packages", f"{os.sep}.venv{os.sep}")
_GLOBAL_SERVICES = frozenset({"iam"})
"""Services whose ARNs carry no region."""
# Computed outputs given placeholder values under --assume-apply (docs/fixtures.md lists them).
APPLY_PLACEHOLDERS: dict[str, dict[str, Any]] = {
    "aws:eks/cluster:Cluster": {
        "endpoint": "https://0123456789ABCDEF.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="},
        "identities": [{"oidcs": [{"issuer": "https://oidc.eks.{region}.amazonaws.com/id/0123456789ABCDEF"}]}],
        "clusterId": "{name}-id",
        "platformVersion": "eks.1",
        "status": "ACTIVE",
    },
}


def as_engine_sends(value: Any) -> Any:
    """``value`` (wire form) with each resource reference replaced by its id or URN, as the engine sends it."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == RESOURCE_SIG:
            if "id" in value:
                ident = value["id"]
                return ident if isinstance(ident, str) and ident not in ("", UNKNOWN) else UNKNOWN
            return value.get("urn", "")
        return {k: as_engine_sends(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_engine_sends(v) for v in value]
    return value


def wire_object(struct: struct_pb2.Struct) -> dict[str, Any]:
    props = json_format.MessageToDict(struct)
    # Checking the encoded bytes (C code) is far cheaper than walking every property map in Python.
    if _RESOURCE_SIG_BYTES in struct.SerializeToString():
        props = as_engine_sends(props)
    return props


def to_struct(value: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


class Locator:
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
        if any(marker in str(path) for marker in SITE_MARKERS) or not _is_relative_to(path, self.program_dir):
            return None
        base = self.source_root if _is_relative_to(path, self.source_root) else self.program_dir
        return path.relative_to(base).as_posix()

    def locate(self, request: Any) -> list | None:
        for frame in request.stackTrace.frames:
            if frame.HasField("pc"):
                rel = self.relative(frame.pc.uri)
                if rel is not None:
                    return [rel, frame.pc.line]
        if request.HasField("sourcePosition"):
            rel = self.relative(request.sourcePosition.uri)
            if rel is not None:
                return [rel, request.sourcePosition.line]
        return None


def _is_relative_to(path: Path, base: Path) -> bool:
    try:
        path.relative_to(base)
    except ValueError:
        return False
    return True


def _format(value: Any, **names: str) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: _format(v, **names) for k, v in value.items()}
    if isinstance(value, list):
        return [_format(v, **names) for v in value]
    return value


class RecordingMonitor(MockMonitor):
    """Answers the program as the engine does in a preview and streams each registration to ``eksguard check``."""

    def __init__(self, channel: Channel, locator: Locator, region: str, assume_apply: bool) -> None:
        super().__init__(mocks=None)  # type: ignore[arg-type]  # every call the mocks would serve is overridden
        self.channel = channel
        self.locator = locator
        self.region = region
        self.assume_apply = assume_apply
        self.stack_urn = ""
        self.count = 0
        self.sdk_inputs = SdkInputs()
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # As the engine does, the root stack's type is not part of its children's URNs.
        return super().make_urn("" if parent == self.stack_urn else parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            self.stack_urn = urn
            return resource_pb2.RegisterResourceResponse(urn=urn)
        props = wire_object(request.object)
        added = autoname(request.type, urn, props, self.sdk_inputs) if request.custom else None
        if added:
            props.update(added)
        resource_id, outputs = "", None
        if request.custom:
            resource_id, applied = self._applied(request, props)
            outputs = struct_pb2.Struct()
            outputs.CopyFrom(request.object)
            outputs.update({**(added or {}), **applied})
        with self._lock:
            self.resources[urn] = self.ResourceRegistration(urn, resource_id, {})
            self.count += 1
        self.channel.send(
            {
                "kind": "resource",
                "type": request.type,
                "name": request.name,
                "urn": urn,
                "properties": props,
                "parent": request.parent,
                "dependencies": list(request.dependencies),
                "property_dependencies": {k: list(v.urns) for k, v in request.propertyDependencies.items()},
                "protect": bool(request.protect),
                "custom": bool(request.custom),
                "remote": bool(request.remote),
                "location": self.locator.locate(request),
                "provider": request.provider,
            }
        )
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=outputs)

    def _applied(self, request: Any, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The id and the computed outputs a preview does not know; placeholders under ``assume_apply``."""
        if not self.assume_apply:
            return request.importId, {}
        resource_id = request.importId or f"{request.name}-id"
        applied: dict[str, Any] = {}
        if request.type.startswith("aws:"):
            service = request.type.split(":")[1].split("/")[0]
            kind = request.type.rsplit(":", 1)[-1].lower()
            region = "" if service in _GLOBAL_SERVICES else self.region
            named = props.get("name") if isinstance(props.get("name"), str) else request.name
            applied["arn"] = f"arn:aws:{service}:{region}:{PLACEHOLDER_ACCOUNT}:{kind}/{named}"
        for key, value in APPLY_PLACEHOLDERS.get(request.type, {}).items():
            applied[key] = _format(value, name=request.name, region=self.region)
        return resource_id, {k: v for k, v in applied.items() if k not in props}

    def ExistsResource(self, request: Any) -> Any:
        # MockMonitor scans every resource here; nothing in a check run needs the answer.
        return resource_pb2.ExistsResourceResponse(exists=False)

    def ReadResource(self, request: Any) -> Any:
        # `Resource.get(...)` reads live state, which an offline run cannot see: the id is the one given, every
        # other property unknown, as for a resource the preview has not created yet.
        urn = self.make_urn(request.parent, request.type, request.name)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=struct_pb2.Struct())

    def Invoke(self, request: Any) -> Any:
        if request.tok == "pulumi:pulumi:getResource":
            return super().Invoke(request)
        answer = self.channel.request({"kind": "invoke", "token": request.tok, "args": wire_object(request.args)})
        if "failure" in answer:
            failure = provider_pb2.CheckFailure(property="", reason=answer["failure"])
            return resource_pb2.ResourceInvokeResponse(failures=[failure])
        if "result" not in answer:
            # What the engine answers for an invoke it cannot serve yet: the whole result is unknown.
            return resource_pb2.ResourceInvokeResponse(unknown=True)
        return resource_pb2.ResourceInvokeResponse(**{"return": to_struct(answer["result"])})

    def Call(self, request: Any) -> Any:
        answer = self.channel.request({"kind": "call", "token": request.tok, "args": wire_object(request.args)})
        # Any unknown value makes the SDK resolve the whole result as unknown.
        result = answer.get("result", {"result": UNKNOWN})
        return provider_pb2.CallResponse(**{"return": to_struct(result)})
