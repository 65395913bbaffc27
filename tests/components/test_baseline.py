"""Baseline under mocks: composition for a created and an existing cluster, responsibility areas, and
rejection of any bad argument (its own or a child's) before anything is registered."""

from __future__ import annotations

import dataclasses
import json

import pulumi
import pytest
from eksguard_policies.catalogue import AREAS

from components._common import InvalidArgumentError
from components.access import AccessControlArgs, AccessMapping, ManagedNamespace
from components.audit_trail import AuditTrailArgs
from components.baseline import Baseline, BaselineArgs, BaselineNodeGroup
from components.cluster import ClusterArgs
from components.image_registry import ImageRegistryArgs
from components.nodegroup import NodeGroupArgs
from components.threat_detection import ThreatDetectionArgs
from tests.components import harness

ALICE = "arn:aws:iam::123456789012:role/alice"
COMPONENTS = {
    "eksguard:index:DataPlaneSecurityGroups",
    "eksguard:index:NetworkControls",
    "eksguard:index:NodeGroup",
    "eksguard:index:AccessControl",
    "eksguard:index:AuditTrail",
}


def base_args(**overrides) -> BaselineArgs:
    values = {
        "vpc_cidr_blocks": ["10.0.0.0/16"],
        "subnet_ids": ["subnet-a", "subnet-b"],
        "node_groups": [BaselineNodeGroup("general"), BaselineNodeGroup("arm", NodeGroupArgs(architecture="arm64"))],
        "access": AccessControlArgs(
            namespaces=[ManagedNamespace("team-a")],
            access_mappings=[AccessMapping("alice", ALICE, namespaces=["team-a"])],
        ),
        "tags": {"team": "platform"},
    }
    values.update(overrides)
    return BaselineArgs(**values)


def created(**overrides) -> BaselineArgs:
    return base_args(vpc_id="vpc-1", cluster=ClusterArgs(cluster_name="prod", version="1.35"), **overrides)


@pytest.fixture(scope="module")
def new_cluster() -> harness.Result:
    return harness.run(lambda: Baseline("base", created()))


@pytest.fixture(scope="module")
def existing_cluster() -> harness.Result:
    return harness.run(lambda: Baseline("base", base_args(existing_cluster_name="existing")))


def _areas(result: harness.Result) -> dict[str, set[str]]:
    """Each area's resources as "type::name"."""
    urns = result.output(result.value.responsibilities)
    return {
        area: {f"{result.by_urn(u).type}::{result.by_urn(u).name}" for u in listed} for area, listed in urns.items()
    }


def test_creates_every_component_once_under_the_baseline(new_cluster):
    baseline = new_cluster.one("eksguard:index:Baseline")
    children = new_cluster.children_of(baseline)
    assert sorted(c.type for c in children) == sorted(
        [*COMPONENTS, "eksguard:index:Cluster", "eksguard:index:NodeGroup"]
    )
    assert {c.name for c in children} == {
        "base-security-groups",
        "base-cluster",
        "base-network",
        "base-general",
        "base-arm",
        "base-access",
        "base-audit",
    }


def test_responsibilities_name_the_implementing_resources_for_each_area(new_cluster):
    areas = _areas(new_cluster)
    assert list(areas) == list(AREAS)
    cluster, nodes = (
        "eksguard:index:Cluster::base-cluster",
        {
            "eksguard:index:NodeGroup::base-general",
            "eksguard:index:NodeGroup::base-arm",
        },
    )
    assert areas["data-plane-security-groups"] == {"eksguard:index:DataPlaneSecurityGroups::base-security-groups"}
    assert areas["guest-os-patching"] == {cluster, *nodes}
    assert areas["audit-logging"] == {cluster, "eksguard:index:AuditTrail::base-audit"}
    assert areas["worker-nodes-containers"] == {
        *nodes,
        "kubernetes:core/v1:Namespace::base-access-team-a-namespace",
        "kubernetes:core/v1:ServiceAccount::base-access-team-a-default-sa",
    }
    assert areas["network-controls"] == {
        cluster,
        "eksguard:index:NetworkControls::base-network",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy::base-access-team-a-default-deny",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy::base-access-team-a-allow-dns",
    }
    iam = areas["platform-iam-rbac"]
    assert cluster in iam
    assert {
        "aws:eks/accessEntry:AccessEntry::base-access-access-alice",
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation::base-access-access-alice-policy",
    } <= iam
    assert len([r for r in iam if "rbac.authorization.k8s.io" in r]) == 6


def test_image_registry_and_threat_detection_are_opt_in(new_cluster, existing_cluster):
    for result in (new_cluster, existing_cluster):
        assert result.of_type("eksguard:index:ImageRegistry") == []
        assert result.of_type("eksguard:index:ThreatDetection") == []


def test_opted_in_image_registry_and_threat_detection_are_children_in_their_areas_with_the_tags():
    args = created(
        image_registry=ImageRegistryArgs(repositories=["shop/api"], tags={"data": "images"}),
        threat_detection=ThreatDetectionArgs(inspector=False),
    )
    result = harness.run(lambda: Baseline("base", args))
    baseline = result.one("eksguard:index:Baseline")
    registry = result.one("eksguard:index:ImageRegistry", "base-images")
    detection = result.one("eksguard:index:ThreatDetection", "base-detection")
    assert registry.parent == detection.parent == baseline.urn
    assert result.one("aws:ecr/repository:Repository").inputs["tags"] == {"team": "platform", "data": "images"}
    assert result.one("aws:guardduty/detector:Detector").inputs["tags"] == {"team": "platform"}
    assert result.of_type("aws:inspector2/enabler:Enabler") == []
    areas = _areas(result)
    registry_ref, detection_ref = (
        "eksguard:index:ImageRegistry::base-images",
        "eksguard:index:ThreatDetection::base-detection",
    )
    assert {area for area, listed in areas.items() if registry_ref in listed} == {
        "worker-nodes-containers",
        "platform-iam-rbac",
    }
    assert {area for area, listed in areas.items() if detection_ref in listed} == {"audit-logging", "guest-os-patching"}


def test_created_cluster_is_wired_to_its_security_groups_subnets_and_tags(new_cluster):
    eks = new_cluster.one("aws:eks/cluster:Cluster")
    assert eks.inputs["name"] == "prod" and eks.inputs["version"] == "1.35"
    assert eks.inputs["vpcConfig"]["subnetIds"] == ["subnet-a", "subnet-b"]
    cluster_sg = new_cluster.one("aws:ec2/securityGroup:SecurityGroup", "base-security-groups-cluster")
    assert eks.inputs["vpcConfig"]["securityGroupIds"] == [f"{cluster_sg.name}-id"]
    assert eks.inputs["tags"] == {"team": "platform"}
    node_sg = f"{new_cluster.one('aws:ec2/securityGroup:SecurityGroup', 'base-security-groups-node').name}-id"
    for template in new_cluster.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        assert template.inputs["networkInterfaces"][0]["securityGroups"] == [node_sg]
    for group in new_cluster.of_type("aws:eks/nodeGroup:NodeGroup"):
        assert group.inputs["clusterName"] == "prod"
        assert group.inputs["subnetIds"] == ["subnet-a", "subnet-b"]


def test_access_control_talks_to_the_created_cluster(new_cluster):
    provider = next(r for r in new_cluster.all if r.type == "pulumi:providers:kubernetes")
    server = json.loads(provider.inputs["kubeconfig"])["clusters"][0]["cluster"]["server"]
    assert server == "https://PROD.gr7.us-east-1.eks.amazonaws.com"
    assert {e.inputs["clusterName"] for e in new_cluster.of_type("aws:eks/accessEntry:AccessEntry")} == {"prod"}


def test_existing_cluster_is_referenced_not_created(existing_cluster):
    assert existing_cluster.of_type("aws:eks/cluster:Cluster") == []
    assert existing_cluster.output(existing_cluster.value.cluster_name) == "existing"
    assert {"existing"} == {a["name"] for a in existing_cluster.invokes(harness.EKS_GET_CLUSTER)}
    # Node rules use the existing cluster's EKS-managed group instead of a new cluster group.
    assert existing_cluster.names("aws:ec2/securityGroup:SecurityGroup") == {"base-security-groups-node"}
    areas = _areas(existing_cluster)
    assert not any("eksguard:index:Cluster::" in r for listed in areas.values() for r in listed)
    assert all(areas[a] for a in AREAS)
    assert {e.inputs["clusterName"] for e in existing_cluster.of_type("aws:eks/accessEntry:AccessEntry")} == {
        "existing"
    }


def test_subnets_and_existing_cluster_name_may_be_other_resources_outputs():
    """Plain values are validated; Outputs (a VPC's subnets, a cluster made elsewhere) pass on to every child."""
    subnets = ["subnet-0private0a", "subnet-0private0b"]
    result = harness.run(
        lambda: Baseline(
            "base",
            base_args(
                subnet_ids=pulumi.Output.from_input(subnets),
                existing_cluster_name=pulumi.Output.from_input("existing"),
            ),
        )
    )
    assert [g.inputs["subnetIds"] for g in result.of_type("aws:eks/nodeGroup:NodeGroup")] == [subnets, subnets]
    assert result.one("aws:ec2/networkAcl:NetworkAcl").inputs["subnetIds"] == subnets
    assert result.output(result.value.cluster_name) == "existing"
    assert {e.inputs["clusterName"] for e in result.of_type("aws:eks/accessEntry:AccessEntry")} == {"existing"}


ONE_SUBNET = ["subnet-a"]
REJECTED = [
    ("neither cluster", lambda: base_args(), "cluster"),
    ("both clusters", lambda: created(existing_cluster_name="existing"), "cluster"),
    ("no vpc to create", lambda: base_args(cluster=ClusterArgs()), "vpc_id"),
    ("no subnets", lambda: created(subnet_ids=[]), "subnet_ids"),
    ("subnets not a list", lambda: created(subnet_ids="subnet-a"), "subnet_ids"),
    ("empty existing cluster", lambda: base_args(existing_cluster_name=""), "existing_cluster_name"),
    (
        "duplicate node group",
        lambda: created(node_groups=[BaselineNodeGroup("a"), BaselineNodeGroup("a")]),
        "node_groups[1].name",
    ),
    # A child's complaint names the Baseline argument it came from.
    ("bad cluster version", lambda: base_args(vpc_id="vpc-1", cluster=ClusterArgs(version="1.20")), "cluster.version"),
    (
        "bad node group",
        lambda: created(node_groups=[BaselineNodeGroup("ok"), BaselineNodeGroup("a", NodeGroupArgs(ami_family="AL2"))]),
        "node_groups[1].args.ami_family",
    ),
    (
        "bad mapping",
        lambda: created(access=AccessControlArgs(access_mappings=[AccessMapping("a", ALICE, namespaces=["x"])])),
        "access.access_mappings[0].namespaces",
    ),
    ("bad trail", lambda: created(audit_trail=AuditTrailArgs(log_retention_days=42)), "audit_trail.log_retention_days"),
    (
        "bad repository",
        lambda: created(image_registry=ImageRegistryArgs(repositories=["ok", "Not OK"])),
        "image_registry.repositories[1]",
    ),
    (
        "no detection",
        lambda: created(threat_detection=ThreatDetectionArgs(guardduty=False, inspector=False)),
        "threat_detection.guardduty/inspector",
    ),
    (
        "two cni identities",
        lambda: created(
            node_groups=[BaselineNodeGroup("a"), BaselineNodeGroup("b", NodeGroupArgs(cni_identity="irsa"))]
        ),
        "node_groups[1].args.cni_identity",
    ),
    # Values a child inherits are the Baseline's own arguments.
    ("internet vpc cidr", lambda: created(vpc_cidr_blocks=["0.0.0.0/0"]), "vpc_cidr_blocks"),
    ("one subnet for a cluster", lambda: created(subnet_ids=ONE_SUBNET), "subnet_ids"),
    (
        "one own subnet for a cluster",
        lambda: base_args(vpc_id="vpc-1", cluster=ClusterArgs(subnet_ids=ONE_SUBNET)),
        "cluster.subnet_ids",
    ),
    (
        "bad node group of an existing cluster",
        lambda: base_args(
            existing_cluster_name="existing", node_groups=[BaselineNodeGroup("a", NodeGroupArgs(min_size=9))]
        ),
        "node_groups[0].args.min_size/desired_size/max_size",
    ),
    # What the Baseline fills in itself is not the caller's to set.
    (
        "node group cluster given",
        lambda: created(node_groups=[BaselineNodeGroup("a", NodeGroupArgs(cluster_name="other"))]),
        "node_groups[0].args.cluster_name",
    ),
    (
        "access cluster given",
        lambda: created(access=AccessControlArgs(cluster_name="other")),
        "access.cluster_name",
    ),
]


@pytest.mark.parametrize(("case", "make_args", "argument"), REJECTED, ids=[r[0] for r in REJECTED])
def test_any_bad_argument_is_rejected_before_anything_is_registered(case, make_args, argument):
    result = harness.attempt(lambda: Baseline("base", make_args()))
    assert isinstance(result.error, InvalidArgumentError), case
    assert (result.error.component, result.error.argument) == ("Baseline", argument)
    assert str(result.error).startswith(f"Baseline: argument {argument!r} {result.error.problem}; accepted values: ")
    assert result.all == []


def test_a_child_named_after_the_baseline_names_the_baseline():
    """The trail is named after the Baseline unless trail_name is given, so a bad name is the Baseline's."""
    result = harness.attempt(lambda: Baseline("a b", base_args(existing_cluster_name="existing")))
    assert isinstance(result.error, InvalidArgumentError)
    assert (result.error.component, result.error.path) == ("Baseline", ("name",))
    assert result.error.problem == "is 'a b-audit', not a valid trail name"
    assert result.all == []


def test_nested_args_are_not_mutated():
    args = created()
    before = dataclasses.asdict(args)
    harness.run(lambda: Baseline("base", args))
    assert dataclasses.asdict(args) == before


def test_same_stack_node_groups_resolve_the_patched_ami_at_preview():
    # A preview cannot read a cluster that does not exist yet (the invoke's result is unknown), so node groups
    # of a cluster created in the same stack must take its version directly: then the AMI release is known at
    # preview and the ami-age policy can check it before anything is deployed.
    result = harness.run(lambda: Baseline("base", created()), preview=True)
    assert result.invokes(harness.EKS_GET_CLUSTER) == []
    paths = {a["name"] for a in result.invokes(harness.SSM_GET_PARAMETER)}
    assert paths == {
        f"/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/{arch}/standard/recommended/release_version"
        for arch in ("x86_64", "arm64")
    }
    groups = result.of_type("aws:eks/nodeGroup:NodeGroup")
    assert groups and {g.inputs["version"] for g in groups} == {"1.35"}
    assert {g.inputs["releaseVersion"] for g in groups} == {harness.AL2023_RELEASE}


def test_aws_node_gets_one_identity_per_cluster_from_the_first_node_group_of_an_existing_cluster(existing_cluster):
    # EKS allows one pod identity association per service account, and one add-on of each name per cluster.
    result = existing_cluster
    assert {r.name for r in result.of_type("aws:iam/role:Role") if "-cni-" in r.name} == {"base-general-cni-role"}
    assert result.names("aws:eks/podIdentityAssociation:PodIdentityAssociation") == {"base-general-cni-pod-identity"}
    assert result.names("aws:eks/addon:Addon") == {"base-general-eks-pod-identity-agent"}


def test_node_groups_of_a_created_cluster_wait_for_aws_node_identity_but_not_for_add_ons_needing_nodes(new_cluster):
    addons = {r.inputs["addonName"]: r.urn for r in new_cluster.of_type("aws:eks/addon:Addon")}
    for group in new_cluster.of_type("aws:eks/nodeGroup:NodeGroup"):
        waits_for = set(group.dependencies)
        assert {addons["eks-pod-identity-agent"], addons["vpc-cni"]} <= waits_for, group.name
        assert not {addons["coredns"], addons["aws-ebs-csi-driver"]} & waits_for, group.name


def test_a_created_cluster_gives_aws_node_its_identity_and_no_node_group_does(new_cluster):
    roles = {r.name for r in new_cluster.of_type("aws:iam/role:Role") if "cni" in r.name}
    assert roles == {"base-cluster-vpc-cni-role"}
    assert new_cluster.names("aws:eks/podIdentityAssociation:PodIdentityAssociation") == set()
    addons = {r.inputs["addonName"]: r for r in new_cluster.of_type("aws:eks/addon:Addon")}
    assert len(addons) == len(new_cluster.of_type("aws:eks/addon:Addon"))
    assert addons["vpc-cni"].inputs["podIdentityAssociations"][0]["serviceAccount"] == "aws-node"
    node_roles = {r.inputs["role"] for r in new_cluster.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    cni_holders = {
        a.inputs["role"]
        for a in new_cluster.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["policyArn"].endswith("/AmazonEKS_CNI_Policy")
    }
    assert cni_holders == {"base-cluster-vpc-cni-role"} and {"base-general-node-role"} <= node_roles
