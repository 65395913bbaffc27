"""``eksguard audit``: arguments and entry point (the subcommand itself is wired in eksguard/cli.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from eksguard.audit.aws import describe_error
from eksguard.audit.kubernetes.client import KubernetesRefusedError
from eksguard.audit.runner import AuditOptions, run_audit
from eksguard.audit.session import ReadOnlySession, WriteRefusedError
from eksguard.engine.errors import UsageError
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
    parser.add_argument(
        "--endpoint-url",
        help="AWS-compatible endpoint for every service (e.g. a local emulator); the account-level S3 public "
        "access block is then not read (S3 Control puts the account id in the host name)",
    )
    parser.add_argument("--format", choices=FORMATS, default="terminal", help="report format (default: terminal)")
    parser.add_argument("--output", "-o", help="write the report to this file instead of stdout")
    parser.add_argument(
        "--policy-pack-config",
        type=Path,
        metavar="FILE",
        help="JSON policy config in Pulumi's format, as for `check`: enforcement levels, settings and "
        "exemptions, sent to the pack as the Pulumi CLI sends it (default: the pack's defaults)",
    )
    parser.add_argument(
        "--kubernetes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also read each cluster's Kubernetes objects (RBAC, workloads, namespaces, service accounts, network "
        "policies, services, aws-auth) with an EKS token; a cluster whose endpoint is not reachable from here is "
        "not assessed (default: on; --no-kubernetes skips it)",
    )
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        metavar="FILE",
        help="authenticate to the clusters with this kubeconfig (the context whose server is the cluster's "
        "endpoint) instead of an EKS token",
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
        regions = resolve_regions(args, session)
        kubeconfig = getattr(args, "kubeconfig", None)
        if kubeconfig is not None and not Path(kubeconfig).is_file():
            raise ValueError(f"--kubeconfig {kubeconfig}: no such file")
        options = AuditOptions(
            regions=regions,
            policy_pack_config=getattr(args, "policy_pack_config", None),
            kubernetes=getattr(args, "kubernetes", True),
            kubeconfig=kubeconfig,
        )
        with _progress(not getattr(args, "no_progress", False)) as progress:
            task = progress.add_task("auditing regions", total=len(regions))
            report = run_audit(session, options, on_region_done=lambda region: progress.advance(task))
    except (ValueError, UsageError, WriteRefusedError, KubernetesRefusedError) as exc:
        print(f"eksguard audit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ClientError, BotoCoreError) as exc:
        print(f"eksguard audit: {describe_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    color = not getattr(args, "output", None) and sys.stdout.isatty()
    text = render(report, getattr(args, "format", "terminal"), color=color)
    if getattr(args, "output", None):
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"eksguard audit: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return report.exit_code()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eksguard audit", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
