"""The reference stack (Pulumi.yaml, __main__.py, stacks/Pulumi.dev.yaml) under mocks: the dev config registers
the whole Baseline; a missing or invalid key stops it with one message naming the key, before any resource."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest
import yaml
from eksguard_policies.catalogue import AREAS

from components.stack_config import StackConfigError, all_keys
from tests.components import harness

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "__main__.py"
DEV = ROOT / "stacks" / "Pulumi.dev.yaml"


def dev_config() -> dict[str, str]:
    """The dev stack config as the engine hands it to a program: strings, lists and objects as JSON."""
    config = yaml.safe_load(DEV.read_text())["config"]
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


def run_stack(config: dict[str, str]) -> harness.Result:
    return harness.attempt(lambda: runpy.run_path(str(MAIN)), config=config, project="eksguard", stack="dev")


@pytest.fixture(scope="module")
def dev() -> harness.Result:
    result = run_stack(dev_config())
    assert result.error is None, result.error
    return result


def test_project_file():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "eksguard"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}
    assert project["stackConfigDir"] == "stacks"


def test_dev_config_uses_only_known_keys():
    keys = {k.split(":", 1)[1] for k in dev_config() if k.startswith("eksguard:")}
    assert keys <= set(all_keys())
    assert "aws:region" in dev_config()


def test_dev_stack_registers_the_whole_baseline(dev):
    types = {r.type for r in dev.resources}
    assert {
        "eksguard:index:Baseline",
        "eksguard:index:Cluster",
        "eksguard:index:DataPlaneSecurityGroups",
        "eksguard:index:NetworkControls",
        "eksguard:index:NodeGroup",
        "eksguard:index:AccessControl",
        "eksguard:index:AuditTrail",
    } <= types
    config = yaml.safe_load(DEV.read_text())["config"]
    eks = dev.one("aws:eks/cluster:Cluster").inputs
    assert (eks["name"], eks["version"]) == (config["eksguard:clusterName"], config["eksguard:kubernetesVersion"])
    assert eks["vpcConfig"]["subnetIds"] == config["eksguard:privateSubnetIds"]
    assert len(dev.of_type("aws:eks/nodeGroup:NodeGroup")) == len(config["eksguard:nodeGroups"])
    assert {n.inputs["metadata"]["name"] for n in dev.of_type("kubernetes:core/v1:Namespace")} == {
        n["name"] for n in config["eksguard:namespaces"]
    }
    assert len(dev.of_type("aws:eks/accessEntry:AccessEntry")) == len(config["eksguard:accessMappings"]) + len(
        config["eksguard:clusterAdmins"]
    )
    assert dev.one("aws:cloudtrail/trail:Trail").inputs["name"] == config["eksguard:auditTrail"]["trailName"]
    assert dev.one("aws:eks/cluster:Cluster").inputs["tags"] == config["eksguard:tags"]


def test_dev_stack_exports_the_responsibility_areas(dev):
    baseline = dev.value["baseline"]
    areas = dev.output(baseline.responsibilities)
    assert list(areas) == list(AREAS)
    assert all(areas.values())


def test_dev_stack_keeps_the_hardened_defaults(dev):
    """The reference stack must pass `eksguard check`: no opt-out is used in the dev config."""
    config = yaml.safe_load(DEV.read_text())["config"]
    assert "eksguard:publicEndpointCidrs" not in config
    assert dev.one("aws:eks/cluster:Cluster").inputs["vpcConfig"]["endpointPublicAccess"] is False
    for ns in config["eksguard:namespaces"]:
        assert set(ns) == {"name"}  # restricted Pod Security, no Secrets access
    for mapping in config["eksguard:accessMappings"]:
        assert "accessPolicy" not in mapping and "allowSecretsAccess" not in mapping
    scopes = {
        (a.inputs["policyArn"].rsplit("/", 1)[1], a.inputs["accessScope"]["type"])
        for a in dev.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    }
    assert scopes == {("AmazonEKSViewPolicy", "namespace"), ("AmazonEKSClusterAdminPolicy", "cluster")}
    admins = [a["principalArn"] for a in config["eksguard:clusterAdmins"]]
    assert admins and all(":role/" in arn for arn in admins)
    trail = dev.one("aws:cloudtrail/trail:Trail").inputs
    assert trail["isMultiRegionTrail"] is True and trail["enableLogFileValidation"] is True


def test_existing_cluster_by_name():
    config = dev_config()
    config.update({"eksguard:createCluster": "false", "eksguard:clusterName": "existing"})
    del config["eksguard:kubernetesVersion"]
    result = run_stack(config)
    assert result.error is None, result.error
    assert result.of_type("aws:eks/cluster:Cluster") == []
    assert {e.inputs["clusterName"] for e in result.of_type("aws:eks/accessEntry:AccessEntry")} == {"existing"}


# nodeGroups may be empty (the Baseline accepts a cluster without managed node groups).
REQUIRED = ["clusterName", "vpcCidrBlocks", "privateSubnetIds", "vpcId"]


@pytest.mark.parametrize("key", REQUIRED)
def test_missing_key_gives_one_message_naming_it_and_registers_nothing(key):
    config = dev_config()
    del config[f"eksguard:{key}"]
    result = run_stack(config)
    assert isinstance(result.error, StackConfigError)
    assert str(result.error).startswith(f"stack config eksguard:{key} is missing")
    assert "accepted values: " in str(result.error)
    assert result.all == []


def _one(**node_group) -> str:
    return json.dumps([{"name": "general", **node_group}])


INVALID = [
    ("kubernetesVersion", "1.20", "kubernetesVersion", "1.35"),
    ("createCluster", "maybe", "createCluster", "true, false"),
    ("vpcCidrBlocks", '["0.0.0.0/0"]', "vpcCidrBlocks", "not 0.0.0.0/0"),
    ("vpcCidrBlocks", "10.0.0.0/16", "vpcCidrBlocks", "a list"),
    ("privateSubnetIds", '["subnet-1"]', "privateSubnetIds", "at least two"),
    ("privateSubnetIds", "[]", "privateSubnetIds", "a non-empty list of private subnet ids"),
    ("nodeGroups", _one(amiFamily="AL2"), "nodeGroups[0].amiFamily", "AL2023, BOTTLEROCKET"),
    ("nodeGroups", _one(architecture="i386"), "nodeGroups[0].architecture", "x86_64, arm64"),
    ("nodeGroups", _one(minSize="two"), "nodeGroups[0].minSize", "a whole number"),
    (
        "nodeGroups",
        json.dumps([{"name": "ok"}, {"name": "small", "minSize": 5, "maxSize": 2}]),
        "nodeGroups[1].minSize/desiredSize/maxSize",
        "0 <= min <= desired <= max",
    ),
    ("nodeGroups", _one(nodeCount=3), "nodeGroups[0].nodeCount", "amiFamily"),
    ("nodeGroups", _one(cniIdentity="node-role"), "nodeGroups[0].cniIdentity", "pod-identity, irsa, external"),
    ("nodeGroups", _one(manageCniAddon="maybe"), "nodeGroups[0].manageCniAddon", "true, false"),
    (
        "nodeGroups",
        json.dumps([{"name": "a"}, {"name": "b", "cniIdentity": "irsa"}]),
        "nodeGroups[1].cniIdentity",
        "pod-identity, external",
    ),
    ("nodeGroups", "[{}]", "nodeGroups[0].name", "a non-empty string"),
    ("namespaces", '[{"name": "kube-system"}]', "namespaces[0].name", "other than default and kube-*"),
    ("namespaces", '[{"name": "a", "podSecurityLevel": "open"}]', "namespaces[0].podSecurityLevel", "restricted"),
    (
        "accessMappings",
        '[{"name": "a", "principalArn": "arn:aws:iam::111122223333:role/a", "namespaces": ["payments"], '
        '"role": "admin"}]',
        "accessMappings[0].role",
        "viewer, developer, operator",
    ),
    (
        "accessMappings",
        '[{"name": "a", "principalArn": "arn:aws:iam::111122223333:role/a", "namespaces": ["elsewhere"]}]',
        "accessMappings[0].namespaces",
        "observability, payments, storefront",
    ),
    (
        "accessMappings",
        '[{"name": "a", "principalArn": "*", "namespaces": ["payments"]}]',
        "accessMappings[0].principalArn",
        "no wildcards",
    ),
    (
        "clusterAdmins",
        '[{"name": "root", "principalArn": "arn:aws:iam::111122223333:root"}]',
        "clusterAdmins[0].principalArn",
        "IAM role or user ARN",
    ),
    ("auditTrail", '{"logRetentionDays": 42}', "auditTrail.logRetentionDays", "365"),
    ("auditTrail", '{"trailName": "a b"}', "auditTrail.trailName", "3-128 letters"),
    ("tags", '{"owner": 1}', "tags.owner", "a non-empty string"),
    ("publicEndpointCidrs", '["0.0.0.0/0"]', "publicEndpointCidrs", "not 0.0.0.0/0"),
    ("nodegroups", "[]", "nodegroups", "nodeGroups"),
    # Every argument of the Baseline has a key, read from its field and judged by its component.
    ("cluster", '{"supportType": "standard"}', "cluster.supportType", "STANDARD, EXTENDED"),
    ("cluster", '{"clusterName": "x"}', "cluster.clusterName", "subnetIds, kmsKeyArn"),
    ("securityGroups", '{"webhookPorts": [22]}', "securityGroups.webhookPorts", "4443, 6443, 8443, 9443, 10251"),
    ("securityGroups", '{"egressMode": "none"}', "securityGroups.egressMode", "all, restricted"),
    ("network", '{"deniedAdminPorts": ["http"]}', "network.deniedAdminPorts", "ssh, telnet, rdp"),
    ("network", '{"flowLogRetentionDays": "a week"}', "network.flowLogRetentionDays", "a whole number"),
    ("nodeGroups", _one(maxUnavailablePercentage=0), "nodeGroups[0].maxUnavailablePercentage", "1 to 100"),
    ("nodeGroups", _one(kubernetesVersion="1.20"), "nodeGroups[0].kubernetesVersion", "1.35"),
    ("nodeGroups", _one(clusterName="other"), "nodeGroups[0].clusterName", "amiFamily"),  # the Baseline's to set
    ("podSecurityVersion", "v2", "podSecurityVersion", "'latest' or 'v1.<minor>'"),
    ("auditTrail", '{"logS3DataEvents": "yes"}', "auditTrail.logS3DataEvents", "true, false"),
]


@pytest.mark.parametrize(
    ("key", "value", "named", "accepted"), INVALID, ids=[f"{named}-{i}" for i, (_, _, named, _) in enumerate(INVALID)]
)
def test_invalid_value_gives_one_message_naming_the_key_and_registers_nothing(key, value, named, accepted):
    config = dev_config()
    config[f"eksguard:{key}"] = value
    result = run_stack(config)
    assert isinstance(result.error, StackConfigError), result.error
    message = str(result.error)
    assert message.startswith(f"stack config eksguard:{named} "), message
    assert accepted in message.split("accepted values: ", 1)[1], message
    assert result.all == []


@pytest.mark.parametrize(("key", "value"), [("kubernetesVersion", "1.35"), ("cluster", '{"supportType": "EXTENDED"}')])
def test_cluster_settings_need_a_created_cluster(key, value):
    config = dev_config()
    del config["eksguard:kubernetesVersion"]
    config.update({"eksguard:createCluster": "false", f"eksguard:{key}": value})
    result = run_stack(config)
    assert isinstance(result.error, StackConfigError)
    assert str(result.error).startswith(f"stack config eksguard:{key} is set but createCluster is false")
    assert result.all == []
