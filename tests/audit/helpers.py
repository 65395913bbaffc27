"""Shared test helpers: the pack started as the Pulumi CLI starts it, an audit run against the moto server, and
a Report's findings as a set."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from eksguard_policies.catalogue import default_catalogue

from eksguard.audit.judging import audit_config
from eksguard.audit.live import GLOBAL, Inventory
from eksguard.audit.runner import AuditOptions, build_report, collect
from eksguard.audit.session import ReadOnlySession
from eksguard.judge.packs import PackRun, StackIdentity, configure_pack
from eksguard.protocol.analyzer import PolicyPackProcess
from eksguard.reporters.model import Report
from tests.audit.conftest import account_session
from tests.audit.moto_gaps import MotoGaps
from tests.audit.seed import TODAY

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
AS_OF = {policy: {"asOf": TODAY.isoformat()} for policy in ("eks-version-standard-support", "nodegroup-ami-age")}
"""The policy config the tests judge with: ages and support as of the seed's date."""


@contextmanager
def started_pack(config: dict[str, Any] | None = None) -> Iterator[PackRun]:
    """The eksguard pack started and configured as the audit does (Configure with ``config`` and the audit's
    account-level settings, ConfigureStack with dry_run false)."""
    with ExitStack() as stack:
        process = PolicyPackProcess(PACK_DIR)
        stack.callback(process.stop)
        process.start()
        identity = StackIdentity(GLOBAL, "eksguard-tests", dry_run=False)
        yield configure_pack(process, identity, audit_config(config or AS_OF, default_catalogue()), None)


def audit_session(endpoint: str, account: str, gaps: MotoGaps | None = None, *handlers: Any) -> ReadOnlySession:
    boto_session = account_session(endpoint, account)
    for handler in (gaps, *handlers):
        if handler is not None:
            boto_session.events.register("before-send", handler)
    return ReadOnlySession(boto_session=boto_session, endpoint_url=endpoint)


def audit(
    session: ReadOnlySession,
    pack: PackRun,
    regions: list[str],
    user_config: dict[str, Any] | None = None,
    **options: Any,
) -> tuple[Inventory, Report]:
    """Read the account and judge it with ``pack`` (already configured with ``user_config``)."""
    chosen = AuditOptions(regions=regions, **{"kubernetes": False, **options})
    inventory = collect(session, chosen, TODAY)
    return inventory, build_report(inventory, pack, user_config or AS_OF, chosen, session)


def finding_set(report: Report) -> set[tuple[str, str]]:
    return {(f.control_id, f.resource) for r in report.results for f in r.findings if r.status == "violated"}


def statuses(report: Report) -> dict[str, str]:
    return {r.control.id: r.status for r in report.results}
