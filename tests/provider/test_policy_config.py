"""The documented ``--policy-pack-config`` files (docs/policy-config/) name real policies, use real levels and
validate against the config schemas the pack itself publishes (GetAnalyzerInfo); the pack accepts them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from google.protobuf import json_format

from eksguard.protocol.analyzer import LEVELS, PolicyPackProcess, config_with_defaults

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO_ROOT / "docs" / "policy-config"
# The intent of each file, as exact sets: which policies end up mandatory.
ADVISORY_ROLLOUT_MANDATORY = {
    "iam-node-role-admin",
    "access-policy-cluster-admin-broad",
    "eks-public-access-cidrs-open",
}


def _load(name: str) -> dict[str, Any]:
    return json.loads((CONFIG_DIR / name).read_text())


@pytest.fixture(scope="module")
def pack():
    process = PolicyPackProcess(REPO_ROOT / "policies").start()
    try:
        yield process, process.get_analyzer_info()
    finally:
        process.stop()


def _schemas(info) -> dict[str, dict[str, Any]]:
    out = {}
    for policy in info.policies:
        schema = json_format.MessageToDict(policy.configSchema) if policy.HasField("configSchema") else {}
        out[policy.name] = {
            "type": "object",
            "properties": schema.get("properties", {}),
            "required": schema.get("required", []),
            "additionalProperties": False,  # a misspelt knob would otherwise be ignored silently
        }
    return out


def test_the_documented_files_are_exactly_these() -> None:
    assert sorted(p.name for p in CONFIG_DIR.glob("*.json")) == ["advisory-rollout.json", "strict-production.json"]


@pytest.mark.parametrize("name", ["advisory-rollout.json", "strict-production.json"])
def test_every_entry_names_a_policy_and_validates_against_its_schema(pack, name: str) -> None:
    _, info = pack
    schemas = _schemas(info)
    for key, entry in _load(name).items():
        if key == "all":
            assert entry in LEVELS, f"all: {entry!r}"
            continue
        assert key in schemas, f"{name}: {key} is not a policy of the pack"
        if isinstance(entry, str):
            assert entry in LEVELS, f"{name}: {key}: {entry!r}"
            continue
        assert entry.get("enforcementLevel", "advisory") in LEVELS, f"{name}: {key}"
        properties = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        jsonschema.Draft7Validator(schemas[key]).validate(properties)


@pytest.mark.parametrize(
    "name,expected_mandatory",
    [
        ("advisory-rollout.json", lambda policies: ADVISORY_ROLLOUT_MANDATORY),
        ("strict-production.json", lambda policies: set(policies)),
    ],
)
def test_the_pack_accepts_the_file_with_the_intended_levels(pack, name: str, expected_mandatory) -> None:
    process, info = pack
    config = config_with_defaults(info, _load(name))
    process.configure(config)  # raises PolicyPackError if the pack refuses it
    levels = {policy: entry["enforcementLevel"] for policy, entry in config.items()}
    assert {p for p, level in levels.items() if level == "mandatory"} == expected_mandatory(levels)
    assert set(levels.values()) <= {"mandatory", "advisory"}


def test_a_misspelt_knob_is_refused(pack) -> None:
    """The validation above can fail: a wrong property name or type does not pass."""
    _, info = pack
    schemas = _schemas(info)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schemas["nodegroup-ami-age"]).validate({"maxAmiAgeDay": 10})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schemas["nodegroup-ami-age"]).validate({"maxAmiAgeDays": "ten"})
