"""Security groups (open ingress, kubelet exposure, rule descriptions) and network ACLs (admin ports)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from eksguard_policies.rules.eks_cluster import OPEN_CIDRS
from eksguard_policies.rules.security_groups import KUBELET_PORT

from eksguard.audit import controls as c
from eksguard.audit.checks.model import Evaluation, RawFinding
from eksguard.audit.collect import RegionInventory
from eksguard.audit.config import Network, Thresholds

INTERNET_CIDRS = frozenset(OPEN_CIDRS)


def check_security_group(ev: Evaluation, inv: RegionInventory, group: dict, limits: Thresholds) -> None:
    """Ingress open to the internet, kubelet reachable from untrusted networks, and rules without a description."""
    gid = group["GroupId"]
    attached = ", ".join(sorted(inv.sg_attachments.get(gid, ())))
    ev.count(c.SG_OPEN_INGRESS, c.SG_KUBELET_EXPOSED, c.SG_RULE_DESCRIPTION)
    open_rules, kubelet_rules, undescribed = [], [], []
    for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
        for perm in group.get(key, []):
            for source, description in _sources(perm):
                rule = f"{direction} {_ports_text(perm)} {'from' if direction == 'ingress' else 'to'} {source}"
                if not description:
                    undescribed.append(rule)
                if direction != "ingress":
                    continue
                if source in INTERNET_CIDRS and not _only_allowed_public(perm, limits.allowed_public_ports):
                    open_rules.append(rule)
                if _untrusted(source, limits.trusted_networks) and _covers(perm, KUBELET_PORT):
                    kubelet_rules.append(rule)
    problems = [
        (c.SG_OPEN_INGRESS, "open to the internet", open_rules),
        (c.SG_KUBELET_EXPOSED, f"kubelet port {KUBELET_PORT} reachable from untrusted CIDRs", kubelet_rules),
        (c.SG_RULE_DESCRIPTION, "rules without a description", undescribed),
    ]
    for control_id, what, rules in problems:
        if rules:
            message = f"{what}: {'; '.join(rules)} (attached to {attached})"
            args = {"vpc_id": group.get("VpcId", ""), "cluster_name": _single_cluster(inv, gid)}
            name = group.get("GroupName", gid)
            ev.add(RawFinding(control_id, gid, message, inv.region, "security_group", gid, name, args))


def _single_cluster(inv: RegionInventory, group_id: str) -> str | None:
    names = {cluster["name"] for cluster in inv.clusters if group_id in _cluster_groups(cluster)}
    return names.pop() if len(names) == 1 else None


def _cluster_groups(cluster: dict) -> set[str]:
    vpc = cluster.get("resourcesVpcConfig") or {}
    groups = set(vpc.get("securityGroupIds", [])) | {vpc.get("clusterSecurityGroupId")}
    for ng in cluster["nodegroups"]:
        data = ng.get("launchTemplateData") or {}
        groups |= set(data.get("SecurityGroupIds", []))
        groups |= {g for eni in data.get("NetworkInterfaces", []) for g in eni.get("Groups", [])}
    return groups


def _span(permission: dict) -> tuple[int, int] | None:
    """Port range of a rule; None for all traffic (protocol -1) and protocols without ports."""
    if str(permission.get("IpProtocol")) in ("-1", "all"):
        return None
    return int(permission.get("FromPort", 0)), int(permission.get("ToPort", 65535))


def _covers(permission: dict, port: int) -> bool:
    protocol = str(permission.get("IpProtocol"))
    if protocol in ("-1", "all"):
        return True
    low, high = _span(permission) or (0, 65535)
    return protocol in ("tcp", "6") and low <= port <= high


def _ports_text(permission: dict) -> str:
    span = _span(permission)
    if span is None:
        return "all traffic"
    protocol = permission.get("IpProtocol")
    return f"{protocol} {span[0]}" if span[0] == span[1] else f"{protocol} {span[0]}-{span[1]}"


def _sources(permission: dict) -> Iterable[tuple[str, str | None]]:
    for rng in permission.get("IpRanges", []):
        yield rng.get("CidrIp", ""), rng.get("Description")
    for rng in permission.get("Ipv6Ranges", []):
        yield rng.get("CidrIpv6", ""), rng.get("Description")
    for pair in permission.get("UserIdGroupPairs", []):
        yield pair.get("GroupId", ""), pair.get("Description")
    for prefix_list in permission.get("PrefixListIds", []):
        yield prefix_list.get("PrefixListId", ""), prefix_list.get("Description")


def _untrusted(cidr: str, trusted: tuple[Network, ...]) -> bool:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False  # a security group or prefix list reference
    return not any(net.version == t.version and net.subnet_of(t) for t in trusted)  # type: ignore[arg-type]


def _only_allowed_public(permission: dict, allowed_ports: frozenset[int]) -> bool:
    span = _span(permission)
    if span is None or str(permission.get("IpProtocol")) not in ("tcp", "udp", "6", "17"):
        return False
    return span[1] - span[0] < 65536 and all(p in allowed_ports for p in range(span[0], span[1] + 1))


def check_network_acl(ev: Evaluation, inv: RegionInventory, acl: dict, admin_ports: tuple[int, ...]) -> None:
    """EC2.21 semantics: for each admin port, the lowest-numbered ingress rule matching internet traffic decides."""
    ev.count(c.NACL_ADMIN_PORTS)
    ingress = sorted((e for e in acl.get("Entries", []) if not e.get("Egress")), key=lambda e: e.get("RuleNumber", 0))
    open_ports = []
    for port in admin_ports:
        for entry in ingress:
            cidr = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock")
            if cidr in INTERNET_CIDRS and _nacl_covers(entry, port):
                if entry.get("RuleAction") == "allow":
                    open_ports.append(f"{port} (rule {entry.get('RuleNumber')} from {cidr})")
                break
    if open_ports:
        acl_id = acl["NetworkAclId"]
        message = (
            f"admin ports open from the internet: {', '.join(open_ports)}; node subnets {', '.join(acl['nodeSubnets'])}"
        )
        args = {"vpc_id": acl.get("VpcId", ""), "subnet_ids": acl["nodeSubnets"]}
        ev.add(RawFinding(c.NACL_ADMIN_PORTS, acl_id, message, inv.region, "network_acl", acl_id, acl_id, args))


def _nacl_covers(entry: dict, port: int) -> bool:
    if str(entry.get("Protocol")) == "-1":
        return True
    if str(entry.get("Protocol")) != "6":
        return False
    ports = entry.get("PortRange") or {}
    return int(ports.get("From", 0)) <= port <= int(ports.get("To", 65535))
