"""The component package as the Pulumi CLI sees it: the plugin started as ``python components <engine>``
answers GetSchema over the provider protocol with every component, input, output, type and description."""

from __future__ import annotations

import dataclasses

import pytest

from components._common import type_token
from tests.provider import schema_expectations as expect
from tests.provider.plugin_process import ComponentPluginProcess

PLUGIN = expect.plugin_module()


def _components() -> list[type]:
    return [expect.load(module, cls) for module, cls in PLUGIN.COMPONENTS]


@pytest.fixture(scope="module")
def schema() -> dict:
    with ComponentPluginProcess(expect.PLUGIN_DIR) as plugin:
        assert plugin.get_plugin_version() == PLUGIN.PACKAGE_VERSION
        return plugin.get_schema()


def test_the_package_serves_exactly_the_design_components(schema: dict) -> None:
    assert {cls for _, cls in PLUGIN.COMPONENTS} == expect.DESIGN_COMPONENTS
    assert schema["name"] == "eksguard"
    assert schema["version"] == PLUGIN.PACKAGE_VERSION
    assert set(schema["resources"]) == {type_token(c) for c in _components()}
    assert all(r["isComponent"] for r in schema["resources"].values())


@pytest.mark.parametrize("module,name", PLUGIN.COMPONENTS)
def test_every_argument_is_an_input_with_its_type_and_description(schema: dict, module: str, name: str) -> None:
    component = expect.load(module, name)
    args_type = expect.args_type(component)
    resource = schema["resources"][type_token(component)]
    inputs = resource["inputProperties"]
    hints = expect.field_hints(args_type)
    assert set(inputs) == {expect.camel(f.name) for f in dataclasses.fields(args_type)}
    assert set(resource.get("requiredInputs", [])) == {expect.camel(f) for f in expect.required_fields(args_type)}
    undocumented = sorted(k for k, v in inputs.items() if not v.get("description", "").strip())
    assert undocumented == [], f"{args_type.__name__}: add a docstring after these fields"
    for field_name, hint in hints.items():
        assert expect.shape_of(inputs[expect.camel(field_name)]) == expect.expected_shape(hint), field_name


@pytest.mark.parametrize("module,name", PLUGIN.COMPONENTS)
def test_every_annotated_output_is_a_property_with_its_type(schema: dict, module: str, name: str) -> None:
    component = expect.load(module, name)
    resource = schema["resources"][type_token(component)]
    outputs = expect.outputs(component)
    assert outputs, f"{name} annotates no outputs"
    assert set(resource["properties"]) == {expect.camel(k) for k in outputs}
    for output_name, hint in outputs.items():
        assert expect.shape_of(resource["properties"][expect.camel(output_name)]) == expect.expected_shape(hint)


@pytest.mark.parametrize("module,name", PLUGIN.COMPONENTS)
def test_nested_argument_types_are_schema_types_with_descriptions(schema: dict, module: str, name: str) -> None:
    component = expect.load(module, name)
    for nested in expect.nested_dataclasses(expect.args_type(component)):
        schema_type = schema["types"][f"eksguard:index:{nested.__name__}"]
        props = schema_type["properties"]
        assert set(props) == {expect.camel(f.name) for f in dataclasses.fields(nested)}
        assert set(schema_type.get("required", [])) == {expect.camel(f) for f in expect.required_fields(nested)}
        undocumented = sorted(k for k, v in props.items() if not v.get("description", "").strip())
        assert undocumented == [], f"{nested.__name__}: add a docstring after these fields"
        for field_name, hint in expect.field_hints(nested).items():
            assert expect.shape_of(props[expect.camel(field_name)]) == expect.expected_shape(hint), field_name


@pytest.mark.parametrize("module,name", PLUGIN.COMPONENTS)
def test_every_component_and_output_has_a_description(schema: dict, module: str, name: str) -> None:
    """Other languages' SDKs show these as the API docs: a class docstring, and a docstring after each
    annotated output (``cluster_name: pulumi.Output[str]`` then ``\"\"\"The EKS cluster name.\"\"\"``)."""
    resource = schema["resources"][type_token(expect.load(module, name))]
    assert resource.get("description", "").strip(), f"{name}: add a class docstring"
    undocumented = sorted(k for k, v in resource["properties"].items() if not v.get("description", "").strip())
    assert undocumented == [], f"{name}: add a docstring after these outputs"


# Inputs that name other resources take Outputs (``subnetIds: vpc.privateSubnetIds`` from TypeScript, Go, C#);
# every other input is configuration, plain so that the component validates it before registering anything.
_CLUSTER = {"subnetIds", "clusterSecurityGroupId", "kmsKeyArn"}
_SECURITY_GROUPS = {"vpcId", "clusterName"}
_NETWORK = {"vpcId", "subnetIds", "clusterName", "kmsKeyArn"}
_NODE_GROUP = {"clusterName", "subnetIds", "nodeSecurityGroupId", "kmsKeyArn", "oidcProviderArn"}
_ACCESS = {"clusterName", "clusterEndpoint", "clusterCertificateAuthority"}
OUTPUT_ACCEPTING_INPUTS = {
    "resources": {
        "eksguard:index:Cluster": _CLUSTER,
        "eksguard:index:DataPlaneSecurityGroups": _SECURITY_GROUPS,
        "eksguard:index:NetworkControls": _NETWORK,
        "eksguard:index:NodeGroup": _NODE_GROUP,
        "eksguard:index:AccessControl": _ACCESS,
        "eksguard:index:AuditTrail": set(),
        "eksguard:index:ImageRegistry": {"kmsKeyArn"},
        "eksguard:index:ThreatDetection": set(),
        "eksguard:index:Baseline": {"subnetIds", "vpcId", "existingClusterName"},
    },
    "types": {
        "eksguard:index:ClusterArgs": _CLUSTER,
        "eksguard:index:DataPlaneSecurityGroupsArgs": _SECURITY_GROUPS,
        "eksguard:index:NetworkControlsArgs": _NETWORK,
        "eksguard:index:NodeGroupArgs": _NODE_GROUP,
        "eksguard:index:AccessControlArgs": _ACCESS,
        "eksguard:index:AuditTrailArgs": set(),
        "eksguard:index:ImageRegistryArgs": {"kmsKeyArn"},
        "eksguard:index:ThreatDetectionArgs": set(),
        "eksguard:index:BaselineNodeGroup": set(),
        "eksguard:index:SecurityGroupRuleArgs": {"referencedSecurityGroupId"},
        "eksguard:index:AccessMapping": {"principalArn"},
        "eksguard:index:ClusterAdmin": {"principalArn"},
        "eksguard:index:ManagedNamespace": set(),
    },
}


def _properties(schema: dict, section: str) -> dict[str, dict]:
    key = "inputProperties" if section == "resources" else "properties"
    return {token: entry[key] for token, entry in schema[section].items()}


@pytest.mark.parametrize("section", sorted(OUTPUT_ACCEPTING_INPUTS))
def test_exactly_the_resource_identity_inputs_accept_outputs(schema: dict, section: str) -> None:
    properties = _properties(schema, section)
    assert set(properties) == set(OUTPUT_ACCEPTING_INPUTS[section])
    accepting = {token: {k for k, v in props.items() if not v.get("plain")} for token, props in properties.items()}
    assert accepting == OUTPUT_ACCEPTING_INPUTS[section]


@pytest.mark.parametrize("section", sorted(OUTPUT_ACCEPTING_INPUTS))
def test_identity_lists_take_outputs_item_by_item_too(schema: dict, section: str) -> None:
    """``[vpc.subnetA.id, vpc.subnetB.id]``: a list of Outputs, not only one Output of a list."""
    for token, props in _properties(schema, section).items():
        for name in OUTPUT_ACCEPTING_INPUTS[section][token]:
            if props[name].get("type") == "array":
                assert not props[name]["items"].get("plain"), f"{token}.{name}"
