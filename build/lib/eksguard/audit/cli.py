"""``eksguard audit``: arguments and entry point (the subcommand itself is wired in eksguard/cli.py)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from eksguard.audit.checks import MAX_AMI_LAG_DAYS
from eksguard.audit.collect import describe_error
from eksguard.audit.runner import run_audit
from eksguard.audit.session import ReadOnlySession
from eksguard.reporters import FORMATS, render

EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", help="AWS shared-config profile (default: the standard credential chain)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--region",
        action="append",
        dest="regions",
        metavar="REGION",
        help="region to scan; repeat for several (default: the profile's region)",
    )
    where.add_argument("--all-regions", action="store_true", help="scan every region enabled for the account")
    parser.add_argument("--endpoint-url", help="AWS-compatible endpoint for every service (e.g. a local emulator)")
    parser.add_argument("--format", choices=FORMATS, default="terminal", help="report format (default: terminal)")
    parser.add_argument("--output", "-o", help="write the report to this file instead of stdout")
    parser.add_argument(
        "--max-ami-age-days",
        type=int,
        default=MAX_AMI_LAG_DAYS,
        help=f"days a node group may lag behind the newest recommended AMI release (default {MAX_AMI_LAG_DAYS})",
    )
    parser.add_argument("--no-progress", action="store_true", help="do not show the per-region progress display")


def resolve_regions(args: argparse.Namespace, session: ReadOnlySession) -> list[str]:
    if getattr(args, "all_regions", False):
        base = session.boto_session.region_name or "us-east-1"
        found = session.client("ec2", base).describe_regions()["Regions"]  # only regions enabled for the account
        return sorted(r["RegionName"] for r in found)
    regions = list(dict.fromkeys(args.regions or []))
    if not regions and session.boto_session.region_name:
        regions = [session.boto_session.region_name]
    if not regions:
        raise ValueError("no region: pass --region REGION (repeatable) or --all-regions, or set one in the profile")
    return regions


def _progress(enabled: bool) -> Any:
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    return Progress(console=console, transient=True, disable=not (enabled and console.is_terminal))


def run(args: argparse.Namespace) -> int:
    try:
        session = ReadOnlySession(
            profile=getattr(args, "profile", None), endpoint_url=getattr(args, "endpoint_url", None)
        )
        if getattr(args, "max_ami_age_days", 0) < 0:
            raise ValueError(f"--max-ami-age-days is {args.max_ami_age_days}; accepted values: 0 or more days")
        regions = resolve_regions(args, session)
        with _progress(not getattr(args, "no_progress", False)) as progress:
            task = progress.add_task("auditing regions", total=len(regions))
            report = run_audit(
                session,
                regions,
                max_ami_lag_days=getattr(args, "max_ami_age_days", MAX_AMI_LAG_DAYS),
                on_region_done=lambda region: progress.advance(task),
            )
    except ValueError as exc:
        print(f"eksguard audit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ClientError, BotoCoreError) as exc:
        print(f"eksguard audit: {describe_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    color = not getattr(args, "output", None) and sys.stdout.isatty()
    text = render(report, getattr(args, "format", "terminal"), color=color)
    if getattr(args, "output", None):
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return report.exit_code()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eksguard audit", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
