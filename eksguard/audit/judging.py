"""The pack judges the live resources: Analyze per declaration, AnalyzeStack per scope, then the verdicts of
``check`` (eksguard.judge.verdicts) named by ARN and region, with a remediation plan per finding and, where
something could not be read, "not assessed" with the reason.

Scopes: every AWS resource of the account is one stack (a multi-region trail covers every region, references
cross regions); each cluster's Kubernetes objects are another (namespaces are per cluster). A fact the pack
takes as a setting (the region's EBS encryption default) is sent with Configure for that region's resources,
and one of the whole account (the add-ons' default versions) with Configure before AnalyzeStack, unless the
policy config sets it. Account-level policies are told that their stack is the account
(:func:`audit_config`), except where a read of what they judge failed.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from eksguard_policies.catalogue import Catalogue

from eksguard.audit.live import GLOBAL, Gap, Inventory, LiveResource, stack_urn
from eksguard.audit.remediation import plan
from eksguard.judge.packs import PackRun, Progress, analyze_resources, analyze_stack
from eksguard.judge.verdicts import Judged, PolicyTallies, control_results, coverage, declared_types
from eksguard.reporters.model import ControlResult, Coverage, Finding

ABSENT = "the audit found no live"
ALONE = "what the audit read"
PACKAGES = ("aws", "kubernetes")
"""The packages of the declarations the audit makes."""
DISABLED = "disabled by the policy configuration"
STACK_IS_ACCOUNT = "stackIsAccount"
"""The setting of account-level policies (rules/_account.py) that says the stack is the account's own services."""


def audit_config(user: Mapping[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    """The user's policy config, plus what the audit knows of account-level controls (catalogue ``account_level``):
    its stack is what the account has, so their policies judge absence as the account lacking the service
    (``stackIsAccount``) and keep their severity's level, where a program, which may rely on another stack's trail
    or detector, gets advisory. The user's own settings and levels win."""
    config = dict(user)
    for cid, control in catalogue.items():
        if not control.account_level:
            continue
        given = user.get(cid)
        entry: dict[str, Any] = {STACK_IS_ACCOUNT: True}
        if control.mandatory_by_default and given is None and user.get("all") is None:
            entry["enforcementLevel"] = "mandatory"
        if isinstance(given, str):
            entry["enforcementLevel"] = given
        elif isinstance(given, Mapping):
            entry.update(given)
        config[cid] = entry
    return config


def judge(
    inventory: Inventory,
    pack: PackRun,
    user_config: Mapping[str, Any],
    catalogue: Catalogue,
    progress: Progress | None = None,
) -> tuple[list[ControlResult], Coverage]:
    """One result per control for what ``inventory`` holds, judged by ``pack`` (started and configured), and how
    many of the live resources some policy judged (as ``check`` counts a program's)."""
    progress = progress or Progress()
    records = inventory.records()
    judged = Judged(records, stack_urn(inventory.account), None, ABSENT, ALONE, PACKAGES)
    tallies = PolicyTallies(judged)
    by_urn = {r.resource.urn: r for r in records}
    for config, group in _config_groups(inventory, pack.config, user_config):
        pack.process.configure(config)
        analyze_resources([by_urn[u] for u in group], pack, tallies, progress)
    policies = {p.name: p for p in pack.info.policies}
    pack.process.configure(_stack_config(pack.config, policies, inventory.gaps, inventory.stack_facts, user_config))
    for scope in inventory.scopes():
        analyze_stack(inventory.records(scope), pack, tallies, progress)
    pack.process.configure(pack.config)
    packs = [(pack.info, pack.config)]
    results = control_results(judged, packs, catalogue, tallies.by_policy)
    urns = {inventory.urn_of(live): live for live in inventory.resources.values()}
    root = stack_urn(inventory.account)
    for result in results:
        policy = policies.get(result.control.id)
        if policy is not None:
            _mark_gaps(result, declared_types(policy), inventory.gaps, urns)
        result.findings = [_named(f, urns, result.control.component, root) for f in result.findings]
    return results, coverage([r.resource for r in records], packs, tallies.declined)


def _config_groups(
    inventory: Inventory, config: Mapping[str, Mapping[str, Any]], user: Mapping[str, Any]
) -> list[tuple[dict[str, Any], list[str]]]:
    """The config to Configure for each group of resources (one group per distinct region facts): each region
    fact goes to every policy that has a setting of that name, unless the user's policy config sets it."""
    groups: dict[str, list[str]] = defaultdict(list)
    for resource_urn, live in inventory.resources.items():
        region = live.region if live.region in inventory.region_facts else GLOBAL
        groups[region].append(resource_urn)
    return [
        (_with_facts(config, inventory.region_facts.get(region, {}), user), members)
        for region, members in groups.items()
    ]


def _with_facts(
    config: Mapping[str, Mapping[str, Any]], found: Mapping[str, Any], user: Mapping[str, Any]
) -> dict[str, Any]:
    """``config`` with each fact the audit found given to every policy that has a setting of that name, unless the
    user's policy config sets it."""
    out = copy.deepcopy(dict(config))
    for setting, value in found.items():
        for policy, settings in out.items():
            given = user.get(policy)
            if setting in settings and not (isinstance(given, Mapping) and setting in given):
                out[policy] = {**settings, setting: value}
    return out


def _stack_config(
    config: Mapping[str, Mapping[str, Any]],
    policies: Mapping[str, Any],
    gaps: Sequence[Gap],
    found: Mapping[str, Any],
    user: Mapping[str, Any],
) -> dict[str, Any]:
    """The config for AnalyzeStack: the account's facts (``Inventory.stack_facts``) given as for resources; an
    account-level policy is told its stack is the account only where every type it reads was read (a failed read is
    no proof that the account lacks the service)."""
    config = _with_facts(config, found, user)
    out = dict(config)
    for name, settings in config.items():
        policy = policies.get(name)
        read_wholly = policy is None or not any(g.types & declared_types(policy) for g in gaps)
        if settings.get(STACK_IS_ACCOUNT) is True and not read_wholly:
            out[name] = {**settings, STACK_IS_ACCOUNT: False}
    return out


def _named(finding: Finding, by_urn: Mapping[str, LiveResource], component: str, root: str) -> Finding:
    """A finding named as the audit names live resources: ARN (or id) and region, with its remediation plan;
    one about the whole "stack" names the account."""
    live = by_urn.get(finding.resource)
    if live is None:
        if finding.resource == root:
            finding.resource, finding.region = f"account {root.split('::')[1]}", GLOBAL
            finding.resource_type = finding.resource_name = ""
        return finding
    finding.resource = live.arn or live.name
    finding.resource_type = live.type
    finding.resource_name = live.name
    finding.region = live.region
    finding.fix = plan(component, live)
    return finding


def _mark_gaps(
    result: ControlResult, types: frozenset[str], gaps: Sequence[Gap], by_urn: Mapping[str, LiveResource]
) -> None:
    """A policy is not assessed where the types it reads (its ``resource-type:`` tags: a resource policy's subjects,
    every type a stack policy reads) could not be read; a violation found elsewhere still stands, but not one on the
    cluster (or its parts) whose reads failed (``Gap.cluster``). A policy of another pack that publishes no types is
    judged on what was read, and its reason lists every gap. Findings still name resources by URN here."""
    if result.status == "not_applicable" and result.reason == DISABLED:
        return
    if types:
        missing = [g for g in gaps if g.types & types]
        if not missing:
            return
        where = "not assessed in " + "; ".join(f"{g.where}: {g.reason}" for g in missing)
        result.findings = [f for f in result.findings if not _unread(by_urn.get(f.resource), missing)]
        if result.status == "violated" and result.findings:
            result.reason = "; ".join(r for r in (result.reason, where) if r)
        else:
            result.status, result.reason = "not_assessed", where
    elif gaps:
        unread = "judged on what was read; not read: " + "; ".join(f"{g.where}: {g.reason}" for g in gaps)
        result.reason = "; ".join(r for r in (result.reason, unread) if r)


def _unread(live: LiveResource | None, gaps: Sequence[Gap]) -> bool:
    return live is not None and any(g.covers(live) for g in gaps)
