"""NodeGroup: hardened launch template, patched AMI release from SSM, least-privilege roles (under mocks)."""

from __future__ import annotations

import json

import pulumi
import pytest
from eksguard_policies import versions

from components._common import InvalidArgumentError
from components.cluster import Cluster, ClusterArgs
from components.nodegroup import NodeGroup, NodeGroupArgs, ami_release_parameter
from tests.components.harness import (
    ACCOUNT_ID,
    AL2023_RELEASE,
    BOTTLEROCKET_VERSION,
    REGION,
    SSM_GET_PARAMETER,
    attempt,
    existing_cluster,
    run,
)

NG = "aws:eks/nodeGroup:NodeGroup"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
KEY = "aws:kms/key:Key"
ADDON = "aws:eks/addon:Addon"
BASE = {"cluster_name": "existing", "subnet_ids": ["subnet-0a", "subnet-0b"], "node_security_group_id": "sg-0nodes"}
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/ng-kms-key-id"
ISSUER_HOST = f"oidc.eks.{REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"


def nodegroup(clusters=None, **overrides):
    return run(lambda: NodeGroup("ng", NodeGroupArgs(**{**BASE, **overrides})), clusters=clusters)


def policy_arns(result, role_name):
    role = result.one(ROLE, role_name)
    return sorted(
        a.inputs["policyArn"]
        for a in result.of_type(ATTACHMENT)
        if a.inputs["role"] == role.inputs.get("name", role.name)
    )


@pytest.fixture(scope="module")
def default():
    return nodegroup()


# The SSM parameter for every version in standard support x architecture x AMI family.

EXPECTED_PATHS = {
    (
        "AL2023",
        "x86_64",
    ): "/aws/service/eks/optimized-ami/{v}/amazon-linux-2023/x86_64/standard/recommended/release_version",
    (
        "AL2023",
        "arm64",
    ): "/aws/service/eks/optimized-ami/{v}/amazon-linux-2023/arm64/standard/recommended/release_version",
    ("BOTTLEROCKET", "x86_64"): "/aws/service/bottlerocket/aws-k8s-{v}/x86_64/latest/image_version",
    ("BOTTLEROCKET", "arm64"): "/aws/service/bottlerocket/aws-k8s-{v}/arm64/latest/image_version",
}
AMI_TYPES = {
    ("AL2023", "x86_64"): "AL2023_x86_64_STANDARD",
    ("AL2023", "arm64"): "AL2023_ARM_64_STANDARD",
    ("BOTTLEROCKET", "x86_64"): "BOTTLEROCKET_x86_64",
    ("BOTTLEROCKET", "arm64"): "BOTTLEROCKET_ARM_64",
}
MATRIX = [
    (version, family, arch) for version in versions.standard_support_versions() for family, arch in EXPECTED_PATHS
]


@pytest.mark.parametrize(("version", "family", "arch"), MATRIX)
def test_release_version_comes_from_the_public_ssm_parameter_of_the_clusters_version(version, family, arch):
    expected_path = EXPECTED_PATHS[(family, arch)].format(v=version)
    assert ami_release_parameter(version, family, arch) == expected_path
    result = nodegroup(clusters={"c": existing_cluster("c", version=version)}, cluster_name="c", ami_family=family,
                       architecture=arch)  # fmt: skip
    assert result.invokes(SSM_GET_PARAMETER) == [{"name": expected_path}]
    ng = result.one(NG).inputs
    assert ng["releaseVersion"] == (AL2023_RELEASE if family == "AL2023" else BOTTLEROCKET_VERSION)
    assert ng["version"] == version
    assert ng["amiType"] == AMI_TYPES[(family, arch)]
    assert ng["instanceTypes"] == (["m7i.large"] if arch == "x86_64" else ["m7g.large"])


def test_explicit_node_version_overrides_the_clusters():
    version = versions.standard_support_versions()[0]
    result = nodegroup(
        clusters={"c": existing_cluster("c", version="1.35")}, cluster_name="c", kubernetes_version=version
    )
    assert result.invokes(SSM_GET_PARAMETER) == [{"name": EXPECTED_PATHS[("AL2023", "x86_64")].format(v=version)}]
    assert result.one(NG).inputs["version"] == version


def test_cluster_created_in_the_same_stack_is_looked_up_by_its_name():
    version = versions.standard_support_versions()[0]

    def program():
        cluster = Cluster("prod", ClusterArgs(subnet_ids=["subnet-0a", "subnet-0b"], version=version))
        return NodeGroup("ng", NodeGroupArgs(**{**BASE, "cluster_name": cluster.cluster_name}))

    result = run(program)
    assert result.invokes("aws:eks/getCluster:getCluster") == [{"name": "prod"}]
    assert result.invokes(SSM_GET_PARAMETER) == [{"name": EXPECTED_PATHS[("AL2023", "x86_64")].format(v=version)}]
    assert result.one(NG).inputs["clusterName"] == "prod"
    assert result.one(POD_IDENTITY).inputs["clusterName"] == "prod"


# Launch template


def test_imdsv2_required_with_hop_limit_one(default):
    assert default.one(LT).inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
        "instanceMetadataTags": "disabled",
    }


def test_root_volume_is_encrypted_gp3_with_the_customer_key(default):
    assert default.one(LT).inputs["blockDeviceMappings"] == [
        {
            "deviceName": "/dev/xvda",
            "ebs": {
                "encrypted": "true",
                "kmsKeyId": KEY_ARN,
                "volumeType": "gp3",
                "volumeSize": 50,
                "deleteOnTermination": "true",
            },
        }
    ]


def test_bottlerocket_encrypts_os_and_data_volumes():
    mappings = nodegroup(ami_family="BOTTLEROCKET", disk_size_gib=80).one(LT).inputs["blockDeviceMappings"]
    ebs = {"encrypted": "true", "kmsKeyId": KEY_ARN, "volumeType": "gp3", "deleteOnTermination": "true"}
    assert mappings == [
        {"deviceName": "/dev/xvda", "ebs": ebs},
        {"deviceName": "/dev/xvdb", "ebs": {**ebs, "volumeSize": 80}},
    ]


def test_volume_key_rotates_and_auto_scaling_may_use_it(default):
    key = default.one(KEY)
    assert key.inputs["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    slr = f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    assert statements["AutoScalingUsesKey"]["Principal"] == {"AWS": slr}
    assert statements["AutoScalingGrants"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_no_public_ip_node_security_group_no_ssh_key_detailed_monitoring(default):
    lt = default.one(LT).inputs
    assert lt["networkInterfaces"] == [
        {
            "deviceIndex": 0,
            "associatePublicIpAddress": "false",
            "deleteOnTermination": "true",
            "securityGroups": ["sg-0nodes"],
        }
    ]
    assert "vpcSecurityGroupIds" not in lt
    assert lt["monitoring"] == {"enabled": True}
    assert "keyName" not in lt
    assert "imageId" not in lt  # the AMI comes from amiType + releaseVersion


# Node group


def test_managed_node_group_on_the_template_in_the_given_subnets_without_remote_access(default):
    ng = default.one(NG).inputs
    assert ng["launchTemplate"] == {"id": "ng-lt-id", "version": "1"}
    assert ng["subnetIds"] == BASE["subnet_ids"]
    assert ng["clusterName"] == "existing"
    assert "remoteAccess" not in ng
    assert "diskSize" not in ng
    assert ng["updateConfig"] == {"maxUnavailablePercentage": 33}
    assert ng["scalingConfig"] == {"minSize": 2, "desiredSize": 2, "maxSize": 4}
    assert ng["capacityType"] == "ON_DEMAND"
    assert ng["nodeRoleArn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/ng-node-role"


def test_node_role_holds_only_the_three_node_policies(default):
    trust = json.loads(default.one(ROLE, "ng-node-role").inputs["assumeRolePolicy"])["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": ["sts:AssumeRole"]}]
    assert policy_arns(default, "ng-node-role") == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    ]
    assert default.of_type("aws:iam/rolePolicy:RolePolicy") == []


def test_cni_policy_is_on_a_pod_identity_role_for_aws_node(default):
    assert policy_arns(default, "ng-cni-role") == ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]
    trust = json.loads(default.one(ROLE, "ng-cni-role").inputs["assumeRolePolicy"])["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
                "ArnLike": {"aws:SourceArn": f"arn:aws:eks:{REGION}:{ACCOUNT_ID}:podidentityassociation/existing/*"},
            },
        }
    ]
    assoc = default.one(POD_IDENTITY).inputs
    assert assoc == {
        "clusterName": "existing",
        "namespace": "kube-system",
        "serviceAccount": "aws-node",
        "roleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/ng-cni-role",
        "tags": {},
    }


def test_pod_identity_agent_add_on_is_installed_for_the_cni_identity(default):
    addon = default.one(ADDON)
    assert addon.name == "ng-eks-pod-identity-agent"
    assert addon.inputs == {
        "clusterName": "existing",
        "addonName": "eks-pod-identity-agent",
        "resolveConflictsOnCreate": "OVERWRITE",
        "tags": {},
    }


def test_what_the_component_waits_for_its_node_group_waits_for():
    def program():
        gate = pulumi.CustomResource("test:index:Gate", "gate")
        NodeGroup("ng", NodeGroupArgs(**BASE), pulumi.ResourceOptions(depends_on=[gate]))

    result = run(program)
    assert result.one("test:index:Gate").urn in result.one(NG).dependencies


def test_node_group_waits_for_its_role_policies_and_the_cni_identity(default):
    dependencies = set(default.one(NG).dependencies)
    for attachment in default.of_type(ATTACHMENT):
        assert attachment.urn in dependencies
    assert default.one(POD_IDENTITY).urn in dependencies
    assert default.one(ADDON).urn in dependencies


def test_irsa_points_the_vpc_cni_add_on_at_the_cni_role_and_it_enforces_network_policies():
    result = nodegroup(cni_identity="irsa")
    addon = result.one(ADDON)
    assert addon.name == "ng-vpc-cni"
    assert addon.inputs == {
        "clusterName": "existing",
        "addonName": "vpc-cni",
        "serviceAccountRoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/ng-cni-role",
        "configurationValues": '{"enableNetworkPolicy": "true"}',
        "resolveConflictsOnCreate": "OVERWRITE",
        "tags": {},
    }
    assert addon.urn in result.one(NG).dependencies


@pytest.mark.parametrize("identity", ["pod-identity", "irsa"])
def test_cluster_that_already_has_the_add_on_keeps_the_role_without_a_new_add_on(identity):
    result = nodegroup(cni_identity=identity, manage_cni_addon=False)
    assert result.of_type(ADDON) == []
    assert policy_arns(result, "ng-cni-role") == ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]
    assert len(result.of_type(POD_IDENTITY)) == (identity == "pod-identity")


def test_external_cni_identity_creates_no_cni_role_association_or_add_on():
    result = nodegroup(cni_identity="external")
    assert result.names(ROLE) == {"ng-node-role"}
    assert result.of_type(POD_IDENTITY) == []
    assert result.of_type(ADDON) == []
    assert result.output(result.value.cni_role_arn) is None


def test_irsa_trusts_only_aws_node_through_the_clusters_oidc_provider():
    result = nodegroup(cni_identity="irsa")
    assert result.of_type(POD_IDENTITY) == []
    assert policy_arns(result, "ng-cni-role") == ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]
    trust = json.loads(result.one(ROLE, "ng-cni-role").inputs["assumeRolePolicy"])["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{ISSUER_HOST}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{ISSUER_HOST}:sub": "system:serviceaccount:kube-system:aws-node",
                    f"{ISSUER_HOST}:aud": "sts.amazonaws.com",
                }
            },
        }
    ]


def test_irsa_with_an_explicit_provider_arn():
    provider = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/example"
    result = nodegroup(cni_identity="irsa", oidc_provider_arn=provider)
    trust = json.loads(result.one(ROLE, "ng-cni-role").inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Federated": provider}


def test_caller_choices_are_passed_through():
    key = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/caller"
    choices = {
        "capacity_type": "SPOT",
        "instance_types": ["c7g.xlarge"],
        "architecture": "arm64",
        "labels": {"tier": "web"},
    }
    sizes = {"min_size": 1, "desired_size": 3, "max_size": 6, "max_unavailable_percentage": 10}
    result = nodegroup(kms_key_arn=key, **choices, **sizes)
    assert result.of_type(KEY) == []
    assert result.one(LT).inputs["blockDeviceMappings"][0]["ebs"]["kmsKeyId"] == key
    ng = result.one(NG).inputs
    assert (ng["capacityType"], ng["instanceTypes"], ng["labels"]) == ("SPOT", ["c7g.xlarge"], {"tier": "web"})
    assert ng["scalingConfig"] == {"minSize": 1, "desiredSize": 3, "maxSize": 6}
    assert ng["updateConfig"] == {"maxUnavailablePercentage": 10}


def test_subnet_ids_may_be_an_output():
    result = run(
        lambda: NodeGroup("ng", NodeGroupArgs(**{**BASE, "subnet_ids": pulumi.Output.from_input(["subnet-0c"])}))
    )
    assert result.one(NG).inputs["subnetIds"] == ["subnet-0c"]


def test_children_parented_to_the_component(default):
    component = default.one("eksguard:index:NodeGroup")
    assert len(default.children_of(component)) == len(default.resources) - 1
    assert all(r.name.startswith("ng-") for r in default.children_of(component))


# Rejections

C = "NodeGroup: argument"
SUPPORTED = ", ".join(repr(v) for v in versions.standard_support_versions())
REJECTED = [
    (
        {"ami_family": "AL2"},
        f"{C} 'ami_family' is 'AL2': EKS-optimized Amazon Linux 2 AMIs reached end of support on 2025-11-26; "
        "accepted values: 'AL2023', 'BOTTLEROCKET'",
    ),
    ({"ami_family": "al2023"}, f"{C} 'ami_family' is 'al2023'; accepted values: 'AL2023', 'BOTTLEROCKET'"),
    ({"ami_family": "WINDOWS"}, f"{C} 'ami_family' is 'WINDOWS'; accepted values: 'AL2023', 'BOTTLEROCKET'"),
    ({"architecture": "aarch64"}, f"{C} 'architecture' is 'aarch64'; accepted values: 'x86_64', 'arm64'"),
    ({"kubernetes_version": "1.31"}, f"{C} 'kubernetes_version' is '1.31'; accepted values: {SUPPORTED}"),
    ({"capacity_type": "spot"}, f"{C} 'capacity_type' is 'spot'; accepted values: 'ON_DEMAND', 'SPOT'"),
    (
        {"cni_identity": "node-role"},
        f"{C} 'cni_identity' is 'node-role'; accepted values: 'pod-identity', 'irsa', 'external'",
    ),
    ({"manage_cni_addon": "yes"}, f"{C} 'manage_cni_addon' is 'yes'; accepted values: True, False"),
    (
        {"oidc_provider_arn": "arn:aws:iam::1:oidc-provider/x"},
        f"{C} 'oidc_provider_arn' is set but cni_identity is not 'irsa'; accepted values: 'irsa'",
    ),
    (
        {"cluster_name": ""},
        f"{C} 'cluster_name' is missing; accepted values: the name of an EKS cluster (or Cluster.cluster_name)",
    ),
    ({"subnet_ids": []}, f"{C} 'subnet_ids' is []; accepted values: a non-empty list of private subnet ids"),
    (
        {"node_security_group_id": ""},
        f"{C} 'node_security_group_id' is missing; accepted values: a security group id "
        "(DataPlaneSecurityGroups.node_security_group_id)",
    ),
    (
        {"min_size": 3, "desired_size": 2},
        f"{C} 'min_size/desired_size/max_size' are (3, 2, 4); accepted values: 0 <= min <= desired <= max, max >= 1",
    ),
    (
        {"min_size": 0, "desired_size": 0, "max_size": 0},
        f"{C} 'min_size/desired_size/max_size' are (0, 0, 0); accepted values: 0 <= min <= desired <= max, max >= 1",
    ),
    ({"max_unavailable_percentage": 0}, f"{C} 'max_unavailable_percentage' is 0; accepted values: 1 to 100"),
    ({"max_unavailable_percentage": 101}, f"{C} 'max_unavailable_percentage' is 101; accepted values: 1 to 100"),
    ({"disk_size_gib": 8}, f"{C} 'disk_size_gib' is 8; accepted values: 20 to 16384"),
    ({"instance_types": []}, f"{C} 'instance_types' is []; accepted values: a non-empty list like ['m7i.large']"),
]


@pytest.mark.parametrize(("overrides", "message"), REJECTED, ids=[m.split(" argument ")[1][:50] for _, m in REJECTED])
def test_invalid_arguments_are_rejected_before_anything_is_registered(overrides, message):
    result = attempt(lambda: NodeGroup("ng", NodeGroupArgs(**{**BASE, **overrides})))
    assert isinstance(result.error, InvalidArgumentError)
    assert str(result.error) == message
    assert result.resources == []
    assert result.calls == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("1.35", "AL2", "x86_64"),
            "ami_release_parameter: argument 'ami_family' is 'AL2': EKS-optimized Amazon Linux 2 AMIs reached end of "
            "support on 2025-11-26; accepted values: 'AL2023', 'BOTTLEROCKET'",
        ),
        (
            ("1.35", "AL2023", "amd64"),
            "ami_release_parameter: argument 'architecture' is 'amd64'; accepted values: 'x86_64', 'arm64'",
        ),
    ],
)
def test_parameter_builder_rejects_what_the_component_rejects(args, message):
    with pytest.raises(InvalidArgumentError) as error:
        ami_release_parameter(*args)
    assert str(error.value) == message
