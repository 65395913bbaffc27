"""A cluster's add-ons over the real protocol (stack cases: an add-on names its cluster by clusterName): whether the
NetworkPolicies the stack relies on are enforced, whose credentials the add-ons use, whether they are current."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eksguard.protocol.analyzer import Resource
from eksguard.protocol.wire import UNKNOWN

from .cases import StackCase, run_stack_case, stack_case
from .pack_driver import PackDriver, resource, urn_for

CLUSTER = "aws:eks/cluster:Cluster"
EKS_CLUSTER = "eks:index:Cluster"
ADDON = "aws:eks/addon:Addon"
VPC_CNI_ADDON = "eks:index:VpcCniAddon"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RELEASE = "kubernetes:helm.sh/v3:Release"

ENFORCED = "eks-network-policy-enforcement"
IDENTITY = "eks-addon-identity"
VERSION = "eks-addon-version"
LOG_GROUP = "eks-control-plane-log-group"
ISOLATION = "stack-namespace-network-policy"
ACCOUNT_SERVICES = {"stack-multi-region-trail", "stack-guardduty-eks-protection", "stack-inspector-scanning"}
CNI_POLICY = '{"enableNetworkPolicy": "true"}'

PROD = resource(CLUSTER, {"name": "prod", "version": "1.35"}, "prod")
PROD_URN = PROD.urn


def u(resource_type: str, name: str) -> str:
    return urn_for(resource_type, name)


def addon(name: str, cluster: Resource = PROD, **props: Any) -> Resource:
    """An aws.eks.Addon on ``cluster`` (clusterName from its output: unknown, a property dependency)."""
    return resource(
        ADDON,
        {"clusterName": UNKNOWN, "addonName": name, **props},
        f"prod-{name}",
        property_dependencies={"clusterName": [cluster.urn]},
    )


def vpc_cni(**props: Any) -> Resource:
    props.setdefault("podIdentityAssociations", [{"roleArn": UNKNOWN, "serviceAccount": "aws-node"}])
    return addon("vpc-cni", **props)


GOOD_CNI = vpc_cni(configurationValues=CNI_POLICY, addonVersion="v1.21.1-eksbuild.7")
NETWORK_POLICY_RESOURCE = resource(
    NETWORK_POLICY, {"metadata": {"namespace": "shop"}, "spec": {"podSelector": {}}}, "shop-default-deny"
)
APP = resource(
    DEPLOYMENT,
    {
        "metadata": {"namespace": "shop"},
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "a", "image": "a", "resources": {"limits": {"memory": "256Mi"}}}]}
            }
        },
    },
    "shop",
)


def stack(id: str, resources: list[Resource], violations: set[tuple[str, str]] = frozenset(), **kw: Any) -> StackCase:
    """A stack with the cluster PROD (its account-level services not declared: not checkable offline)."""
    kw.setdefault("offline", ACCOUNT_SERVICES)
    return stack_case(id, [PROD, *resources], violations, **kw)


STACK_CASES: list[StackCase] = [
    # NetworkPolicy enforcement, where the stack relies on NetworkPolicies
    stack("network-policy-enforced", [GOOD_CNI, NETWORK_POLICY_RESOURCE]),
    stack("network-policy-agent-off", [vpc_cni(), NETWORK_POLICY_RESOURCE], {(ENFORCED, PROD_URN)}),
    stack(
        "network-policy-agent-explicitly-off",
        [vpc_cni(configurationValues='{"enableNetworkPolicy": "false"}'), NETWORK_POLICY_RESOURCE],
        {(ENFORCED, PROD_URN)},
    ),
    stack(
        "network-policy-self-managed-cni",
        [NETWORK_POLICY_RESOURCE],
        {(ENFORCED, PROD_URN), (IDENTITY, PROD_URN)},
    ),
    # workloads the pack expects isolated (stack-namespace-network-policy says their namespace has no NetworkPolicy)
    stack("network-policy-workloads-only", [vpc_cni(), APP], {(ENFORCED, PROD_URN), (ISOLATION, APP.urn)}),
    stack("network-policy-nothing-relies", [vpc_cni()]),
    stack(
        "network-policy-required-everywhere",
        [vpc_cni()],
        {(ENFORCED, PROD_URN)},
        config={ENFORCED: {"requireForEveryCluster": True}},
    ),
    stack(
        "network-policy-cilium",
        [
            vpc_cni(),
            NETWORK_POLICY_RESOURCE,
            resource(RELEASE, {"chart": "cilium", "namespace": "kube-system"}, "cilium"),
        ],
    ),
    stack(
        "network-policy-configuration-unknown",
        [vpc_cni(configurationValues=UNKNOWN), NETWORK_POLICY_RESOURCE],
        not_checkable={ENFORCED},
    ),
    stack_case(
        "network-policy-cluster-elsewhere",
        [NETWORK_POLICY_RESOURCE],
        offline={ENFORCED},
    ),
    stack_case(
        "network-policy-auto-mode-controller",
        [
            resource(CLUSTER, {"name": "auto", "version": "1.35", "computeConfig": {"enabled": True}}, "auto"),
            resource(
                CONFIG_MAP,
                {
                    "metadata": {"name": "amazon-vpc-cni", "namespace": "kube-system"},
                    "data": {"enable-network-policy-controller": "true"},
                },
                "vpc-cni-config",
            ),
            NETWORK_POLICY_RESOURCE,
        ],
        offline=ACCOUNT_SERVICES,
    ),
    stack_case(
        "network-policy-auto-mode-no-controller",
        [resource(CLUSTER, {"name": "auto", "version": "1.35", "computeConfig": {"enabled": True}}, "auto"), APP],
        {(ENFORCED, u(CLUSTER, "auto")), (ISOLATION, APP.urn)},
        offline=ACCOUNT_SERVICES,
    ),
    # add-on identity
    stack("identity-pod-identity-on-the-addon", [vpc_cni()]),
    stack("identity-irsa", [vpc_cni(podIdentityAssociations=None, serviceAccountRoleArn=UNKNOWN)]),
    stack("identity-none", [vpc_cni(podIdentityAssociations=None)], {(IDENTITY, u(ADDON, "prod-vpc-cni"))}),
    stack(
        "identity-association-resource",
        [
            vpc_cni(podIdentityAssociations=None),
            resource(
                ASSOCIATION,
                {"clusterName": UNKNOWN, "namespace": "kube-system", "serviceAccount": "aws-node", "roleArn": UNKNOWN},
                "aws-node",
                property_dependencies={"clusterName": [PROD_URN]},
            ),
        ],
    ),
    stack(
        "identity-annotated-service-account",
        [
            resource(
                SERVICE_ACCOUNT,
                {
                    "metadata": {
                        "name": "aws-node",
                        "namespace": "kube-system",
                        "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/aws-node"},
                    }
                },
                "aws-node",
            )
        ],
    ),
    stack(
        "identity-ebs-csi-without",
        [vpc_cni(), addon("aws-ebs-csi-driver")],
        {(IDENTITY, u(ADDON, "prod-aws-ebs-csi-driver"))},
    ),
    stack(
        "identity-associations-unknown",
        [vpc_cni(podIdentityAssociations=UNKNOWN)],
        not_checkable={IDENTITY},
    ),
    stack_case(
        "identity-no-cni-at-all",
        [resource(CLUSTER, {"name": "bare", "bootstrapSelfManagedAddons": False}, "bare")],
        offline=ACCOUNT_SERVICES,
    ),
    stack_case(
        "identity-addon-of-a-cluster-elsewhere",
        [resource(ADDON, {"clusterName": "platform", "addonName": "aws-efs-csi-driver"}, "efs")],
        offline={IDENTITY},
    ),
    stack_case(
        "version-pinned-addon-of-a-cluster-elsewhere",
        [
            resource(
                ADDON, {"clusterName": "platform", "addonName": "vpc-cni", "addonVersion": "v1.21.1-eksbuild.7"}, "cni"
            )
        ],
        offline={IDENTITY, VERSION},
    ),
    # add-on versions, against data/eks_addons.json for the cluster's Kubernetes version
    stack("version-expected", [GOOD_CNI, addon("kube-proxy", addonVersion="v1.35.3-eksbuild.13")]),
    stack("version-newer", [vpc_cni(addonVersion="v1.22.0-eksbuild.1")]),
    stack(
        "version-behind",
        [vpc_cni(addonVersion="v1.19.0-eksbuild.1"), addon("coredns", addonVersion="v1.11.4-eksbuild.40")],
        {(VERSION, u(ADDON, "prod-vpc-cni")), (VERSION, u(ADDON, "prod-coredns"))},
    ),
    stack("version-not-a-version", [vpc_cni(addonVersion="latest")], {(VERSION, u(ADDON, "prod-vpc-cni"))}),
    stack("version-unknown", [vpc_cni(addonVersion=UNKNOWN)], not_checkable={VERSION}),
    stack(
        "version-no-documented-figure",
        [
            vpc_cni(),
            addon(
                "aws-ebs-csi-driver",
                addonVersion="v1.40.0-eksbuild.1",
                podIdentityAssociations=[{"serviceAccount": "ebs-csi-controller-sa", "roleArn": UNKNOWN}],
            ),
        ],
        offline=ACCOUNT_SERVICES | {VERSION},
    ),
    # the default version EKS gives (defaultVersions: `eksguard audit` reads DescribeAddonVersions) replaces the data
    stack(
        "version-live-default-reached",
        [vpc_cni(addonVersion="v1.20.4-eksbuild.1")],  # behind the data's v1.21.1-eksbuild.7, at EKS's own default
        config={VERSION: {"defaultVersions": {"vpc-cni": {"1.35": "v1.20.4-eksbuild.1"}}}},
    ),
    stack(
        "version-live-default-behind",
        [
            vpc_cni(addonVersion="v1.21.1-eksbuild.7"),
            addon(
                "aws-ebs-csi-driver",  # the data holds no figure for it: offline above, judged with the default
                addonVersion="v1.40.0-eksbuild.1",
                podIdentityAssociations=[{"serviceAccount": "ebs-csi-controller-sa", "roleArn": UNKNOWN}],
            ),
        ],
        {(VERSION, u(ADDON, "prod-aws-ebs-csi-driver"))},
        config={VERSION: {"defaultVersions": {"aws-ebs-csi-driver": {"1.35": "v1.41.0-eksbuild.1", "1.34": "v1"}}}},
    ),
    stack(  # a figure for another Kubernetes version, or one that is no version, is no default: the data decides
        "version-live-default-other-version",
        [vpc_cni(addonVersion="v1.19.0-eksbuild.1")],
        {(VERSION, u(ADDON, "prod-vpc-cni"))},
        config={VERSION: {"defaultVersions": {"vpc-cni": {"1.34": "v1.19.0-eksbuild.1", "1.35": "latest"}}}},
    ),
    # pulumi-eks: its own add-ons, from its arguments
    stack_case(
        "pulumi-eks-defaults",
        [
            resource(
                EKS_CLUSTER, {"version": "1.35", "skipDefaultNodeGroup": True, "authenticationMode": "API"}, "eks"
            ),
            NETWORK_POLICY_RESOURCE,
        ],
        {(ENFORCED, u(EKS_CLUSTER, "eks")), (IDENTITY, u(EKS_CLUSTER, "eks"))},
        offline=ACCOUNT_SERVICES,
    ),
    stack_case(
        "pulumi-eks-options",
        [
            resource(
                EKS_CLUSTER,
                {
                    "version": "1.35",
                    "skipDefaultNodeGroup": True,
                    "authenticationMode": "API",
                    "vpcCniOptions": {
                        "enableNetworkPolicy": True,
                        "serviceAccountRoleArn": UNKNOWN,
                        "addonVersion": "v1.21.1-eksbuild.7",
                    },
                    "kubeProxyAddonOptions": {"version": "v1.35.3-eksbuild.13"},
                },
                "eks",
            ),
            NETWORK_POLICY_RESOURCE,
        ],
        offline=ACCOUNT_SERVICES,
    ),
    stack_case(
        "pulumi-eks-pinned-behind",
        [
            resource(
                EKS_CLUSTER,
                {
                    "version": "1.35",
                    "skipDefaultNodeGroup": True,
                    "authenticationMode": "API",
                    "vpcCniOptions": {"serviceAccountRoleArn": UNKNOWN},
                    "corednsAddonOptions": {"version": "v1.11.4-eksbuild.40"},
                },
                "eks",
            )
        ],
        {(VERSION, u(EKS_CLUSTER, "eks"))},
        offline=ACCOUNT_SERVICES,
    ),
    stack_case(
        "pulumi-eks-vpc-cni-component",
        [
            resource(
                EKS_CLUSTER,
                {
                    "version": "1.35",
                    "skipDefaultNodeGroup": True,
                    "authenticationMode": "API",
                    "useDefaultVpcCni": True,
                },
                "eks",
            ),
            resource(
                VPC_CNI_ADDON,
                {
                    "clusterName": UNKNOWN,
                    "clusterVersion": "1.35",
                    "enableNetworkPolicy": True,
                    "serviceAccountRoleArn": UNKNOWN,
                },
                "cni",
                property_dependencies={"clusterName": [u(EKS_CLUSTER, "eks")]},
            ),
            NETWORK_POLICY_RESOURCE,
        ],
        offline=ACCOUNT_SERVICES,
    ),
]


@pytest.mark.parametrize("c", STACK_CASES, ids=lambda c: c.id)
def test_addon_stack_case(pack: PackDriver, c: StackCase) -> None:
    run_stack_case(pack, c)


def test_messages(pack: PackDriver) -> None:
    result = pack.process.analyze_stack(
        [PROD, vpc_cni(podIdentityAssociations=None, addonVersion="v1.19.0-eksbuild.1"), APP]
    )
    messages = {
        d.policy: d.message.splitlines()[-1] for d in result.diagnostics if d.policy not in (LOG_GROUP, ISOLATION)
    }
    assert messages == {
        ENFORCED: "cluster prod enforces no NetworkPolicy: its vpc-cni add-on prod-vpc-cni does not set "
        f"{CNI_POLICY} in configurationValues; the stack's NetworkPolicies are accepted by the API server and "
        "enforced by nothing",
        IDENTITY: "vpc-cni on cluster prod has no identity of its own (no Pod Identity association for "
        "kube-system/aws-node, no serviceAccountRoleArn): it calls AWS with the node role, which must then hold "
        "AmazonEKS_CNI_Policy",
        VERSION: "cluster prod: add-on prod-vpc-cni addonVersion is v1.19.0-eksbuild.1, behind v1.21.1-eksbuild.7, "
        "the version expected on Kubernetes 1.35 (data/eks_addons.json): update the add-on",
    }
    assert json.loads(CNI_POLICY) == {"enableNetworkPolicy": "true"}
