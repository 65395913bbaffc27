"""The stack config's readers, derived from the args dataclasses: every argument of the Baseline is reachable from
a key, a key parses its value by its field's type and names the field's docstring when missing, and a component's
complaint is mapped back to the key from InvalidArgumentError's fields, never from its message."""

from __future__ import annotations

import dataclasses
import itertools
import json
import typing
from collections.abc import Iterator
from typing import Any

import pytest

from components import stack_config
from components._common import InvalidArgumentError, Segment, field_hints, plain_hint
from components.audit_trail import AuditTrailArgs
from components.baseline import FILLED_IN, BaselineArgs
from components.stack_config import StackConfigError, config_key, config_location, read_settings
from components.threat_detection import ThreatDetectionArgs

SET_BY_CLUSTER_NAME = {("cluster", "cluster_name"), ("existing_cluster_name",)}


def leaves(cls: type, prefix: tuple[Segment, ...] = ()) -> Iterator[tuple[tuple[Segment, ...], Any, Any]]:
    """(path, plain type, default) of every argument below ``cls`` a caller may set; lists hold one item."""
    hints = field_hints(cls)
    for f in dataclasses.fields(cls):
        path = (*prefix, f.name)
        if f.name in FILLED_IN.get(cls, ()) or path in SET_BY_CLUSTER_NAME:
            continue
        hint = plain_hint(hints[f.name])
        item = typing.get_args(hint)[0] if typing.get_origin(hint) is list else None
        if dataclasses.is_dataclass(hint):
            yield from leaves(hint, path)
        elif dataclasses.is_dataclass(item):
            yield from leaves(item, (*path, 0))
        else:
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            yield path, hint, default


def sample(path: tuple[Segment, ...], hint: Any, default: Any) -> Any:
    """A value of the field's type that differs from its default."""
    name = str(path[-1])
    if hint is bool:
        return not default
    if hint is int:
        return 7
    if hint is str:
        return f"sample-{name}"
    if typing.get_origin(hint) is list:
        return [sample(path, plain_hint(typing.get_args(hint)[0]), None)]
    if typing.get_origin(hint) is dict:
        return {"k": f"sample-{name}"}
    raise AssertionError(f"{path}: no sample for {hint!r}")


def place(config: dict[str, Any], key: str, inner: tuple[Segment, ...], value: Any) -> None:
    """Set ``value`` at ``inner`` (object keys and list indices) inside config[key]."""
    if not inner:
        config[key] = value
        return
    container: Any = config.setdefault(key, [] if isinstance(inner[0], int) else {})
    for step, following in itertools.pairwise(inner):
        empty = [] if isinstance(following, int) else {}
        if isinstance(step, int):
            while len(container) <= step:
                container.append(empty)
            container = container[step]
        else:
            container = container.setdefault(step, empty)
    container[inner[-1]] = value


def engine_form(config: dict[str, Any]) -> dict[str, str]:
    """As the Pulumi engine hands config to a program: strings, everything else as JSON."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


def value_at(args: Any, path: tuple[Segment, ...]) -> Any:
    for step in path:
        args = args[step] if isinstance(step, int) else getattr(args, str(step))
    return args


LEAVES = list(leaves(BaselineArgs))


def test_every_argument_of_the_baseline_is_reachable_from_the_stack_config():
    config: dict[str, Any] = {"clusterName": "sample-cluster"}
    expected = {}
    for path, hint, default in LEAVES:
        value = sample(path, hint, default)
        key, inner = config_location(path)
        place(config, key, inner, value)
        expected[path] = value
    settings = read_settings(engine_form(config))
    assert {path: value_at(settings.args, path) for path in expected} == expected
    assert (settings.name, settings.args.cluster.cluster_name) == ("sample-cluster", "sample-cluster")
    assert len(LEAVES) > 60  # the walk reached into every nested argument


def test_an_existing_cluster_is_named_by_cluster_name():
    settings = read_settings({"clusterName": "existing", "createCluster": "false"})
    assert (settings.args.cluster, settings.args.existing_cluster_name) == (None, "existing")


@pytest.mark.parametrize(("path", "key"), [(p, k) for p, k in [
    (("subnet_ids",), "privateSubnetIds"),
    (("cluster", "version"), "kubernetesVersion"),
    (("cluster", "support_type"), "cluster.supportType"),
    (("cluster", "cluster_name"), "clusterName"),
    (("name",), "clusterName"),
    (("access", "namespaces", 2, "pod_security_level"), "namespaces[2].podSecurityLevel"),
    (("access", "pod_security_version"), "podSecurityVersion"),
    (("node_groups", 1, "name"), "nodeGroups[1].name"),
    (("node_groups", 1, "args", "ami_family"), "nodeGroups[1].amiFamily"),
    (("node_groups", 0, "args", ("min_size", "desired_size", "max_size")), "nodeGroups[0].minSize/desiredSize/maxSize"),
    (("security_groups", "extra_rules", 3, ("from_port", "to_port")), "securityGroups.extraRules[3].fromPort/toPort"),
    (("audit_trail", "log_s3_data_events"), "auditTrail.logS3DataEvents"),
    (("tags", "team"), "tags.team"),
]])  # fmt: skip
def test_a_baseline_argument_maps_to_its_config_key(path, key):
    assert config_key(path) == key


@pytest.mark.parametrize(
    ("values", "key", "problem", "accepted"),
    [
        ({"createCluster": "maybe"}, "createCluster", "is 'maybe'", "true, false"),
        ({"vpcId": " "}, "vpcId", "is ' '", "a non-empty string"),
        ({"vpcCidrBlocks": "10.0.0.0/16"}, "vpcCidrBlocks", "is '10.0.0.0/16', not a list", "a list"),
        ({"network": '{"flowLogRetentionDays": true}'}, "network.flowLogRetentionDays", "is True", "a whole number"),
        ({"tags": '{"team": 1}'}, "tags.team", "is 1", "a non-empty string"),
        ({"nodeGroups": '[{"name": "a", "labels": []}]'}, "nodeGroups[0].labels", "is [], not", "an object of strings"),
        (
            {"securityGroups": '{"extraRules": [{"ruleId": "x", "fromPort": "eighty"}]}'},
            "securityGroups.extraRules[0].fromPort",
            "is 'eighty'",
            "a whole number",
        ),
    ],
)
def test_a_value_of_the_wrong_type_names_its_key_and_what_its_field_takes(values, key, problem, accepted):
    with pytest.raises(StackConfigError) as raised:
        read_settings({"clusterName": "c", **values})
    assert raised.value.key == key
    assert raised.value.problem.startswith(problem)
    assert raised.value.accepted.startswith(accepted)


def test_a_missing_field_is_described_by_its_docstring():
    with pytest.raises(StackConfigError) as raised:
        read_settings({"clusterName": "c", "accessMappings": '[{"name": "a", "namespaces": ["x"]}]'})
    assert raised.value.key == "accessMappings[0].principalArn"
    assert raised.value.accepted == "a non-empty string (IAM role or user ARN given access to the cluster.)"


def test_an_unknown_field_lists_the_settable_ones_without_what_the_baseline_fills_in():
    with pytest.raises(StackConfigError) as raised:
        read_settings({"clusterName": "c", "network": '{"clusterName": "other"}'})
    assert raised.value.key == "network.clusterName"
    assert raised.value.problem == "is not a setting"
    assert raised.value.accepted.split(", ") == [
        "vpcCidrBlocks", "vpcId", "subnetIds", "deniedAdminPorts", "flowLogRetentionDays", "kmsKeyArn", "tags"
    ]  # fmt: skip


def test_a_component_error_is_mapped_from_its_fields_not_its_message():
    error = InvalidArgumentError("Baseline", ("node_groups", 2, "args", "manage_cni_addon"), "is 'yes'", (True, False))
    error.args = ("a message that says nothing useful",)
    mapped = stack_config.as_stack_config_error(error, given={"nodeGroups"})
    assert (mapped.key, mapped.problem, mapped.accepted) == ("nodeGroups[2].manageCniAddon", "is 'yes'", "true, false")


def test_a_key_left_unset_whose_default_the_components_reject_is_missing():
    error = InvalidArgumentError("Baseline", ("vpc_id",), "is missing but a cluster is to be created", "the VPC id")
    mapped = stack_config.as_stack_config_error(error, given={"clusterName"})
    assert str(mapped) == "stack config eksguard:vpcId is missing; accepted values: the VPC id"


@pytest.mark.parametrize(
    ("key", "field", "built"),
    [("threatDetection", "threat_detection", ThreatDetectionArgs()), ("auditTrail", "audit_trail", AuditTrailArgs())],
)
def test_an_empty_object_asks_for_the_argument_with_its_defaults(key, field, built):
    assert read_settings({"clusterName": "c"}).args.threat_detection is None
    # An opt-in component is asked for by its key, even when none of its defaults changes.
    assert getattr(read_settings({"clusterName": "c", key: "{}"}).args, field) == built
