"""The EC2 side of the clusters: the launch templates their node groups run (the one they name, or the one
EKS generated for them), their security groups, subnets and network ACLs, as the aws:ec2/* declarations that
would manage them. Every read is batched per region (filters of up to 200 ids) or per distinct template
version, so the calls per cluster stay constant."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from eksguard.audit.aws.context import NodeGroupRead, RegionRead
from eksguard.audit.aws.reads import chunks, guarded, paginate, tags
from eksguard.audit.aws.types import (
    INSTANCE_METADATA_DEFAULTS,
    LAUNCH_TEMPLATE,
    NETWORK_ACL,
    NODE_GROUP,
    SECURITY_GROUP,
    SUBNET,
)
from eksguard.audit.live import LiveResource, flag, pruned

ASG_CHUNK = 50  # DescribeAutoScalingGroups takes up to 50 names
DEFAULT_NACL_RULE = 32767  # the implicit deny-all every ACL ends with; declarations leave it out


# --- launch templates ------------------------------------------------------------------------------------


def launch_template_props(version: dict[str, Any], region: str) -> dict[str, Any]:
    """A DescribeLaunchTemplateVersions entry as aws:ec2/launchTemplate:LaunchTemplate inputs (pulumi-aws types
    the template's booleans as the strings "true"/"false")."""
    data = version.get("LaunchTemplateData") or {}
    metadata = data.get("MetadataOptions") or {}
    profile = data.get("IamInstanceProfile") or {}
    return pruned(
        {
            "name": version.get("LaunchTemplateName"),
            "description": version.get("VersionDescription"),
            "imageId": data.get("ImageId"),
            "instanceType": data.get("InstanceType"),
            "keyName": data.get("KeyName"),
            "userData": data.get("UserData"),
            "ebsOptimized": flag(data.get("EbsOptimized")),
            "vpcSecurityGroupIds": data.get("SecurityGroupIds"),
            "securityGroupNames": data.get("SecurityGroups"),
            "iamInstanceProfile": {"arn": profile.get("Arn"), "name": profile.get("Name")},
            "metadataOptions": {
                "httpEndpoint": metadata.get("HttpEndpoint"),
                "httpTokens": metadata.get("HttpTokens"),
                "httpPutResponseHopLimit": metadata.get("HttpPutResponseHopLimit"),
                "httpProtocolIpv6": metadata.get("HttpProtocolIpv6"),
                "instanceMetadataTags": metadata.get("InstanceMetadataTags"),
            },
            "blockDeviceMappings": [_block_device(b) for b in data.get("BlockDeviceMappings") or []],
            "networkInterfaces": [_interface(n) for n in data.get("NetworkInterfaces") or []],
            "monitoring": {"enabled": (data.get("Monitoring") or {}).get("Enabled")},
            "tagSpecifications": [
                {"resourceType": t.get("ResourceType"), "tags": tags(t.get("Tags"))}
                for t in data.get("TagSpecifications") or []
            ],
            "region": region,
        }
    )


def _block_device(mapping: dict[str, Any]) -> dict[str, Any]:
    ebs = mapping.get("Ebs")
    return {
        "deviceName": mapping.get("DeviceName"),
        "noDevice": mapping.get("NoDevice"),
        "virtualName": mapping.get("VirtualName"),
        "ebs": None
        if ebs is None
        else {
            "deleteOnTermination": flag(ebs.get("DeleteOnTermination")),
            "encrypted": flag(ebs.get("Encrypted")),
            "iops": ebs.get("Iops"),
            "kmsKeyId": ebs.get("KmsKeyId"),
            "snapshotId": ebs.get("SnapshotId"),
            "throughput": ebs.get("Throughput"),
            "volumeSize": ebs.get("VolumeSize"),
            "volumeType": ebs.get("VolumeType"),
        },
    }


def _interface(interface: dict[str, Any]) -> dict[str, Any]:
    return {
        "associatePublicIpAddress": flag(interface.get("AssociatePublicIpAddress")),
        "deleteOnTermination": flag(interface.get("DeleteOnTermination")),
        "description": interface.get("Description"),
        "deviceIndex": interface.get("DeviceIndex"),
        "interfaceType": interface.get("InterfaceType"),
        "networkInterfaceId": interface.get("NetworkInterfaceId"),
        "securityGroups": interface.get("Groups"),
        "subnetId": interface.get("SubnetId"),
    }


def _template_groups(props: dict[str, Any]) -> set[str]:
    groups = set(props.get("vpcSecurityGroupIds") or [])
    for interface in props.get("networkInterfaces") or []:
        groups.update(interface.get("securityGroups") or [])
    return groups


def read_launch_templates(ctx: RegionRead) -> None:
    """One DescribeLaunchTemplateVersions per distinct template version the node groups name (node groups often
    share one)."""
    wanted: dict[tuple[str, str], list[NodeGroupRead]] = defaultdict(list)
    for ng in ctx.nodegroups:
        ref = ng.nodegroup.get("launchTemplate") or {}
        if ref.get("id") or ref.get("name"):
            key = (ref.get("id") or f"name:{ref['name']}", str(ref.get("version") or "$Default"))
            wanted[key].append(ng)
    ec2 = ctx.client("ec2")
    versions_in_use: dict[str, int] = defaultdict(int)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for key, users in wanted.items():
        where = f"node group {users[0].live.name} ({ctx.region})"
        version = guarded(ctx.inventory, where, {LAUNCH_TEMPLATE}, lambda k=key: _template_version(ec2, *k))
        if version is None:
            continue
        if not version:
            ctx.inventory.gap(where, f"launch template {key[0]} version {key[1]} not found", {LAUNCH_TEMPLATE})
            continue
        found[key] = version
        versions_in_use[version["LaunchTemplateId"]] += 1
    for key, version in found.items():
        _add_template(ctx, version, wanted[key], several=versions_in_use[version["LaunchTemplateId"]] > 1)


def _template_version(ec2: Any, template: str, version: str) -> dict[str, Any]:
    params: dict[str, Any] = {"Versions": [version]}
    if template.startswith("name:"):
        params["LaunchTemplateName"] = template[len("name:") :]
    else:
        params["LaunchTemplateId"] = template
    return next(iter(paginate(ec2, "describe_launch_template_versions", "LaunchTemplateVersions", **params)), {})


def _add_template(
    ctx: RegionRead, version: dict[str, Any], users: list[NodeGroupRead], several: bool, generated: bool = False
) -> None:
    template_id = version["LaunchTemplateId"]
    name = f"{template_id}@{version.get('VersionNumber')}" if several else template_id
    props = launch_template_props(version, ctx.region)
    live = LiveResource(
        LAUNCH_TEMPLATE,
        name,
        ctx.region,
        props,
        arn=template_id,
        import_id=template_id,
        observed=users[0].live.observed,
    )
    live.refer("vpcSecurityGroupIds", SECURITY_GROUP, ctx.region, *sorted(_template_groups(props)))
    for user in users:
        if generated:
            # The node group is declared on the template it runs on, so the template's settings are judged once,
            # there, rather than the node group again against what EKS documents of its templates.
            live.parent = (NODE_GROUP, ctx.region, user.live.name)
            live.fix_notes["generated_for"] = user.live.name
            user.live.props["launchTemplate"] = {"id": template_id, "version": str(version.get("VersionNumber"))}
        user.live.refer("launchTemplate", LAUNCH_TEMPLATE, ctx.region, name)
    ctx.inventory.add(live)


def read_generated_templates(ctx: RegionRead) -> None:
    """A node group that names no launch template runs on one EKS generated; its Auto Scaling group names it
    (docs.aws.amazon.com/eks/latest/userguide/launch-templates.html). One DescribeAutoScalingGroups per 50
    node groups, one DescribeLaunchTemplateVersions per template."""
    nodegroups = [ng for ng in ctx.nodegroups if not (ng.nodegroup.get("launchTemplate") or {})]
    if not nodegroups:
        return
    ec2 = ctx.client("ec2")
    by_group = {
        asg["name"]: ng
        for ng in nodegroups
        for asg in (ng.nodegroup.get("resources") or {}).get("autoScalingGroups") or []
        if asg.get("name")
    }
    autoscaling = ctx.client("autoscaling")
    templates: dict[str, tuple[dict[str, Any], NodeGroupRead]] = {}
    for chunk in chunks(by_group, ASG_CHUNK):
        for group in paginate(
            autoscaling, "describe_auto_scaling_groups", "AutoScalingGroups", AutoScalingGroupNames=chunk
        ):
            spec = group.get("LaunchTemplate") or (
                (group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate", {}).get("LaunchTemplateSpecification")
            )
            if spec and spec.get("LaunchTemplateId") and group["AutoScalingGroupName"] in by_group:
                templates[group["AutoScalingGroupName"]] = (spec, by_group[group["AutoScalingGroupName"]])
    for ng in nodegroups:
        names = [a.get("name") for a in (ng.nodegroup.get("resources") or {}).get("autoScalingGroups") or []]
        specs = [templates[n] for n in names if n in templates]
        if not specs:  # listed only: the rules judge the node group on what EKS documents of its templates
            ctx.inventory.gap(
                f"node group {ng.live.name} ({ctx.region})",
                "names no launch template, and the one EKS generated for it was not found (no Auto Scaling group): "
                "judged on what EKS documents of the templates it generates",
                (),
            )
            continue
        spec, _ = specs[0]
        version = _template_version(ec2, spec["LaunchTemplateId"], str(spec.get("Version") or "$Default"))
        if version:
            _add_template(ctx, version, [ng], several=False, generated=True)


# --- security groups, subnets, network ACLs ---------------------------------------------------------------


def _permission_blocks(permission: dict[str, Any], own_id: str) -> list[dict[str, Any]]:
    """One declaration block per description, as the provider flattens a permission's sources."""
    protocol = str(permission.get("IpProtocol", "-1"))
    blocks: dict[str | None, dict[str, Any]] = {}

    def block(description: str | None) -> dict[str, Any]:
        return blocks.setdefault(
            description,
            {
                "protocol": protocol,
                "fromPort": permission.get("FromPort", 0),
                "toPort": permission.get("ToPort", 0),
                "description": description,
                "cidrBlocks": [],
                "ipv6CidrBlocks": [],
                "prefixListIds": [],
                "securityGroups": [],
            },
        )

    for source in permission.get("IpRanges") or []:
        block(source.get("Description"))["cidrBlocks"].append(source.get("CidrIp"))
    for source in permission.get("Ipv6Ranges") or []:
        block(source.get("Description"))["ipv6CidrBlocks"].append(source.get("CidrIpv6"))
    for source in permission.get("PrefixListIds") or []:
        block(source.get("Description"))["prefixListIds"].append(source.get("PrefixListId"))
    for pair in permission.get("UserIdGroupPairs") or []:
        entry = block(pair.get("Description"))
        if pair.get("GroupId") == own_id:
            entry["self"] = True
        else:
            entry["securityGroups"].append(pair.get("GroupId"))
    return [pruned(b) for b in blocks.values()]


def security_group_props(group: dict[str, Any], region: str) -> dict[str, Any]:
    own = group["GroupId"]
    return pruned(
        {
            "name": group.get("GroupName"),
            "description": group.get("Description"),
            "vpcId": group.get("VpcId"),
            "ingress": [b for p in group.get("IpPermissions") or [] for b in _permission_blocks(p, own)],
            "egress": [b for p in group.get("IpPermissionsEgress") or [] for b in _permission_blocks(p, own)],
            "tags": tags(group.get("Tags")),
            "region": region,
        }
    )


def _cluster_groups(ctx: RegionRead) -> dict[str, set[str]]:
    """Security group id -> the clusters it serves (control plane, nodes, SSH access)."""
    users: dict[str, set[str]] = defaultdict(set)
    for cluster in ctx.clusters:
        vpc = cluster.get("resourcesVpcConfig") or {}
        for group in [*(vpc.get("securityGroupIds") or []), vpc.get("clusterSecurityGroupId")]:
            if group:
                users[group].add(cluster["name"])
    for ng in ctx.nodegroups:
        remote = ng.nodegroup.get("remoteAccess") or {}
        groups = set(remote.get("sourceSecurityGroups") or [])
        if remote.get("ec2SshKey"):
            groups.add((ng.nodegroup.get("resources") or {}).get("remoteAccessSecurityGroup"))
        for group in groups:
            if group:
                users[group].add(ng.cluster["name"])
    for live in ctx.inventory.resources.values():
        if live.type == LAUNCH_TEMPLATE:
            for group in _template_groups(live.props):
                users[group].add(str(live.observed.get("cluster_name", "")))
    return users


def read_security_groups(ctx: RegionRead) -> None:
    users = _cluster_groups(ctx)
    ec2 = ctx.client("ec2")
    for chunk in chunks(users):
        filters = [{"Name": "group-id", "Values": chunk}]
        for group in paginate(ec2, "describe_security_groups", "SecurityGroups", Filters=filters):
            props = security_group_props(group, ctx.region)
            clusters = sorted(c for c in users.get(group["GroupId"], ()) if c)
            live = LiveResource(
                SECURITY_GROUP,
                group["GroupId"],
                ctx.region,
                props,
                arn=group["GroupId"],
                observed={"vpc_id": group.get("VpcId"), "cluster_name": clusters[0] if len(clusters) == 1 else None},
            )
            for direction in ("ingress", "egress"):
                peers = [peer for rule in props.get(direction) or [] for peer in rule.get("securityGroups") or []]
                live.refer(direction, SECURITY_GROUP, ctx.region, *peers)
            ctx.inventory.add(live)


def _cluster_subnets(ctx: RegionRead) -> dict[str, set[str]]:
    users: dict[str, set[str]] = defaultdict(set)
    for cluster in ctx.clusters:
        for subnet in (cluster.get("resourcesVpcConfig") or {}).get("subnetIds") or []:
            users[subnet].add(cluster["name"])
    for ng in ctx.nodegroups:
        for subnet in ng.nodegroup.get("subnets") or []:
            users[subnet].add(ng.cluster["name"])
    return users


def read_subnets(ctx: RegionRead) -> None:
    ec2 = ctx.client("ec2")
    for chunk in chunks(_cluster_subnets(ctx)):
        for subnet in paginate(ec2, "describe_subnets", "Subnets", Filters=[{"Name": "subnet-id", "Values": chunk}]):
            ipv6 = [
                a.get("Ipv6CidrBlock")
                for a in subnet.get("Ipv6CidrBlockAssociationSet") or []
                if (a.get("Ipv6CidrBlockState") or {}).get("State", "associated") == "associated"
            ]
            props = pruned(
                {
                    "vpcId": subnet.get("VpcId"),
                    "cidrBlock": subnet.get("CidrBlock"),
                    "ipv6CidrBlock": ipv6[0] if ipv6 else None,
                    "availabilityZone": subnet.get("AvailabilityZone"),
                    "mapPublicIpOnLaunch": subnet.get("MapPublicIpOnLaunch"),
                    "assignIpv6AddressOnCreation": subnet.get("AssignIpv6AddressOnCreation"),
                    "tags": tags(subnet.get("Tags")),
                    "region": ctx.region,
                }
            )
            ctx.inventory.add(LiveResource(SUBNET, subnet["SubnetId"], ctx.region, props, arn=subnet["SubnetId"]))


def _acl_rule(entry: dict[str, Any]) -> dict[str, Any]:
    ports = entry.get("PortRange") or {}
    icmp = entry.get("IcmpTypeCode") or {}
    return pruned(
        {
            "ruleNo": entry.get("RuleNumber"),
            "action": entry.get("RuleAction"),
            "protocol": str(entry.get("Protocol", "-1")),
            "cidrBlock": entry.get("CidrBlock"),
            "ipv6CidrBlock": entry.get("Ipv6CidrBlock"),
            "fromPort": ports.get("From", 0),
            "toPort": ports.get("To", 0),
            "icmpType": icmp.get("Type"),
            "icmpCode": icmp.get("Code"),
        }
    )


def network_acl_props(acl: dict[str, Any], region: str) -> dict[str, Any]:
    entries = [e for e in acl.get("Entries") or [] if e.get("RuleNumber") != DEFAULT_NACL_RULE]
    entries.sort(key=lambda e: e.get("RuleNumber", 0))
    return pruned(
        {
            "vpcId": acl.get("VpcId"),
            "subnetIds": sorted(a["SubnetId"] for a in acl.get("Associations") or [] if a.get("SubnetId")),
            "ingress": [_acl_rule(e) for e in entries if not e.get("Egress")],
            "egress": [_acl_rule(e) for e in entries if e.get("Egress")],
            "tags": tags(acl.get("Tags")),
            "region": region,
        }
    )


def read_network_acls(ctx: RegionRead) -> None:
    users = _cluster_subnets(ctx)
    ec2 = ctx.client("ec2")
    for chunk in chunks(users):
        filters = [{"Name": "association.subnet-id", "Values": chunk}]
        for acl in paginate(ec2, "describe_network_acls", "NetworkAcls", Filters=filters):
            props = network_acl_props(acl, ctx.region)
            cluster_subnets = [s for s in props.get("subnetIds") or [] if s in users]
            if not cluster_subnets:
                continue  # an endpoint may ignore the filter
            clusters = sorted({c for s in cluster_subnets for c in users[s]})
            live = LiveResource(
                NETWORK_ACL,
                acl["NetworkAclId"],
                ctx.region,
                props,
                arn=acl["NetworkAclId"],
                observed={
                    "vpc_id": acl.get("VpcId"),
                    "subnet_ids": cluster_subnets,
                    "cluster_name": clusters[0] if len(clusters) == 1 else None,
                },
            )
            live.refer("subnetIds", SUBNET, ctx.region, *(props.get("subnetIds") or []))
            ctx.inventory.add(live)


# --- the account's instance metadata defaults ----------------------------------------------------------------


def read_instance_metadata_defaults(ctx: RegionRead) -> None:
    """The region's account-level IMDS defaults (GetInstanceMetadataDefaults), which every instance launched without
    metadata options of its own gets, as the aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults that would
    manage them; an account that set none is declared with none (no preference)
    (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html). Read in the regions
    with clusters: their nodes are the instances this audit is about."""
    if not ctx.clusters:
        return
    defaults = ctx.client("ec2").get_instance_metadata_defaults().get("AccountLevel") or {}
    props = pruned(
        {
            "httpTokens": defaults.get("HttpTokens"),
            "httpPutResponseHopLimit": defaults.get("HttpPutResponseHopLimit"),
            "httpEndpoint": defaults.get("HttpEndpoint"),
            "instanceMetadataTags": defaults.get("InstanceMetadataTags"),
            "region": ctx.region,
        }
    )
    ctx.inventory.add(
        LiveResource(
            INSTANCE_METADATA_DEFAULTS, ctx.region, ctx.region, props, arn=f"{ctx.inventory.account}/{ctx.region}"
        )
    )
