"""The command line: ``eksguard check`` (offline verdict through the policy protocol) and ``eksguard audit``."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import NoReturn

from eksguard_policies import facts

from eksguard.reporters import FORMATS

REPO_ROOT = Path(__file__).resolve().parent.parent
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One clear line (and exit 2), not the whole usage text.
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--program",
        type=Path,
        default=REPO_ROOT,
        metavar="DIR",
        help="Pulumi Python project to check (default: the reference stack)",
    )
    parser.add_argument(
        "--stack", default=None, help="stack whose config to load (default: dev, or the project's only stack)"
    )
    parser.add_argument(
        "--policy-pack",
        action="append",
        type=Path,
        dest="policy_packs",
        metavar="DIR",
        help="policy pack directory; repeat for several (default: policies/)",
    )
    parser.add_argument(
        "--policy-pack-config",
        action="append",
        type=Path,
        dest="policy_pack_configs",
        metavar="FILE",
        default=[],
        help="JSON policy config in Pulumi's format, paired with --policy-pack by position",
    )
    parser.add_argument(
        "--fixtures",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="invoke answers (JSON or YAML, format in docs/fixtures.md), searched before the embedded defaults",
    )
    parser.add_argument(
        "--live-lookups",
        action="store_true",
        help="answer the known invokes with read-only boto3 calls instead of fixtures",
    )
    parser.add_argument(
        "--assume-apply",
        action="store_true",
        help="as an update, not a preview: ids, ARNs and EKS cluster outputs get placeholders (docs/fixtures.md)",
    )
    parser.add_argument("--format", choices=FORMATS, default="terminal", help="report format (default: terminal)")
    parser.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the report here, not to stdout")
    parser.add_argument(
        "--show-remediations", action="store_true", help="print the property changes policies at level remediate made"
    )
    parser.add_argument(
        "--source-root",
        type=Path,
        metavar="DIR",
        help="root that report file paths are relative to (default: the enclosing git repo)",
    )
    parser.add_argument("--no-progress", action="store_true", help="never draw the progress display")


def run_check_command(args: argparse.Namespace) -> int:
    from eksguard.check import CheckOptions, run_check
    from eksguard.engine import ProgramError, UsageError
    from eksguard.reporters import render
    from eksguard.reporters.terminal import RichProgress

    options = CheckOptions(
        program=args.program,
        stack=args.stack,
        policy_packs=args.policy_packs or [REPO_ROOT / "policies"],
        policy_pack_configs=args.policy_pack_configs,
        fixtures=args.fixtures,
        live_lookups=args.live_lookups,
        assume_apply=args.assume_apply,
        source_root=args.source_root,
    )
    try:
        with RichProgress(enabled=False if args.no_progress else None) as progress:
            outcome = run_check(options, progress=progress)
    except UsageError as exc:
        print(f"eksguard check: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ProgramError as exc:
        print(f"eksguard check: {exc}", file=sys.stderr)
        if exc.program_traceback:
            print(exc.program_traceback, file=sys.stderr, end="")
        return EXIT_USAGE

    interactive = args.output is None and sys.stdout.isatty()
    width = shutil.get_terminal_size((120, 24)).columns if interactive else 120
    text = render(outcome.report, args.format, color=interactive, width=width, show_remediations=args.show_remediations)
    if args.output is not None:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"eksguard check: error: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
    else:
        sys.stdout.write(text)
    return outcome.report.exit_code()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="eksguard", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {facts.VERSION}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{check,audit}", parser_class=_Parser)
    check = commands.add_parser("check", help="offline verdict on a Pulumi Python program through the policy pack")
    _add_check_arguments(check)
    check.set_defaults(handler=run_check_command)
    _add_audit(commands)
    return parser


def _add_audit(commands: argparse._SubParsersAction) -> None:
    """Register ``audit`` when its module loads; ``check`` must keep working whatever state the audit is in."""
    try:
        from eksguard.audit import cli as audit_cli
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("eksguard.audit"):
            return  # not built yet
        broken: Exception = exc
    except Exception as exc:
        broken = exc
    else:
        audit = commands.add_parser("audit", help="live read-only audit of an AWS account's EKS clusters")
        audit_cli.add_arguments(audit)
        audit.set_defaults(handler=audit_cli.run)
        return

    def unavailable(_args: argparse.Namespace) -> int:
        print(
            f"eksguard audit: error: the audit module failed to load: {type(broken).__name__}: {broken}",
            file=sys.stderr,
        )
        return EXIT_USAGE

    audit = commands.add_parser("audit", help="live read-only audit (unavailable: its module failed to load)")
    audit.add_argument("rest", nargs=argparse.REMAINDER)
    audit.set_defaults(handler=unavailable)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)
