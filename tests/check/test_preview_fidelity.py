"""The embedded engine shows the pack what a real preview shows it: resource references as the engine marshals
them, the names providers assign in Check, component method calls answered as the mock contract allows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eksguard.engine import ProgramError, load_project, run_program
from eksguard.engine.sandbox.autonaming import AutonameError, unique_name
from eksguard.engine.sandbox.monitor import RESOURCE_SIG, SIG_KEY, as_engine_sends
from eksguard.protocol.wire import UNKNOWN_SENTINEL
from tests.check.conftest import make_program

PROGRAMS = Path(__file__).resolve().parent / "programs"


def _by_name(run) -> dict:
    return {(r.resource.type.rsplit(":", 1)[-1], r.resource.name): r for r in run.resources}


# pulumi sdk/go/common/resource/plugin/rpc.go: MarshalPropertyValue without KeepResources sends a resource
# reference as its ID when it has one (a computed ID stays computed: the unknown sentinel), else as its URN;
# UnmarshalPropertyValue reads an empty ID as unknown.
URN = "urn:pulumi:dev::p::aws:iam/role:Role::nodes"
COMPONENT_URN = "urn:pulumi:dev::p::eks:index:Cluster::platform"


@pytest.mark.parametrize(
    ("sent", "engine_sends"),
    [
        ({SIG_KEY: RESOURCE_SIG, "urn": URN, "id": "nodes-role-id", "packageVersion": "7.51.1"}, "nodes-role-id"),
        ({SIG_KEY: RESOURCE_SIG, "urn": URN, "id": UNKNOWN_SENTINEL}, UNKNOWN_SENTINEL),
        ({SIG_KEY: RESOURCE_SIG, "urn": URN, "id": ""}, UNKNOWN_SENTINEL),
        ({SIG_KEY: RESOURCE_SIG, "urn": COMPONENT_URN, "packageVersion": "4.4.0"}, COMPONENT_URN),
        ({"roles": [{SIG_KEY: RESOURCE_SIG, "urn": COMPONENT_URN}], "n": 1.0}, {"roles": [COMPONENT_URN], "n": 1.0}),
    ],
)
def test_resource_references_become_what_the_engine_sends(sent, engine_sends) -> None:
    assert as_engine_sends(sent) == engine_sends


REFERENCES = """
import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

role = aws.iam.Role("nodes", assume_role_policy="{}")
cluster = eks.Cluster("platform", skip_default_node_group=True, instance_roles=[role])
eks.ManagedNodeGroup("general", cluster=cluster, node_role=role)
aws.iam.InstanceProfile("nodes", role=role)
"""


@pytest.mark.parametrize(("assume_apply", "role_id"), [(False, UNKNOWN_SENTINEL), (True, "nodes-id")])
def test_recorded_references_are_the_id_or_urn(tmp_path: Path, assume_apply: bool, role_id: str) -> None:
    run = run_program(load_project(make_program(tmp_path / "p", main=REFERENCES), "dev"), assume_apply=assume_apply)
    records = _by_name(run)
    cluster_urn = "urn:pulumi:dev::tinyprog::eks:index:Cluster::platform"
    assert records[("Cluster", "platform")].remote is True
    assert records[("Cluster", "platform")].resource.properties["instanceRoles"] == [role_id]
    group = records[("ManagedNodeGroup", "general")].resource.properties
    assert (group["cluster"], group["nodeRole"]) == (cluster_urn, role_id)
    assert records[("InstanceProfile", "nodes")].resource.properties["role"] == role_id


AUTONAMED = """
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

role = aws.iam.Role("eks-node", assume_role_policy="{}")
aws.iam.RolePolicyAttachment("admin", role=role.name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")
aws.iam.Role("named", name="fixed-name", assume_role_policy="{}")
aws.iam.Role("prefixed", name_prefix="ci-", assume_role_policy="{}")
aws.s3.Bucket("Audit-Logs")
aws.ec2.SecurityGroup("nodes", vpc_id="vpc-1", description="nodes")
aws.ec2.Vpc("net", cidr_block="10.0.0.0/16")
aws.eks.NodeGroup("general", cluster_name="c", node_role_arn="arn", subnet_ids=["s"],
                  scaling_config={"desired_size": 1, "min_size": 1, "max_size": 1})
aws.kms.Alias("logs", target_key_id="k")
aws.sqs.Queue("jobs", fifo_queue=True)
provider = k8s.Provider("k8s", kubeconfig="{}")
opts = pulumi.ResourceOptions(provider=provider)
ns = k8s.core.v1.Namespace("team", metadata={"labels": {"a": "b"}}, opts=opts)
k8s.core.v1.ConfigMap("settings", metadata={"namespace": ns.metadata["name"]}, data={"k": "v"}, opts=opts)
k8s.helm.v3.Release("agent", chart="agent", opts=opts)
aws.ec2.Tag("seen", resource_id="i-1", key="role", value=role.name)
"""


def test_auto_names_match_the_providers(tmp_path: Path) -> None:
    run = run_program(load_project(make_program(tmp_path / "p", main=AUTONAMED), "dev"))
    props = {key: record.resource.properties for key, record in _by_name(run).items()}
    # pulumi-aws: <name>-<7 hex> (pulumi-terraform-bridge info/autonaming.go AutoName: Randlen 7, hex charset)
    aws_name = re.compile(r"^{}-[0-9a-f]{{7}}$")
    role_name = props[("Role", "eks-node")]["name"]
    assert re.fullmatch(aws_name.pattern.format("eks-node"), role_name)
    assert props[("Role", "named")]["name"] == "fixed-name"
    assert "name" not in props[("Role", "prefixed")]  # a namePrefix conflicts with the default
    assert re.fullmatch(r"audit-logs-[0-9a-f]{7}", props[("Bucket", "Audit-Logs")]["bucket"])  # lower-cased
    assert re.fullmatch(r"nodes-[0-9a-f]{7}", props[("SecurityGroup", "nodes")]["name"])
    assert "name" not in props[("Vpc", "net")]  # aws_vpc has no input `name`
    assert re.fullmatch(r"general-[0-9a-f]{7}", props[("NodeGroup", "general")]["nodeGroupName"])
    assert re.fullmatch(r"alias/logs-[0-9a-f]{7}", props[("Alias", "logs")]["name"])
    assert re.fullmatch(r"jobs-[0-9a-f]{7}\.fifo", props[("Queue", "jobs")]["name"])
    # pulumi-kubernetes: <name>-<8 hex> plus the autonamed annotation (provider/pkg/metadata/naming.go)
    namespace = props[("Namespace", "team")]["metadata"]
    assert re.fullmatch(r"team-[0-9a-f]{8}", namespace["name"])
    assert namespace["annotations"] == {"pulumi.com/autonamed": "true"}
    assert namespace["labels"] == {"a": "b"}
    assert props[("ConfigMap", "settings")]["metadata"]["namespace"] == namespace["name"]  # read by the program
    assert re.fullmatch(r"agent-[0-9a-f]{8}", props[("Release", "agent")]["name"])
    # the program reads the name a preview knows, and the attachment names the role by it
    assert props[("RolePolicyAttachment", "admin")]["role"] == role_name
    assert props[("Tag", "seen")]["value"] == role_name
    # reproducible: the suffix derives from the URN
    again = run_program(load_project(tmp_path / "p", "dev"))
    assert _by_name(again)[("Role", "eks-node")].resource.properties["name"] == role_name


def test_a_name_too_long_for_the_provider_fails_as_its_check_would(tmp_path: Path) -> None:
    long_name = "platform-" + "x" * 50  # 59 + "-" + 7 > 64, IAM's limit
    program = make_program(
        tmp_path / "p", main=f'import pulumi_aws as aws\naws.iam.Role("{long_name}", assume_role_policy="{{}}")\n'
    )
    with pytest.raises(ProgramError, match=r"could not make instance of 'aws:iam/role:Role': name .* 64"):
        run_program(load_project(program, "dev"))


def test_unique_name_follows_new_unique_name() -> None:
    name = unique_name("urn:a", "pre-", randlen=7, maxlen=11)
    assert re.fullmatch(r"pre-[0-9a-f]{7}", name)
    assert unique_name("urn:a", "pre-", 7) == name and unique_name("urn:b", "pre-", 7) != name
    with pytest.raises(AutonameError, match="name 'pre-' plus 7 random chars is longer than maximum length 10"):
        unique_name("urn:a", "pre-", randlen=7, maxlen=10)


KUBECONFIG = """
import pulumi
import pulumi_eks as eks
import pulumi_kubernetes as k8s

cluster = eks.Cluster("platform", skip_default_node_group=True)
k8s.Provider("admin", kubeconfig=cluster.get_kubeconfig(profile_name="admin"))
"""


def test_a_component_method_is_unknown_at_preview_and_a_placeholder_under_assume_apply(tmp_path: Path) -> None:
    project = load_project(make_program(tmp_path / "p", main=KUBECONFIG), "dev")
    preview = _by_name(run_program(project))[("kubernetes", "admin")].resource.properties
    assert preview["kubeconfig"] == UNKNOWN_SENTINEL
    applied = _by_name(run_program(project, assume_apply=True))[("kubernetes", "admin")].resource.properties
    kubeconfig = json.loads(applied["kubeconfig"])
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com"
    assert kubeconfig["users"][0]["user"]["exec"]["args"] == [
        "eks", "get-token", "--cluster-name", "platform", "--output", "json"
    ]  # fmt: skip


MANIFESTS = '''
import pulumi
import pulumi_kubernetes as k8s

provider = k8s.Provider("k8s", kubeconfig="{}")
k8s.yaml.ConfigGroup("agent", yaml=["""
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
  annotations: {released: 2026-11-01}
spec:
  selector: {matchLabels: {app: node-agent}}
  template:
    metadata: {labels: {app: node-agent}}
    spec:
      containers:
        - name: agent
          image: example/agent:1.2
          securityContext: {privileged: true}
---
# an empty document, as manifests often end
"""], opts=pulumi.ResourceOptions(provider=provider))
'''


def test_yaml_manifests_are_decoded_as_the_provider_decodes_them(tmp_path: Path) -> None:
    """kubernetes:yaml:decode is a pure function: the manifest's objects reach the pack, no fixture needed."""
    run = run_program(load_project(make_program(tmp_path / "p", main=MANIFESTS), "dev"))
    daemonset = _by_name(run)[("DaemonSet", "node-agent")].resource.properties
    assert daemonset["metadata"] == {"name": "node-agent", "annotations": {"released": "2026-11-01"}}
    container = daemonset["spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"] == {"privileged": True}
    assert run.unanswered_invokes == []
