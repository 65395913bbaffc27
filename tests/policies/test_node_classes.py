"""Node templates beyond launch templates, over the real protocol: Karpenter EC2NodeClasses and EKS Auto Mode
NodeClasses under the same node controls as launch templates, the account's instance metadata defaults, and
node group versions against their cluster (stack cases)."""

from __future__ import annotations

from typing import Any

import pytest

from eksguard.protocol.analyzer import Resource
from eksguard.protocol.wire import UNKNOWN

from .cases import Case, StackCase, case, run_case, run_stack_case, stack_case
from .pack_driver import PackDriver, resource, urn_for

EC2_NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
EC2_NODE_CLASS_V1BETA1 = "kubernetes:karpenter.k8s.aws/v1beta1:EC2NodeClass"
NODE_CLASS = "kubernetes:eks.amazonaws.com/v1:NodeClass"
METADATA_DEFAULTS = "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults"
CLUSTER = "aws:eks/cluster:Cluster"
EKS_CLUSTER = "eks:index:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
MNG = "eks:index:ManagedNodeGroup"

IMDS = "node-imdsv2-required"
EBS = "node-ebs-encrypted"
PUBLIC_IP = "node-public-ip"
ACCOUNT_IMDS = "ec2-imds-account-defaults"
SKEW = "nodegroup-version-skew"
ACCOUNT_SERVICES = {"stack-multi-region-trail", "stack-guardduty-eks-protection", "stack-inspector-scanning"}


def karpenter(resource_type: str = EC2_NODE_CLASS, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "spec": {"amiFamily": "AL2023", **spec}}


def auto_mode(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "eks.amazonaws.com/v1", "kind": "NodeClass", "spec": {"role": "AutoNodes", **spec}}


VOLUME = {"deviceName": "/dev/xvda", "ebs": {"volumeSize": "100Gi", "volumeType": "gp3", "encrypted": True}}

CASES: list[Case] = [
    # Karpenter v1: IMDSv2 with hop limit 1 and encrypted default volumes unless the class says otherwise
    case("karpenter-defaults", EC2_NODE_CLASS, karpenter()),
    case("karpenter-hop-limit-2", EC2_NODE_CLASS, karpenter(metadataOptions={"httpPutResponseHopLimit": 2}), {IMDS}),
    case("karpenter-tokens-optional", EC2_NODE_CLASS, karpenter(metadataOptions={"httpTokens": "optional"}), {IMDS}),
    case(
        "karpenter-metadata-disabled",
        EC2_NODE_CLASS,
        karpenter(metadataOptions={"httpEndpoint": "disabled", "httpTokens": "optional"}),
    ),
    case("karpenter-metadata-garbage", EC2_NODE_CLASS, karpenter(metadataOptions="required"), {IMDS}),
    case("karpenter-metadata-unknown", EC2_NODE_CLASS, karpenter(metadataOptions=UNKNOWN), not_checkable={IMDS}),
    case("karpenter-volume-encrypted", EC2_NODE_CLASS, karpenter(blockDeviceMappings=[VOLUME])),
    case(
        "karpenter-volume-not-encrypted",
        EC2_NODE_CLASS,
        karpenter(blockDeviceMappings=[{**VOLUME, "ebs": {"volumeSize": "100Gi"}}]),
        {EBS},
    ),
    case(
        "karpenter-volume-by-account",
        EC2_NODE_CLASS,
        karpenter(blockDeviceMappings=[{**VOLUME, "ebs": {"volumeSize": "100Gi"}}]),
        config={EBS: {"accountEncryptionByDefault": True}},
    ),
    case(
        "karpenter-volume-explicitly-unencrypted",
        EC2_NODE_CLASS,
        karpenter(blockDeviceMappings=[{**VOLUME, "ebs": {"encrypted": False}}]),
        {EBS},
        config={EBS: {"accountEncryptionByDefault": True}},
    ),
    case("karpenter-custom-ami-no-volumes", EC2_NODE_CLASS, karpenter(amiFamily="Custom"), {EBS}),
    case("karpenter-volumes-garbage", EC2_NODE_CLASS, karpenter(blockDeviceMappings="xvda"), {EBS}),
    # Karpenter v1beta1 defaulted the hop limit to 2
    case("karpenter-v1beta1-defaults", EC2_NODE_CLASS_V1BETA1, karpenter(), {IMDS}),
    case(
        "karpenter-v1beta1-hop-limit-1",
        EC2_NODE_CLASS_V1BETA1,
        karpenter(metadataOptions={"httpPutResponseHopLimit": 1}),
    ),
    # EKS Auto Mode: AWS sets the metadata options and always encrypts the volumes
    case("auto-mode-node-class", NODE_CLASS, auto_mode(ephemeralStorage={"size": "80Gi"})),
    # the account's instance metadata defaults
    case("imds-defaults-required", METADATA_DEFAULTS, {"httpTokens": "required", "httpPutResponseHopLimit": 1}),
    case("imds-defaults-hop-unset", METADATA_DEFAULTS, {"httpTokens": "required"}),
    case(
        "imds-defaults-no-hop-preference", METADATA_DEFAULTS, {"httpTokens": "required", "httpPutResponseHopLimit": -1}
    ),
    case("imds-defaults-optional", METADATA_DEFAULTS, {"httpTokens": "optional"}, {ACCOUNT_IMDS}),
    case("imds-defaults-no-preference", METADATA_DEFAULTS, {"httpTokens": "no-preference"}, {ACCOUNT_IMDS}),
    case(
        "imds-defaults-hop-2",
        METADATA_DEFAULTS,
        {"httpTokens": "required", "httpPutResponseHopLimit": 2},
        {ACCOUNT_IMDS},
    ),
    case(
        "imds-defaults-hop-garbage",
        METADATA_DEFAULTS,
        {"httpTokens": "required", "httpPutResponseHopLimit": "x"},
        {ACCOUNT_IMDS},
    ),
    case("imds-defaults-endpoint-disabled", METADATA_DEFAULTS, {"httpEndpoint": "disabled"}),
    case("imds-defaults-unknown", METADATA_DEFAULTS, {"httpTokens": UNKNOWN}, not_checkable={ACCOUNT_IMDS}),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_node_class_case(pack: PackDriver, c: Case) -> None:
    run_case(pack, c)


def test_messages(pack: PackDriver) -> None:
    assert pack.messages(EC2_NODE_CLASS_V1BETA1, karpenter())[IMDS] == [
        "spec.metadataOptions.httpPutResponseHopLimit is 2: pods can reach the node's IMDS credentials (Karpenter "
        "v1beta1's default; v1 defaults to 1)"
    ]
    assert pack.messages(METADATA_DEFAULTS, {"httpTokens": "optional", "httpPutResponseHopLimit": 3})[ACCOUNT_IMDS] == [
        "httpTokens is 'optional': instances launched without metadata options allow IMDSv1",
        "httpPutResponseHopLimit is 3: pods on instances launched without metadata options reach the instance "
        "role's credentials",
    ]
    reasons = pack.not_applicable(CLUSTER, {"name": "prod"})
    assert reasons[IMDS] == "not an EKS Auto Mode cluster: its nodes are judged where the program declares them"


def test_node_classes_are_not_remediated(pack: PackDriver) -> None:
    with pack.configured({IMDS: "remediate", EBS: "remediate"}):
        assert pack.remediate(EC2_NODE_CLASS, karpenter(metadataOptions={"httpPutResponseHopLimit": 2})) is None
        assert pack.remediate(CLUSTER, {"name": "prod"}) is None


# --- public IP addresses of node classes (node-public-ip is a stack rule) -------------------------------------
def node_class(resource_type: str, props: dict[str, Any]) -> Resource:
    return resource(resource_type, props, "nodes")


def u(resource_type: str, name: str) -> str:
    return urn_for(resource_type, name)


# --- node group versions against their cluster (a stack rule: the node group names its cluster) ---------------
PROD = resource(CLUSTER, {"name": "prod", "version": "1.35", "bootstrapSelfManagedAddons": False}, "prod")


def node_group(version: Any, cluster: Resource = PROD, name: str = "ng") -> Resource:
    props = {"clusterName": UNKNOWN, "amiType": "AL2023_x86_64_STANDARD", "launchTemplate": {"id": "lt-1"}}
    if version is not None:
        props["version"] = version
    return resource(NODE_GROUP, props, name, property_dependencies={"clusterName": [cluster.urn]})


# the node groups' launch template, private (node-public-ip has nothing to say about these stacks)
TEMPLATE = resource(
    "aws:ec2/launchTemplate:LaunchTemplate",
    {"name": "lt-1", "networkInterfaces": [{"associatePublicIpAddress": "false"}]},
    "lt-1",
)


def skew(id: str, resources: list[Resource], violations: set[tuple[str, str]] = frozenset(), **kw: Any) -> StackCase:
    kw.setdefault("offline", ACCOUNT_SERVICES)
    return stack_case(id, [PROD, TEMPLATE, *resources], violations, **kw)


NG_URN = u(NODE_GROUP, "ng")
EKS = resource(
    EKS_CLUSTER,
    {
        "version": "1.35",
        "skipDefaultNodeGroup": True,
        "authenticationMode": "API",
        "vpcCniOptions": {"serviceAccountRoleArn": UNKNOWN},
    },
    "eks",
)

STACK_CASES: list[StackCase] = [
    stack_case(
        "public-ip-karpenter-true",
        [node_class(EC2_NODE_CLASS, karpenter(associatePublicIPAddress=True))],
        {(PUBLIC_IP, u(EC2_NODE_CLASS, "nodes"))},
    ),
    stack_case("public-ip-karpenter-false", [node_class(EC2_NODE_CLASS, karpenter(associatePublicIPAddress=False))]),
    stack_case("public-ip-karpenter-unset", [node_class(EC2_NODE_CLASS, karpenter())], offline={PUBLIC_IP}),
    stack_case(
        "public-ip-auto-mode-true",
        [node_class(NODE_CLASS, auto_mode(advancedNetworking={"associatePublicIPAddress": True}))],
        {(PUBLIC_IP, u(NODE_CLASS, "nodes"))},
    ),
    stack_case(
        "public-ip-auto-mode-false",
        [node_class(NODE_CLASS, auto_mode(advancedNetworking={"associatePublicIPAddress": False}))],
    ),
    stack_case(
        "public-ip-auto-mode-unknown",
        [node_class(NODE_CLASS, auto_mode(advancedNetworking={"associatePublicIPAddress": UNKNOWN}))],
        not_checkable={PUBLIC_IP},
    ),
    # version skew
    skew("skew-same-version", [node_group("1.35")]),
    skew("skew-version-unset", [node_group(None)]),
    skew("skew-three-behind", [node_group("1.32")]),
    skew("skew-four-behind", [node_group("1.31")], {(SKEW, NG_URN)}),
    skew(
        "skew-one-behind-strict", [node_group("1.34")], {(SKEW, NG_URN)}, config={SKEW: {"maxMinorVersionsBehind": 0}}
    ),
    skew("skew-newer", [node_group("1.36")], {(SKEW, NG_URN)}),
    skew("skew-garbage", [node_group(["1.35"])], {(SKEW, NG_URN)}),
    skew("skew-float", [node_group(1.34)]),
    skew("skew-unknown", [node_group(UNKNOWN)], not_checkable={SKEW}),
    stack_case(
        "skew-cluster-elsewhere",
        [
            TEMPLATE,
            resource(
                NODE_GROUP, {"clusterName": "platform", "version": "1.35", "launchTemplate": {"id": "lt-1"}}, "ng"
            ),
        ],
        offline={SKEW},
    ),
    stack_case(
        "skew-pulumi-eks-managed-node-group",
        [
            EKS,
            TEMPLATE,
            resource(
                MNG, {"cluster": u(EKS_CLUSTER, "eks"), "version": "1.30", "launchTemplate": {"id": "lt-1"}}, "mng"
            ),
        ],
        {(SKEW, u(MNG, "mng"))},
        offline=ACCOUNT_SERVICES,
    ),
]


@pytest.mark.parametrize("c", STACK_CASES, ids=lambda c: c.id)
def test_node_class_stack_case(pack: PackDriver, c: StackCase) -> None:
    run_stack_case(pack, c)


def test_skew_messages(pack: PackDriver) -> None:
    found = pack.process.analyze_stack([PROD, node_group("1.36")]).diagnostics
    assert [d.message.splitlines()[-1] for d in found if d.policy == SKEW] == [
        "node group ng runs Kubernetes 1.36, newer than its cluster prod (1.35): a kubelet must not be newer than "
        "the API server"
    ]
