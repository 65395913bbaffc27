"""EKS clusters, managed node groups, access entries and their access policies, add-ons, Fargate profiles and
Pod Identity associations, as the aws:eks/* declarations that would manage them (pulumi-aws 7 input names)."""

from __future__ import annotations

from typing import Any

from eksguard.audit.aws.context import NodeGroupRead, RegionRead
from eksguard.audit.aws.reads import guarded, paginate
from eksguard.audit.aws.types import (
    ACCESS_ENTRY,
    ACCESS_POLICY_ASSOCIATION,
    ADDON,
    CLUSTER,
    EVERY_CLUSTER_DERIVED,
    FARGATE_PROFILE,
    KMS_KEY,
    NODE_GROUP,
    NODE_TYPES,
    POD_IDENTITY_ASSOCIATION,
    ROLE,
    SECURITY_GROUP,
    SUBNET,
)
from eksguard.audit.live import GLOBAL, LiveResource, pruned


def arn_name(arn: str) -> str:
    """The last path segment of an ARN (a role's name, a key's id)."""
    return arn.rsplit("/", 1)[-1]


def read_clusters(ctx: RegionRead) -> None:
    eks = ctx.client("eks")
    names = guarded(
        ctx.inventory, ctx.region, EVERY_CLUSTER_DERIVED, lambda: list(paginate(eks, "list_clusters", "clusters"))
    )
    for name in names or []:
        where = f"cluster {name} ({ctx.region})"
        cluster = guarded(
            ctx.inventory, where, EVERY_CLUSTER_DERIVED, lambda n=name: eks.describe_cluster(name=n)["cluster"]
        )
        if cluster is None:
            continue
        ctx.clusters.append(cluster)
        live = cluster_declaration(cluster, ctx.region)
        ctx.cluster_live[name] = live
        ctx.inventory.add(live)
        guarded(ctx.inventory, where, NODE_TYPES, lambda c=cluster: _read_nodegroups(ctx, eks, c))
        guarded(
            ctx.inventory,
            where,
            {ACCESS_ENTRY, ACCESS_POLICY_ASSOCIATION},
            lambda c=cluster: _read_access_entries(ctx, eks, c),
        )
        # who an add-on runs as is read from both: a cluster whose add-ons or associations went unread is not
        # judged on their absence (Gap.cluster)
        owned = guarded(
            ctx.inventory,
            where,
            {POD_IDENTITY_ASSOCIATION},
            lambda c=cluster: _read_pod_identity_associations(ctx, eks, c),
            (ctx.region, name),
        )
        guarded(
            ctx.inventory,
            where,
            {ADDON},
            lambda c=cluster, o=owned: _read_addons(ctx, eks, c, o or {}),
            (ctx.region, name),
        )
        guarded(ctx.inventory, where, {FARGATE_PROFILE}, lambda c=cluster: _read_fargate_profiles(ctx, eks, c))


def _enabled_log_types(cluster: dict[str, Any]) -> list[str]:
    enabled: list[str] = []
    for entry in (cluster.get("logging") or {}).get("clusterLogging", []):
        if entry.get("enabled"):
            enabled += [t for t in entry.get("types", []) if t not in enabled]
    return enabled


def cluster_declaration(cluster: dict[str, Any], region: str) -> LiveResource:
    vpc = cluster.get("resourcesVpcConfig") or {}
    encryption = (cluster.get("encryptionConfig") or [{}])[0]
    access = cluster.get("accessConfig") or {}
    network = cluster.get("kubernetesNetworkConfig") or {}
    compute, storage = cluster.get("computeConfig") or {}, cluster.get("storageConfig") or {}
    key_arn = (encryption.get("provider") or {}).get("keyArn")
    props = pruned(
        {
            "name": cluster["name"],
            "roleArn": cluster.get("roleArn"),
            "version": cluster.get("version"),
            "vpcConfig": {
                "subnetIds": vpc.get("subnetIds"),
                "securityGroupIds": vpc.get("securityGroupIds"),
                "endpointPublicAccess": vpc.get("endpointPublicAccess"),
                "endpointPrivateAccess": vpc.get("endpointPrivateAccess"),
                "publicAccessCidrs": vpc.get("publicAccessCidrs"),
            },
            "enabledClusterLogTypes": _enabled_log_types(cluster),
            "encryptionConfig": {"provider": {"keyArn": key_arn}, "resources": encryption.get("resources")},
            "accessConfig": {
                "authenticationMode": access.get("authenticationMode"),
                "bootstrapClusterCreatorAdminPermissions": access.get("bootstrapClusterCreatorAdminPermissions"),
            },
            "kubernetesNetworkConfig": {
                "serviceIpv4Cidr": network.get("serviceIpv4Cidr"),
                "ipFamily": network.get("ipFamily"),
                "elasticLoadBalancing": {"enabled": (network.get("elasticLoadBalancing") or {}).get("enabled")},
            },
            "computeConfig": {  # EKS Auto Mode (https://docs.aws.amazon.com/eks/latest/userguide/automode.html)
                "enabled": compute.get("enabled"),
                "nodePools": compute.get("nodePools"),
                "nodeRoleArn": compute.get("nodeRoleArn"),
            },
            "storageConfig": {"blockStorage": {"enabled": (storage.get("blockStorage") or {}).get("enabled")}},
            "upgradePolicy": {"supportType": (cluster.get("upgradePolicy") or {}).get("supportType")},
            "deletionProtection": cluster.get("deletionProtection"),
            "tags": cluster.get("tags"),
            "region": region,
        }
    )
    live = LiveResource(
        CLUSTER,
        cluster["name"],
        region,
        props,
        arn=cluster.get("arn", cluster["name"]),
        observed={
            "cluster_name": cluster["name"],
            "subnet_ids": vpc.get("subnetIds"),
            "version": cluster.get("version"),
            "kms_key_arn": key_arn,
            "support_type": (cluster.get("upgradePolicy") or {}).get("supportType"),
        },
    )
    if cluster.get("roleArn"):
        live.refer("roleArn", ROLE, GLOBAL, arn_name(cluster["roleArn"]))
    if compute.get("nodeRoleArn"):
        live.refer("computeConfig", ROLE, GLOBAL, arn_name(compute["nodeRoleArn"]))
    live.refer("vpcConfig", SUBNET, region, *(vpc.get("subnetIds") or []))
    live.refer("vpcConfig", SECURITY_GROUP, region, *(vpc.get("securityGroupIds") or []))
    if key_arn and ":key/" in key_arn:
        live.refer("encryptionConfig", KMS_KEY, key_arn.split(":")[3], arn_name(key_arn))
    return live


def _read_nodegroups(ctx: RegionRead, eks: Any, cluster: dict[str, Any]) -> None:
    name = cluster["name"]
    for ng_name in paginate(eks, "list_nodegroups", "nodegroups", clusterName=name):
        nodegroup = eks.describe_nodegroup(clusterName=name, nodegroupName=ng_name)["nodegroup"]
        live = nodegroup_declaration(cluster, nodegroup, ctx.region)
        ctx.nodegroups.append(NodeGroupRead(cluster, nodegroup, live))
        ctx.inventory.add(live)


def nodegroup_arguments(cluster: dict[str, Any], nodegroup: dict[str, Any]) -> dict[str, Any]:
    """NodeGroupArgs for a secure replacement with the observed sizing (family and architecture kept when
    supported, else the secure default)."""
    ami_type = nodegroup.get("amiType", "")
    scaling = nodegroup.get("scalingConfig") or {}
    return {
        "cluster_name": cluster["name"],
        "subnet_ids": nodegroup.get("subnets", []),
        "ami_family": "BOTTLEROCKET" if ami_type.startswith("BOTTLEROCKET_") else "AL2023",
        "architecture": "arm64" if "ARM_64" in ami_type else "x86_64",
        "kubernetes_version": cluster.get("version") or nodegroup.get("version"),  # replacements follow the cluster
        "instance_types": nodegroup.get("instanceTypes"),
        "capacity_type": nodegroup.get("capacityType"),
        "min_size": scaling.get("minSize"),
        "desired_size": scaling.get("desiredSize"),
        "max_size": scaling.get("maxSize"),
    }


def nodegroup_declaration(cluster: dict[str, Any], ng: dict[str, Any], region: str) -> LiveResource:
    remote = ng.get("remoteAccess") or {}
    template = ng.get("launchTemplate") or {}
    update = ng.get("updateConfig") or {}
    props = pruned(
        {
            "clusterName": cluster["name"],
            "nodeGroupName": ng["nodegroupName"],
            "nodeRoleArn": ng.get("nodeRole"),
            "subnetIds": ng.get("subnets"),
            "amiType": ng.get("amiType"),
            "capacityType": ng.get("capacityType"),
            "diskSize": ng.get("diskSize"),
            "instanceTypes": ng.get("instanceTypes"),
            "labels": ng.get("labels"),
            "taints": [
                {"key": t.get("key"), "value": t.get("value"), "effect": t.get("effect")}
                for t in ng.get("taints") or []
            ],
            "launchTemplate": {
                "id": template.get("id"),
                "name": template.get("name"),
                "version": template.get("version"),
            },
            "releaseVersion": ng.get("releaseVersion"),
            "version": ng.get("version"),
            "remoteAccess": {
                "ec2SshKey": remote.get("ec2SshKey"),
                "sourceSecurityGroupIds": remote.get("sourceSecurityGroups"),
            },
            "scalingConfig": {
                "desiredSize": (ng.get("scalingConfig") or {}).get("desiredSize"),
                "maxSize": (ng.get("scalingConfig") or {}).get("maxSize"),
                "minSize": (ng.get("scalingConfig") or {}).get("minSize"),
            },
            "updateConfig": {
                "maxUnavailable": update.get("maxUnavailable"),
                "maxUnavailablePercentage": update.get("maxUnavailablePercentage"),
            },
            "tags": ng.get("tags"),
            "region": region,
        }
    )
    name = f"{cluster['name']}:{ng['nodegroupName']}"
    live = LiveResource(
        NODE_GROUP, name, region, props, arn=ng.get("nodegroupArn", name), observed=nodegroup_arguments(cluster, ng)
    )
    live.refer("clusterName", CLUSTER, region, cluster["name"])
    if ng.get("nodeRole"):
        live.refer("nodeRoleArn", ROLE, GLOBAL, arn_name(ng["nodeRole"]))
    live.refer("subnetIds", SUBNET, region, *(ng.get("subnets") or []))
    live.refer("remoteAccess", SECURITY_GROUP, region, *(remote.get("sourceSecurityGroups") or []))
    return live  # the launch template reference is recorded when the template is read (ec2.py)


def _read_access_entries(ctx: RegionRead, eks: Any, cluster: dict[str, Any]) -> None:
    """EKS ListAccessEntries and ListAssociatedAccessPolicies
    (docs.aws.amazon.com/eks/latest/userguide/access-entries.html)."""
    name = cluster["name"]
    observed = {"cluster_name": name}
    for principal in paginate(eks, "list_access_entries", "accessEntries", clusterName=name):
        entry = LiveResource(
            ACCESS_ENTRY,
            f"{name}:{principal}",
            ctx.region,
            {"clusterName": name, "principalArn": principal, "region": ctx.region},
            arn=principal,
            observed=observed,
        )
        entry.refer("clusterName", CLUSTER, ctx.region, name)
        ctx.inventory.add(entry)
        pages = paginate(
            eks, "list_associated_access_policies", "associatedAccessPolicies", clusterName=name, principalArn=principal
        )
        for association in pages:
            scope = association.get("accessScope") or {}
            live = LiveResource(
                ACCESS_POLICY_ASSOCIATION,
                f"{name}#{principal}#{association['policyArn']}",
                ctx.region,
                pruned(
                    {
                        "clusterName": name,
                        "principalArn": principal,
                        "policyArn": association["policyArn"],
                        "accessScope": {"type": scope.get("type"), "namespaces": scope.get("namespaces")},
                        "region": ctx.region,
                    }
                ),
                arn=principal,
                observed=observed,
            )
            live.refer("clusterName", CLUSTER, ctx.region, name)
            live.refer("principalArn", ACCESS_ENTRY, ctx.region, entry.name)
            ctx.inventory.add(live)


def _read_addons(ctx: RegionRead, eks: Any, cluster: dict[str, Any], owned: dict[str, dict[str, Any]]) -> None:
    """EKS ListAddons and DescribeAddon; ``owned``: the add-ons' Pod Identity associations as listed, by ARN."""
    name = cluster["name"]
    for addon_name in paginate(eks, "list_addons", "addons", clusterName=name):
        addon = eks.describe_addon(clusterName=name, addonName=addon_name)["addon"]
        identities = [
            _owned_association(ctx, eks, name, arn, owned.get(arn))
            for arn in addon.get("podIdentityAssociations") or []
            if isinstance(arn, str) and "/" in arn
        ]
        live = LiveResource(
            ADDON,
            f"{name}:{addon_name}",
            ctx.region,
            pruned(
                {
                    "clusterName": name,
                    "addonName": addon_name,
                    "addonVersion": addon.get("addonVersion"),
                    "serviceAccountRoleArn": addon.get("serviceAccountRoleArn"),
                    "configurationValues": addon.get("configurationValues"),
                    "podIdentityAssociations": identities,
                    "tags": addon.get("tags"),
                    "region": ctx.region,
                }
            ),
            arn=addon.get("addonArn", f"{name}:{addon_name}"),
            observed={"cluster_name": name},
        )
        live.refer("clusterName", CLUSTER, ctx.region, name)
        for prop, role in [("serviceAccountRoleArn", addon.get("serviceAccountRoleArn"))] + [
            ("podIdentityAssociations", i["roleArn"]) for i in identities
        ]:
            if role:
                live.refer(prop, ROLE, GLOBAL, arn_name(role))
                ctx.pod_roles.setdefault(role, {"cluster_name": name})
        ctx.inventory.add(live)


def _owned_association(
    ctx: RegionRead, eks: Any, cluster: str, arn: str, listed: dict[str, Any] | None
) -> dict[str, Any]:
    """An association the add-on owns, as its ``podIdentityAssociations`` entry: DescribeAddon gives only the
    association's ARN (``.../podidentityassociation/<cluster>/<id>``); the role is read with
    DescribePodIdentityAssociation. If that fails for an association the list gave, its service account is still
    known (the add-on's identity stays judgeable) and only its role is not read."""

    def describe() -> dict[str, Any]:
        return eks.describe_pod_identity_association(clusterName=cluster, associationId=arn_name(arn))["association"]

    if listed is None:
        association = describe()  # a failure leaves the cluster's add-ons unread (the caller's gap)
    else:
        association = guarded(ctx.inventory, f"cluster {cluster} ({ctx.region})", {ROLE}, describe) or listed
    return {"roleArn": association.get("roleArn"), "serviceAccount": association.get("serviceAccount")}


def _read_fargate_profiles(ctx: RegionRead, eks: Any, cluster: dict[str, Any]) -> None:
    """EKS ListFargateProfiles and DescribeFargateProfile; the pod execution role is read with the other roles."""
    name = cluster["name"]
    for profile_name in paginate(eks, "list_fargate_profiles", "fargateProfileNames", clusterName=name):
        profile = eks.describe_fargate_profile(clusterName=name, fargateProfileName=profile_name)["fargateProfile"]
        role = profile.get("podExecutionRoleArn")
        live = LiveResource(
            FARGATE_PROFILE,
            f"{name}:{profile_name}",
            ctx.region,
            pruned(
                {
                    "clusterName": name,
                    "fargateProfileName": profile_name,
                    "podExecutionRoleArn": role,
                    "subnetIds": profile.get("subnets"),
                    "selectors": [
                        {"namespace": s.get("namespace"), "labels": s.get("labels")}
                        for s in profile.get("selectors") or []
                        if isinstance(s, dict)
                    ],
                    "tags": profile.get("tags"),
                    "region": ctx.region,
                }
            ),
            arn=profile.get("fargateProfileArn", f"{name}:{profile_name}"),
            observed={"cluster_name": name},
        )
        live.refer("clusterName", CLUSTER, ctx.region, name)
        live.refer("subnetIds", SUBNET, ctx.region, *(profile.get("subnets") or []))
        if role:
            live.refer("podExecutionRoleArn", ROLE, GLOBAL, arn_name(role))
            ctx.pod_roles.setdefault(role, {"cluster_name": name})
        ctx.inventory.add(live)


def _read_pod_identity_associations(ctx: RegionRead, eks: Any, cluster: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """EKS ListPodIdentityAssociations and DescribePodIdentityAssociation. An association an add-on made (it names
    the add-on as its owner) is declared by that add-on's podIdentityAssociations, so it is not declared again:
    returned instead, listed, by ARN."""
    name = cluster["name"]
    owned: dict[str, dict[str, Any]] = {}
    for summary in paginate(eks, "list_pod_identity_associations", "associations", clusterName=name):
        if summary.get("ownerArn"):
            owned[summary.get("associationArn", "")] = summary
            continue
        described = eks.describe_pod_identity_association(clusterName=name, associationId=summary["associationId"])
        association = described["association"]
        live = LiveResource(
            POD_IDENTITY_ASSOCIATION,
            f"{name},{summary['associationId']}",
            ctx.region,
            pruned(
                {
                    "clusterName": name,
                    "namespace": association.get("namespace"),
                    "serviceAccount": association.get("serviceAccount"),
                    "roleArn": association.get("roleArn"),
                    "targetRoleArn": association.get("targetRoleArn"),
                    "disableSessionTags": association.get("disableSessionTags"),
                    "tags": association.get("tags"),
                    "region": ctx.region,
                }
            ),
            arn=association.get("associationArn", f"{name},{summary['associationId']}"),
            observed={"cluster_name": name},
        )
        live.refer("clusterName", CLUSTER, ctx.region, name)
        for prop in ("roleArn", "targetRoleArn"):
            if association.get(prop):
                live.refer(prop, ROLE, GLOBAL, arn_name(association[prop]))
                ctx.pod_roles.setdefault(association[prop], {"cluster_name": name})
        ctx.inventory.add(live)
    return owned
