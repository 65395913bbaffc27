"""The pack's analyzer servicers in-process: the stock pulumi_policy servicer and eksguard's TypeDispatchingServicer,
called with the same protobuf requests the engine sends (no gRPC hop, so property-based tests stay fast).

The served pack (the ``pack`` fixture) is the authority; these let tests compare the two servicers response by
response and throw many generated resources at every policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from eksguard_policies import servicer as fast
from eksguard_policies.pack import PACK_NAME, build
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel

from eksguard.protocol.analyzer import LEVELS, Resource, config_with_defaults
from eksguard.protocol.wire import to_struct


class InProcessPack:
    def __init__(self, *, stock: bool) -> None:
        cls = fast._Stock if stock else fast.TypeDispatchingServicer
        self.servicer = cls(PACK_NAME, "0.0.1", build(), EnforcementLevel.ADVISORY)
        self.info = self.servicer.GetAnalyzerInfo(empty_pb2.Empty(), None)
        self.configure({})

    def configure(self, overrides: Mapping[str, Any]) -> None:
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, entry in config_with_defaults(self.info, overrides).items():
            msg = request.policyConfig[name]
            msg.enforcementLevel = LEVELS[entry["enforcementLevel"]]
            props = {k: v for k, v in entry.items() if k != "enforcementLevel"}
            if props:
                msg.properties.CopyFrom(to_struct(props))
        self.servicer.Configure(request, None)

    def analyze(self, resource: Resource) -> analyzer_pb2.AnalyzeResponse:
        return self.servicer.Analyze(resource.analyze_request(), None)

    def remediate(self, resource: Resource) -> analyzer_pb2.RemediateResponse:
        return self.servicer.Remediate(resource.analyze_request(), None)

    def analyze_stack(self, resources: Iterable[Resource]) -> analyzer_pb2.AnalyzeResponse:
        request = analyzer_pb2.AnalyzeStackRequest(resources=[r.stack_resource() for r in resources])
        return self.servicer.AnalyzeStack(request, None)
