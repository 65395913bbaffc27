"""What each component version registers beneath itself, as fixture data for the differential test.

A real ``pulumi preview`` sends the children a multi-language component creates (``eksguard check`` never sees
them). Each :class:`Scenario` holds a component's inputs (wire form, as the program sends them) and the children
that version creates for those inputs, with the properties the engine would send at preview: values made by
other resources unknown, invoke results (AMI, partition, default VPC subnets) known. Every child cites the
lines of pulumi-eks (tag v4.3.0 = main 7bf0c1b1 for nodejs/eks; paths under nodejs/eks/) or pulumi-awsx
(main e60adf3c; paths under awsx/) it is read from.

References name siblings by child name and stack resources by ``stack:<name>``; the test turns them into
URNs and property dependencies for each form it sends (component alone, children alone, both).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eksguard.protocol.analyzer import Resource
from eksguard.protocol.wire import UNKNOWN

from .pack_driver import resource

CLUSTER = "eks:index:Cluster"
MNG = "eks:index:ManagedNodeGroup"
NODE_GROUP = "eks:index:NodeGroup"
NODE_GROUP_V2 = "eks:index:NodeGroupV2"
VPC = "awsx:ec2:Vpc"
TRAIL = "awsx:cloudtrail:Trail"
SERVICE_ROLE = "eks:index:ServiceRole"

KEY = "arn:aws:kms:eu-west-1:111122223333:key/0d9b5b2c-1111-2222-3333-444455556666"
LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
AMI = "ami-0a1b2c3d4e5f60718"  # the SSM recommended AL2023 image: an invoke, known at preview
DEFAULT_SUBNETS = ["subnet-0d1e2f3a", "subnet-0b2c3d4e"]  # aws.ec2.getSubnets of the default VPC (cluster.ts:486-497)


@dataclass(frozen=True)
class Child:
    type: str
    name: str
    props: Mapping[str, Any]
    source: str
    """Where the component creates it (file:line)."""
    deps: Mapping[str, list[str]] = field(default_factory=dict)
    """Property -> the children (by name) or stack resources (``stack:<name>``) its value comes from."""
    parent: str = ""
    """A child (by type/name key ``type::name``) nested under another child; "" for the component itself."""


@dataclass(frozen=True)
class Scenario:
    id: str
    component: str
    name: str
    inputs: Mapping[str, Any]
    children: list[Child]
    input_deps: Mapping[str, list[str]] = field(default_factory=dict)
    """Input -> stack resources (``stack:<name>``) or the component's own children a real preview names."""
    stack: Callable[[Callable[[str], str]], list[Resource]] = lambda ref: []
    """The program's other resources; ``ref(child)`` is the URN that stands for the component's child ``child``:
    the component's URN when only the component is sent, the child's when its children are."""
    config: Mapping[str, Any] = field(default_factory=dict)
    children_less_informed: Mapping[str, str] = field(default_factory=dict)
    """Controls the component's inputs decide while its children, at preview, do not: the verdict the children get
    instead (and why, beside each use)."""


USER_DATA_UNKNOWN = dict.fromkeys(
    (
        "node-kubelet-anonymous-auth",
        "node-kubelet-authorization-mode",
        "node-kubelet-read-only-port",
        "node-kubelet-certificate-rotation",
        "node-kubelet-event-qps",
        "node-user-data-credentials",
    ),
    "not checkable",
)
"""The user data pulumi-eks writes embeds the cluster's endpoint and certificate, unknown at preview; the arguments
that go into it (kubeletExtraArgs, ...) are the component's inputs."""


def _trust(service: str, actions: list[str] | None = None) -> str:
    # servicerole.ts:75-88: JSON.stringify of one statement allowing the service
    statement = {"Action": actions or ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": [service]}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))


def _service_role(name: str, service: str, policies: list[str], actions: list[str] | None = None) -> list[Child]:
    """eks:index:ServiceRole (servicerole.ts:73-111): a role and one attachment per managed policy, named by a
    hash of the policy id (servicerole.ts:20-25)."""
    role_key = f"aws:iam/role:Role::{name}-role"
    children = [Child(SERVICE_ROLE, name, {}, "servicerole.ts:73")]
    children.append(
        Child(
            "aws:iam/role:Role",
            f"{name}-role",
            {"assumeRolePolicy": _trust(service, actions)},
            "servicerole.ts:89-97",
            parent=f"{SERVICE_ROLE}::{name}",
        )
    )
    for policy in policies:
        arn = f"arn:aws:iam::aws:policy/{policy}"  # interpolated with the partition invoke: known at preview
        suffix = hashlib.sha1(arn.encode()).hexdigest()[:8]
        children.append(
            Child(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                f"{name}-{suffix}",
                {"policyArn": arn, "role": UNKNOWN},
                "servicerole.ts:100-110",
                deps={"role": [role_key]},
                parent=f"{SERVICE_ROLE}::{name}",
            )
        )
    return children


def _node_security_group(name: str, cluster_sg: str) -> list[Child]:
    """createNodeGroupSecurityGroup (nodes/securitygroup.ts:113-200)."""
    sg = f"aws:ec2/securityGroup:SecurityGroup::{name}-nodeSecurityGroup"
    rule = "aws:ec2/securityGroupRule:SecurityGroupRule"
    base = {"securityGroupId": UNKNOWN}
    return [
        Child(
            "aws:ec2/securityGroup:SecurityGroup",
            f"{name}-nodeSecurityGroup",
            {"vpcId": UNKNOWN, "revokeRulesOnDelete": True, "tags": UNKNOWN},
            "nodes/securitygroup.ts:113-128",
        ),
        Child(
            rule,
            f"{name}-eksNodeIngressRule",
            {
                **base,
                "description": "Allow nodes to communicate with each other",
                "type": "ingress",
                "fromPort": 0,
                "toPort": 0,
                "protocol": "-1",
                "self": True,
            },
            "nodes/securitygroup.ts:130-142",
            deps={"securityGroupId": [sg]},
        ),
        Child(
            rule,
            f"{name}-eksNodeClusterIngressRule",
            {
                **base,
                "description": "Allow worker Kubelets and pods to receive communication from the cluster control plane",
                "type": "ingress",
                "fromPort": 1025,
                "toPort": 65535,
                "protocol": "tcp",
                "sourceSecurityGroupId": UNKNOWN,
            },
            "nodes/securitygroup.ts:144-157",
            deps={"securityGroupId": [sg], "sourceSecurityGroupId": [cluster_sg]},
        ),
        Child(
            rule,
            f"{name}-eksExtApiServerClusterIngressRule",
            {
                **base,
                "description": "Allow pods running extension API servers on port 443 to receive "
                "communication from cluster control plane",
                "type": "ingress",
                "fromPort": 443,
                "toPort": 443,
                "protocol": "tcp",
                "sourceSecurityGroupId": UNKNOWN,
            },
            "nodes/securitygroup.ts:159-172",
            deps={"securityGroupId": [sg], "sourceSecurityGroupId": [cluster_sg]},
        ),
        Child(
            rule,
            f"{name}-eksNodeInternetEgressRule",
            {
                **base,
                "description": "Allow internet access.",
                "type": "egress",
                "fromPort": 0,
                "toPort": 0,
                "protocol": "-1",
                "cidrBlocks": ["0.0.0.0/0"],
            },
            "nodes/securitygroup.ts:174-186",
            deps={"securityGroupId": [sg]},
        ),
        Child(
            rule,
            f"{name}-eksClusterIngressRule",
            {
                **base,
                "description": "Allow pods to communicate with the cluster API Server",
                "type": "ingress",
                "fromPort": 443,
                "toPort": 443,
                "protocol": "tcp",
                "sourceSecurityGroupId": UNKNOWN,
            },
            "nodes/securitygroup.ts:188-200",
            deps={"securityGroupId": [cluster_sg], "sourceSecurityGroupId": [sg]},
        ),
    ]


def _v2_nodes(name: str, public_ip: bool, encrypted: bool | None) -> list[Child]:
    """createNodeGroupV2's launch template and auto scaling group (nodes/nodegroup.ts:1267, 1362-1450, 1488-1507)
    on AL2023 (nodes/ami.ts:31): blockDeviceMappings only when a root volume setting is given, no metadataOptions
    (the multi-language schema has none)."""
    mappings = [] if encrypted is None else [{"deviceName": "/dev/xvda", "ebs": {"encrypted": str(encrypted).lower()}}]
    lt = f"aws:ec2/launchTemplate:LaunchTemplate::{name}-launchTemplate"
    return [
        Child(
            "aws:ec2/launchTemplate:LaunchTemplate",
            f"{name}-launchTemplate",
            {
                "imageId": AMI,
                "instanceType": "t3.medium",
                "iamInstanceProfile": {"name": UNKNOWN},
                "blockDeviceMappings": mappings,
                "userData": UNKNOWN,
                "networkInterfaces": [{"associatePublicIpAddress": str(public_ip).lower(), "securityGroups": UNKNOWN}],
            },
            "nodes/nodegroup.ts:1422-1458",
        ),
        Child(
            "aws:autoscaling/group:Group",
            name,
            {
                "minSize": 1,
                "maxSize": 2,
                "desiredCapacity": 2,
                "launchTemplate": {"name": UNKNOWN, "version": UNKNOWN},
                "vpcZoneIdentifiers": UNKNOWN,
                "instanceRefresh": {"strategy": "Rolling", "preferences": {"minHealthyPercentage": 50}},
            },
            "nodes/nodegroup.ts:1488-1507",
            deps={"launchTemplate": [lt]},
        ),
    ]


# --- eks:index:Cluster -------------------------------------------------------------------------------------------
VPC_CNI_COMPONENT = "eks:index:VpcCniAddon"
ADDON = "aws:eks/addon:Addon"
# The most recent add-on versions for Kubernetes 1.35 (aws.eks.getAddonVersion mostRecent: an invoke, known at preview
# when the cluster's version is); unknown when the cluster's version is, as it is without a version argument.
RECENT = {"kube-proxy": "v1.35.3-eksbuild.13", "vpc-cni": "v1.21.1-eksbuild.8", "coredns": "v1.14.3-eksbuild.3"}


def _addons(name: str, version_known: bool, cni: dict[str, Any]) -> list[Child]:
    """kube-proxy (cluster/cluster.ts:764-796), the VpcCniAddon component and its add-on (cluster/cluster.ts:1089-1112,
    addons/cni-addon.ts:260-312: configurationValues with its env, enableNetworkPolicy when given) and CoreDNS for the
    default node group (cluster/cluster.ts:1175-1230)."""
    cluster = [f"aws:eks/cluster:Cluster::{name}-eksCluster"]

    def version(addon: str) -> Any:
        return RECENT[addon] if version_known else UNKNOWN

    common = {"clusterName": UNKNOWN, "preserve": True, "resolveConflictsOnCreate": "OVERWRITE"}
    env = {"WARM_ENI_TARGET": "1", "AWS_VPC_K8S_CNI_LOGLEVEL": "DEBUG"}  # abridged: what computeEnv always sets
    configuration = {**({"enableNetworkPolicy": "true"} if cni.get("enableNetworkPolicy") else {}), "env": env}
    vpc_cni = {**common, "addonName": "vpc-cni", "addonVersion": version("vpc-cni")}
    vpc_cni["configurationValues"] = json.dumps(configuration)
    if cni.get("serviceAccountRoleArn"):
        vpc_cni["serviceAccountRoleArn"] = cni["serviceAccountRoleArn"]
    return [
        Child(
            ADDON,
            f"{name}-kube-proxy",
            {**common, "addonName": "kube-proxy", "addonVersion": version("kube-proxy")},
            "cluster/cluster.ts:779-796",
            deps={"clusterName": cluster},
        ),
        Child(
            VPC_CNI_COMPONENT,
            f"{name}-vpc-cni",
            {"clusterName": UNKNOWN, "clusterVersion": UNKNOWN, **cni},
            "cluster/cluster.ts:1094-1112",
            deps={"clusterName": cluster},
        ),
        Child(
            ADDON,
            f"{name}-vpc-cni",
            vpc_cni,
            "addons/cni-addon.ts:297-312",
            deps={"clusterName": cluster},
            parent=f"{VPC_CNI_COMPONENT}::{name}-vpc-cni",
        ),
        Child(
            ADDON,
            f"{name}-coredns",
            {**common, "addonName": "coredns", "addonVersion": version("coredns")},
            "cluster/cluster.ts:1212-1230",
            deps={"clusterName": cluster},
        ),
    ]


def _cluster_children(
    name: str, cluster_props: dict[str, Any], nodes: list[Child], api: bool, cni: dict[str, Any] | None = None
) -> list[Child]:
    sg = f"aws:ec2/securityGroup:SecurityGroup::{name}-eksClusterSecurityGroup"
    children = [
        *_service_role(
            f"{name}-eksRole", "eks.amazonaws.com", ["AmazonEKSClusterPolicy"], ["sts:AssumeRole", "sts:TagSession"]
        ),  # cluster.ts:509-545
        Child(
            "aws:ec2/securityGroup:SecurityGroup",
            f"{name}-eksClusterSecurityGroup",
            {"vpcId": "vpc-0default", "revokeRulesOnDelete": True, "tags": UNKNOWN},
            "cluster/cluster.ts:555-570",
        ),
        Child(
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            f"{name}-eksClusterInternetEgressRule",
            {
                "description": "Allow internet access.",
                "type": "egress",
                "fromPort": 0,
                "toPort": 0,
                "protocol": "-1",
                "cidrBlocks": ["0.0.0.0/0"],
                "securityGroupId": UNKNOWN,
            },
            "cluster/cluster.ts:572-583",
            deps={"securityGroupId": [sg]},
        ),
        Child(
            "aws:eks/cluster:Cluster",
            f"{name}-eksCluster",
            {"roleArn": UNKNOWN, "bootstrapSelfManagedAddons": True, "tags": UNKNOWN, **cluster_props},
            "cluster/cluster.ts:695-762",
            deps={"roleArn": [f"aws:iam/role:Role::{name}-eksRole-role"]},
        ),
        Child(
            "kubernetes:core/v1:ConfigMap",
            f"{name}-nodeAccess",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "immutable": False,
                "metadata": {"name": "aws-auth", "namespace": "kube-system"},
                "data": UNKNOWN,
            },
            "cluster/cluster.ts:1002-1028",
        ),
        *_service_role(
            f"{name}-instanceRole",
            "ec2.amazonaws.com",
            ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"],
        ),
        Child(
            "aws:iam/instanceProfile:InstanceProfile",
            f"{name}-instanceProfile",
            {"role": UNKNOWN},
            "cluster/cluster.ts:171-182",
            deps={"role": [f"aws:iam/role:Role::{name}-instanceRole-role"]},
        ),
        *_node_security_group(name, sg),
        *nodes,
        *_addons(name, "version" in cluster_props, cni or {}),
    ]
    if api:  # API mode: no aws-auth ConfigMap; an access entry for the default node group's role
        children = [c for c in children if c.name != f"{name}-nodeAccess"]
        children.append(
            Child(
                "aws:eks/accessEntry:AccessEntry",
                f"{name}-defaultNodeGroupInstanceRole",
                {"clusterName": UNKNOWN, "principalArn": UNKNOWN, "type": "EC2_LINUX"},
                "cluster/cluster.ts:1031-1050",
            )
        )
    return children


CLUSTER_DEFAULTS = Scenario(
    "cluster-defaults",
    CLUSTER,
    "cluster",
    {},
    _cluster_children(
        "cluster",
        {"vpcConfig": {"securityGroupIds": [UNKNOWN], "subnetIds": DEFAULT_SUBNETS}},  # cluster.ts:704-720
        _v2_nodes("cluster", public_ip=True, encrypted=None),  # the default node group, cluster.ts:2150-2162
        api=False,
    ),
    children_less_informed={
        **USER_DATA_UNKNOWN,
        "eks-aws-auth-mappings": "not checkable",  # the aws-auth data holds the instance role's ARN, unknown
        "eks-addon-version": "not checkable",  # without a version, the add-ons' versions are known only at apply
    },
)

CNI_ROLE = "arn:aws:iam::111122223333:role/prod-aws-node"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
HARDENED_CONTROL_PLANE: dict[str, Any] = {
    "name": "prod",
    "endpointPublicAccess": False,
    "endpointPrivateAccess": True,
    "enabledClusterLogTypes": LOG_TYPES,
    "encryptionConfigKeyArn": KEY,
    "authenticationMode": "API",
    "version": "1.35",
    "deletionProtection": True,
    "vpcCniOptions": {"enableNetworkPolicy": True, "serviceAccountRoleArn": CNI_ROLE},
}
CONTROL_PLANE_LOGS = {"name": "/aws/eks/prod/cluster", "retentionInDays": 365, "kmsKeyId": KEY}
"""The log group the program declares for the hardened cluster (pulumi-eks creates none)."""
HARDENED_NODES = {"nodeAssociatePublicIpAddress": False, "nodeRootVolumeEncrypted": True}
HARDENED_CLUSTER_INPUTS = {**HARDENED_CONTROL_PLANE, **HARDENED_NODES}
CLUSTER_HARDENED = Scenario(
    "cluster-hardened",
    CLUSTER,
    "cluster",
    HARDENED_CLUSTER_INPUTS,
    _cluster_children(
        "cluster",
        {
            "vpcConfig": {
                "securityGroupIds": [UNKNOWN],
                "subnetIds": DEFAULT_SUBNETS,
                "endpointPrivateAccess": True,
                "endpointPublicAccess": False,
            },
            "version": "1.35",
            "enabledClusterLogTypes": LOG_TYPES,
            "encryptionConfig": {"provider": {"keyArn": KEY}, "resources": ["secrets"]},  # cluster.ts:593-607
            "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True},  # :733-741
            "deletionProtection": True,  # cluster/cluster.ts:743
            "name": "prod",  # cluster/cluster.ts:697
        },
        _v2_nodes("cluster", public_ip=False, encrypted=True),
        api=True,
        cni=HARDENED_CONTROL_PLANE["vpcCniOptions"],
    ),
    stack=lambda ref: [resource(LOG_GROUP, CONTROL_PLANE_LOGS, "cluster-logs")],
    children_less_informed=USER_DATA_UNKNOWN,
)


# --- eks:index:NodeGroupV2 and eks:index:NodeGroup -----------------------------------------------------------------
CLUSTER_URN_PLACEHOLDER = "stack:cluster"
"""Node groups name their cluster: the program's eks.Cluster, which arrives as its URN (a component reference)."""


def _cluster(ref: Callable[[str], str]) -> list[Resource]:
    """The program's cluster the node groups join: hardened, without a default node group."""
    return [resource(CLUSTER, {**HARDENED_CONTROL_PLANE, "skipDefaultNodeGroup": True}, "cluster")]


SELF_MANAGED_LESS_INFORMED = {
    **USER_DATA_UNKNOWN,
    # the component names its version (or runs its cluster's); its launch template names an AMI id only
    "nodegroup-version-skew": "not applicable",
}


def _v2(id: str, inputs: dict[str, Any], public_ip: bool, encrypted: bool | None) -> Scenario:
    return Scenario(
        id,
        NODE_GROUP_V2,
        "ng2",
        {"cluster": CLUSTER_URN_PLACEHOLDER, **inputs},
        [*_node_security_group("ng2", "stack:cluster-sg"), *_v2_nodes("ng2", public_ip, encrypted)],
        stack=_cluster,
        children_less_informed=SELF_MANAGED_LESS_INFORMED,
    )


def _v1(id: str, inputs: dict[str, Any], public_ip: bool, encrypted: bool | None) -> Scenario:
    """createNodeGroupInternal: a launch configuration (nodes/nodegroup.ts:786, 860-880, 924-943) and a
    CloudFormation stack for the auto scaling group (nodes/nodegroup.ts:1026-1042); AL2023 by default."""
    root = {} if encrypted is None else {"encrypted": encrypted}
    return Scenario(
        id,
        NODE_GROUP,
        "ng1",
        {"cluster": CLUSTER_URN_PLACEHOLDER, **inputs},
        [
            *_node_security_group("ng1", "stack:cluster-sg"),
            Child(
                "aws:ec2/launchConfiguration:LaunchConfiguration",
                "ng1-nodeLaunchConfiguration",
                {
                    "associatePublicIpAddress": public_ip,
                    "imageId": AMI,
                    "instanceType": "t3.medium",
                    "iamInstanceProfile": UNKNOWN,
                    "securityGroups": UNKNOWN,
                    "rootBlockDevice": root,
                    "ebsBlockDevices": [],
                    "userData": UNKNOWN,
                },
                "nodes/nodegroup.ts:924-943",
            ),
            Child(
                "aws:cloudformation/stack:Stack",
                "ng1-nodes",
                {"name": UNKNOWN, "templateBody": UNKNOWN},
                "nodes/nodegroup.ts:1026-1042",
            ),
        ],
        stack=_cluster,
        children_less_informed=SELF_MANAGED_LESS_INFORMED,
    )


NODE_GROUP_V2_DEFAULTS = _v2("node-group-v2-defaults", {}, public_ip=True, encrypted=None)
NODE_GROUP_V2_HARDENED = _v2("node-group-v2-hardened", HARDENED_NODES, public_ip=False, encrypted=True)
NODE_GROUP_DEFAULTS = _v1("node-group-defaults", {}, public_ip=True, encrypted=None)
NODE_GROUP_HARDENED = _v1("node-group-hardened", HARDENED_NODES, public_ip=False, encrypted=True)


# --- eks:index:ManagedNodeGroup ------------------------------------------------------------------------------------
def _private_subnets(ref: Callable[[str], str]) -> list[Resource]:
    return [
        *_cluster(ref),
        *(
            resource("aws:ec2/subnet:Subnet", {"vpcId": UNKNOWN, "mapPublicIpOnLaunch": False}, name)
            for name in ("private-a", "private-b")
        ),
    ]


def _node_group(props: dict[str, Any], deps: dict[str, list[str]]) -> Child:
    """The aws.eks.NodeGroup: the inputs as given (...nodeGroupArgs), scaling defaults, the cluster's version when
    no launch template is given (nodes/nodegroup.ts:1889-1891, 2092-2119)."""
    return Child(
        "aws:eks/nodeGroup:NodeGroup",
        "mng",
        {
            "clusterName": UNKNOWN,
            "nodeRoleArn": UNKNOWN,
            "scalingConfig": {"desiredSize": 2, "minSize": 1, "maxSize": 2},
            "subnetIds": [UNKNOWN, UNKNOWN],
            "version": "1.35",  # the cluster's version (the stack's cluster sets it)
            **props,
        },
        "nodes/nodegroup.ts:2092-2119",
        deps={"subnetIds": ["stack:private-a", "stack:private-b"], "clusterName": ["stack:cluster"], **deps},
    )


MNG_INPUTS = {"cluster": CLUSTER_URN_PLACEHOLDER, "nodeRole": UNKNOWN, "subnetIds": [UNKNOWN, UNKNOWN]}
MNG_DEPS = {"subnetIds": ["stack:private-a", "stack:private-b"]}
MNG_DEFAULTS = Scenario("mng-defaults", MNG, "mng", MNG_INPUTS, [_node_group({}, {})], MNG_DEPS, _private_subnets)
MNG_IMDSV2 = Scenario(
    "mng-enable-imdsv2",
    MNG,
    "mng",
    {**MNG_INPUTS, "enableIMDSv2": True, "diskSize": 50},
    [
        # createMNGCustomLaunchTemplate (nodes/nodegroup.ts:2234-2299): hop limit 2, diskSize without encryption
        Child(
            "aws:ec2/launchTemplate:LaunchTemplate",
            "mng-launchTemplate",
            {
                "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 50}}],
                "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2, "httpEndpoint": "enabled"},
            },
            "nodes/nodegroup.ts:2281-2299",
        ),
        _node_group(
            {"launchTemplate": {"id": UNKNOWN, "version": UNKNOWN}},
            {"launchTemplate": ["aws:ec2/launchTemplate:LaunchTemplate::mng-launchTemplate"]},
        ),
    ],
    MNG_DEPS,
    _private_subnets,
)
MNG_HARDENED = Scenario(
    "mng-hardened",
    MNG,
    "mng",
    {**MNG_INPUTS, "amiType": "AL2023_x86_64_STANDARD", "launchTemplate": {"id": UNKNOWN, "version": UNKNOWN}},
    [
        _node_group(
            {"amiType": "AL2023_x86_64_STANDARD", "launchTemplate": {"id": UNKNOWN, "version": UNKNOWN}},
            {"launchTemplate": ["stack:nodes"]},
        ),
    ],
    {**MNG_DEPS, "launchTemplate": ["stack:nodes"]},
    lambda ref: [
        *_private_subnets(ref),
        resource(
            "aws:ec2/launchTemplate:LaunchTemplate",
            {
                "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1, "httpEndpoint": "enabled"},
                "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}],
            },
            "nodes",
        ),
    ],
)


# --- awsx:cloudtrail:Trail -------------------------------------------------------------------------------------------
BUCKET = "aws:s3/bucket:Bucket::trail"
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _trail_children(trail_props: dict[str, Any], logs: bool) -> list[Child]:
    children = [
        Child("aws:s3/bucket:Bucket", "trail", {"forceDestroy": True}, "cloudtrail/trail.ts:30, s3/bucket.ts:50-55"),
        Child(
            "aws:s3/bucketPolicy:BucketPolicy",
            "trail",
            {"bucket": UNKNOWN, "policy": UNKNOWN},
            "cloudtrail/trail.ts:102-120",
            deps={"bucket": [BUCKET]},
        ),
        Child(
            "aws:cloudtrail/trail:Trail",
            "trail",
            {"s3BucketName": UNKNOWN, **trail_props},
            "cloudtrail/trail.ts:86-97",
            deps={"s3BucketName": [BUCKET]},
        ),
    ]
    if logs:  # cloudtrail/trail.ts:34-84: a log group and the role CloudTrail writes to it with
        children += [
            Child("aws:cloudwatch/logGroup:LogGroup", "trail", {}, "cloudwatch/logGroup.ts:84"),
            Child(
                "aws:iam/role:Role",
                "trail",
                {
                    "assumeRolePolicy": json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                                    "Action": "sts:AssumeRole",
                                }
                            ],
                        }
                    ),
                    "inlinePolicies": [{"policy": UNKNOWN}],
                },
                "cloudtrail/trail.ts:53-84, role.ts:92",
            ),
        ]
    return children


TRAIL_DEFAULTS = Scenario("trail-defaults", TRAIL, "trail", {}, _trail_children({}, logs=False))
HARDENED_TRAIL = {"isMultiRegionTrail": True, "enableLogFileValidation": True, "kmsKeyId": KEY}
TRAIL_HARDENED = Scenario(
    "trail-hardened",
    TRAIL,
    "trail",
    {**HARDENED_TRAIL, "cloudWatchLogsGroup": {"enable": True}},
    _trail_children({**HARDENED_TRAIL, "cloudWatchLogsGroupArn": UNKNOWN, "cloudWatchLogsRoleArn": UNKNOWN}, logs=True),
    stack=lambda ref: [
        resource(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            {**{f: True for f in PAB_FLAGS}, "bucket": UNKNOWN},
            "trail-bucket",
            property_dependencies={"bucket": [ref(BUCKET)]},
        )
    ],
)


# --- awsx:ec2:Vpc -----------------------------------------------------------------------------------------------------
def _vpc_children(kinds: list[str]) -> list[Child]:
    """ec2/vpc.ts:165-236, 492: the VPC, an internet gateway and one subnet of each kind per AZ (3 AZs by default,
    ec2/vpc.ts:658), public ones mapping public IPs (ec2/vpc.ts:218), each parented to the aws.ec2.Vpc."""
    vpc = "aws:ec2/vpc:Vpc::vpc"
    children = [
        Child("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16", "enableDnsHostnames": True}, "ec2/vpc.ts:492"),
        Child("aws:ec2/internetGateway:InternetGateway", "vpc", {"vpcId": UNKNOWN}, "ec2/vpc.ts:165-174", parent=vpc),
    ]
    for kind in kinds:
        for az in (1, 2, 3):
            children.append(
                Child(
                    "aws:ec2/subnet:Subnet",
                    f"vpc-{kind.lower()}-{az}",
                    {"vpcId": UNKNOWN, "mapPublicIpOnLaunch": kind == "Public", "cidrBlock": UNKNOWN},
                    "ec2/vpc.ts:212-233",
                    parent=vpc,
                )
            )
    return children


def _vpc(id: str, kinds: list[str] | None, used: str) -> Scenario:
    """An awsx VPC and a managed node group (aws.eks.NodeGroup, the program's own) in its ``used`` subnets."""
    specs = {} if kinds is None else {"subnetSpecs": [{"type": k} for k in kinds]}
    subnets = [f"aws:ec2/subnet:Subnet::vpc-{used.lower()}-{az}" for az in (1, 2, 3)]
    return Scenario(
        id,
        VPC,
        "vpc",
        specs,
        _vpc_children(kinds or ["Private", "Public"]),
        stack=lambda ref: [
            resource(
                "aws:eks/nodeGroup:NodeGroup",
                {
                    "clusterName": "prod",
                    "nodeRoleArn": UNKNOWN,
                    "subnetIds": UNKNOWN,
                    "amiType": "AL2023_x86_64_STANDARD",
                },
                "nodes",
                property_dependencies={"subnetIds": sorted({ref(s) for s in subnets})},
            )
        ],
        config={"node-ebs-encrypted": {"accountEncryptionByDefault": True}},
    )


VPC_PRIVATE_ONLY = _vpc("vpc-private-only", ["Private"], "Private")
VPC_PUBLIC_ONLY = _vpc("vpc-public-only", ["Public"], "Public")
VPC_DEFAULT_LAYOUT_PRIVATE_IDS = _vpc("vpc-default-layout-private-ids", None, "Private")

SCENARIOS = [
    CLUSTER_DEFAULTS,
    CLUSTER_HARDENED,
    NODE_GROUP_V2_DEFAULTS,
    NODE_GROUP_V2_HARDENED,
    NODE_GROUP_DEFAULTS,
    NODE_GROUP_HARDENED,
    MNG_DEFAULTS,
    MNG_IMDSV2,
    MNG_HARDENED,
    TRAIL_DEFAULTS,
    TRAIL_HARDENED,
    VPC_PRIVATE_ONLY,
    VPC_PUBLIC_ONLY,
]
"""Scenarios where the component's inputs say everything its children say."""
LESS_INFORMED = [VPC_DEFAULT_LAYOUT_PRIVATE_IDS]
"""Scenarios where a reference to the whole component cannot tell what its children tell (which subnets)."""
