"""Facts no declaration's inputs show, each read by one small, named enricher and put where the pack reads it.

- ``trail_logging``: whether each trail is logging (GetTrailStatus) -> the Trail's ``enableLogging`` input.
- ``generated_launch_templates``: the launch template EKS generated for a node group that names none -> an
  aws:ec2/launchTemplate:LaunchTemplate whose parent is the node group (ec2.read_generated_templates).
- ``ebs_encryption_by_default``: the region's EBS encryption default -> the pack's own setting for it
  (``accountEncryptionByDefault``, of ``node-ebs-encrypted``), sent for that region's resources unless the
  policy config sets it.
- ``account_public_access_block``: the account-level S3 public access block -> an
  aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock.
- ``ami_releases``: how far each node group's AMI release is behind the newest recommended one -> the
  remediation plan; when a release that carries no build date (Bottlerocket's) was published -> the pack's
  setting for it (``releaseDates``, of ``nodegroup-ami-age``), by which the rule judges that release's age.
- ``addon_default_versions`` (per region) and ``default_addon_versions`` (for the account): the version EKS
  installs by default for each add-on the clusters run, on their Kubernetes version (DescribeAddonVersions,
  ``compatibilities[].defaultVersion``) -> the pack's setting ``defaultVersions`` (of ``eks-addon-version``),
  which the rule judges installed versions against in place of its data file's figure.

An enricher that cannot read records a gap: for the first two the types they feed are not assessed there; the
others feed no verdict on their own, so their gap is only listed (without the add-on defaults, ``eks-addon-version``
judges by its data file, as ``check`` does).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from botocore.exceptions import ClientError
from eksguard_policies.addons import version_key
from eksguard_policies.rules.patching import release_build_date

from eksguard.audit.aws.amis import ami_parameter, published, release_lag
from eksguard.audit.aws.cloudtrail import public_access_block
from eksguard.audit.aws.context import RegionRead
from eksguard.audit.aws.ec2 import read_generated_templates
from eksguard.audit.aws.reads import error_code, guarded, paginate
from eksguard.audit.aws.types import ACCOUNT_PUBLIC_ACCESS_BLOCK, ADDON, LAUNCH_TEMPLATE, TRAIL
from eksguard.audit.live import GLOBAL, Inventory, LiveResource
from eksguard.audit.session import ReadOnlySession

EBS_SETTING = "accountEncryptionByDefault"
"""The pack's setting for the account's EBS encryption default (rules/nodes.py)."""
RELEASE_DATES = "releaseDates"
"""The pack's setting for the publication dates of releases without a build date (rules/patching.py)."""
ADDON_DEFAULTS = "defaultVersions"
"""The pack's setting for the version EKS installs by default, by add-on and Kubernetes version (rules/addons.py)."""


def trail_logging(ctx: RegionRead, trails: list[LiveResource]) -> None:
    client = ctx.client("cloudtrail")
    for trail in trails:
        status = guarded(ctx.inventory, trail.region, {TRAIL}, lambda t=trail: client.get_trail_status(Name=t.name))
        if status is not None:
            trail.props["enableLogging"] = bool(status.get("IsLogging"))


def generated_launch_templates(ctx: RegionRead) -> None:
    guarded(ctx.inventory, ctx.region, {LAUNCH_TEMPLATE}, lambda: read_generated_templates(ctx))


def ebs_encryption_by_default(ctx: RegionRead) -> None:
    if not ctx.nodegroups:
        return
    ec2 = ctx.client("ec2")
    answer = guarded(ctx.inventory, ctx.region, (), ec2.get_ebs_encryption_by_default)
    if answer is not None:
        enabled = bool(answer.get("EbsEncryptionByDefault"))
        ctx.inventory.region_facts.setdefault(ctx.region, {})[EBS_SETTING] = enabled


def ami_releases(ctx: RegionRead, today: dt.date) -> None:
    ssm = ctx.client("ssm")
    histories: dict[str, list[dict[str, Any]]] = {}
    for ng in ctx.nodegroups:
        parameter = ami_parameter(ng.nodegroup.get("amiType", ""), str(ng.cluster.get("version", "")))
        release = ng.nodegroup.get("releaseVersion")
        if parameter is None or not release:
            continue
        if parameter not in histories:
            histories[parameter] = guarded(ctx.inventory, ctx.region, (), lambda p=parameter: _history(ssm, p)) or []
        if release_build_date(release) is None and (date := published(release, histories[parameter])):
            facts = ctx.inventory.region_facts.setdefault(ctx.region, {})
            facts.setdefault(RELEASE_DATES, {})[release] = date.isoformat()
        lag = release_lag(release, histories[parameter], today)
        if lag is not None:
            ng.live.fix_notes.update(
                newest_release=lag.latest, releases_behind=lag.releases_behind, days_behind=lag.days_behind
            )


def addon_default_versions(ctx: RegionRead) -> None:
    """One DescribeAddonVersions per distinct (add-on, Kubernetes version) the region's clusters run: the number of
    calls follows the add-ons and versions in use, not the clusters."""
    versions = {c["name"]: c.get("version") for c in ctx.clusters}
    wanted = sorted(
        {
            (live.props["addonName"], versions[live.props["clusterName"]])
            for live in ctx.inventory.resources.values()
            if live.type == ADDON and live.region == ctx.region and versions.get(live.props.get("clusterName"))
        }
    )
    eks = ctx.client("eks")
    for addon, kubernetes_version in wanted:
        answer = guarded(
            ctx.inventory, ctx.region, (), lambda a=addon, k=kubernetes_version: _default_version(eks, a, k)
        )
        if answer:
            ctx.addon_defaults[addon, kubernetes_version] = answer


def _default_version(eks: Any, addon: str, kubernetes_version: str) -> str | None:
    pages = paginate(eks, "describe_addon_versions", "addons", addonName=addon, kubernetesVersion=kubernetes_version)
    for entry in pages:
        if entry.get("addonName") != addon:
            continue
        for version in entry.get("addonVersions") or []:
            for compatibility in version.get("compatibilities") or []:
                if compatibility.get("clusterVersion") == kubernetes_version and compatibility.get("defaultVersion"):
                    return version.get("addonVersion")
    return None


def default_addon_versions(inventory: Inventory, reads: list[RegionRead]) -> None:
    """The account's add-on defaults as one setting: AnalyzeStack judges every region at once. Where two regions
    name different defaults for the same add-on and Kubernetes version (a rollout under way), the older one is
    kept, so no cluster is held to a default its region does not offer yet."""
    defaults: dict[str, dict[str, str]] = {}
    for ctx in reads:
        for (addon, kubernetes_version), version in ctx.addon_defaults.items():
            by_version = defaults.setdefault(addon, {})
            known = by_version.get(kubernetes_version)
            if known is None or _older(version, known):
                by_version[kubernetes_version] = version
    if defaults:
        inventory.stack_facts[ADDON_DEFAULTS] = defaults


def _older(version: str, than: str) -> bool:
    try:
        return version_key(version) < version_key(than)
    except ValueError:
        return False


def _history(ssm: Any, parameter: str) -> list[dict[str, Any]]:
    try:
        return list(paginate(ssm, "get_parameter_history", "Parameters", Name=parameter))
    except ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            return []
        raise


def account_public_access_block(
    session: ReadOnlySession, region: str, inventory: Inventory, endpoint_url: str | None
) -> None:
    """S3 Control puts the account id in the host name, which one custom endpoint cannot serve."""
    if not any(r.type == TRAIL for r in inventory.resources.values()):
        return
    if endpoint_url:
        reason = "the account-level S3 public access block is not read with --endpoint-url"
        inventory.gap("account", reason, {ACCOUNT_PUBLIC_ACCESS_BLOCK})
        return
    s3control = session.client("s3control", region)
    block = guarded(
        inventory,
        "account",
        {ACCOUNT_PUBLIC_ACCESS_BLOCK},
        lambda: public_access_block(s3control.get_public_access_block, AccountId=inventory.account),
    )
    if block is not None:
        inventory.add(
            LiveResource(ACCOUNT_PUBLIC_ACCESS_BLOCK, inventory.account, GLOBAL, block, arn=inventory.account)
        )
