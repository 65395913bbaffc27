"""A faster Analyze for the eksguard pack, answering exactly what pulumi_policy's own servicer answers.

pulumi_policy 1.21 deserializes a resource's properties once per policy inside ``Analyze`` (its loop over
policies), so a pack's rate falls with the number of policies even when they check nothing
(measured: 80 no-op policies answer ~23% of an empty pack's rate; docs/benchmarks.md). Every eksguard resource
policy names the resource types it checks (``framework.resource_rule(types=...)``) and returns at once for
any other type, so this servicer deserializes (and wraps in the SDK's unknown-checking proxy) once per
request and calls only the policies whose types include the request's type. A property tree with no unknown
value in it goes to the rules as it is: the SDK's unknown-checking proxy can raise nothing there and only costs
(one wrapper per value read; RBAC rules read a lot). AnalyzeStack likewise builds the
stack's resources once for all stack policies (the stock code rebuilds them per policy), so the policies also
share one resource graph (graph.graph_of). Everything else (levels, config, diagnostics, not-applicable reasons,
the "can't run during preview" message, Remediate, GetAnalyzerInfo, Configure) is the stock code.

``tests/policies/test_protocol.py`` proves the responses identical to the stock servicer over the real
protocol. Set ``EKSGUARD_STOCK_ANALYZER=1`` to serve with the stock servicer.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Sequence
from inspect import isawaitable
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import proto
from pulumi_policy import policy as sdk
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy
from pulumi_policy.version import VERSION as SDK_VERSION

from .values import UNKNOWN_SENTINELS

STOCK_ENV = "EKSGUARD_STOCK_ANALYZER"
RESOURCE_TYPES_ATTR = "eksguard_resource_types"
"""Set by framework.build_policies on each resource policy: the types its rule checks."""
SUPPORTED_SDK_VERSIONS = ("1.21.0",)
"""The servicer reads private state of this SDK release; any other release is served by the stock code."""

_Stock = sdk._PolicyAnalyzerServicer


_UNKNOWN_WIRE = tuple(sentinel.encode() for sentinel in UNKNOWN_SENTINELS)
"""The unknown sentinels as a serialized Struct holds them (verbatim, in a string value)."""


def _plain(value: Any) -> Any:
    """A protobuf ``Value`` as json_format.MessageToDict gives it (numbers stay floats), without its per-field
    descriptor lookups (which made it a fifth of the pack's time)."""
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "number_value":
        number = value.number_value
        if math.isinf(number) or math.isnan(number):
            return json_format.MessageToDict(value)  # raises, as the stock servicer does
        return number
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return {key: _plain(item) for key, item in value.struct_value.fields.items()}
    if kind == "list_value":
        return [_plain(item) for item in value.list_value.values]
    return None


class _Provider(sdk.PolicyProviderResource):
    """The resource's provider with its properties read when a rule first asks for them (few rules do, and a
    Kubernetes provider carries its whole kubeconfig)."""

    def __init__(self, provider: Any) -> None:
        self._message = provider.properties
        self._props: Any = None
        super().__init__(provider.type, None, provider.urn, provider.name)  # type: ignore[arg-type]

    @property  # type: ignore[override]
    def props(self) -> Any:
        if self._props is None:
            # as the stock servicer reads them (pulumi_policy 1.21.0 _get_provider_resource)
            self._props = unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(self._message)))
        return self._props

    @props.setter
    def props(self, value: Any) -> None:
        self._props = value


def checked_props(request_properties: Any) -> Any:
    """A request's properties for the rules: the SDK's unknown-checking proxy when a value may be unknown, else the
    plain tree, which answers every read the same way (rules only read props: framework contract)."""
    props = deserialize_properties({key: _plain(item) for key, item in request_properties.fields.items()})
    wire = request_properties.SerializeToString()
    return unknown_checking_proxy(props) if any(s in wire for s in _UNKNOWN_WIRE) else props


class TypeDispatchingServicer(_Stock):
    """Stock servicer whose Analyze deserializes once and skips policies that don't check the type."""

    def __init__(self, name: str, version: str, policies: list[sdk.Policy], *args: Any, **kwargs: Any) -> None:
        super().__init__(name, version, policies, *args, **kwargs)
        self._eksguard_policies = list(policies)
        self._eksguard_by_type: dict[str, list[sdk.Policy]] = {}

    def _policies_for(self, resource_type: str) -> Sequence[sdk.Policy]:
        """Resource policies that may act on ``resource_type``, in pack order (policies without declared types
        always may)."""
        found = self._eksguard_by_type.get(resource_type)
        if found is None:
            found = [
                p
                for p in self._eksguard_policies
                if isinstance(p, sdk.ResourceValidationPolicy)
                and resource_type in getattr(p, RESOURCE_TYPES_ATTR, (resource_type,))
            ]
            self._eksguard_by_type[resource_type] = found
        return found

    def Analyze(self, request: Any, _context: Any) -> Any:
        # Mirrors _PolicyAnalyzerServicer.Analyze (pulumi_policy 1.21.0) line for line, minus the skipped policies
        # and with the properties deserialized once.
        self._configure_runtime_settings()
        stack_tags = self._PolicyAnalyzerServicer__stack_tags

        response = proto.AnalyzeResponse()
        props: Any = None
        opts = provider = None

        for policy in self._policies_for(request.type):
            enforcement_level = self._get_enforcement_level(policy)
            if enforcement_level == sdk.EnforcementLevel.DISABLED:
                continue
            if not policy.has_validation():
                response.not_applicable.append(
                    proto.PolicyNotApplicable(policy_name=policy.name, reason="Policy does not implement validate")
                )
                continue
            if enforcement_level == sdk.EnforcementLevel.REMEDIATE:
                enforcement_level = sdk.EnforcementLevel.MANDATORY

            report_violation = self._create_report_violation(
                response, policy.name, policy.description, enforcement_level, policy.severity
            )
            if props is None:
                # Rules only read props (framework contract), so one tree serves every policy.
                props = checked_props(request.properties)
                opts = self._get_resource_options(request)
                provider = _Provider(request.provider) if request.HasField("provider") else None
            args = sdk.ResourceValidationArgs(
                request.type,
                props,
                request.urn,
                request.name,
                opts,
                provider,
                self._get_policy_config(policy.name),
                stack_tags,
            )
            self._validate(response, policy, args, report_violation)

        return response

    def _validate(self, response: Any, policy: sdk.Policy, args: Any, report_violation: Any) -> None:
        """Run one policy's validate as the stock Analyze and AnalyzeStack do (pulumi_policy 1.21.0)."""
        pack_name = self._PolicyAnalyzerServicer__policy_pack_name
        pack_version = self._PolicyAnalyzerServicer__policy_pack_version
        try:
            result = policy.validate(args, report_violation)
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(asyncio.Task(result, loop=loop))
                loop.close()
        except UnknownValueError as e:
            response.diagnostics.append(
                proto.AnalyzeDiagnostic(
                    policyName=policy.name,
                    policyPackName=pack_name,
                    policyPackVersion=pack_version,
                    message=(
                        f"can't run policy '{policy.name}' from policy pack "
                        f"'{pack_name}@v{pack_version}' during preview: {e.message}"
                    ),
                    urn="",
                    description=policy.description,
                    enforcementLevel=self._map_enforcement_level(sdk.EnforcementLevel.ADVISORY),
                )
            )
        except sdk._NotApplicableError as e:
            reason = e.reason or ""
            response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name, reason=reason))

    def _stack_resources(self, request: Any) -> list[sdk.PolicyResource]:
        # Mirrors the resource building of _PolicyAnalyzerServicer.AnalyzeStack (pulumi_policy 1.21.0).
        intermediates = []
        for r in request.resources:
            props = checked_props(r.properties)
            resource = sdk.PolicyResource(
                r.type,
                props,
                r.urn,
                r.name,
                self._get_resource_options(r),
                self._get_provider_resource(r),
                None,
                [],
                {},
            )
            property_dependencies = {k: list(v.urns) for k, v in r.propertyDependencies.items()}
            intermediates.append((resource, r.parent, list(r.dependencies), property_dependencies))
        by_urn = {resource.urn: resource for resource, *_ in intermediates}
        for resource, parent, dependencies, property_dependencies in intermediates:
            if parent is not None and parent in by_urn:
                resource.parent = by_urn[parent]
            resource.dependencies.extend(by_urn[d] for d in dependencies if d in by_urn)
            for key, urns in property_dependencies.items():
                resource.property_dependencies[key] = [by_urn[d] for d in urns if d in by_urn]
        return [resource for resource, *_ in intermediates]

    def AnalyzeStack(self, request: Any, _context: Any) -> Any:
        # Mirrors _PolicyAnalyzerServicer.AnalyzeStack (pulumi_policy 1.21.0), with the resources built once.
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        resources: list[sdk.PolicyResource] | None = None
        for policy in self._eksguard_policies:
            enforcement_level = self._get_enforcement_level(policy)
            if enforcement_level == sdk.EnforcementLevel.DISABLED or not isinstance(policy, sdk.StackValidationPolicy):
                continue
            if enforcement_level == sdk.EnforcementLevel.REMEDIATE:
                enforcement_level = sdk.EnforcementLevel.MANDATORY
            report_violation = self._create_report_violation(
                response, policy.name, policy.description, enforcement_level, policy.severity
            )
            if resources is None:
                resources = self._stack_resources(request)
            args = sdk.StackValidationArgs(
                resources, self._get_policy_config(policy.name), self._PolicyAnalyzerServicer__stack_tags
            )
            self._validate(response, policy, args, report_violation)
        return response


def use_stock_servicer() -> bool:
    return os.environ.get(STOCK_ENV, "") not in ("", "0") or SDK_VERSION not in SUPPORTED_SDK_VERSIONS


def install() -> None:
    """Make ``PolicyPack(...)`` serve with :class:`TypeDispatchingServicer` (unless the stock one is asked for)."""
    if not use_stock_servicer():
        sdk._PolicyAnalyzerServicer = TypeDispatchingServicer
