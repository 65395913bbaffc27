"""Cluster: every hardened default, every opt-out, every rejected argument (under Pulumi mocks)."""

from __future__ import annotations

import json

import pulumi
import pytest
from eksguard_policies import versions

from components._common import InvalidArgumentError
from components.cluster import Cluster, ClusterArgs
from tests.components.harness import ACCOUNT_ID, REGION, attempt, run

EKS = "aws:eks/cluster:Cluster"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY = "aws:kms/key:Key"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
SUBNETS = ["subnet-0a", "subnet-0b"]
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/prod-kms-key-id"  # the harness's ARN for key "prod-kms"
CALLER_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555"


def cluster(**overrides):
    return run(lambda: Cluster("prod", ClusterArgs(subnet_ids=SUBNETS, **overrides)))


@pytest.fixture(scope="module")
def default():
    return cluster()


def test_endpoint_is_private_only(default):
    vpc = default.one(EKS).inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc
    assert vpc["subnetIds"] == SUBNETS
    assert vpc["securityGroupIds"] == []


def test_all_five_control_plane_log_types(default):
    assert sorted(default.one(EKS).inputs["enabledClusterLogTypes"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    )


def test_log_group_has_eks_name_retention_key_and_is_created_before_the_cluster(default):
    group = default.one(LOG_GROUP)
    assert group.inputs["name"] == "/aws/eks/prod/cluster"
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["kmsKeyId"] == KEY_ARN
    assert group.urn in default.one(EKS).dependencies


def test_secrets_are_envelope_encrypted_with_a_rotating_customer_key(default):
    encryption = default.one(EKS).inputs["encryptionConfig"]
    assert encryption == {"resources": ["secrets"], "provider": {"keyArn": KEY_ARN}}
    key = default.one(KEY)
    assert key.name == "prod-kms"
    assert key.inputs["enableKeyRotation"] is True


def test_key_policy_lets_cloudwatch_logs_use_the_key_only_for_this_accounts_log_groups(default):
    statements = {s["Sid"]: s for s in json.loads(default.one(KEY).inputs["policy"])["Statement"]}
    assert set(statements) == {"AccountAdministers", "CloudWatchLogsUse"}
    assert statements["AccountAdministers"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    logs = statements["CloudWatchLogsUse"]
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:*"}
    }


def test_access_entries_only_and_no_implicit_creator_admin(default):
    assert default.one(EKS).inputs["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": False,
    }


def test_default_version_is_the_newest_in_standard_support_with_standard_upgrade_policy(default):
    inputs = default.one(EKS).inputs
    assert inputs["version"] == versions.latest_version()
    assert inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    assert inputs["name"] == "prod"


def test_cluster_role_trusts_eks_and_holds_only_the_cluster_policy(default):
    role = default.one(ROLE, "prod-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    ]
    assert "managedPolicyArns" not in role.inputs and "inlinePolicies" not in role.inputs
    attached = [a.inputs["policyArn"] for a in default.of_type(ATTACHMENT) if a.inputs["role"] == "prod-role"]
    assert attached == ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]
    assert default.of_type("aws:iam/rolePolicy:RolePolicy") == []
    assert default.one(EKS).inputs["roleArn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/prod-role"
    assert default.one(ATTACHMENT, "prod-role-policy-eks-cluster").urn in default.one(EKS).dependencies


def test_children_are_named_after_the_component_and_parented_to_it(default):
    component = default.one("eksguard:index:Cluster")
    children = default.children_of(component)
    assert {r.name for r in children} == {
        "prod-kms",
        "prod-logs",
        "prod-role",
        "prod-role-policy-eks-cluster",
        "prod-eks",
        "prod-eks-pod-identity-agent",
        "prod-vpc-cni",
        "prod-vpc-cni-role",
        "prod-vpc-cni-role-policy",
        "prod-kube-proxy",
        "prod-coredns",
        "prod-aws-ebs-csi-driver",
        "prod-aws-ebs-csi-driver-role",
        "prod-aws-ebs-csi-driver-role-policy",
    }
    assert len(children) == len(default.resources) - 1


def test_outputs_are_resolvable(default):
    component = default.value
    assert default.output(component.cluster_name) == "prod"
    assert default.output(component.kms_key_arn) == KEY_ARN
    assert default.output(component.log_group_name) == "/aws/eks/prod/cluster"
    assert default.output(component.eks_security_group_id) == "sg-prod-eks-eks-managed"
    assert default.output(component.oidc_issuer).startswith("https://oidc.eks.")
    assert default.output(component.cni_role_arn) == f"arn:aws:iam::{ACCOUNT_ID}:role/prod-vpc-cni-role"
    assert default.output(component.ebs_csi_role_arn) == f"arn:aws:iam::{ACCOUNT_ID}:role/prod-aws-ebs-csi-driver-role"


def test_deletion_protection_is_on(default):
    assert default.one(EKS).inputs["deletionProtection"] is True


# The add-ons: the versions expected for the Kubernetes version (figures stated here, not read from the data file,
# so that a wrong figure there fails), NetworkPolicy enforcement, and Pod Identity for the add-ons that call AWS.

EXPECTED_1_35 = {
    "vpc-cni": "v1.21.1-eksbuild.7",
    "kube-proxy": "v1.35.3-eksbuild.13",
    "coredns": "v1.14.3-eksbuild.3",
}
ADDON = "aws:eks/addon:Addon"


def addons_of(result):
    return {a.inputs["addonName"]: a for a in result.of_type(ADDON)}


def test_core_addons_are_managed_at_the_expected_version_and_no_others():
    managed = addons_of(cluster(version="1.35"))
    assert set(managed) == {"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver", "eks-pod-identity-agent"}
    for name, addon in managed.items():
        assert addon.inputs["clusterName"] == "prod"
        assert addon.inputs.get("addonVersion") == EXPECTED_1_35.get(name), name
        assert addon.inputs["resolveConflictsOnCreate"] == "OVERWRITE"
        assert addon.inputs["resolveConflictsOnUpdate"] == "OVERWRITE"


def test_kube_proxy_follows_the_cluster_version():
    for version in versions.standard_support_versions():
        kube_proxy = addons_of(cluster(version=version))["kube-proxy"]
        assert kube_proxy.inputs["addonVersion"].startswith(f"v{version}."), version


def test_vpc_cni_enforces_network_policies(default):
    configuration = addons_of(default)["vpc-cni"].inputs["configurationValues"]
    assert json.loads(configuration) == {"enableNetworkPolicy": "true"}
    for name, addon in addons_of(default).items():
        assert name == "vpc-cni" or "configurationValues" not in addon.inputs


@pytest.mark.parametrize(
    ("addon", "service_account", "policy"),
    [
        ("vpc-cni", "aws-node", "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"),
        (
            "aws-ebs-csi-driver",
            "ebs-csi-controller-sa",
            "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
        ),
    ],
)
def test_addons_calling_aws_get_a_pod_identity_role_holding_only_their_policy(default, addon, service_account, policy):
    role = default.one(ROLE, f"prod-{addon}-role")
    associations = addons_of(default)[addon].inputs["podIdentityAssociations"]
    assert associations == [
        {"roleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/prod-{addon}-role", "serviceAccount": service_account}
    ]
    attached = [a for a in default.of_type(ATTACHMENT) if a.inputs["role"] == f"prod-{addon}-role"]
    assert [a.inputs["policyArn"] for a in attached] == [policy]
    assert "managedPolicyArns" not in role.inputs and "inlinePolicies" not in role.inputs
    assert {a.urn for a in attached} <= set(addons_of(default)[addon].dependencies)
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
                "ArnLike": {"aws:SourceArn": f"arn:aws:eks:{REGION}:{ACCOUNT_ID}:podidentityassociation/prod/*"},
            },
        }
    ]


def test_addons_without_aws_calls_get_no_identity(default):
    for name in ("kube-proxy", "coredns", "eks-pod-identity-agent"):
        assert "podIdentityAssociations" not in addons_of(default)[name].inputs, name


def test_addons_are_created_after_what_they_need(default):
    managed = addons_of(default)
    for addon, needs in {
        "vpc-cni": ["eks-pod-identity-agent"],
        "aws-ebs-csi-driver": ["eks-pod-identity-agent", "vpc-cni"],
        "coredns": ["vpc-cni"],
    }.items():
        assert {managed[n].urn for n in needs} <= set(managed[addon].dependencies), addon


# Opt-outs: each weakening or substitution takes one explicit, named argument.


def test_public_endpoint_only_for_the_named_cidrs():
    vpc = cluster(allow_public_endpoint_cidrs=["203.0.113.0/24", "2001:db8::/56"]).one(EKS).inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24", "2001:db8::/56"]


def test_caller_key_replaces_the_created_key_for_secrets_and_logs():
    result = cluster(kms_key_arn=CALLER_KEY)
    assert result.of_type(KEY) == []
    assert result.one(EKS).inputs["encryptionConfig"]["provider"] == {"keyArn": CALLER_KEY}
    assert result.one(LOG_GROUP).inputs["kmsKeyId"] == CALLER_KEY


@pytest.mark.parametrize("days", [90, 731, 3653])
def test_log_retention_is_configurable(days):
    assert cluster(log_retention_days=days).one(LOG_GROUP).inputs["retentionInDays"] == days


@pytest.mark.parametrize("version", versions.standard_support_versions())
def test_every_standard_support_version_is_accepted(version):
    assert cluster(version=version).one(EKS).inputs["version"] == version


def test_extended_support_and_extra_security_group_and_name_are_explicit():
    result = cluster(support_type="EXTENDED", cluster_security_group_id="sg-0extra", cluster_name="payments")
    inputs = result.one(EKS).inputs
    assert inputs["upgradePolicy"] == {"supportType": "EXTENDED"}
    assert inputs["vpcConfig"]["securityGroupIds"] == ["sg-0extra"]
    assert inputs["name"] == "payments"
    assert result.one(LOG_GROUP).inputs["name"] == "/aws/eks/payments/cluster"


def test_deletion_protection_and_network_policy_enforcement_are_turned_off_by_name():
    result = cluster(deletion_protection=False, network_policy_enforcement=False)
    assert result.one(EKS).inputs["deletionProtection"] is False
    assert "configurationValues" not in addons_of(result)["vpc-cni"].inputs


def test_addon_versions_may_be_newer_than_expected():
    result = cluster(
        version="1.35", addon_versions={"coredns": "v1.14.3-eksbuild.9", "aws-ebs-csi-driver": "v1.50.0-eksbuild.1"}
    )
    managed = addons_of(result)
    assert managed["coredns"].inputs["addonVersion"] == "v1.14.3-eksbuild.9"
    assert managed["aws-ebs-csi-driver"].inputs["addonVersion"] == "v1.50.0-eksbuild.1"
    assert managed["kube-proxy"].inputs["addonVersion"] == EXPECTED_1_35["kube-proxy"]


def test_subnet_ids_may_be_an_output():
    result = run(lambda: Cluster("prod", ClusterArgs(subnet_ids=pulumi.Output.from_input(SUBNETS))))
    assert result.one(EKS).inputs["vpcConfig"]["subnetIds"] == SUBNETS


def test_args_may_be_a_dict_as_the_provider_host_passes_them():
    result = run(lambda: Cluster("prod", {"subnet_ids": SUBNETS, "log_retention_days": 400}))
    assert result.one(LOG_GROUP).inputs["retentionInDays"] == 400


# Rejections: one clear error naming the argument and the accepted values, and nothing registered.

SUPPORTED = ", ".join(repr(v) for v in versions.standard_support_versions())
CIDRS = "CIDR blocks such as '10.0.0.0/16' or '2001:db8::/56' (not 0.0.0.0/0 or ::/0)"
RETENTIONS = "1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"

REJECTED = [
    (
        {"allow_public_endpoint_cidrs": ["0.0.0.0/0"]},
        "Cluster: argument 'allow_public_endpoint_cidrs' contains '0.0.0.0/0', the whole internet; "
        f"accepted values: {CIDRS}",
    ),
    (
        {"allow_public_endpoint_cidrs": ["203.0.113.0/24", "::/0"]},
        "Cluster: argument 'allow_public_endpoint_cidrs' contains '::/0', the whole internet; "
        f"accepted values: {CIDRS}",
    ),
    (
        {"allow_public_endpoint_cidrs": ["10.0.0.300/24"]},
        "Cluster: argument 'allow_public_endpoint_cidrs' contains '10.0.0.300/24', not a CIDR block; "
        f"accepted values: {CIDRS}",
    ),
    (
        {"allow_public_endpoint_cidrs": ["203.0.113.7/24"]},
        "Cluster: argument 'allow_public_endpoint_cidrs' contains '203.0.113.7/24', not a CIDR block; "
        f"accepted values: {CIDRS}",
    ),
    (
        {"allow_public_endpoint_cidrs": "203.0.113.0/24"},
        f"Cluster: argument 'allow_public_endpoint_cidrs' is '203.0.113.0/24', not a list; accepted values: {CIDRS}",
    ),
    ({"version": "1.31"}, f"Cluster: argument 'version' is '1.31'; accepted values: {SUPPORTED}"),
    ({"version": "1.99"}, f"Cluster: argument 'version' is '1.99'; accepted values: {SUPPORTED}"),
    ({"log_retention_days": 0}, f"Cluster: argument 'log_retention_days' is 0; accepted values: {RETENTIONS}"),
    ({"log_retention_days": 100}, f"Cluster: argument 'log_retention_days' is 100; accepted values: {RETENTIONS}"),
    ({"log_retention_days": True}, f"Cluster: argument 'log_retention_days' is True; accepted values: {RETENTIONS}"),
    (
        {"support_type": "standard"},
        "Cluster: argument 'support_type' is 'standard'; accepted values: 'STANDARD', 'EXTENDED'",
    ),
    (
        {"cluster_name": "-bad name"},
        "Cluster: argument 'cluster_name' is '-bad name'; "
        "accepted values: 1-100 letters, digits, '-' or '_', starting alphanumeric",
    ),
    (
        {"deletion_protection": "yes"},
        "Cluster: argument 'deletion_protection' is 'yes'; accepted values: True, False",
    ),
    (
        {"network_policy_enforcement": None},
        "Cluster: argument 'network_policy_enforcement' is None; accepted values: True, False",
    ),
    (
        {"addon_versions": {"cilium": "v1.0.0-eksbuild.1"}},
        "Cluster: argument 'addon_versions' names 'cilium', not a managed add-on; accepted values: "
        "'eks-pod-identity-agent', 'vpc-cni', 'kube-proxy', 'coredns', 'aws-ebs-csi-driver'",
    ),
    (
        {"addon_versions": {"coredns": "latest"}},
        "Cluster: argument 'addon_versions.coredns' is 'latest'; "
        "accepted values: an EKS add-on version such as 'v1.21.1-eksbuild.7'",
    ),
    (
        {"version": "1.35", "addon_versions": {"vpc-cni": "v1.20.4-eksbuild.1"}},
        "Cluster: argument 'addon_versions.vpc-cni' is 'v1.20.4-eksbuild.1', older than 'v1.21.1-eksbuild.7', "
        "the version expected for Kubernetes 1.35; accepted values: v1.21.1-eksbuild.7 or newer",
    ),
    (
        {"addon_versions": ["v1.21.1-eksbuild.7"]},
        "Cluster: argument 'addon_versions' is ['v1.21.1-eksbuild.7'], not a mapping; "
        "accepted values: {add-on: version}",
    ),
    (
        {"subnet_ids": ["subnet-0a"]},
        "Cluster: argument 'subnet_ids' is ['subnet-0a']; "
        "accepted values: a list of at least two subnet ids in different AZs",
    ),
]


@pytest.mark.parametrize(("overrides", "message"), REJECTED, ids=[str(o) for o, _ in REJECTED])
def test_invalid_arguments_are_rejected_before_anything_is_registered(overrides, message):
    args = {"subnet_ids": SUBNETS, **overrides}
    result = attempt(lambda: Cluster("prod", ClusterArgs(**args)))
    assert isinstance(result.error, InvalidArgumentError)
    assert str(result.error) == message
    assert result.resources == []


def test_unknown_argument_in_a_dict_is_rejected():
    with pytest.raises(InvalidArgumentError, match="argument 'public_access' is not an argument"):
        run(lambda: Cluster("prod", {"subnet_ids": SUBNETS, "public_access": True}))
