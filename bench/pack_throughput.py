"""Policy pack throughput over the analyzer protocol: the full eksguard pack (fast and stock servicer) against an
empty pack (one no-op policy), on the same resources, in one run; then AnalyzeStack on generated stacks of
node groups, to show it grows linearly.

Resources: the reference stack as the embedded engine records it (about 120 resources of every kind the
stack declares); the policy test CASES when the engine cannot run it. Each pack is started as the Pulumi CLI
starts it and configured with its schema defaults; rounds alternate between the packs so machine load hits
them alike, and the median round counts. Besides wall-clock rates it prints resources per second of the pack
process's own CPU time, which shared-machine load disturbs much less.

``--baseline DIR`` adds another pack (say, ``git archive <commit> policies | tar -x -C DIR``: DIR/policies) to
both measurements, so a change is measured against the code before it in the same run.

The stacks for AnalyzeStack (``--stack-sizes``): per node group a security group with two rules, a launch
template, an IAM role with three policy attachments (by reference) and the managed node group (its launch
template, role and three shared subnets by reference): 9 resources each, every reference a property dependency
the graph-following stack rules walk.

    .venv/bin/python bench/pack_throughput.py [--rounds 7] [--seconds 1.0] [--baseline DIR] [--stack-sizes 100 1000]
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
from eksguard.protocol.wire import UNKNOWN  # noqa: E402

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


def _urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:dev::bench::{resource_type}::{name}"


def _res(resource_type: str, name: str, props: dict, deps: dict[str, list[str]] | None = None) -> Resource:
    deps = deps or {}
    return Resource(
        type=resource_type,
        name=name,
        urn=_urn(resource_type, name),
        properties=props,
        dependencies=sorted({u for urns in deps.values() for u in urns}),
        property_dependencies=deps,
    )


EC2_TRUST = json.dumps(
    {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
)


def node_group_stack(count: int) -> list[Resource]:
    """``count`` hardened node groups in three shared private subnets, wire form with preview unknowns."""
    subnets = [
        _res("aws:ec2/subnet:Subnet", f"private-{z}", {"vpcId": "vpc-0e01", "cidrBlock": f"10.0.{z}.0/24"})
        for z in range(3)
    ]
    out = list(subnets)
    for i in range(count):
        n = f"ng-{i}"
        sg = _res("aws:ec2/securityGroup:SecurityGroup", f"{n}-sg", {"vpcId": "vpc-0e01", "description": n})
        out.append(sg)
        for kind, rule, props in (
            (
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                "from-cluster",
                {
                    "ipProtocol": "tcp",
                    "fromPort": 10250.0,
                    "toPort": 10250.0,
                    "referencedSecurityGroupId": "sg-0c1u5",
                    "description": "kubelet",
                },
            ),
            (
                "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
                "to-vpc",
                {"ipProtocol": "-1", "cidrIpv4": "10.0.0.0/16", "description": "nodes to the VPC"},
            ),
        ):
            out.append(_res(kind, f"{n}-{rule}", {**props, "securityGroupId": UNKNOWN}, {"securityGroupId": [sg.urn]}))
        lt = _res(
            "aws:ec2/launchTemplate:LaunchTemplate",
            f"{n}-lt",
            {
                "vpcSecurityGroupIds": [UNKNOWN],
                "metadataOptions": {
                    "httpTokens": "required",
                    "httpPutResponseHopLimit": 1.0,
                    "httpEndpoint": "enabled",
                },
                "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 50.0}}],
            },
            {"vpcSecurityGroupIds": [sg.urn]},
        )
        role = _res("aws:iam/role:Role", f"{n}-role", {"assumeRolePolicy": EC2_TRUST})
        out += [lt, role]
        for policy in (
            "AmazonEKSWorkerNodePolicy",
            "AmazonSSMManagedInstanceCore",
            "AmazonEC2ContainerRegistryReadOnly",
        ):
            out.append(
                _res(
                    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                    f"{n}-{policy}",
                    {"role": UNKNOWN, "policyArn": f"arn:aws:iam::aws:policy/{policy}"},
                    {"role": [role.urn]},
                )
            )
        out.append(
            _res(
                "aws:eks/nodeGroup:NodeGroup",
                n,
                {
                    "clusterName": "bench",
                    "nodeRoleArn": UNKNOWN,
                    "subnetIds": [UNKNOWN] * 3,
                    "scalingConfig": {"desiredSize": 2.0, "minSize": 1.0, "maxSize": 3.0},
                    "amiType": "AL2023_x86_64_STANDARD",
                    "launchTemplate": {"id": UNKNOWN, "version": "$Latest"},
                },
                {"nodeRoleArn": [role.urn], "subnetIds": [s.urn for s in subnets], "launchTemplate": [lt.urn]},
            )
        )
    return out


def stack_times(packs: dict[str, PolicyPackProcess], sizes: list[int], rounds: int) -> dict[str, dict[int, float]]:
    """Median seconds of one AnalyzeStack call per pack and stack size (rounds alternate between packs)."""
    times: dict[str, dict[int, list[float]]] = {label: {n: [] for n in sizes} for label in packs}
    stacks = {n: node_group_stack(n) for n in sizes}
    for _ in range(rounds):
        for n in sizes:
            for label, process in packs.items():
                start = time.perf_counter()
                result = process.analyze_stack(stacks[n])
                times[label][n].append(time.perf_counter() - start)
                violations = [d for d in result.diagnostics if "during preview" not in d.message]
                assert not violations, f"{label}: the hardened stack of {n} node groups violates {violations[0]}"
    return {label: {n: statistics.median(v) for n, v in by_size.items()} for label, by_size in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one pack's turn in a round")
    parser.add_argument("--baseline", type=Path, help="another pack directory to measure alongside (e.g. main's)")
    parser.add_argument("--stack-sizes", type=int, nargs="*", default=[100, 1000])
    parser.add_argument("--stack-rounds", type=int, default=3)
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
        if args.baseline is not None:
            packs["baseline, fast servicer"] = PolicyPackProcess(args.baseline)
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
            eksguard_packs = {label: p for label, p in packs.items() if not label.startswith("empty")}
            stacks = (
                stack_times(eksguard_packs, sorted(args.stack_sizes), args.stack_rounds) if args.stack_sizes else {}
            )
        finally:
            for process in packs.values():
                process.stop()

    types = len({r.type for r in resources})
    print(f"resources: {len(resources)} of {types} types from the {source}; {args.rounds} rounds x {args.seconds}s")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    wall = {label: statistics.median(w for w, _ in values) for label, values in rates.items()}
    cpu = {label: statistics.median(c for _, c in values) for label, values in rates.items()}
    empty = next(iter(packs))

    def per_round(label: str, index: int) -> float:
        """Median over rounds of the ratio to the empty pack measured in the same round (drift cancels out)."""
        return statistics.median(
            mine[index] / base[index] for mine, base in zip(rates[label], rates[empty], strict=True)
        )

    print(
        f"{'pack':30} {'policies':>8} {'res/s (wall)':>13} {'vs empty':>9} {'res/CPU-s':>10} {'vs empty':>9} "
        f"{'per-round wall/CPU':>19}"
    )
    for label in packs:
        print(
            f"{label:30} {policies[label]:>8} {wall[label]:>13.0f} {wall[label] / wall[empty]:>9.0%} "
            f"{cpu[label]:>10.0f} {cpu[label] / cpu[empty]:>9.0%} "
            f"{per_round(label, 0):>11.0%} / {per_round(label, 1):.0%}"
        )
    if stacks:
        sizes = sorted(args.stack_sizes)
        print(f"\nAnalyzeStack, median of {args.stack_rounds} (9 resources per node group + 3 subnets):")
        print(f"{'pack':30} " + " ".join(f"{f'{n} ng (s)':>12}" for n in sizes) + f" {'ratio':>7}")
        for label, by_size in stacks.items():
            ratio = by_size[sizes[-1]] / by_size[sizes[0]] if len(sizes) > 1 else float("nan")
            print(f"{label:30} " + " ".join(f"{by_size[n]:>12.3f}" for n in sizes) + f" {ratio:>6.1f}x")


if __name__ == "__main__":
    main()
