"""One check per control over the collected inventory. Each records what it evaluated and what it found.

Semantics follow the catalogue descriptions and the policy pack's rules: constants come from rules/*.py and
thresholds from the pack's config (:class:`Thresholds`), so ``check`` and ``audit`` agree. Missing fields
mean the AWS default (a missing ``publicAccessCidrs`` is ``0.0.0.0/0``).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from eksguard_policies.rules.eks_cluster import LOG_TYPES, OPEN_CIDRS
from eksguard_policies.rules.iam import ADMIN_MANAGED_POLICIES
from eksguard_policies.rules.nodes import MAX_HOP_LIMIT
from eksguard_policies.rules.patching import SUPPORTED_FAMILIES
from eksguard_policies.rules.security_groups import KUBELET_PORT
from eksguard_policies.versions import load_versions

from eksguard.audit import controls as c
from eksguard.audit.amis import ami_parameter, is_unsupported_family, release_lag
from eksguard.audit.collect import AccountInventory, RegionInventory
from eksguard.audit.config import Network, Thresholds

INTERNET_CIDRS = frozenset(OPEN_CIDRS)
_AWS_MANAGED_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:.*/)?([^/]+)$")
_ROOT_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:root$")
PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@dataclass
class RawFinding:
    control_id: str
    resource: str
    message: str
    region: str
    kind: str
    """Key of controls.IMPORT_TYPES: which AWS resource the finding is about."""
    import_id: str
    name: str
    observed: dict[str, Any] = field(default_factory=dict)
    """Component arguments matching what was observed (for the remediation snippet)."""
    component_name: str = ""
    """Name for the component in the snippet (default: ``name``)."""


@dataclass
class Evaluation:
    findings: list[RawFinding] = field(default_factory=list)
    evaluated: dict[str, int] = field(default_factory=dict)
    not_assessed: dict[str, list[str]] = field(default_factory=dict)

    def count(self, *control_ids: str) -> None:
        for control_id in control_ids:
            self.evaluated[control_id] = self.evaluated.get(control_id, 0) + 1

    def add(self, finding: RawFinding) -> None:
        self.findings.append(finding)

    def unassessed(self, control_id: str, reason: str) -> None:
        reasons = self.not_assessed.setdefault(control_id, [])
        if reason not in reasons:
            reasons.append(reason)


def evaluate(
    regions: list[RegionInventory],
    account: AccountInventory,
    today: dt.date,
    thresholds: Thresholds | None = None,
) -> Evaluation:
    limits = thresholds or Thresholds.defaults()
    ev = Evaluation()
    for inv in regions:
        _mark_failures(ev, inv.region, inv.failures)
        for cluster in inv.clusters:
            _check_cluster(ev, inv, cluster, today, limits)
            for ng in cluster["nodegroups"]:
                _check_nodegroup(ev, inv, cluster, ng, today, limits.max_ami_age_days)
            _check_access_entries(ev, inv, cluster, limits.broad_principals)
        for group in inv.security_groups.values():
            _check_security_group(ev, inv, group, limits)
        for acl in inv.network_acls:
            _check_network_acl(ev, inv, acl, limits.admin_ports)
        _check_kms(ev, inv)
        for trail in inv.trails:
            if trail.get("HomeRegion", inv.region) == inv.region:
                _check_trail(ev, inv, trail, account.public_access_block)
    _mark_failures(ev, "account", account.failures)
    for role_arn, role in account.node_roles.items():
        _check_node_role(ev, role_arn, role)
    _check_account_trail(ev, regions, account)
    return ev


def _mark_failures(ev: Evaluation, where: str, failures: dict[str, str]) -> None:
    for source, reason in failures.items():
        for control_id, sources in c.SOURCES.items():
            if source in sources:
                ev.unassessed(control_id, f"{where}: {reason}")


# --- clusters ------------------------------------------------------------------------------------------
def _cluster_finding(control_id: str, inv: RegionInventory, cluster: dict, message: str, **observed: Any) -> RawFinding:
    vpc = cluster.get("resourcesVpcConfig") or {}
    args = {"cluster_name": cluster["name"], "subnet_ids": vpc.get("subnetIds", []), **observed}
    name = cluster["name"]
    return RawFinding(control_id, cluster.get("arn", name), message, inv.region, "cluster", name, name, args)


def _check_cluster(ev: Evaluation, inv: RegionInventory, cluster: dict, today: dt.date, limits: Thresholds) -> None:
    ev.count(c.EKS_ENDPOINT_PUBLIC, c.EKS_PUBLIC_CIDRS_OPEN, c.EKS_LOGGING, c.EKS_SECRETS_ENCRYPTION)
    ev.count(c.EKS_VERSION_SUPPORT, c.EKS_AUTH_MODE, c.EKS_BOOTSTRAP_ADMIN)
    for control_id, message, observed in _cluster_problems(cluster, today, limits.allow_api_and_config_map):
        ev.add(_cluster_finding(control_id, inv, cluster, message, **observed))


def _cluster_problems(
    cluster: dict, today: dt.date, allow_api_and_config_map: bool
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    vpc = cluster.get("resourcesVpcConfig") or {}
    if vpc.get("endpointPublicAccess", True):
        cidrs = vpc.get("publicAccessCidrs") or ["0.0.0.0/0"]
        yield c.EKS_ENDPOINT_PUBLIC, f"API server endpoint is public (publicAccessCidrs {', '.join(cidrs)})", {}
        open_cidrs = sorted(INTERNET_CIDRS.intersection(cidrs))
        if open_cidrs:
            yield c.EKS_PUBLIC_CIDRS_OPEN, f"public endpoint accepts {', '.join(open_cidrs)}", {}
    enabled: set[str] = set()
    for entry in (cluster.get("logging") or {}).get("clusterLogging", []):
        if entry.get("enabled"):
            enabled.update(entry.get("types", []))
    missing = [t for t in LOG_TYPES if t not in enabled]
    if missing:
        yield c.EKS_LOGGING, f"control plane log types not enabled: {', '.join(missing)}", {}
    if not any("secrets" in (e.get("resources") or []) for e in cluster.get("encryptionConfig") or []):
        yield c.EKS_SECRETS_ENCRYPTION, "Kubernetes Secrets are not envelope-encrypted with a KMS key", {}
    version = str(cluster.get("version", ""))
    known = load_versions().get(version)
    if known is None or not known.in_standard_support(today):
        why = f"standard support ended {known.standard_support_end}" if known else "not in eksguard's version data"
        yield c.EKS_VERSION_SUPPORT, f"Kubernetes {version}: {why}", {"version": version}
    access = cluster.get("accessConfig") or {}
    mode = access.get("authenticationMode", "CONFIG_MAP")
    if mode != "API" and not (mode == "API_AND_CONFIG_MAP" and allow_api_and_config_map):
        yield c.EKS_AUTH_MODE, f"authentication mode is {mode}: the aws-auth ConfigMap still grants access", {}
    if access.get("bootstrapClusterCreatorAdminPermissions", True):
        yield c.EKS_BOOTSTRAP_ADMIN, "bootstrapClusterCreatorAdminPermissions is true", {}


# --- node groups and launch templates -------------------------------------------------------------------
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


def _ng_finding(control_id: str, inv: RegionInventory, cluster: dict, ng: dict, message: str) -> RawFinding:
    name = ng["nodegroupName"]
    args = _nodegroup_arguments(cluster, ng)
    import_id = f"{cluster['name']}:{name}"
    return RawFinding(control_id, ng.get("nodegroupArn", name), message, inv.region, "nodegroup", import_id, name, args)


def _lt_finding(control_id: str, inv: RegionInventory, cluster: dict, ng: dict, message: str) -> RawFinding:
    lt_id = ng.get("launchTemplateId", "")
    args = _nodegroup_arguments(cluster, ng)
    message = f"node group {ng['nodegroupName']}: {message}"
    return RawFinding(
        control_id, lt_id, message, inv.region, "launch_template", lt_id, lt_id, args, ng["nodegroupName"]
    )


def _check_nodegroup(
    ev: Evaluation, inv: RegionInventory, cluster: dict, ng: dict, today: dt.date, max_lag_days: int
) -> None:
    ami_type = ng.get("amiType", "")
    ev.count(c.NODEGROUP_AMI_FAMILY, c.NODEGROUP_SSH)
    if is_unsupported_family(ami_type):
        message = f"AMI type {ami_type}: Amazon Linux 2 EKS AMIs are out of support since 2025-11-26"
        ev.add(_ng_finding(c.NODEGROUP_AMI_FAMILY, inv, cluster, ng, message))
    elif ami_type != "CUSTOM" and not ami_type.startswith(SUPPORTED_FAMILIES):
        ev.add(_ng_finding(c.NODEGROUP_AMI_FAMILY, inv, cluster, ng, f"unrecognised AMI type {ami_type!r}"))
    remote = ng.get("remoteAccess") or {}
    if remote.get("ec2SshKey"):
        sources = remote.get("sourceSecurityGroups") or ["0.0.0.0/0"]
        message = f"SSH key {remote['ec2SshKey']} installed, port 22 open from {', '.join(sources)}"
        ev.add(_ng_finding(c.NODEGROUP_SSH, inv, cluster, ng, message))
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
    ev.add(_ng_finding(c.NODEGROUP_AMI_AGE, inv, cluster, ng, message))


def _check_launch_template(ev: Evaluation, inv: RegionInventory, cluster: dict, ng: dict) -> None:
    data = ng.get("launchTemplateData")
    encrypted_default = inv.ebs_encryption_by_default
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
        ev.add(_lt_finding(c.NODE_IMDSV2, inv, cluster, ng, message))
    volumes = [b for b in data.get("BlockDeviceMappings", []) if "Ebs" in b]
    plain = [b.get("DeviceName", "?") for b in volumes if not b["Ebs"].get("Encrypted")]
    if not volumes:
        plain = ["root volume (AMI snapshot)"]
    if plain and not encrypted_default:
        ev.add(_lt_finding(c.NODE_EBS_ENCRYPTED, inv, cluster, ng, f"unencrypted EBS volumes: {', '.join(plain)}"))
    if any(eni.get("AssociatePublicIpAddress") for eni in data.get("NetworkInterfaces", [])):
        ev.add(_lt_finding(c.NODE_PUBLIC_IP, inv, cluster, ng, "network interface associates a public IP address"))


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
        ev.add(_ng_finding(c.NODE_EBS_ENCRYPTED, inv, cluster, ng, message))


# --- access entries -------------------------------------------------------------------------------------
def _broad_principal(principal: str, broad_principals: tuple[str, ...]) -> bool:
    """As the pack's rule: wildcards and the account root always, and the configured ARN globs."""
    configured = any(fnmatch.fnmatch(principal.lower(), p.lower()) for p in broad_principals)
    return "*" in principal or bool(_ROOT_PRINCIPAL.match(principal)) or configured


def _check_access_entries(
    ev: Evaluation, inv: RegionInventory, cluster: dict, broad_principals: tuple[str, ...]
) -> None:
    for entry in cluster.get("accessEntries") or []:
        ev.count(c.ACCESS_POLICY_ADMIN)
        principal = entry["principalArn"]
        for assoc in entry.get("associatedAccessPolicies", []):
            policy = str(assoc.get("policyArn", "")).rsplit("/", 1)[-1]
            scope = (assoc.get("accessScope") or {}).get("type", "cluster")
            admin = policy == "AmazonEKSClusterAdminPolicy" or (policy == "AmazonEKSAdminPolicy" and scope == "cluster")
            if admin and _broad_principal(principal, broad_principals):
                message = f"cluster {cluster['name']}: {policy} at {scope} scope for the broad principal {principal}"
                import_id = f"{cluster['name']}:{principal}"
                args = {"cluster_name": cluster["name"]}
                ev.add(
                    RawFinding(
                        c.ACCESS_POLICY_ADMIN,
                        principal,
                        message,
                        inv.region,
                        "access_entry",
                        import_id,
                        principal.rsplit(":", 1)[-1],
                        args,
                    )
                )


# --- security groups and NACLs ---------------------------------------------------------------------------
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


def _check_security_group(ev: Evaluation, inv: RegionInventory, group: dict, limits: Thresholds) -> None:
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


def _nacl_covers(entry: dict, port: int) -> bool:
    if str(entry.get("Protocol")) == "-1":
        return True
    if str(entry.get("Protocol")) != "6":
        return False
    ports = entry.get("PortRange") or {}
    return int(ports.get("From", 0)) <= port <= int(ports.get("To", 65535))


def _check_network_acl(ev: Evaluation, inv: RegionInventory, acl: dict, admin_ports: tuple[int, ...]) -> None:
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


# --- IAM and KMS -----------------------------------------------------------------------------------------
def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _wildcard_statements(document: Any) -> int:
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    return sum(
        1
        for s in _as_list(statements)
        if isinstance(s, dict)
        and s.get("Effect") == "Allow"
        and "*" in _as_list(s.get("Action", []))
        and "*" in _as_list(s.get("Resource", []))
    )


def _check_node_role(ev: Evaluation, role_arn: str, role: dict) -> None:
    name = role_arn.rsplit("/", 1)[-1]
    ev.count(c.IAM_NODE_ROLE_ADMIN, c.IAM_POLICY_WILDCARD)
    managed = [m.group(1) for p in role["attached"] if (m := _AWS_MANAGED_POLICY.match(p))]
    admin = [p for p in managed if p in ADMIN_MANAGED_POLICIES]
    if admin:
        message = f"node role has administrator-grade managed policies: {', '.join(admin)}"
        ev.add(RawFinding(c.IAM_NODE_ROLE_ADMIN, role_arn, message, "global", "iam_role", name, name, {}))
    wildcard = [f"inline {n}" for n, doc in role["inline"].items() if _wildcard_statements(doc)]
    wildcard += [arn for arn, doc in role.get("customer_managed", {}).items() if _wildcard_statements(doc)]
    if wildcard:
        message = f"node role policies allow Action * on Resource *: {', '.join(wildcard)}"
        ev.add(RawFinding(c.IAM_POLICY_WILDCARD, role_arn, message, "global", "iam_role", name, name, {}))


def _check_kms(ev: Evaluation, inv: RegionInventory) -> None:
    for key, record in inv.kms_keys.items():
        if record["KeyRotationEnabled"] is None:  # AWS managed, asymmetric or custom key store: not rotatable
            continue
        ev.count(c.KMS_ROTATION)
        if not record["KeyRotationEnabled"]:
            key_id = key.rsplit("/", 1)[-1]
            args = {"kms_key_arn": key}
            message = "automatic key rotation is disabled"
            ev.add(RawFinding(c.KMS_ROTATION, key, message, inv.region, "kms_key", key_id, key_id, args))


# --- CloudTrail ------------------------------------------------------------------------------------------
def _check_trail(ev: Evaluation, inv: RegionInventory, trail: dict, account_pab: dict[str, Any] | None) -> None:
    arn, name, bucket = trail["TrailARN"], trail["Name"], trail.get("S3BucketName", "")
    args = {"trail_name": name}
    checks = [
        (c.TRAIL_MULTI_REGION, not trail.get("IsMultiRegionTrail"), "not a multi-region trail"),
        (c.TRAIL_VALIDATION, not trail.get("LogFileValidationEnabled"), "log file validation is disabled"),
        (c.TRAIL_KMS, not trail.get("KmsKeyId"), "logs are not encrypted with a KMS key"),
        (c.TRAIL_CLOUDWATCH, not trail.get("CloudWatchLogsLogGroupArn"), "not delivered to CloudWatch Logs"),
    ]
    if trail.get("status") is not None:
        checks.append((c.TRAIL_LOGGING, not trail["status"].get("IsLogging"), "logging is stopped"))
    for control_id, failed, message in checks:
        ev.count(control_id)
        if failed:
            ev.add(RawFinding(control_id, arn, f"trail {name}: {message}", inv.region, "trail", arn, name, args))
    pab = trail.get("bucketPublicAccessBlock")
    if pab is not None and bucket:
        ev.count(c.TRAIL_BUCKET_PAB)
        off = [flag for flag in PAB_FLAGS if not (pab.get(flag) or (account_pab or {}).get(flag))]
        if off:
            scope = "bucket or account" if account_pab is not None else "bucket; the account-level block was not read"
            message = f"trail {name}: bucket {bucket} public access block ({scope}) off: {', '.join(off)}"
            kind = "bucket_public_access_block"
            ev.add(
                RawFinding(
                    c.TRAIL_BUCKET_PAB, f"arn:aws:s3:::{bucket}", message, inv.region, kind, bucket, bucket, args
                )
            )


def _check_account_trail(ev: Evaluation, regions: list[RegionInventory], account: AccountInventory) -> None:
    if not regions or all("cloudtrail" in inv.failures for inv in regions):
        return
    ev.count(c.ACCOUNT_MULTI_REGION_TRAIL)
    trails = {t["TrailARN"]: t for inv in regions for t in inv.trails}
    logging_multi = [
        t for t in trails.values() if t.get("IsMultiRegionTrail") and (t.get("status") or {}).get("IsLogging", True)
    ]
    if not logging_multi:
        account_id = account.account_id or "unknown"
        message = "no logging multi-region CloudTrail trail in the account"
        resource = f"account {account_id}"
        ev.add(RawFinding(c.ACCOUNT_MULTI_REGION_TRAIL, resource, message, "global", "account", "", resource, {}))
