"""The pulumi-eks and awsx components users declare, judged from their inputs (wire form, as the engine sends a
multi-language component's inputs) and the defaults of the component's version.

Each component is declared with its defaults and with hardened arguments; the exact violations are stated.
Where pulumi-eks offers no argument for a control, hardened arguments leave exactly that violation, and its
message says so: ``eks-bootstrap-cluster-creator-admin`` on eks.Cluster (pulumi-eks 4 always sends true) and
``node-imdsv2-required`` on the self-managed node groups (no metadataOptions input in the multi-language schema).
"""

from __future__ import annotations

from typing import Any

import pytest

from eksguard.protocol.analyzer import Resource
from eksguard.protocol.wire import UNKNOWN

from .cases import Case, StackCase, case, run_case, run_stack_case, stack_case
from .component_children import (
    CLUSTER,
    CONTROL_PLANE_LOGS,
    HARDENED_CONTROL_PLANE,
    HARDENED_NODES,
    KEY,
    LOG_GROUP,
    MNG,
    NODE_GROUP,
    NODE_GROUP_V2,
    PAB_FLAGS,
    TRAIL,
    VPC,
)
from .pack_driver import resource, urn_for

SUBNET = "aws:ec2/subnet:Subnet"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"

AS_OF = {"eks-version-standard-support": {"asOf": "2026-11-28"}, "nodegroup-ami-age": {"asOf": "2026-11-28"}}
BY_DEFAULT = {"node-ebs-encrypted": {"accountEncryptionByDefault": True}}

PUBLIC_ENDPOINT = "eks-endpoint-public-access"
OPEN_CIDRS = "eks-public-access-cidrs-open"
LOGS = "eks-control-plane-logging"
SECRETS = "eks-secrets-encryption"
VERSION = "eks-version-standard-support"
AUTH = "eks-authentication-mode"
CREATOR = "eks-bootstrap-cluster-creator-admin"
IMDS = "node-imdsv2-required"
EBS = "node-ebs-encrypted"
PUBLIC_IP = "node-public-ip"
SSH = "nodegroup-ssh-remote-access"
AMI = "nodegroup-ami-family"
AMI_AGE = "nodegroup-ami-age"
MULTI_REGION = "cloudtrail-multi-region"
VALIDATION = "cloudtrail-log-validation"
TRAIL_KMS = "cloudtrail-kms"
CLOUDWATCH = "cloudtrail-cloudwatch-logs"
BUCKET_PAB = "stack-trail-bucket-public-access-block"
STACK_TRAIL = "stack-multi-region-trail"
# Account-level: a stack with a cluster that declares no GuardDuty or Inspector is asked only with checkAccount.
ACCOUNT_SERVICES = frozenset({"stack-guardduty-eks-protection", "stack-inspector-scanning"})

HARDENED_CLUSTER: dict[str, Any] = {**HARDENED_CONTROL_PLANE, "skipDefaultNodeGroup": True}
WITH_DEFAULT_NODES = HARDENED_CONTROL_PLANE
PRIVATE_ENDPOINT = "eks-endpoint-private-access"
ADDON_IDENTITY = "eks-addon-identity"
NODE_ROLE = "iam-node-role-least-privilege"
DELETION = "eks-deletion-protection"
DEFAULT_CLUSTER_VIOLATIONS = {
    PUBLIC_ENDPOINT,
    OPEN_CIDRS,
    LOGS,
    SECRETS,
    AUTH,
    CREATOR,
    IMDS,
    EBS,
    PRIVATE_ENDPOINT,
    DELETION,
}


def cluster_case(id: str, props: dict[str, Any], violations: set[str] = frozenset(), **kw: Any) -> Case:
    kw.setdefault("config", AS_OF)
    return case(id, CLUSTER, props, violations, name="cluster", **kw)


CASES: list[Case] = [
    # eks.Cluster
    cluster_case("eks-cluster-defaults", {}, DEFAULT_CLUSTER_VIOLATIONS),
    cluster_case("eks-cluster-hardened", HARDENED_CLUSTER, {CREATOR}),
    cluster_case("eks-cluster-hardened-default-node-group", {**WITH_DEFAULT_NODES, **HARDENED_NODES}, {CREATOR, IMDS}),
    cluster_case(
        "eks-cluster-public-endpoint-restricted",
        {**HARDENED_CLUSTER, "endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]},
        {CREATOR, PUBLIC_ENDPOINT},
    ),
    cluster_case(
        "eks-cluster-public-endpoint-open",
        {**HARDENED_CLUSTER, "endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]},
        {CREATOR, PUBLIC_ENDPOINT, OPEN_CIDRS},
    ),
    cluster_case("eks-cluster-key-unknown", {**HARDENED_CLUSTER, "encryptionConfigKeyArn": UNKNOWN}, {CREATOR}),
    cluster_case("eks-cluster-key-empty", {**HARDENED_CLUSTER, "encryptionConfigKeyArn": ""}, {CREATOR, SECRETS}),
    cluster_case(
        "eks-cluster-config-map-mode", {**HARDENED_CLUSTER, "authenticationMode": "CONFIG_MAP"}, {AUTH, CREATOR}
    ),
    cluster_case("eks-cluster-old-version", {**HARDENED_CLUSTER, "version": "1.33"}, {CREATOR, VERSION}),
    cluster_case("eks-cluster-some-logs", {**HARDENED_CLUSTER, "enabledClusterLogTypes": ["api"]}, {CREATOR, LOGS}),
    cluster_case(
        "eks-cluster-logs-unknown",
        {**HARDENED_CLUSTER, "enabledClusterLogTypes": UNKNOWN},
        {CREATOR},
        not_checkable={LOGS},
    ),
    cluster_case("eks-cluster-fargate", {**WITH_DEFAULT_NODES, "fargate": True}, {CREATOR}),
    cluster_case(
        "eks-cluster-auto-mode",
        {**WITH_DEFAULT_NODES, "autoMode": {"enabled": True}},
        {CREATOR},
    ),
    cluster_case(
        "eks-cluster-node-group-options",
        {**WITH_DEFAULT_NODES, "nodeGroupOptions": {"nodeRootVolumeEncrypted": True}},
        {CREATOR, IMDS},
    ),
    cluster_case(
        "eks-cluster-encrypt-root-block-device-is-ignored",
        {**WITH_DEFAULT_NODES, "nodeGroupOptions": {"encryptRootBlockDevice": True}},
        {CREATOR, IMDS, EBS},
    ),
    cluster_case(
        "eks-cluster-al2-default-node-group",
        {**WITH_DEFAULT_NODES, "nodeGroupOptions": {"amiType": "AL2_x86_64"}},
        {CREATOR, IMDS, EBS},
        config={**AS_OF, **BY_DEFAULT},
    ),
    cluster_case(
        "eks-cluster-root-volume-by-account",
        WITH_DEFAULT_NODES,
        {CREATOR, IMDS},
        config={**AS_OF, **BY_DEFAULT},
    ),
    # eks.NodeGroupV2 and eks.NodeGroup (self-managed)
    case("eks-node-group-v2-defaults", NODE_GROUP_V2, {"cluster": UNKNOWN}, {IMDS, EBS}, name="ng2"),
    case("eks-node-group-v2-hardened", NODE_GROUP_V2, {"cluster": UNKNOWN, **HARDENED_NODES}, {IMDS}, name="ng2"),
    case(
        "eks-node-group-v2-root-unencrypted",
        NODE_GROUP_V2,
        {**HARDENED_NODES, "nodeRootVolumeEncrypted": False},
        {IMDS, EBS},
        name="ng2",
    ),
    case("eks-node-group-defaults", NODE_GROUP, {"cluster": UNKNOWN}, {IMDS, EBS}, name="ng1"),
    case("eks-node-group-hardened", NODE_GROUP, {"cluster": UNKNOWN, **HARDENED_NODES}, {IMDS}, name="ng1"),
    case(
        "eks-node-group-own-security-group",
        NODE_GROUP,
        {**HARDENED_NODES, "nodeSecurityGroup": UNKNOWN, "clusterIngressRule": UNKNOWN},
        {IMDS},
        name="ng1",
    ),
    # eks.ManagedNodeGroup
    case("eks-mng-defaults", MNG, {"cluster": UNKNOWN, "nodeRole": UNKNOWN}, {EBS}, name="mng", config=AS_OF),
    case(
        "eks-mng-encrypted-by-account",
        MNG,
        {"cluster": UNKNOWN, "nodeRole": UNKNOWN},
        name="mng",
        config={**AS_OF, **BY_DEFAULT},
    ),
    case(
        "eks-mng-own-launch-template",
        MNG,
        {
            "cluster": UNKNOWN,
            "launchTemplate": {"id": UNKNOWN, "version": UNKNOWN},
            "amiType": "AL2023_x86_64_STANDARD",
        },
        name="mng",
        config=AS_OF,
    ),
    case("eks-mng-enable-imdsv2", MNG, {"enableIMDSv2": True}, {IMDS, EBS}, name="mng", config=AS_OF),
    case("eks-mng-imdsv1", MNG, {"enableIMDSv2": False}, {IMDS, EBS}, name="mng", config=AS_OF),
    case(
        "eks-mng-kubelet-args-template",
        MNG,
        {"kubeletExtraArgs": "--max-pods=110"},
        {IMDS, EBS},
        name="mng",
        config=AS_OF,
    ),
    case("eks-mng-al2", MNG, {"amiType": "AL2_x86_64"}, {AMI, EBS}, name="mng", config=AS_OF),
    case("eks-mng-os-al2", MNG, {"operatingSystem": "AL2"}, {AMI, EBS}, name="mng", config=AS_OF),
    case("eks-mng-os-bottlerocket", MNG, {"operatingSystem": "Bottlerocket"}, {EBS}, name="mng", config=AS_OF),
    case(
        "eks-mng-ssh",
        MNG,
        {"remoteAccess": {"ec2SshKey": "ops"}},
        {SSH},
        name="mng",
        config={**AS_OF, **BY_DEFAULT},
    ),
    case(
        "eks-mng-old-release",
        MNG,
        {"releaseVersion": "1.35.0-20260801"},
        {AMI_AGE},
        name="mng",
        config={**AS_OF, **BY_DEFAULT},
    ),
    # awsx.cloudtrail.Trail: the trail's inputs pass through
    case("awsx-trail-defaults", TRAIL, {}, {MULTI_REGION, VALIDATION, TRAIL_KMS, CLOUDWATCH}, name="trail"),
    case(
        "awsx-trail-hardened",
        TRAIL,
        {
            "isMultiRegionTrail": True,
            "enableLogFileValidation": True,
            "kmsKeyId": KEY,
            "cloudWatchLogsGroup": {"enable": True},
        },
        name="trail",
    ),
    case(
        "awsx-trail-logging-off",
        TRAIL,
        {"enableLogging": False, "isMultiRegionTrail": True},
        {VALIDATION, TRAIL_KMS, CLOUDWATCH, "cloudtrail-logging-enabled"},
        name="trail",
    ),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_component_case(pack, c: Case) -> None:
    run_case(pack, c)


def test_component_messages_name_the_argument_and_the_source(pack) -> None:
    with pack.configured(AS_OF):
        messages = pack.messages(CLUSTER, {}, name="cluster")
    assert messages[PUBLIC_ENDPOINT] == [
        "endpointPublicAccess is not set: pulumi-eks sends none (pulumi-eks 4, cluster/cluster.ts:707), so the API "
        "endpoint is public"
    ]
    assert messages[SECRETS] == [
        "encryptionConfigKeyArn is not set: pulumi-eks configures no secrets encryption (pulumi-eks 4, "
        "cluster/cluster.ts:593-607), so Secrets are not envelope-encrypted with a customer-managed KMS key"
    ]
    assert messages[OPEN_CIDRS] == ["publicAccessCidrs is not set (AWS default 0.0.0.0/0)"]
    creator = pack.messages(CLUSTER, HARDENED_CLUSTER, name="cluster")[CREATOR]
    assert creator == [
        "pulumi-eks always sets accessConfig.bootstrapClusterCreatorAdminPermissions true (pulumi-eks 4, "
        "cluster/cluster.ts:739) and no argument changes it: the cluster creator stays admin until its access entry "
        "is removed"
    ]
    ignored = pack.messages(CLUSTER, {"nodeGroupOptions": {"encryptRootBlockDevice": True}}, name="cluster")[EBS]
    assert ignored == [
        "nodeGroupOptions.nodeRootVolumeEncrypted is not set (pulumi-eks 4, nodes/nodegroup.ts:1383-1403): the root "
        "volumes of the default node group of cluster cluster follow the AMI's unencrypted snapshot unless the "
        "account enables EBS encryption by default; encryptRootBlockDevice is set, but pulumi-eks ignores it "
        "(pulumi-eks 4, provider/cmd/pulumi-resource-eks/schema.json (ClusterNodeGroupOptions); read nowhere "
        "under nodejs/eks)"
    ]
    hop = pack.messages(MNG, {"enableIMDSv2": True}, name="mng")[IMDS]
    assert hop == [
        "enableIMDSv2 true makes pulumi-eks set httpPutResponseHopLimit 2 (pulumi-eks 4, "
        "nodes/nodegroup.ts:2236-2244): pods can reach the node's IMDS credentials, and no argument gives hop limit 1; "
        "pass a launchTemplate whose metadataOptions require IMDSv2 with httpPutResponseHopLimit 1"
    ]


def test_a_major_version_eksguard_has_not_read_is_not_checkable_offline(pack) -> None:
    provider = {
        "type": "pulumi:providers:eks",
        "urn": urn_for("pulumi:providers:eks", "p"),
        "name": "p",
        "properties": {"version": "5.0.0"},
    }
    result = pack.process.analyze(resource(CLUSTER, {}, "cluster", provider=provider))
    assert result.not_applicable[SECRETS] == (
        "not checkable offline: pulumi-eks 5.x: eksguard has read the defaults of major version 4 only"
    )
    # what pulumi-eks passes through unchanged is judged as it is
    assert {d.policy for d in result.diagnostics} == {LOGS}


def test_components_are_reported_not_remediated(pack) -> None:
    with pack.configured({"all": "remediate"}):
        assert pack.process.remediate(resource(TRAIL, {}, "trail")) == []
        assert pack.process.remediate(resource(CLUSTER, {}, "cluster")) == []


# --- stack controls on components -------------------------------------------------------------------------------
def u(resource_type: str, name: str) -> str:
    return urn_for(resource_type, name)


def subnet(name: str, public: bool) -> Resource:
    return resource(SUBNET, {"vpcId": UNKNOWN, "mapPublicIpOnLaunch": public}, name)


PUBLIC_A, PRIVATE_A, PRIVATE_B = subnet("public-a", True), subnet("private-a", False), subnet("private-b", False)
CLUSTER_URN = u(CLUSTER, "cluster")
NO_TRAIL_NEEDED = {STACK_TRAIL: {"externalTrailArn": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org"}}


def eks_cluster(**props: Any) -> list[Resource]:
    """The hardened cluster and the control-plane log group the program declares for it."""
    deps = {k: v for k, v in props.pop("deps", {}).items()}
    cluster = resource(CLUSTER, {**HARDENED_CLUSTER, **props}, "cluster", property_dependencies=deps)
    return [cluster, resource(LOG_GROUP, CONTROL_PLANE_LOGS, "cluster-logs")]


def mng(name: str = "mng", **props: Any) -> Resource:
    """A managed node group on the cluster (the cluster arrives as its URN: a component reference)."""
    deps = props.pop("deps", {})
    return resource(MNG, {"cluster": CLUSTER_URN, "nodeRole": UNKNOWN, **props}, name, property_dependencies=deps)


def awsx_vpc(specs: Any = None) -> Resource:
    return resource(VPC, {} if specs is None else {"subnetSpecs": [{"type": t} for t in specs]}, "vpc")


VPC_URN = u(VPC, "vpc")
ON_VPC = {"subnetIds": UNKNOWN, "deps": {"subnetIds": [VPC_URN]}}

STACK_CASES: list[StackCase] = [
    # eks.Cluster's default node group: nodeAssociatePublicIpAddress (default true)
    stack_case(
        "component-cluster-default-node-group-public",
        [resource(CLUSTER, {}, "cluster")],
        # pulumi-eks's defaults: its vpc-cni add-on has no identity, its instance role holds AmazonEKS_CNI_Policy
        {(PUBLIC_IP, CLUSTER_URN), (ADDON_IDENTITY, CLUSTER_URN), (NODE_ROLE, CLUSTER_URN)},
        offline=ACCOUNT_SERVICES | {STACK_TRAIL},  # account-level: judged on the account only with checkAccount
    ),
    stack_case(
        "component-cluster-default-node-group-private",
        [
            resource(CLUSTER, {**WITH_DEFAULT_NODES, "nodeAssociatePublicIpAddress": False}, "cluster"),
            resource(LOG_GROUP, CONTROL_PLANE_LOGS, "cluster-logs"),
        ],
        {(NODE_ROLE, CLUSTER_URN)},  # the instance role pulumi-eks creates for the default node group
        config=NO_TRAIL_NEEDED,
        offline=ACCOUNT_SERVICES,
    ),
    stack_case(
        "component-node-group-v2-public", [resource(NODE_GROUP_V2, {}, "ng2")], {(PUBLIC_IP, u(NODE_GROUP_V2, "ng2"))}
    ),
    stack_case("component-node-group-private", [resource(NODE_GROUP, HARDENED_NODES, "ng1")]),
    # eks.ManagedNodeGroup: its subnets, or every subnet of its cluster
    stack_case(
        "component-mng-in-public-subnet",
        [PUBLIC_A, *eks_cluster(), mng(subnetIds=[UNKNOWN], deps={"subnetIds": [PUBLIC_A.urn]})],
        {(PUBLIC_IP, u(MNG, "mng"))},
        config=NO_TRAIL_NEEDED,
        offline=ACCOUNT_SERVICES,
    ),
    stack_case(
        "component-mng-in-private-subnets",
        [
            PRIVATE_A,
            PRIVATE_B,
            *eks_cluster(),
            mng(subnetIds=[UNKNOWN, UNKNOWN], deps={"subnetIds": [PRIVATE_A.urn, PRIVATE_B.urn]}),
        ],
        config=NO_TRAIL_NEEDED,
        offline=ACCOUNT_SERVICES,
    ),
    stack_case(
        "component-mng-cluster-public-and-private-subnets",
        [
            PUBLIC_A,
            PRIVATE_A,
            *eks_cluster(
                publicSubnetIds=[UNKNOWN],
                privateSubnetIds=[UNKNOWN],
                deps={"publicSubnetIds": [PUBLIC_A.urn], "privateSubnetIds": [PRIVATE_A.urn]},
            ),
            mng(),
        ],
        {(PUBLIC_IP, u(MNG, "mng"))},
        config=NO_TRAIL_NEEDED,
        offline=ACCOUNT_SERVICES,
    ),
    stack_case(
        "component-mng-cluster-private-subnets-only",
        [PRIVATE_A, *eks_cluster(privateSubnetIds=[UNKNOWN], deps={"privateSubnetIds": [PRIVATE_A.urn]}), mng()],
        config=NO_TRAIL_NEEDED,
        offline=ACCOUNT_SERVICES,
    ),
    stack_case(
        "component-mng-cluster-in-default-vpc",
        [*eks_cluster(), mng()],
        {(PUBLIC_IP, u(MNG, "mng"))},
        config=NO_TRAIL_NEEDED,
        offline=ACCOUNT_SERVICES,
    ),
    stack_case("component-mng-cluster-outside", [mng(cluster=UNKNOWN)], offline={PUBLIC_IP}),
    # awsx.ec2.Vpc: which of its subnets a reference to the whole VPC names
    stack_case(
        "component-mng-awsx-vpc-default-layout",
        [awsx_vpc(), *eks_cluster(), mng(**ON_VPC)],
        offline=ACCOUNT_SERVICES | {PUBLIC_IP},
        config=NO_TRAIL_NEEDED,
    ),
    stack_case(
        "component-mng-awsx-vpc-private-only",
        [awsx_vpc(["Private", "Isolated"]), *eks_cluster(), mng(**ON_VPC)],
        config=NO_TRAIL_NEEDED,
        offline=ACCOUNT_SERVICES,
    ),
    stack_case(
        "component-mng-awsx-vpc-public-only",
        [awsx_vpc(["Public"]), *eks_cluster(), mng(**ON_VPC)],
        {(PUBLIC_IP, u(MNG, "mng"))},
        config=NO_TRAIL_NEEDED,
        offline=ACCOUNT_SERVICES,
    ),
    stack_case(
        "component-mng-cluster-public-ids-from-awsx-vpc",
        [
            awsx_vpc(),
            *eks_cluster(
                publicSubnetIds=UNKNOWN,
                privateSubnetIds=UNKNOWN,
                deps={"publicSubnetIds": [VPC_URN], "privateSubnetIds": [VPC_URN]},
            ),
            mng(),
        ],
        {(PUBLIC_IP, u(MNG, "mng"))},
        config=NO_TRAIL_NEEDED,
        offline=ACCOUNT_SERVICES,
    ),
    stack_case(
        "component-mng-own-launch-template-private",
        [
            PUBLIC_A,
            resource(LAUNCH_TEMPLATE, {"networkInterfaces": [{"associatePublicIpAddress": "false"}]}, "lt"),
            mng(
                launchTemplate={"id": UNKNOWN, "version": UNKNOWN},
                subnetIds=[UNKNOWN],
                deps={"launchTemplate": [u(LAUNCH_TEMPLATE, "lt")], "subnetIds": [PUBLIC_A.urn]},
            ),
        ],
    ),
    # awsx.cloudtrail.Trail: its bucket has no public access block unless the program adds one on trail.bucket
    stack_case("component-trail-bucket-open", [resource(TRAIL, {}, "trail")], {(BUCKET_PAB, u(TRAIL, "trail"))}),
    stack_case(
        "component-trail-bucket-blocked",
        [
            resource(TRAIL, {}, "trail"),
            resource(
                PAB,
                {**dict.fromkeys(PAB_FLAGS, True), "bucket": UNKNOWN},
                "trail-bucket",
                property_dependencies={"bucket": [u(TRAIL, "trail")]},
            ),
        ],
    ),
    stack_case(
        "component-trail-existing-bucket",
        [resource(TRAIL, {"s3Bucket": {"existing": {"name": "org-trail-logs"}}}, "trail")],
    ),
    # a pulumi-eks cluster needs a trail like any cluster; an awsx trail counts
    stack_case(
        "component-cluster-with-awsx-trail",
        [
            *eks_cluster(),
            resource(TRAIL, {"isMultiRegionTrail": True, "s3Bucket": {"existing": {"name": "logs"}}}, "trail"),
        ],
        offline=ACCOUNT_SERVICES,
    ),
    stack_case(
        "component-cluster-with-single-region-awsx-trail",
        [*eks_cluster(), resource(TRAIL, {"s3Bucket": {"existing": {"name": "logs"}}}, "trail")],
        offline=ACCOUNT_SERVICES | {STACK_TRAIL},  # the single-region trail itself is cloudtrail-multi-region's finding
    ),
]


@pytest.mark.parametrize("c", STACK_CASES, ids=lambda c: c.id)
def test_component_stack_case(pack, c: StackCase) -> None:
    run_stack_case(pack, c)


def test_awsx_vpc_reference_says_why_it_is_not_checkable(pack) -> None:
    reasons = run_stack_case(pack, next(c for c in STACK_CASES if c.id == "component-mng-awsx-vpc-default-layout"))
    assert reasons[PUBLIC_IP] == (
        "not checkable offline: the subnets come from awsx VPC vpc, which has public subnets that map public IPs on "
        "launch (pulumi-awsx 3, ec2/vpc.ts:218) and others that do not; the reference names the VPC, not which of its "
        "subnets (a real `pulumi preview` sends the subnets themselves)"
    )
