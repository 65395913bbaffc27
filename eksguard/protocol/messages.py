"""What the engine and a policy pack exchange over the analyzer protocol, in Python form: enforcement levels,
the resources sent to Analyze, the diagnostics that come back, and the policy config sent to Configure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from eksguard.protocol.wire import to_struct

LEVELS = {"advisory": 0, "mandatory": 1, "disabled": 2, "remediate": 3}
LEVEL_NAMES = {v: k for k, v in LEVELS.items()}
SEVERITY_NAMES = {0: "unspecified", 1: "low", 2: "medium", 3: "high", 4: "critical"}


@dataclass
class Resource:
    """One resource as the engine describes it to an analyzer (wire-form properties)."""

    type: str
    name: str
    urn: str
    properties: Mapping[str, Any]
    parent: str = ""
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    provider: Mapping[str, Any] | None = None
    """``{"type", "urn", "name", "properties"}`` of the resource's provider, when known."""
    protect: bool = False

    def _options(self) -> analyzer_pb2.AnalyzerResourceOptions:
        return analyzer_pb2.AnalyzerResourceOptions(protect=self.protect, parent=self.parent)

    def _provider(self) -> analyzer_pb2.AnalyzerProviderResource | None:
        if not self.provider:
            return None
        return analyzer_pb2.AnalyzerProviderResource(
            type=self.provider.get("type", ""),
            urn=self.provider.get("urn", ""),
            name=self.provider.get("name", ""),
            properties=to_struct(self.provider.get("properties", {})),
        )

    def _described(self) -> dict[str, Any]:
        """The fields an Analyze request and an AnalyzeStack resource share."""
        return {
            "type": self.type,
            "properties": to_struct(self.properties),
            "urn": self.urn,
            "name": self.name,
            "options": self._options(),
            "provider": self._provider(),
        }

    def analyze_request(self) -> analyzer_pb2.AnalyzeRequest:
        """This resource as an Analyze (or Remediate) request."""
        return analyzer_pb2.AnalyzeRequest(**self._described())

    def stack_resource(self) -> analyzer_pb2.AnalyzerResource:
        """This resource as one entry of an AnalyzeStack request."""
        return analyzer_pb2.AnalyzerResource(
            **self._described(),
            parent=self.parent,
            dependencies=list(self.dependencies),
            propertyDependencies={
                k: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(v))
                for k, v in self.property_dependencies.items()
            },
        )


@dataclass(frozen=True)
class Diagnostic:
    """One policy violation a pack reported, with level and severity by name."""

    policy: str
    message: str
    urn: str
    level: str
    severity: str
    description: str
    pack: str


@dataclass(frozen=True)
class AnalyzeResult:
    """A pack's answer to Analyze or AnalyzeStack."""

    diagnostics: list[Diagnostic]
    not_applicable: dict[str, str]
    """Policy name to the reason it did not apply."""


@dataclass(frozen=True)
class Remediation:
    """One policy's answer to Remediate."""

    policy: str
    properties: dict[str, Any] | None
    """The full remediated property map in wire form, or None when only a diagnostic came back."""
    diagnostic: str


def analyze_result(response: analyzer_pb2.AnalyzeResponse) -> AnalyzeResult:
    """An Analyze or AnalyzeStack response with its enum values named."""
    return AnalyzeResult(
        diagnostics=[
            Diagnostic(
                policy=d.policyName,
                message=d.message,
                urn=d.urn,
                level=LEVEL_NAMES.get(d.enforcementLevel, "advisory"),
                severity=SEVERITY_NAMES.get(d.severity, "unspecified"),
                description=d.description,
                pack=d.policyPackName,
            )
            for d in response.diagnostics
        ],
        not_applicable={n.policy_name: n.reason for n in response.not_applicable},
    )


def config_with_defaults(
    info: analyzer_pb2.AnalyzerInfo, overrides: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """What the engine sends to Configure: each policy's JSON-schema defaults, then the user's config.

    ``overrides`` is Pulumi's ``--policy-pack-config`` format: ``{policy: level}`` or
    ``{policy: {"enforcementLevel": level, prop: value}}``; ``"all"`` sets the level of every policy.
    """
    overrides = dict(overrides or {})
    all_level = overrides.pop("all", None)
    if isinstance(all_level, Mapping):
        all_level = all_level.get("enforcementLevel")
    result: dict[str, dict[str, Any]] = {}
    for policy in info.policies:
        # The engine always sends a level: the policy's own unless the user overrides it.
        entry: dict[str, Any] = {"enforcementLevel": LEVEL_NAMES.get(policy.enforcementLevel, "advisory")}
        if policy.HasField("configSchema"):
            schema = struct_to_dict(policy.configSchema.properties)
            for key, prop in schema.items():
                if isinstance(prop, Mapping) and "default" in prop:
                    entry[key] = prop["default"]
        if all_level is not None:
            entry["enforcementLevel"] = all_level
        user = overrides.get(policy.name)
        if isinstance(user, str):
            entry["enforcementLevel"] = user
        elif isinstance(user, Mapping):
            entry.update(user)
        result[policy.name] = entry
    return result


def struct_to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A protobuf Struct as plain JSON values."""
    from google.protobuf import json_format

    return json_format.MessageToDict(struct)
