"""Read what the audit needs from one region (``collect_region``) and from the account (``collect_account``).

Each collector is guarded: an error from AWS (access denied, service unavailable, an operation the
endpoint does not implement) is recorded under the collector's name and the other collectors go on.
Paginators are used for every operation that has one; per-region calls are batched (security groups,
NACLs) so the calls per cluster stay constant as the number of clusters grows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from eksguard.audit.amis import ami_parameter
from eksguard.audit.session import ReadOnlySession

FILTER_CHUNK = 200  # EC2 accepts up to 200 values per filter
MAX_REASON = 160


@dataclass
class RegionInventory:
    region: str
    clusters: list[dict[str, Any]] = field(default_factory=list)
    """DescribeCluster output, plus ``nodegroups`` (DescribeNodegroup outputs, each with ``launchTemplateData``)
    and ``accessEntries`` (each with ``associatedAccessPolicies``)."""
    security_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    sg_attachments: dict[str, set[str]] = field(default_factory=dict)
    """Security group id -> the cluster/node group resources it is attached to."""
    network_acls: list[dict[str, Any]] = field(default_factory=list)
    ami_history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Public SSM parameter name -> its history (oldest first); missing when the parameter does not exist."""
    ebs_encryption_by_default: bool = False
    kms_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Key ARN or id -> {"KeyManager", "KeyRotationEnabled"}."""
    trails: list[dict[str, Any]] = field(default_factory=list)
    """Trails visible from the region, shadow trails included; home-region trails carry ``status`` and
    ``bucketPublicAccessBlock``."""
    failures: dict[str, str] = field(default_factory=dict)
    """Collector name -> why it could not read."""
    failed_clusters: dict[str, str] = field(default_factory=dict)


@dataclass
class AccountInventory:
    account_id: str = ""
    node_roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Role ARN -> {"attached": [policy ARNs], "inline": {name: document}, "customer_managed": {ARN: document}}."""
    public_access_block: dict[str, Any] = field(default_factory=dict)
    """The account-level S3 public access block (empty when none)."""
    failures: dict[str, str] = field(default_factory=dict)


def describe_error(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code") or str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?"))
        message = " ".join(re.sub(r"<[^>]*>", " ", str(err.get("Message", ""))).split())  # HTML error pages
        if len(message) > MAX_REASON:
            message = message[: MAX_REASON - 3] + "..."
        return f"{exc.operation_name}: {code}: {message}".strip()
    return f"{type(exc).__name__}: {exc}"


def _guarded(failures: dict[str, str], name: str, action: Callable[[], Any]) -> Any:
    try:
        return action()
    except (ClientError, BotoCoreError) as exc:
        failures.setdefault(name, describe_error(exc))
        return None


def _paginate(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, [])


def _chunks(items: Iterable[str], size: int = FILTER_CHUNK) -> Iterator[list[str]]:
    ordered = sorted(set(items))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def collect_region(session: ReadOnlySession, region: str) -> RegionInventory:
    inv = RegionInventory(region=region)
    eks = session.client("eks", region)
    ec2 = session.client("ec2", region)
    names = _guarded(inv.failures, "eks", lambda: list(_paginate(eks, "list_clusters", "clusters")))
    for name in names or []:
        cluster = _guarded(inv.failed_clusters, name, lambda n=name: _collect_cluster(eks, n, inv))
        if cluster is not None:
            inv.clusters.append(cluster)
    if inv.failed_clusters and "eks" not in inv.failures:
        inv.failures["eks"] = "; ".join(f"cluster {n}: {r}" for n, r in sorted(inv.failed_clusters.items()))
    _guarded(inv.failures, "launch_templates", lambda: _collect_launch_templates(ec2, inv))
    _guarded(inv.failures, "security_groups", lambda: _collect_security_groups(ec2, inv))
    _guarded(inv.failures, "network_acls", lambda: _collect_network_acls(ec2, inv))
    _guarded(inv.failures, "ebs_default", lambda: _collect_ebs_default(ec2, inv))
    _guarded(inv.failures, "ami_releases", lambda: _collect_ami_history(session.client("ssm", region), inv))
    _guarded(inv.failures, "cloudtrail", lambda: _collect_trails(session, region, inv))
    _guarded(inv.failures, "kms", lambda: _collect_kms(session.client("kms", region), inv))
    return inv


def _collect_cluster(eks: Any, name: str, inv: RegionInventory) -> dict[str, Any]:
    cluster = eks.describe_cluster(name=name)["cluster"]
    cluster["nodegroups"] = [
        eks.describe_nodegroup(clusterName=name, nodegroupName=ng)["nodegroup"]
        for ng in _paginate(eks, "list_nodegroups", "nodegroups", clusterName=name)
    ]
    cluster["accessEntries"] = _guarded(inv.failures, "access_entries", lambda: collect_access_entries(eks, name))
    return cluster


def collect_access_entries(eks: Any, cluster_name: str) -> list[dict[str, Any]]:
    """Access entries of a cluster with their associated access policies (EKS ListAccessEntries and
    ListAssociatedAccessPolicies; docs.aws.amazon.com/eks/latest/userguide/access-entries.html)."""
    entries = []
    for principal in _paginate(eks, "list_access_entries", "accessEntries", clusterName=cluster_name):
        policies = list(
            _paginate(
                eks,
                "list_associated_access_policies",
                "associatedAccessPolicies",
                clusterName=cluster_name,
                principalArn=principal,
            )
        )
        entries.append({"principalArn": principal, "associatedAccessPolicies": policies})
    return entries


def _collect_launch_templates(ec2: Any, inv: RegionInventory) -> None:
    """One DescribeLaunchTemplateVersions per distinct template version (node groups often share one)."""
    seen: dict[tuple[str, str], dict[str, Any] | None] = {}
    for cluster in inv.clusters:
        for ng in cluster["nodegroups"]:
            ref = ng.get("launchTemplate") or {}
            if not ref.get("id") and not ref.get("name"):
                continue
            key = (ref.get("id") or f"name:{ref['name']}", str(ref.get("version") or "$Default"))
            if key not in seen:
                params: dict[str, Any] = {"Versions": [key[1]]}
                params.update({"LaunchTemplateId": ref["id"]} if ref.get("id") else {"LaunchTemplateName": ref["name"]})
                pages = _paginate(ec2, "describe_launch_template_versions", "LaunchTemplateVersions", **params)
                seen[key] = next(iter(pages), None)
            version = seen[key]
            if version is not None:
                ng["launchTemplateData"] = version.get("LaunchTemplateData", {})
                ng["launchTemplateId"] = version.get("LaunchTemplateId", ref.get("id", ""))


def _node_security_groups(ng: dict[str, Any]) -> set[str]:
    data = ng.get("launchTemplateData") or {}
    groups = set(data.get("SecurityGroupIds", []))
    for eni in data.get("NetworkInterfaces", []):
        groups.update(eni.get("Groups", []))
    remote_sg = (ng.get("resources") or {}).get("remoteAccessSecurityGroup")
    if remote_sg:
        groups.add(remote_sg)
    return groups


def _collect_security_groups(ec2: Any, inv: RegionInventory) -> None:
    for cluster in inv.clusters:
        vpc = cluster.get("resourcesVpcConfig") or {}
        cluster_groups = set(vpc.get("securityGroupIds", []))
        if vpc.get("clusterSecurityGroupId"):
            cluster_groups.add(vpc["clusterSecurityGroupId"])
        for group in cluster_groups:
            inv.sg_attachments.setdefault(group, set()).add(f"cluster {cluster['name']}")
        for ng in cluster["nodegroups"]:
            for group in _node_security_groups(ng):
                inv.sg_attachments.setdefault(group, set()).add(f"node group {ng['nodegroupName']}")
    for chunk in _chunks(inv.sg_attachments):
        filters = [{"Name": "group-id", "Values": chunk}]
        for group in _paginate(ec2, "describe_security_groups", "SecurityGroups", Filters=filters):
            inv.security_groups[group["GroupId"]] = group


def _collect_network_acls(ec2: Any, inv: RegionInventory) -> None:
    subnets = {s for c in inv.clusters for ng in c["nodegroups"] for s in ng.get("subnets", [])}
    seen: set[str] = set()
    for chunk in _chunks(subnets):
        filters = [{"Name": "association.subnet-id", "Values": chunk}]
        for acl in _paginate(ec2, "describe_network_acls", "NetworkAcls", Filters=filters):
            node_subnets = sorted(a["SubnetId"] for a in acl.get("Associations", []) if a.get("SubnetId") in subnets)
            if node_subnets and acl["NetworkAclId"] not in seen:  # an endpoint may ignore the filter
                seen.add(acl["NetworkAclId"])
                acl["nodeSubnets"] = node_subnets
                inv.network_acls.append(acl)


def _collect_ebs_default(ec2: Any, inv: RegionInventory) -> None:
    if any(ng.get("launchTemplateData") for c in inv.clusters for ng in c["nodegroups"]):
        inv.ebs_encryption_by_default = bool(ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"])


def _collect_ami_history(ssm: Any, inv: RegionInventory) -> None:
    names = {
        ami_parameter(ng.get("amiType", ""), cluster.get("version", ""))
        for cluster in inv.clusters
        for ng in cluster["nodegroups"]
    }
    for name in sorted(n for n in names if n):
        try:
            history = list(_paginate(ssm, "get_parameter_history", "Parameters", Name=name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ParameterNotFound":
                raise
            history = []
        inv.ami_history[name] = history


def _collect_trails(session: ReadOnlySession, region: str, inv: RegionInventory) -> None:
    trail_client = session.client("cloudtrail", region)
    s3 = session.client("s3", region)
    for trail in trail_client.describe_trails(includeShadowTrails=True).get("trailList", []):
        inv.trails.append(trail)
        if trail.get("HomeRegion", region) != region:
            continue
        trail["status"] = _guarded(
            inv.failures, "trail_status", lambda t=trail: trail_client.get_trail_status(Name=t["TrailARN"])
        )
        trail["bucketPublicAccessBlock"] = _guarded(
            inv.failures,
            "trail_buckets",
            lambda t=trail: _bucket_public_access_block(s3, t.get("S3BucketName")),
        )


def _bucket_public_access_block(s3: Any, bucket: str | None) -> dict[str, Any]:
    if not bucket:
        return {}
    try:
        return s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchPublicAccessBlockConfiguration":
            return {}
        raise


def _collect_kms(kms: Any, inv: RegionInventory) -> None:
    keys = set()
    for cluster in inv.clusters:
        for enc in cluster.get("encryptionConfig") or []:
            key = (enc.get("provider") or {}).get("keyArn")
            if key:
                keys.add(key)
    for trail in inv.trails:
        if trail.get("HomeRegion") == inv.region and trail.get("KmsKeyId"):
            keys.add(trail["KmsKeyId"])
    for key in sorted(keys):
        meta = kms.describe_key(KeyId=key)["KeyMetadata"]
        record = {"KeyManager": meta.get("KeyManager", "CUSTOMER"), "KeyRotationEnabled": None}
        rotatable = (
            meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
            and meta.get("KeyUsage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
            and not meta.get("CustomKeyStoreId")
        )  # docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
        if record["KeyManager"] == "CUSTOMER" and rotatable:
            record["KeyRotationEnabled"] = kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"]
        inv.kms_keys[key] = record


def caller_account(session: ReadOnlySession, region: str) -> str:
    """The account the credentials belong to; unguarded, so missing or invalid credentials stop the run."""
    return session.client("sts", region).get_caller_identity()["Account"]


def collect_account(
    session: ReadOnlySession, region: str, regions: list[RegionInventory], account_id: str
) -> AccountInventory:
    account = AccountInventory(account_id=account_id)
    # S3 Control puts the account id in the host name, which a single custom endpoint cannot serve.
    if not session.endpoint_url and any(inv.trails for inv in regions):
        s3control = session.client("s3control", region)
        account.public_access_block = (
            _guarded(account.failures, "trail_buckets", lambda: _account_public_access_block(s3control, account_id))
            or {}
        )
    roles = {ng["nodeRole"] for inv in regions for c in inv.clusters for ng in c["nodegroups"] if ng.get("nodeRole")}
    if roles:
        iam = session.client("iam", region)
        _guarded(account.failures, "iam", lambda: _collect_roles(iam, sorted(roles), account))
    return account


def _account_public_access_block(s3control: Any, account_id: str) -> dict[str, Any]:
    try:
        return s3control.get_public_access_block(AccountId=account_id)["PublicAccessBlockConfiguration"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchPublicAccessBlockConfiguration":
            return {}
        raise


def _collect_roles(iam: Any, role_arns: list[str], account: AccountInventory) -> None:
    for arn in role_arns:
        name = arn.rsplit("/", 1)[-1]
        attached = [
            p["PolicyArn"] for p in _paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
        ]
        inline = {
            policy: iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            for policy in _paginate(iam, "list_role_policies", "PolicyNames", RoleName=name)
        }
        customer_managed = {}
        for policy_arn in attached:
            if ":aws:policy/" not in policy_arn:
                version = iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"]
                document = iam.get_policy_version(PolicyArn=policy_arn, VersionId=version)["PolicyVersion"]["Document"]
                customer_managed[policy_arn] = document
        account.node_roles[arn] = {"attached": attached, "inline": inline, "customer_managed": customer_managed}


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
