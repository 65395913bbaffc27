"""components/__main__.py adapts component annotations for the SDK's schema analyzer; checked exactly on a
toy component written the way docs/DESIGN.md asks (postponed annotations, args dataclass with defaults,
a nested dataclass, ``args: XArgs | None``)."""

from __future__ import annotations

import importlib
import json
import textwrap
import uuid
from pathlib import Path

import pytest
from pulumi.provider.experimental.component import ComponentProvider

from tests.provider.schema_expectations import plugin_module

TOY = '''
from __future__ import annotations

from dataclasses import dataclass, field

import pulumi


@dataclass
class PortRule:
    port: int
    """The port."""
    description: str = "no reason"
    """Why it is open."""


@dataclass
class ToyArgs:
    cluster_name: pulumi.Input[str]
    """The cluster."""
    rules: list[PortRule] = field(default_factory=list)
    """Extra rules."""
    retention_days: int = 365
    """Log retention."""
    kms_key_arn: pulumi.Input[str] | None = None
    """A key you bring."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags."""


class Toy(pulumi.ComponentResource):
    """A toy component."""

    group_name: pulumi.Output[str]
    """The log group."""
    rule_ports: pulumi.Output[list[int]]
    """The opened ports."""

    def __init__(self, name: str, args: ToyArgs | None = None, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eksguard:index:Toy", name, None, opts)
'''


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> type:
    module_name = f"toy_component_{uuid.uuid4().hex}"
    (tmp_path / f"{module_name}.py").write_text(textwrap.dedent(TOY))
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module(module_name).Toy


def test_prepared_annotations_give_the_exact_schema(toy: type) -> None:
    plugin_module().prepare_for_schema_inference([toy])
    schema = json.loads(ComponentProvider([toy], "eksguard", None, "0.1.0").schema)

    resource = schema["resources"]["eksguard:index:Toy"]
    assert resource["description"] == "A toy component."
    assert resource["requiredInputs"] == ["clusterName"]
    assert {k: (v.get("type") or v["$ref"], v["description"]) for k, v in resource["inputProperties"].items()} == {
        "clusterName": ("string", "The cluster."),
        "rules": ("array", "Extra rules."),
        "retentionDays": ("integer", "Log retention."),
        "kmsKeyArn": ("string", "A key you bring."),
        "tags": ("object", "Tags."),
    }
    assert resource["inputProperties"]["rules"]["items"]["$ref"] == "#/types/eksguard:index:PortRule"
    assert {k: (v["type"], v["description"]) for k, v in resource["properties"].items()} == {
        "groupName": ("string", "The log group."),
        "rulePorts": ("array", "The opened ports."),
    }
    rule = schema["types"]["eksguard:index:PortRule"]
    assert rule["required"] == ["port"]
    assert {k: v["type"] for k, v in rule["properties"].items()} == {"port": "integer", "description": "string"}


def test_preparing_twice_changes_nothing(toy: type) -> None:
    plugin = plugin_module()
    plugin.prepare_for_schema_inference([toy])
    first = ComponentProvider([toy], "eksguard", None, "0.1.0").schema
    plugin.prepare_for_schema_inference([toy])
    assert ComponentProvider([toy], "eksguard", None, "0.1.0").schema == first


def test_construct_inputs_map_back_to_the_args_dataclass(toy: type) -> None:
    """What Construct hands the component (schema names mapped to Python names, numbers as the wire's
    floats) becomes the args dataclass through coerce_args, ints restored."""
    from components._common import coerce_args

    plugin_module().prepare_for_schema_inference([toy])
    provider = ComponentProvider([toy], "eksguard", None, "0.1.0")
    mapped = provider.map_inputs(
        {"clusterName": "prod", "rules": [{"port": 8443.0}], "retentionDays": 30.0},
        provider._component_defs["Toy"],
    )
    args = coerce_args(toy.__init__.__annotations__["args"], mapped)
    assert (args.cluster_name, args.kms_key_arn, args.tags) == ("prod", None, {})
    assert (type(args.retention_days), args.retention_days) == (int, 30)
    assert [(type(r.port), r.port, r.description) for r in args.rules] == [(int, 8443, "no reason")]


def test_a_missing_required_input_is_refused_before_the_component_runs(toy: type) -> None:
    from pulumi.errors import InputPropertyError

    plugin_module().prepare_for_schema_inference([toy])
    provider = ComponentProvider([toy], "eksguard", None, "0.1.0")
    with pytest.raises(InputPropertyError, match="clusterName"):
        provider.map_inputs({"retentionDays": 30.0}, provider._component_defs["Toy"])
