"""InvalidArgumentError holds what its message says as fields: component, argument path, problem, and the
accepted values (listed, or described). Callers read the fields; the message is for people."""

from __future__ import annotations

import pytest

from components import network, nodegroup
from components._common import InvalidArgumentError, coerce_args
from components.baseline import BaselineArgs
from components.nodegroup import NodeGroupArgs

CASES = [
    # (raised by, component, path, argument, problem, choices, accepted)
    (
        lambda: nodegroup.validate("ng", NodeGroupArgs(cluster_name="c", subnet_ids=["s"], node_security_group_id="g",
                                                       capacity_type="spot")),
        "NodeGroup", ("capacity_type",), "capacity_type", "is 'spot'", ("ON_DEMAND", "SPOT"), "'ON_DEMAND', 'SPOT'",
    ),
    (
        lambda: nodegroup.validate("ng", NodeGroupArgs(cluster_name="c", subnet_ids=["s"], node_security_group_id="g",
                                                       min_size=3, desired_size=2)),
        "NodeGroup", (("min_size", "desired_size", "max_size"),), "min_size/desired_size/max_size", "are (3, 2, 4)",
        (), "0 <= min <= desired <= max, max >= 1",
    ),
    (
        lambda: network.validate_cidrs("NetworkControls", ("extra", 2, "cidrs"), ["::/0"], allow_internet=False),
        "NetworkControls", ("extra", 2, "cidrs"), "extra[2].cidrs", "contains '::/0', the whole internet", (),
        "CIDR blocks such as '10.0.0.0/16' or '2001:db8::/56' (not 0.0.0.0/0 or ::/0)",
    ),
    (
        lambda: coerce_args(BaselineArgs, {"node_groups": [{"name": "a", "args": {"ami": "AL2023"}}]}),
        "BaselineArgs", ("node_groups", 0, "args", "ami"), "node_groups[0].args.ami", "is not an argument",
        None, None,
    ),
]  # fmt: skip


@pytest.mark.parametrize(("raise_it", "component", "path", "argument", "problem", "choices", "accepted"), CASES)
def test_the_fields_say_what_the_message_says(raise_it, component, path, argument, problem, choices, accepted):
    with pytest.raises(InvalidArgumentError) as raised:
        raise_it()
    error = raised.value
    assert (error.component, error.path, error.argument, error.problem) == (component, path, argument, problem)
    if choices is not None:
        assert (error.choices, error.accepted) == (choices, accepted)
    assert str(error) == f"{component}: argument {argument!r} {problem}; accepted values: {error.accepted}"


def test_a_relocated_error_keeps_the_problem_and_the_accepted_values():
    original = InvalidArgumentError("NodeGroup", "manage_cni_addon", "is 'yes'", (True, False))
    moved = original.relocated("Baseline", ("node_groups", 1, "args", "manage_cni_addon"))
    assert (moved.component, moved.argument) == ("Baseline", "node_groups[1].args.manage_cni_addon")
    assert (moved.problem, moved.choices, moved.accepted) == ("is 'yes'", (True, False), "True, False")
    assert (
        str(moved) == "Baseline: argument 'node_groups[1].args.manage_cni_addon' is 'yes'; accepted values: True, False"
    )


def test_a_described_accepted_value_is_not_split_into_choices():
    error = InvalidArgumentError("Cluster", "subnet_ids", "is []", "a list of at least two subnet ids")
    assert (error.choices, error.accepted) == ((), "a list of at least two subnet ids")
