"""The pack as the Pulumi engine sees it: metadata, configuration, exemptions, remediation, stack analysis,
unknowns and secrets, and the proof that eksguard's fast Analyze answers exactly what the stock servicer answers."""

from __future__ import annotations

import json
import os
import runpy
from collections.abc import Iterator
from typing import Any

import pytest
from eksguard_policies import servicer, values
from eksguard_policies.catalogue import default_catalogue
from eksguard_policies.framework import EXEMPTIONS_SCHEMA
from google.protobuf import json_format
from pulumi.runtime.proto.analyzer_pb2 import POLICY_TYPE_RESOURCE, POLICY_TYPE_STACK
from pulumi_policy import policy as sdk
from pulumi_policy.proxy import unknown_checking_proxy

from eksguard.protocol.analyzer import LEVEL_NAMES, SEVERITY_NAMES, PolicyPackProcess, struct_to_dict
from eksguard.protocol.wire import UNKNOWN, Secret

from .cases import HARDENED_AWS_CLUSTER
from .gather import all_cases, all_stack_cases
from .pack_driver import PACK_DIR, PackDriver, resource
from .servicers import InProcessPack

CATALOGUE = default_catalogue()
CLUSTER = "aws:eks/cluster:Cluster"
TRAIL = "aws:cloudtrail/trail:Trail"
PUBLIC = "eks-endpoint-public-access"
OPEN = "eks-public-access-cidrs-open"
LOGS = "eks-control-plane-logging"
PRIVATE_CLUSTER = HARDENED_AWS_CLUSTER
PUBLIC_CLUSTER = {
    **PRIVATE_CLUSTER,
    "vpcConfig": {"endpointPublicAccess": True, "endpointPrivateAccess": True, "publicAccessCidrs": ["10.0.0.0/8"]},
}
DEFAULT_ENDPOINT = {**PRIVATE_CLUSTER, "vpcConfig": {"endpointPrivateAccess": True}}
"""The public endpoint left to the AWS default: public, open to the internet."""
AS_OF = {"eks-version-standard-support": {"asOf": "2026-11-28"}}


# --- GetAnalyzerInfo ------------------------------------------------------------------------------------------


def test_every_control_is_a_policy_and_nothing_else(pack: PackDriver) -> None:
    assert [p.name for p in pack.info.policies] == list(CATALOGUE)


@pytest.mark.parametrize("control_id", list(CATALOGUE))
def test_policy_metadata_comes_from_the_catalogue(pack: PackDriver, control_id: str) -> None:
    control = CATALOGUE[control_id]
    info = next(p for p in pack.info.policies if p.name == control_id)
    assert info.description == control.title
    assert info.displayName == control.title
    assert info.remediation_steps == control.remediation
    assert SEVERITY_NAMES[info.severity] == control.severity
    assert LEVEL_NAMES[info.enforcementLevel] == (
        "mandatory" if control.severity in ("critical", "high") and not control.account_level else "advisory"
    )
    assert control.area in info.tags
    assert {f"checkov:{c}" for c in control.references.checkov} <= set(info.tags)
    assert {f"securityhub:{s}" for s in control.references.security_hub} <= set(info.tags)
    assert {f"prowler:{p}" for p in control.references.prowler} <= set(info.tags)
    assert {f"kubescape:{k}" for k in control.references.kubescape} <= set(info.tags)
    if control.references.cis:
        assert (info.framework.name, info.framework.version) == ("CIS Amazon EKS Benchmark", "1.8.0")
        assert info.framework.reference == ", ".join(control.references.cis)
    else:
        assert not info.HasField("framework")
    schema = struct_to_dict(info.configSchema.properties)
    assert schema["exemptions"] == EXEMPTIONS_SCHEMA
    assert schema["exemptions"]["items"]["required"] == ["pattern", "reason"]
    assert all("default" in prop for prop in schema.values()), f"{control_id}: every config property needs a default"


def test_policy_types_match_rule_kinds(pack: PackDriver) -> None:
    stack_policies = {p.name for p in pack.info.policies if p.policy_type == POLICY_TYPE_STACK}
    resource_policies = {p.name for p in pack.info.policies if p.policy_type == POLICY_TYPE_RESOURCE}
    assert {"stack-multi-region-trail", "stack-trail-bucket-public-access-block"} <= stack_policies
    assert {"eks-endpoint-public-access", "cloudtrail-kms", "kms-key-rotation"} <= resource_policies
    assert stack_policies | resource_policies == set(CATALOGUE)


# --- Configure ------------------------------------------------------------------------------------------------


def _levels(pack: PackDriver, props: dict[str, Any]) -> dict[str, str]:
    return {d.policy: d.level for d in pack.analyze(CLUSTER, props)}


def test_default_levels_follow_severity(pack: PackDriver) -> None:
    with pack.configured(AS_OF):
        assert _levels(pack, DEFAULT_ENDPOINT) == {PUBLIC: "advisory", OPEN: "mandatory"}


def test_level_override_disable_and_all(pack: PackDriver) -> None:
    props = DEFAULT_ENDPOINT
    with pack.configured({**AS_OF, PUBLIC: "mandatory", OPEN: "disabled"}):
        assert _levels(pack, props) == {PUBLIC: "mandatory"}
    with pack.configured({**AS_OF, "all": "disabled"}):
        assert _levels(pack, props) == {}
    with pack.configured({**AS_OF, "all": "advisory"}):
        assert _levels(pack, props) == {PUBLIC: "advisory", OPEN: "advisory"}
    with pack.configured({**AS_OF, "all": "remediate"}):  # violations seen at remediate are reported as mandatory
        assert _levels(pack, props) == {PUBLIC: "mandatory", OPEN: "mandatory"}


def test_config_values_reach_the_rule(pack: PackDriver) -> None:
    mixed = {
        **PRIVATE_CLUSTER,
        "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": False},
    }
    with pack.configured(AS_OF):
        assert pack.violations(CLUSTER, mixed) == {"eks-authentication-mode"}
    with pack.configured({**AS_OF, "eks-authentication-mode": {"allowApiAndConfigMap": True}}):
        assert pack.violations(CLUSTER, mixed) == set()
    old = {**PRIVATE_CLUSTER, "version": "1.33"}
    with pack.configured({"eks-version-standard-support": {"asOf": "2026-07-28"}}):
        assert pack.violations(CLUSTER, old) == set()
    with pack.configured({"eks-version-standard-support": {"asOf": "2026-07-29"}}):
        assert pack.violations(CLUSTER, old) == {"eks-version-standard-support"}


# --- exemptions -----------------------------------------------------------------------------------------------


def _exempt(pattern: str, reason: str = "break-glass access reviewed in SEC-42") -> dict[str, Any]:
    return {**AS_OF, PUBLIC: {"exemptions": [{"pattern": pattern, "reason": reason}]}}


@pytest.mark.parametrize(
    ("pattern", "exempted"),
    [
        ("legacy-*", True),  # resource name
        ("*::aws:eks/cluster:Cluster::legacy-eks", True),  # URN
        ("other-*", False),
        ("LEGACY-*", False),  # case-sensitive
    ],
)
def test_exemptions_match_name_or_urn(pack: PackDriver, pattern: str, exempted: bool) -> None:
    with pack.configured(_exempt(pattern)):
        result = pack.process.analyze(resource(CLUSTER, PUBLIC_CLUSTER, name="legacy-eks"))
    policies = {d.policy for d in result.diagnostics}
    exemptions = {p: r for p, r in result.not_applicable.items() if r.startswith("exempted")}
    if exempted:
        assert exemptions == {PUBLIC: "exempted: break-glass access reviewed in SEC-42"}
        assert policies == set()
    else:
        assert exemptions == {}
        assert policies == {PUBLIC}


def test_an_exemption_without_a_reason_exempts_nothing(pack: PackDriver) -> None:
    with pack.configured(_exempt("legacy-*", reason="  ")):
        assert pack.violations(CLUSTER, PUBLIC_CLUSTER, name="legacy-eks") == {PUBLIC}


def test_exemptions_are_per_policy(pack: PackDriver) -> None:
    props = {**PUBLIC_CLUSTER, "enabledClusterLogTypes": ["api"]}
    with pack.configured(_exempt("legacy-*")):
        assert pack.violations(CLUSTER, props, name="legacy-eks") == {LOGS}


# --- Remediate ------------------------------------------------------------------------------------------------


def test_remediation_runs_only_at_level_remediate(pack: PackDriver) -> None:
    props = {**PRIVATE_CLUSTER, "enabledClusterLogTypes": []}
    with pack.configured({**AS_OF, LOGS: "mandatory"}):
        assert pack.process.remediate(resource(CLUSTER, props)) == []
    with pack.configured({**AS_OF, LOGS: "remediate"}):
        remediations = pack.process.remediate(resource(CLUSTER, props))
    assert [(r.policy, r.properties) for r in remediations] == [(LOGS, PRIVATE_CLUSTER)]


def test_exempted_resources_are_not_remediated(pack: PackDriver) -> None:
    props = {**PRIVATE_CLUSTER, "enabledClusterLogTypes": []}
    config = {**AS_OF, LOGS: {"enforcementLevel": "remediate", "exemptions": [{"pattern": "r", "reason": "x"}]}}
    with pack.configured(config):
        assert pack.remediate(CLUSTER, props) is None


def test_remediation_with_unknown_input_is_reported_not_applied(pack: PackDriver) -> None:
    with pack.configured({"kms-key-rotation": "remediate"}):
        remediations = pack.process.remediate(resource("aws:kms/key:Key", {"enableKeyRotation": UNKNOWN}))
    assert [(r.policy, r.properties) for r in remediations] == [("kms-key-rotation", None)]
    assert "during preview" in remediations[0].diagnostic


# --- AnalyzeStack, unknowns, secrets ----------------------------------------------------------------------------


def test_stack_diagnostics_carry_the_resource_urn_and_level(pack: PackDriver) -> None:
    bucket = resource("aws:s3/bucket:Bucket", {"bucket": "audit-bucket"}, name="audit-bucket")
    trail = resource("aws:cloudtrail/trail:Trail", {"s3BucketName": "audit-bucket", "isMultiRegionTrail": True})
    cluster = resource(CLUSTER, PRIVATE_CLUSTER, name="prod")
    result = pack.process.analyze_stack([cluster, bucket, trail])
    assert [(d.policy, d.urn, d.level, d.severity) for d in result.diagnostics] == [
        ("eks-addon-identity", cluster.urn, "mandatory", "high"),  # EKS's own vpc-cni, with the node role
        ("stack-trail-bucket-public-access-block", bucket.urn, "mandatory", "high"),
        ("eks-control-plane-log-group", cluster.urn, "advisory", "medium"),  # EKS would create it itself
    ]


def test_unknown_values_make_a_policy_not_checkable_not_violated(pack: PackDriver) -> None:
    props = {**PRIVATE_CLUSTER, "enabledClusterLogTypes": UNKNOWN}
    with pack.configured(AS_OF):
        diagnostics = pack.analyze(CLUSTER, props)
    assert [(d.policy, d.level) for d in diagnostics] == [(LOGS, "advisory")]
    assert diagnostics[0].message == (
        f"can't run policy '{LOGS}' from policy pack 'eksguard@v0.0.1' during preview: "
        "string value at .enabledClusterLogTypes can't be known during preview"
    )


def test_secret_values_are_checked_like_plain_ones(pack: PackDriver) -> None:
    secret = {
        **PRIVATE_CLUSTER,
        "vpcConfig": Secret(
            {"endpointPublicAccess": True, "endpointPrivateAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}
        ),
    }
    with pack.configured(AS_OF):
        assert pack.violations(CLUSTER, secret) == {PUBLIC, OPEN}
        assert pack.violations(CLUSTER, {**PRIVATE_CLUSTER, "version": Secret("1.35")}) == set()


SECRET_TEXT = "hunter2-do-not-print"
SECRET_DATA_FIELDS = [
    (
        "kubernetes:core/v1:Pod",
        {
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "app",
                        "args": [f"--password={SECRET_TEXT}", "AKIAIOSFODNN7EXAMPLE"],
                        "env": [
                            {"name": "DB_PASSWORD", "value": Secret(SECRET_TEXT)},
                            {"name": "API_TOKEN", "value": SECRET_TEXT},
                            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "t", "key": "k"}}},
                        ],
                    }
                ]
            }
        },
    ),
    ("aws:ec2/launchTemplate:LaunchTemplate", {"userData": Secret(SECRET_TEXT), "metadataOptions": {}}),
    (
        "aws:iam/policy:Policy",
        {
            "policy": Secret(
                json.dumps({"Statement": [{"Sid": SECRET_TEXT, "Effect": "Allow", "Action": "*", "Resource": "*"}]})
            )
        },
    ),
    ("aws:kms/key:Key", {"description": Secret(SECRET_TEXT), "tags": {"owner": Secret(SECRET_TEXT)}}),
]


@pytest.mark.parametrize(("resource_type", "props"), SECRET_DATA_FIELDS, ids=lambda v: str(v)[:40])
def test_messages_never_echo_secret_data_fields(pack: PackDriver, resource_type: str, props: dict) -> None:
    diagnostics = pack.analyze(resource_type, props)
    assert diagnostics, "the resource must violate something for the test to mean anything"
    assert [d.message for d in diagnostics if SECRET_TEXT in d.message] == []


# --- the fast servicer ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stock_pack() -> Iterator[PackDriver]:
    env = {**os.environ, servicer.STOCK_ENV: "1"}
    with PolicyPackProcess(PACK_DIR, env=env) as process:
        yield PackDriver(process)


# Levels as configured by default, all remediate (REMEDIATE is reported as mandatory), and a disabled policy.
DIFFERENTIAL_CONFIGS = [AS_OF, {**AS_OF, "all": "remediate"}, {"all": "mandatory", PUBLIC: "disabled"}]


def test_served_fast_and_stock_packs_answer_identically(pack: PackDriver, stock_pack: PackDriver) -> None:
    cases = all_cases()
    assert len(cases) > 50
    compared = 0
    for config in DIFFERENTIAL_CONFIGS:
        with pack.configured(config), stock_pack.configured(config):
            for c in cases:
                request = c.resource().analyze_request()
                fast, stock = pack.process.stub.Analyze(request), stock_pack.process.stub.Analyze(request)
                assert fast == stock, f"{c.id} under {config}: Analyze differs"
                if config.get("all") == "remediate":  # Remediate is stock code in both; checked where it acts
                    fast, stock = pack.process.stub.Remediate(request), stock_pack.process.stub.Remediate(request)
                    assert fast == stock, f"{c.id} under {config}: Remediate differs"
                compared += 1
    for _, resources, _, config in all_stack_cases():
        with pack.configured(config), stock_pack.configured(config):
            assert pack.process.analyze_stack(resources) == stock_pack.process.analyze_stack(resources)
    assert compared == len(cases) * len(DIFFERENTIAL_CONFIGS)


@pytest.fixture
def deserializations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per properties deserialization, by either servicer."""
    calls: list[int] = []
    original = servicer.deserialize_properties
    monkeypatch.setattr(servicer, "deserialize_properties", lambda *a: calls.append(1) or original(*a))
    monkeypatch.setattr(sdk, "deserialize_properties", lambda *a: calls.append(1) or original(*a))
    return calls


def test_fast_servicer_deserializes_once_per_resource(deserializations: list[int]) -> None:
    calls = deserializations
    fast, stock = InProcessPack(stock=False), InProcessPack(stock=True)
    cluster = resource(CLUSTER, PUBLIC_CLUSTER)
    calls.clear()
    fast.analyze(cluster)
    assert len(calls) == 1
    calls.clear()
    stock.analyze(cluster)
    resource_policies = sum(1 for p in stock.info.policies if p.policy_type == POLICY_TYPE_RESOURCE)
    assert len(calls) == resource_policies  # what the fast servicer saves
    calls.clear()
    fast.analyze(resource("aws:ec2/eip:Eip", {}))  # a type no policy checks: nothing to deserialize
    assert calls == []


def _served_servicer(monkeypatch: pytest.MonkeyPatch) -> type:
    """Run policies/__main__.py with PolicyPack replaced by a recorder; the servicer class it would serve with."""
    served: list[type] = []
    monkeypatch.setattr(sdk, "_PolicyAnalyzerServicer", servicer._Stock)

    def record(**kwargs: Any) -> None:
        served.append(sdk._PolicyAnalyzerServicer)

    import pulumi_policy

    monkeypatch.setattr(pulumi_policy, "PolicyPack", record)
    runpy.run_path(str(PACK_DIR / "__main__.py"), run_name="__main__")
    monkeypatch.setattr(sdk, "_PolicyAnalyzerServicer", servicer._Stock)
    return served[0]


def test_the_pack_serves_with_the_fast_servicer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(servicer.STOCK_ENV, raising=False)
    assert _served_servicer(monkeypatch) is servicer.TypeDispatchingServicer


def test_the_environment_switch_serves_the_stock_servicer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(servicer.STOCK_ENV, "1")
    assert _served_servicer(monkeypatch) is servicer._Stock


def test_an_unknown_sdk_release_gets_the_stock_servicer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(servicer.STOCK_ENV, raising=False)
    monkeypatch.setattr(servicer, "SDK_VERSION", "1.22.0")
    assert _served_servicer(monkeypatch) is servicer._Stock


def test_fast_servicer_builds_stack_resources_once(deserializations: list[int]) -> None:
    calls = deserializations
    fast, stock = InProcessPack(stock=False), InProcessPack(stock=True)
    stack = [resource(CLUSTER, PUBLIC_CLUSTER, name="a"), resource(TRAIL, {}, name="b")]
    calls.clear()
    fast.analyze_stack(stack)
    assert len(calls) == len(stack)
    calls.clear()
    stock.analyze_stack(stack)
    stack_policies = sum(1 for p in stock.info.policies if p.policy_type == POLICY_TYPE_STACK)
    assert len(calls) == len(stack) * stack_policies


@pytest.mark.parametrize(
    ("props", "proxied"),
    [
        ({"vpcConfig": {"endpointPublicAccess": False}, "tags": {"a": "b"}}, False),
        ({"vpcConfig": {"publicAccessCidrs": ["10.0.0.0/8", UNKNOWN]}}, True),
        ({"vpcConfig": Secret({"endpointPublicAccess": UNKNOWN})}, True),
        ({"encryptionConfig": Secret({"provider": {"keyArn": "arn:aws:kms:eu-west-1:1:key/k"}})}, False),
    ],
)
def test_rules_get_the_plain_tree_unless_a_value_is_unknown(props: dict[str, Any], proxied: bool) -> None:
    """Without an unknown value the SDK's proxy cannot raise, so the fast servicer skips it (the answers stay
    identical: test_served_fast_and_stock_packs_answer_identically, test_fuzz)."""
    checked = servicer.checked_props(resource(CLUSTER, props).analyze_request().properties)
    assert isinstance(checked, dict) is not proxied
    assert values.raw(checked) == values.raw(
        unknown_checking_proxy(
            servicer.deserialize_properties(
                json_format.MessageToDict(resource(CLUSTER, props).analyze_request().properties)
            )
        )
    )
