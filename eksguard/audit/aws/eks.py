"""EKS clusters, managed node groups, access entries and their access policies, and add-ons, as the
aws:eks/* declarations that would manage them (pulumi-aws 7 input names)."""

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
    KMS_KEY,
    NODE_GROUP,
    NODE_TYPES,
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
        guarded(ctx.inventory, where, {ADDON}, lambda c=cluster: _read_addons(ctx, eks, c))


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
            },
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


def _read_addons(ctx: RegionRead, eks: Any, cluster: dict[str, Any]) -> None:
    name = cluster["name"]
    for addon_name in paginate(eks, "list_addons", "addons", clusterName=name):
        addon = eks.describe_addon(clusterName=name, addonName=addon_name)["addon"]
        identities = [
            {"roleArn": p.get("roleArn"), "serviceAccount": p.get("serviceAccount")}
            for p in addon.get("podIdentityAssociations") or []
            if isinstance(p, dict)
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
                ctx.addon_roles.setdefault(role, {"cluster_name": name})
        ctx.inventory.add(live)
