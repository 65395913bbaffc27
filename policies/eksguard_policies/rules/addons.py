"""Rules for controls/addons.toml: what a cluster's add-ons enforce, whose credentials they use, how current they are.

Each is a stack rule: an add-on (``aws:eks/addon:Addon``, pulumi-eks's ``VpcCniAddon``) names its cluster by
``clusterName``, which the resource graph follows; a pulumi-eks ``Cluster`` manages its add-ons through its own
arguments (``vpcCniOptions``, ``kubeProxyAddonOptions``, ``corednsAddonOptions``, ``autoMode``), read from the
component (its children are not judged again). A cluster without a vpc-cni add-on still runs the VPC CNI EKS
installs itself (``bootstrapSelfManagedAddons``, on by default), as AWS ships it: without NetworkPolicy
enforcement, with the node role's credentials. EKS Auto Mode clusters run AWS's networking instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import addons as addon_data
from .. import facts
from ..facts import AWS_EKS_CLUSTER, EKS_CLUSTER
from ..framework import NotApplicable, StackContext, not_checkable_offline, stack_rule
from ..graph import OutsideStack, ResourceGraph
from ..values import UNKNOWN_VALUE, as_bool, as_list, as_map, get, peek, policy_document, raw, show
from ..versions import latest_version, load_versions
from ._amis import minor_version
from ._ec2 import Verdict
from ._k8s import (
    CONFIG_MAP_TYPES,
    HELM_TYPES,
    NETWORK_POLICY_TYPES,
    SERVICE_ACCOUNT_TYPES,
    WORKLOAD_TYPES,
)
from .auto_mode import auto_mode

ADDON = "aws:eks/addon:Addon"
VPC_CNI_COMPONENT = "eks:index:VpcCniAddon"
POD_IDENTITY_ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
CLUSTERS = (AWS_EKS_CLUSTER, EKS_CLUSTER)
VPC_CNI = facts.VPC_CNI_ADDON
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
"""The ServiceAccount annotation IRSA reads (https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html)."""
COMPONENT_ADDONS = {
    VPC_CNI: ("vpcCniOptions", "addonVersion"),
    facts.KUBE_PROXY_ADDON: ("kubeProxyAddonOptions", "version"),
    facts.COREDNS_ADDON: ("corednsAddonOptions", "version"),
}
"""The add-ons a pulumi-eks Cluster manages, with the argument and the field pinning their version; unpinned, it asks
for the most recent version of the cluster's Kubernetes version (cluster/cluster.ts:766-777, :1186-1197,
addons/cni-addon.ts getAddonVersionOutput mostRecent)."""


def kubernetes_version(value: Any) -> str | None:
    minor = minor_version(value)
    return f"{minor[0]}.{minor[1]}" if minor else None


def addon_name(addon: Any) -> str | None:
    """The add-on's name (pulumi-eks's VpcCniAddon is vpc-cni); None when it is not a name."""
    if addon.resource_type == VPC_CNI_COMPONENT:
        return VPC_CNI
    name = peek(addon.props, "addonName")
    return name if isinstance(name, str) else None


def _configuration(value: Any) -> Mapping[str, Any] | None:
    """An add-on's configurationValues (JSON text, or an object as pulumi-eks takes it)."""
    return policy_document(raw(value))


@dataclass
class Cluster:
    """A cluster of the stack (the aws resource or the pulumi-eks component) and what the stack adds to it."""

    resource: Any
    addons: list[Any] = field(default_factory=list)
    """aws.eks.Addon and eks.VpcCniAddon resources naming it."""
    associations: list[Any] = field(default_factory=list)
    """aws.eks.PodIdentityAssociation resources naming it."""

    @property
    def component(self) -> bool:
        return self.resource.resource_type == EKS_CLUSTER

    @property
    def name(self) -> str:
        return self.resource.name

    def addon(self, name: str) -> list[Any]:
        """The declared add-ons of that name (pulumi-eks's VpcCniAddon is vpc-cni)."""
        return [a for a in self.addons if addon_name(a) == name]


class Stack:
    """The stack's clusters with their add-ons and Pod Identity associations, over the resource graph."""

    def __init__(self, ctx: StackContext) -> None:
        self.graph: ResourceGraph = ctx.graph
        self.clusters = [Cluster(r) for r in ctx.subjects(*CLUSTERS)]
        self._by_urn = {c.resource.urn: c for c in self.clusters}
        self.outside: list[tuple[Any, str]] = []
        """Add-ons and associations whose cluster is not in this stack, with why."""
        self.verdict = Verdict()
        for resource in ctx.subjects(ADDON, VPC_CNI_COMPONENT, POD_IDENTITY_ASSOCIATION):
            with self.verdict.checking():
                self._place(resource)

    def _place(self, resource: Any) -> None:
        try:
            target = self.graph.source_of(resource, "clusterName", CLUSTERS)
        except OutsideStack as exc:
            self.outside.append((resource, exc.reason))
            return
        cluster = self._by_urn.get(self._owner(target).urn) if target is not None else None
        if cluster is None:
            self.outside.append((resource, f"{resource.name}'s clusterName names no cluster of this stack"))
        elif resource.resource_type == POD_IDENTITY_ASSOCIATION:
            cluster.associations.append(resource)
        else:
            cluster.addons.append(resource)

    def _owner(self, resource: Any) -> Any:
        """The pulumi-eks Cluster whose child ``resource`` is (its eksCluster), else ``resource`` itself."""
        parent = getattr(resource, "parent", None)
        seen = 0
        while parent and seen < 8:
            owner = self.graph.by_urn.get(parent if isinstance(parent, str) else getattr(parent, "urn", ""))
            if owner is None:
                break
            if owner.resource_type == EKS_CLUSTER:
                return owner
            parent, seen = getattr(owner, "parent", None), seen + 1
        return resource


def _relies_on_network_policies(ctx: StackContext) -> bool:
    return bool(ctx.graph.of_type(*NETWORK_POLICY_TYPES, *WORKLOAD_TYPES))


# --- NetworkPolicy enforcement --------------------------------------------------------------------------------
POLICY_CONFIG = {
    "policyEngineCharts": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["cilium", "tigera-operator", "calico"],
        "description": "Helm charts (by chart name) that install a NetworkPolicy engine of their own: a stack "
        "installing one enforces NetworkPolicies whatever the VPC CNI does.",
    },
    "requireForEveryCluster": {
        "type": "boolean",
        "default": False,
        "description": "Require enforcement on every cluster of the stack, also when the stack itself declares no "
        "NetworkPolicy and no workload (a platform stack whose clusters others deploy to).",
    },
}


def _enforces(configuration: Mapping[str, Any] | None) -> bool:
    return configuration is not None and as_bool(configuration.get("enableNetworkPolicy"), default=False) is True


def _engines(ctx: StackContext) -> list[str]:
    charts = {c.lower() for c in ctx.config.get("policyEngineCharts") or [] if isinstance(c, str)}
    found = []
    for release in ctx.graph.of_type(*HELM_TYPES):
        chart = peek(release.props, "chart")
        name = chart.rsplit("/", 1)[-1].lower() if isinstance(chart, str) else None
        if name in charts:
            found.append(f"{name} (Helm {release.name})")
        elif name == "aws-vpc-cni" and as_bool(peek(peek(release.props, "values"), "enableNetworkPolicy"), False):
            found.append(f"aws-vpc-cni with enableNetworkPolicy (Helm {release.name})")
    return found


def _auto_mode_controller(ctx: StackContext) -> bool:
    """The stack declares kube-system/amazon-vpc-cni with the network policy controller on (EKS Auto Mode)."""
    namespace, name = facts.VPC_CNI_CONFIG_MAP
    ((key, wanted),) = facts.VPC_CNI_NETWORK_POLICY_CONTROLLER.items()
    for config_map in ctx.graph.of_type(*CONFIG_MAP_TYPES):
        metadata = get(config_map.props, "metadata")
        if get(metadata, "name") != name or get(metadata, "namespace") not in (namespace, None):
            continue
        if str(get(get(config_map.props, "data"), key)).lower() == wanted:
            return True
    return False


def _vpc_cni_enforcement(cluster: Cluster) -> Iterator[str]:
    """Why the VPC CNI of ``cluster`` enforces no NetworkPolicy (nothing when it does)."""
    addons = cluster.addon(VPC_CNI)
    if cluster.component and not addons:
        options = get(cluster.resource.props, "vpcCniOptions")
        if as_bool(get(cluster.resource.props, "useDefaultVpcCni"), default=False):
            yield "useDefaultVpcCni keeps the VPC CNI EKS installs, which enforces no NetworkPolicy"
            return
        enabled = get(options, "enableNetworkPolicy")
        if as_bool(enabled, default=False) is True or _enforces(_configuration(get(options, "configurationValues"))):
            return
        yield (
            "vpcCniOptions.enableNetworkPolicy is not true: the vpc-cni add-on pulumi-eks creates runs without its "
            "network policy agent"
        )
        return
    if not addons:
        if as_bool(get(cluster.resource.props, "bootstrapSelfManagedAddons"), default=True) is False:
            yield "bootstrapSelfManagedAddons is false and the stack installs no vpc-cni add-on or policy engine"
            return
        yield "it runs the VPC CNI EKS installs by itself, without the network policy agent (no vpc-cni add-on)"
        return
    for addon in addons:
        if addon.resource_type == VPC_CNI_COMPONENT:
            if as_bool(get(addon.props, "enableNetworkPolicy"), default=False) is True:
                continue
            if _enforces(_configuration(get(addon.props, "configurationValues"))):
                continue
        elif _enforces(_configuration(get(addon.props, "configurationValues"))):
            continue
        setting = json.dumps(facts.VPC_CNI_NETWORK_POLICY)
        yield f"its vpc-cni add-on {addon.name} does not set {setting} in configurationValues"


# https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html
@stack_rule(
    "eks-network-policy-enforcement",
    types=(*CLUSTERS, ADDON, VPC_CNI_COMPONENT, *CONFIG_MAP_TYPES, *HELM_TYPES, *NETWORK_POLICY_TYPES, *WORKLOAD_TYPES),
    config=POLICY_CONFIG,
)
def network_policy_enforcement(ctx: StackContext) -> list[tuple[str, str | None]]:
    if not _relies_on_network_policies(ctx) and ctx.config.get("requireForEveryCluster") is not True:
        raise NotApplicable("nothing in this stack relies on NetworkPolicies (no NetworkPolicy, no workload)")
    if _engines(ctx):
        return []
    stack = Stack(ctx)
    if not stack.clusters:
        addons = [a for a, _ in stack.outside if addon_name(a) == VPC_CNI]
        if any(_enforces(_configuration(peek(a.props, "configurationValues"))) for a in addons):
            return []
        raise not_checkable_offline(
            "the stack's NetworkPolicies and workloads go to a cluster it does not declare: whether that cluster's "
            "CNI enforces NetworkPolicies is not in the program"
        )
    for cluster in stack.clusters:
        with stack.verdict.checking():
            if auto_mode(cluster.resource.resource_type, cluster.resource.props):
                if not _auto_mode_controller(ctx):
                    namespace, name = facts.VPC_CNI_CONFIG_MAP
                    stack.verdict.add(
                        (
                            f"EKS Auto Mode cluster {cluster.name} enforces NetworkPolicies only once the {namespace}/"
                            f"{name} ConfigMap sets {json.dumps(facts.VPC_CNI_NETWORK_POLICY_CONTROLLER)}, which this "
                            "stack does not declare",
                            cluster.resource.urn,
                        )
                    )
                continue
            for why in _vpc_cni_enforcement(cluster):
                stack.verdict.add(
                    (
                        f"cluster {cluster.name} enforces no NetworkPolicy: {why}; the stack's NetworkPolicies are "
                        "accepted by the API server and enforced by nothing",
                        cluster.resource.urn,
                    )
                )
    return stack.verdict.done()


# --- add-on identity --------------------------------------------------------------------------------------------
def _has_own_identity(cluster: Cluster, wanted: str, ctx: StackContext) -> bool:
    identity = facts.ADDON_IDENTITIES[wanted]
    for addon in cluster.addon(wanted):
        if peek(addon.props, "serviceAccountRoleArn") not in (None, ""):
            return True
        associations = peek(addon.props, "podIdentityAssociations")
        if associations is UNKNOWN_VALUE:
            get(addon.props, "podIdentityAssociations")  # raises: not known until apply
        for entry in as_list(associations) or []:
            if as_map(entry) is not None and peek(entry, "serviceAccount") in (identity.service_account, UNKNOWN_VALUE):
                return True
    for association in cluster.associations:
        namespace, account = peek(association.props, "namespace"), peek(association.props, "serviceAccount")
        if namespace in (identity.namespace, UNKNOWN_VALUE) and account in (identity.service_account, UNKNOWN_VALUE):
            return True
    options = get(cluster.resource.props, "vpcCniOptions") if cluster.component else None
    if wanted == VPC_CNI and peek(options, "serviceAccountRoleArn") not in (None, ""):
        return True
    for account in ctx.graph.of_type(*SERVICE_ACCOUNT_TYPES):  # self-managed IRSA: the annotated ServiceAccount
        metadata = peek(account.props, "metadata")
        named = (peek(metadata, "namespace"), peek(metadata, "name")) == (identity.namespace, identity.service_account)
        if named and peek(peek(metadata, "annotations"), IRSA_ANNOTATION) not in (None, ""):
            return True
    return False


def _runs(cluster: Cluster, wanted: str) -> bool:
    """Whether the cluster runs the add-on: declared, or (vpc-cni) installed by EKS or pulumi-eks."""
    if cluster.addon(wanted):
        return True
    if wanted != VPC_CNI or auto_mode(cluster.resource.resource_type, cluster.resource.props):
        return False
    if cluster.component:
        return True
    return as_bool(get(cluster.resource.props, "bootstrapSelfManagedAddons"), default=True) is not False


def _own_role(addon: Any) -> bool:
    return peek(addon.props, "serviceAccountRoleArn") not in (None, "") or bool(
        as_list(peek(addon.props, "podIdentityAssociations"))
    )


# https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html
@stack_rule(
    "eks-addon-identity",
    types=(*CLUSTERS, ADDON, VPC_CNI_COMPONENT, POD_IDENTITY_ASSOCIATION, *SERVICE_ACCOUNT_TYPES),
)
def addon_identity(ctx: StackContext) -> list[tuple[str, str | None]]:
    stack = Stack(ctx)
    judged = False
    for cluster in stack.clusters:
        for wanted, identity in facts.ADDON_IDENTITIES.items():
            with stack.verdict.checking():
                if not _runs(cluster, wanted):
                    continue
                judged = True
                if _has_own_identity(cluster, wanted, ctx):
                    continue
                where = cluster.addon(wanted)[0] if cluster.addon(wanted) else cluster.resource
                stack.verdict.add(
                    (
                        f"{wanted} on cluster {cluster.name} has no identity of its own (no Pod Identity "
                        f"association for {identity.namespace}/{identity.service_account}, no serviceAccountRoleArn): "
                        f"it calls AWS with the node role, which must then hold {identity.policy_name}",
                        where.urn,
                    )
                )
    outside = [
        (a, why)
        for a, why in stack.outside
        if a.resource_type != POD_IDENTITY_ASSOCIATION and addon_name(a) in facts.ADDON_IDENTITIES
    ]
    if stack.verdict.messages:
        return stack.verdict.messages
    stack.verdict.done()
    if outside:
        lacking = [a.name for a, _ in outside if not _own_role(a)]
        if lacking:
            raise not_checkable_offline(
                f"{', '.join(lacking)}: the add-on's cluster is not declared in this stack, where a Pod Identity "
                "association for its service account may exist"
            )
        judged = True
    if not judged:
        raise NotApplicable("the stack's clusters run none of the add-ons that call AWS (vpc-cni, EBS CSI, EFS CSI)")
    return []


# --- add-on versions --------------------------------------------------------------------------------------------
def _cluster_version(cluster: Cluster) -> str | None:
    value = get(cluster.resource.props, "version")
    return latest_version() if value is None else kubernetes_version(value)


VERSION_CONFIG = {
    "defaultVersions": {
        "type": "object",
        "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
        "default": {},
        "description": "The version EKS installs by default, by add-on and Kubernetes version "
        '({"vpc-cni": {"1.35": "v1.21.1-eksbuild.7"}}: DescribeAddonVersions\' defaultVersion); an add-on is judged '
        "against it in place of data/eks_addons.json's figure. `eksguard audit` fills it in from the account.",
    }
}


def _live_default(defaults: Any, wanted: str, k8s: str | None) -> str | None:
    """The default version the account's EKS gave for (add-on, Kubernetes version) in ``defaultVersions``."""
    by_version = defaults.get(wanted) if isinstance(defaults, Mapping) else None
    figure = by_version.get(k8s) if isinstance(by_version, Mapping) and k8s is not None else None
    try:
        return figure if addon_data.version_key(figure) else None
    except ValueError:
        return None


def _version_findings(wanted: str, version: Any, k8s: str | None, where: str, defaults: Any) -> Iterator[str]:
    if version is None:
        return
    try:
        addon_data.version_key(version)
    except ValueError:
        yield f"{where} is {show(version)}, not an EKS add-on version (vMAJOR.MINOR.PATCH-eksbuild.N)"
        return
    default = _live_default(defaults, wanted, k8s)
    if default is not None:
        if addon_data.is_behind(version, default):
            yield (
                f"{where} is {version}, behind {default}, the version EKS installs by default on Kubernetes {k8s} "
                "(DescribeAddonVersions): update the add-on"
            )
        return
    if k8s is None or k8s not in load_versions():
        raise not_checkable_offline(f"{where}: the cluster's Kubernetes version is not one eksguard knows")
    try:
        expected = addon_data.expected_version(wanted, k8s)
    except KeyError:
        return  # an add-on eksguard keeps no versions of
    if expected is None:
        raise not_checkable_offline(
            f"{where} {version}: AWS documents no version of {wanted} per Kubernetes version; "
            "`eksguard audit` compares it with DescribeAddonVersions"
        )
    if addon_data.is_behind(version, expected):
        yield (
            f"{where} is {version}, behind {expected}, the version expected on Kubernetes {k8s} "
            f"(data/eks_addons.json): update the add-on"
        )


_VERSION_FIELD = {ADDON: "addonVersion", VPC_CNI_COMPONENT: "addonVersion", POD_IDENTITY_ASSOCIATION: ""}


def _pinned(resource: Any) -> bool:
    field = _VERSION_FIELD.get(resource.resource_type)
    return bool(field) and peek(resource.props, field) is not None


# https://docs.aws.amazon.com/eks/latest/userguide/updating-an-add-on.html
@stack_rule("eks-addon-version", types=(*CLUSTERS, ADDON, VPC_CNI_COMPONENT), config=VERSION_CONFIG)
def addon_version(ctx: StackContext) -> list[tuple[str, str | None]]:
    stack = Stack(ctx)
    offline: list[str] = []
    defaults = ctx.config.get("defaultVersions")
    judged = any(cluster.addons or cluster.component for cluster in stack.clusters)
    for cluster in stack.clusters:
        with stack.verdict.checking():
            k8s = _cluster_version(cluster)
            pinned: list[tuple[str, Any, str, Any]] = []
            for addon in cluster.addons:
                if addon.resource_type == VPC_CNI_COMPONENT:
                    pinned.append((VPC_CNI, get(addon.props, "addonVersion"), f"{addon.name}.addonVersion", addon))
                elif (name := addon_name(addon)) is not None:
                    pinned.append((name, get(addon.props, "addonVersion"), f"add-on {addon.name} addonVersion", addon))
            if cluster.component:
                for name, (argument, version_field) in COMPONENT_ADDONS.items():
                    value = get(get(cluster.resource.props, argument), version_field)
                    pinned.append((name, value, f"{argument}.{version_field}", cluster.resource))
            for name, version, where, resource in pinned:
                try:
                    for message in _version_findings(name, version, k8s, where, defaults):
                        stack.verdict.add((f"cluster {cluster.name}: {message}", resource.urn))
                except NotApplicable as exc:
                    offline.append(exc.reason.split(": ", 1)[-1])
    if not judged and not any(_pinned(a) for a, _ in stack.outside):
        raise NotApplicable("the stack declares no pinned EKS add-on (and no pulumi-eks cluster managing some)")
    if stack.verdict.messages:
        return stack.verdict.messages
    stack.verdict.done()
    # a pinned add-on of a cluster elsewhere: that cluster's Kubernetes version is not in the program
    pinned_elsewhere = [(a, why) for a, why in stack.outside if _pinned(a)]
    offline += [
        f"{a.name} pins {show(peek(a.props, _VERSION_FIELD[a.resource_type]))}: {why}" for a, why in pinned_elsewhere
    ]
    if offline:
        raise not_checkable_offline("; ".join(offline))
    return []
