"""Managed node groups and their launch templates: AMI family and age, SSH, IMDSv2, EBS encryption, public IPs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from eksguard_policies.rules.nodes import MAX_HOP_LIMIT
from eksguard_policies.rules.patching import SUPPORTED_FAMILIES

from eksguard.audit import controls as c
from eksguard.audit.amis import ami_parameter, is_unsupported_family, release_lag
from eksguard.audit.checks.model import Evaluation, RawFinding
from eksguard.audit.collect import RegionInventory


def check_nodegroup(
    ev: Evaluation, inv: RegionInventory, cluster: dict, ng: dict, today: dt.date, max_lag_days: int
) -> None:
    """AMI family, SSH access and AMI age of one managed node group, then its launch template."""
    ami_type = ng.get("amiType", "")
    ev.count(c.NODEGROUP_AMI_FAMILY, c.NODEGROUP_SSH)
    if is_unsupported_family(ami_type):
        message = f"AMI type {ami_type}: Amazon Linux 2 EKS AMIs are out of support since 2025-11-26"
        ev.add(_nodegroup_finding(c.NODEGROUP_AMI_FAMILY, inv, cluster, ng, message))
    elif ami_type != "CUSTOM" and not ami_type.startswith(SUPPORTED_FAMILIES):
        ev.add(_nodegroup_finding(c.NODEGROUP_AMI_FAMILY, inv, cluster, ng, f"unrecognised AMI type {ami_type!r}"))
    remote = ng.get("remoteAccess") or {}
    if remote.get("ec2SshKey"):
        sources = remote.get("sourceSecurityGroups") or ["0.0.0.0/0"]
        message = f"SSH key {remote['ec2SshKey']} installed, port 22 open from {', '.join(sources)}"
        ev.add(_nodegroup_finding(c.NODEGROUP_SSH, inv, cluster, ng, message))
    _check_ami_age(ev, inv, cluster, ng, today, max_lag_days)
    _check_launch_template(ev, inv, cluster, ng)


def _check_ami_age(
    ev: Evaluation, inv: RegionInventory, cluster: dict, ng: dict, today: dt.date, max_lag_days: int
) -> None:
    parameter = ami_parameter(ng.get("amiType", ""), str(cluster.get("version", "")))
    if parameter is None or "ami_releases" in inv.failures or not ng.get("releaseVersion"):
        return
    history = inv.ami_history.get(parameter, [])
    if not history:
        ev.unassessed(c.NODEGROUP_AMI_AGE, f"{inv.region}: public parameter {parameter} not found")
        return
    ev.count(c.NODEGROUP_AMI_AGE)
    lag = release_lag(ng["releaseVersion"], history, today)
    if lag is None or (lag.days_behind is not None and lag.days_behind <= max_lag_days):
        return
    days = f", {lag.days_behind} days" if lag.days_behind is not None else ""
    message = (
        f"release {ng['releaseVersion']} is {lag.releases_behind} release(s){days} behind the recommended "
        f"{lag.latest} (more than {max_lag_days} days)"
    )
    ev.add(_nodegroup_finding(c.NODEGROUP_AMI_AGE, inv, cluster, ng, message))


def _check_launch_template(ev: Evaluation, inv: RegionInventory, cluster: dict, ng: dict) -> None:
    data = ng.get("launchTemplateData")
    if data is None:
        _check_without_launch_template(ev, inv, cluster, ng)
        return
    ev.count(c.NODE_IMDSV2, c.NODE_EBS_ENCRYPTED, c.NODE_PUBLIC_IP)
    metadata = data.get("MetadataOptions") or {}
    tokens, hops = metadata.get("HttpTokens", "optional"), metadata.get("HttpPutResponseHopLimit")
    imds_on = metadata.get("HttpEndpoint", "enabled") != "disabled"
    if imds_on and (tokens != "required" or hops is None or not 1 <= hops <= MAX_HOP_LIMIT):
        hop_text = "not set (the AMI decides, 2 for AL2023)" if hops is None else str(hops)
        message = f"MetadataOptions HttpTokens is {tokens}, HttpPutResponseHopLimit {hop_text}"
        ev.add(_launch_template_finding(c.NODE_IMDSV2, inv, cluster, ng, message))
    volumes = [b for b in data.get("BlockDeviceMappings", []) if "Ebs" in b]
    plain = [b.get("DeviceName", "?") for b in volumes if not b["Ebs"].get("Encrypted")]
    if not volumes:
        plain = ["root volume (AMI snapshot)"]
    if plain and not inv.ebs_encryption_by_default:
        message = f"unencrypted EBS volumes: {', '.join(plain)}"
        ev.add(_launch_template_finding(c.NODE_EBS_ENCRYPTED, inv, cluster, ng, message))
    if any(eni.get("AssociatePublicIpAddress") for eni in data.get("NetworkInterfaces", [])):
        message = "network interface associates a public IP address"
        ev.add(_launch_template_finding(c.NODE_PUBLIC_IP, inv, cluster, ng, message))


def _check_without_launch_template(ev: Evaluation, inv: RegionInventory, cluster: dict, ng: dict) -> None:
    """A node group without a launch template of its own runs on the one EKS generates, whose metadata and
    network interface settings AWS does not document (docs.aws.amazon.com/eks/latest/userguide/launch-templates.html):
    IMDSv2 and public IPs are not assessed rather than guessed; EBS encryption follows the region's default."""
    if "launch_templates" in inv.failures:
        return
    ref = ng.get("launchTemplate") or {}
    name = ng["nodegroupName"]
    if ref.get("id") or ref.get("name"):
        why = f"node group {name}: launch template {ref.get('id') or ref.get('name')} version not found"
        for control_id in (c.NODE_IMDSV2, c.NODE_EBS_ENCRYPTED, c.NODE_PUBLIC_IP):
            ev.unassessed(control_id, f"{inv.region}: {why}")
        return
    why = f"node group {name} uses the launch template EKS generates, whose settings AWS does not document"
    for control_id in (c.NODE_IMDSV2, c.NODE_PUBLIC_IP):
        ev.unassessed(control_id, f"{inv.region}: {why}")
    if "ebs_default" in inv.failures:
        return
    ev.count(c.NODE_EBS_ENCRYPTED)
    if not inv.ebs_encryption_by_default:
        message = "no launch template and EBS encryption by default is off in the region"
        ev.add(_nodegroup_finding(c.NODE_EBS_ENCRYPTED, inv, cluster, ng, message))


def _nodegroup_arguments(cluster: dict, ng: dict) -> dict[str, Any]:
    """NodeGroupArgs for a secure replacement with the observed sizing (family and architecture kept when
    supported, else the secure default)."""
    ami_type = ng.get("amiType", "")
    scaling = ng.get("scalingConfig") or {}
    data = ng.get("launchTemplateData") or {}
    groups = sorted({g for eni in data.get("NetworkInterfaces", []) for g in eni.get("Groups", [])})
    groups = groups or data.get("SecurityGroupIds", [])
    return {
        "cluster_name": cluster["name"],
        "subnet_ids": ng.get("subnets", []),
        "node_security_group_id": groups[0] if len(groups) == 1 else None,
        "ami_family": "BOTTLEROCKET" if ami_type.startswith("BOTTLEROCKET_") else "AL2023",
        "architecture": "arm64" if "ARM_64" in ami_type else "x86_64",
        "kubernetes_version": cluster.get("version") or ng.get("version"),  # replacements follow the cluster
        "instance_types": ng.get("instanceTypes"),
        "capacity_type": ng.get("capacityType"),
        "min_size": scaling.get("minSize"),
        "desired_size": scaling.get("desiredSize"),
        "max_size": scaling.get("maxSize"),
    }


def _nodegroup_finding(control_id: str, inv: RegionInventory, cluster: dict, ng: dict, message: str) -> RawFinding:
    name = ng["nodegroupName"]
    args = _nodegroup_arguments(cluster, ng)
    import_id = f"{cluster['name']}:{name}"
    return RawFinding(control_id, ng.get("nodegroupArn", name), message, inv.region, "nodegroup", import_id, name, args)


def _launch_template_finding(
    control_id: str, inv: RegionInventory, cluster: dict, ng: dict, message: str
) -> RawFinding:
    lt_id = ng.get("launchTemplateId", "")
    args = _nodegroup_arguments(cluster, ng)
    message = f"node group {ng['nodegroupName']}: {message}"
    return RawFinding(
        control_id, lt_id, message, inv.region, "launch_template", lt_id, lt_id, args, ng["nodegroupName"]
    )
