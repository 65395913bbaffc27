"""Policy pack throughput over the analyzer protocol: the full eksguard pack (fast and stock servicer) against an
empty pack (one no-op policy), on the same resources, in one run.

Resources: the reference stack as the embedded engine records it (about 120 resources of every kind the
stack declares); the policy test CASES when the engine cannot run it. Each pack is started as the Pulumi CLI
starts it and configured with its schema defaults; rounds alternate between the packs so machine load hits
them alike, and the median round counts. Besides wall-clock rates it prints resources per second of the pack
process's own CPU time, which shared-machine load disturbs much less.

    .venv/bin/python bench/pack_throughput.py [--rounds 7] [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "policies")]

from eksguard.protocol.analyzer import PolicyPackProcess, Resource, config_with_defaults  # noqa: E402

EMPTY_PACK = """
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

def nothing(args, report_violation):
    return None

PolicyPack(name="empty", policies=[ResourceValidationPolicy("noop", "does nothing", nothing)],
           enforcement_level=EnforcementLevel.ADVISORY)
"""
RECORD = """
import json, sys
from eksguard.engine import load_project, run_program
run = run_program(load_project(sys.argv[1], "dev"))
json.dump([{"type": r.resource.type, "name": r.resource.name, "urn": r.resource.urn,
            "properties": r.resource.properties, "provider": r.resource.provider} for r in run.resources], sys.stdout)
"""


def reference_resources() -> tuple[list[Resource], str]:
    done = subprocess.run([sys.executable, "-c", RECORD, str(REPO)], cwd=REPO, capture_output=True, text=True)
    if done.returncode == 0:
        return [Resource(**r) for r in json.loads(done.stdout)], "reference stack (__main__.py, stack dev)"
    from tests.policies.gather import all_cases

    cases = all_cases()
    return [c.resource() for c in cases], "tests/policies CASES (engine failed)"


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name (field 3 onwards)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _children() -> set[int]:
    """Live child processes of this process (Linux /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == os.getpid():
                    found.add(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def start_pack(process: PolicyPackProcess) -> int:
    """Start ``process``; the pid of the pack interpreter it spawned."""
    before = _children()
    process.start()
    (pid,) = _children() - before
    return pid


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rate(process: PolicyPackProcess, pid: int, resources: list[Resource], seconds: float) -> tuple[float, float]:
    """Resources per wall-clock second and per second of the pack's own CPU time."""
    requests = [r.analyze_request() for r in resources]
    count, start, cpu = 0, time.perf_counter(), _cpu_seconds(pid)
    while time.perf_counter() - start < seconds:
        for request in requests:
            process.stub.Analyze(request)
        count += len(requests)
    wall, cpu = time.perf_counter() - start, _cpu_seconds(pid) - cpu
    return count / wall, count / cpu if cpu > 0 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one pack's turn in a round")
    args = parser.parse_args()

    resources, source = reference_resources()
    with tempfile.TemporaryDirectory() as tmp:
        empty_dir = Path(tmp) / "empty"
        empty_dir.mkdir()
        (empty_dir / "PulumiPolicy.yaml").write_text("runtime: python\n")
        (empty_dir / "__main__.py").write_text(EMPTY_PACK)
        packs = {
            "empty pack (1 no-op policy)": PolicyPackProcess(empty_dir),
            "eksguard, fast servicer": PolicyPackProcess(REPO / "policies"),
            "eksguard, stock servicer": PolicyPackProcess(
                REPO / "policies", env={**os.environ, "EKSGUARD_STOCK_ANALYZER": "1"}
            ),
        }
        try:
            policies, pids = {}, {}
            for label, process in packs.items():
                pids[label] = start_pack(process)
                info = process.get_analyzer_info()
                policies[label] = len(info.policies)
                process.configure(config_with_defaults(info))
                process.configure_stack(stack="dev", project="bench")
                rate(process, pids[label], resources, 0.3)  # warm up
            rates: dict[str, list[tuple[float, float]]] = {label: [] for label in packs}
            for _ in range(args.rounds):
                for label, process in packs.items():
                    rates[label].append(rate(process, pids[label], resources, args.seconds))
        finally:
            for process in packs.values():
                process.stop()

    types = len({r.type for r in resources})
    print(f"resources: {len(resources)} of {types} types from the {source}; {args.rounds} rounds x {args.seconds}s")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    wall = {label: statistics.median(w for w, _ in values) for label, values in rates.items()}
    cpu = {label: statistics.median(c for _, c in values) for label, values in rates.items()}
    empty = next(iter(packs))
    print(f"{'pack':30} {'policies':>8} {'res/s (wall)':>13} {'vs empty':>9} {'res/CPU-s':>10} {'vs empty':>9}")
    for label in packs:
        print(
            f"{label:30} {policies[label]:>8} {wall[label]:>13.0f} {wall[label] / wall[empty]:>9.0%} "
            f"{cpu[label]:>10.0f} {cpu[label] / cpu[empty]:>9.0%}"
        )


if __name__ == "__main__":
    main()
