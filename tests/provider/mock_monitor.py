"""A resource monitor (the engine's side of a Construct call) that records registrations over gRPC.

Custom resources get an id derived from their name and echo their inputs as outputs, as a preview with
known values would; invokes are answered by a callable (the check command's fixtures, in the tests)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import resource_pb2, resource_pb2_grpc

InvokeAnswers = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]


class RecordingMonitor(resource_pb2_grpc.ResourceMonitorServicer):
    def __init__(self, answer: InvokeAnswers, stack: str = "test", project: str = "consumer") -> None:
        self.answer = answer
        self.prefix = f"urn:pulumi:{stack}::{project}::"
        self.registrations: list[dict[str, Any]] = []
        self.invokes: list[tuple[str, dict[str, Any]]] = []
        self.component_outputs: dict[str, dict[str, Any]] = {}
        self._server: grpc.Server | None = None

    def start(self) -> str:
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        resource_pb2_grpc.add_ResourceMonitorServicer_to_server(self, self._server)
        port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        return f"127.0.0.1:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(0)

    def by_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {r["name"]: r for r in self.registrations if r["type"] == resource_type}

    # ResourceMonitor ---------------------------------------------------------------------------------
    def SupportsFeature(self, request, context):
        return resource_pb2.SupportsFeatureResponse(hasSupport=False)

    def RegisterResource(self, request, context):
        urn = f"{self.prefix}{request.type}::{request.name}"
        inputs = json_format.MessageToDict(request.object)
        self.registrations.append(
            {
                "type": request.type,
                "name": request.name,
                "custom": request.custom,
                "parent": request.parent,
                "inputs": inputs,
                "property_dependencies": {k: sorted(v.urns) for k, v in request.propertyDependencies.items()},
            }
        )
        return resource_pb2.RegisterResourceResponse(
            urn=urn, id=f"{request.name}-id" if request.custom else "", object=request.object
        )

    def RegisterResourceOutputs(self, request, context):
        self.component_outputs[request.urn] = json_format.MessageToDict(request.outputs)
        return empty_pb2.Empty()

    def Invoke(self, request, context):
        args = json_format.MessageToDict(request.args)
        self.invokes.append((request.tok, args))
        result = struct_pb2.Struct()
        result.update(dict(self.answer(request.tok, args)))
        response = resource_pb2.ResourceInvokeResponse()
        getattr(response, "return").CopyFrom(result)
        return response
