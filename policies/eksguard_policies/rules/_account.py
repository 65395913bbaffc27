"""Account-level services (a multi-region trail, GuardDuty, Inspector, the ECR registry's scanning) are judged
where they are declared.

A stack that declares the service is judged on its declaration. A stack that needs it without declaring it is
often covered by a declaration elsewhere (an organization trail, a delegated GuardDuty administrator, a platform
stack), so the account is asked only when the policy is configured with ``checkAccount: true`` and the
environment has AWS credentials (read-only calls, see :mod:`._aws`); otherwise the answer is "not checkable
offline", with the reason. Policies of such controls are advisory by default (catalogue ``account_level``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ..framework import NotApplicable, StackContext, not_checkable_offline
from ..values import peek
from ._aws import aws_client, aws_errors

T = TypeVar("T")

ACCOUNT_CONFIG: dict[str, dict[str, Any]] = {
    "checkAccount": {
        "type": "boolean",
        "default": False,
        "description": "When the stack does not declare the account-level service, ask the AWS account (read-only, "
        "with the AWS credentials and endpoint settings of the environment). Off: such stacks are not checkable "
        "offline.",
    },
    "stackIsAccount": {
        "type": "boolean",
        "default": False,
        "description": "The stack holds everything the account has of the service, as `eksguard audit` reads it: "
        "what the stack does not declare, the account lacks (a finding, without asking the account). The audit "
        "sets it; leave it off for programs.",
    },
    "awsRegion": {
        "type": "string",
        "default": "",
        "description": "Region to ask when the resource has no region property (default: the environment's).",
    },
}


def kind_and_name(resource: Any) -> str:
    return f"{resource.resource_type.rsplit(':', 1)[-1]} {resource.name}"


def checks_account(ctx: StackContext) -> bool:
    return ctx.config.get("checkAccount") is True


def stack_is_account(ctx: StackContext) -> bool:
    return ctx.config.get("stackIsAccount") is True


def region_of(resource: Any, ctx: StackContext) -> str:
    """The resource's own region property, else the configured awsRegion, else "" (the environment's)."""
    region = peek(resource.props, "region")
    if isinstance(region, str) and region.strip():
        return region.strip()
    configured = ctx.config.get("awsRegion")
    return configured.strip() if isinstance(configured, str) else ""


def by_region(ctx: StackContext, resources: Iterable[Any]) -> dict[str, list[Any]]:
    """``resources`` grouped by :func:`region_of` (one group, "", when none says its region)."""
    groups: dict[str, list[Any]] = {}
    for resource in resources:
        groups.setdefault(region_of(resource, ctx), []).append(resource)
    return groups


def serves(service: Any, region: str, ctx: StackContext) -> bool:
    """Whether a declared account-level service resource serves what needs it in ``region``: the same region, or
    either region unknown (a program's resources usually name none; a live audit's always do)."""
    own = region_of(service, ctx)
    return not own or not region or own == region


def ask(service: str, region: str, topic: str, call: Callable[[Any], T]) -> tuple[T, str]:
    """(answer, where) of ``call(client)`` on a read-only ``service`` client; raises NotApplicable ("not
    checkable offline: ...") when there is no client or the call fails."""
    client, problem = aws_client(service, region, f"to ask the account about {topic}")
    if client is None:
        raise not_checkable_offline(problem)
    where = client.meta.region_name
    try:
        return call(client), where
    except aws_errors() as exc:
        raise not_checkable_offline(f"asking the account about {topic} in {where} failed: {exc}") from None


def not_declared(declared: str, topic: str) -> NotApplicable:
    return not_checkable_offline(
        f"the stack declares {declared}; {topic} is account-level and often declared in another stack "
        "or by the organization (set checkAccount to ask the account, read-only)"
    )


def account_findings(
    ctx: StackContext,
    needers: Iterable[Any],
    *,
    declared: str,
    topic: str,
    service: str,
    lacking: Callable[[Any], list[str]],
) -> list[tuple[str, str | None]]:
    """Findings for the resources that need an account-level service the stack does not settle: ``lacking(client)``
    lists what the account lacks (empty: it has everything). One question per region; none when the stack is the
    account (``stackIsAccount``): then ``declared`` ("no ...") is what the account lacks."""
    if stack_is_account(ctx):
        return [(f"{kind_and_name(r)}: the account has {declared} (read by the audit)", r.urn) for r in needers]
    if not checks_account(ctx):
        raise not_declared(declared, topic)
    findings: list[tuple[str, str | None]] = []
    for region, members in by_region(ctx, needers).items():
        missing, where = ask(service, region, topic, lacking)
        if missing:
            text = " or ".join(missing)
            findings.extend(
                (f"{kind_and_name(r)}: the account has no {text} in {where} (asked {topic})", r.urn) for r in members
            )
    return findings
