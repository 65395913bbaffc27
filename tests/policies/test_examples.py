"""The pack against whole programs: the reference stack has zero violations, the insecure example breaks every
resource control.

Each program runs under eksguard's embedded engine (eksguard.engine.run_program, mocks in preview mode) in a
child process, so its Pulumi runtime state never mixes with this test process; the recorded resources, in wire
form, then go to the real pack over the protocol (Analyze per resource, AnalyzeStack for the whole stack).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eksguard_policies.catalogue import default_catalogue
from eksguard_policies.framework import collect
from eksguard_policies.rules import rule_modules

from eksguard.protocol.analyzer import Resource

from .pack_driver import PREVIEW_MARKER, REPO, PackDriver

RUN_PROGRAM = """
import json, sys
from pathlib import Path
from eksguard.engine import InvokeFixtures, load_project, run_program
from eksguard.engine.runner import default_variables
project = load_project(sys.argv[1], sys.argv[2])
fixtures = InvokeFixtures([Path(p) for p in sys.argv[3:]], variables=default_variables("us-east-1"))
run = run_program(project, fixtures=fixtures)
json.dump([
    {"type": r.resource.type, "name": r.resource.name, "urn": r.resource.urn, "parent": r.resource.parent,
     "properties": r.resource.properties, "dependencies": list(r.resource.dependencies),
     "property_dependencies": {k: list(v) for k, v in r.resource.property_dependencies.items()},
     "provider": r.resource.provider}
    for r in run.resources
], sys.stdout)
"""
RESOURCE_CONTROLS = {cid for cid, spec in collect(rule_modules()).rules.items() if spec.kind == "resource"}


@dataclass(frozen=True)
class Finding:
    policy: str
    resource: str
    message: str

    def __str__(self) -> str:
        return f"{self.policy} on {self.resource}: {self.message.splitlines()[-1]}"


def run_program(directory: str, stack: str = "dev", fixtures: tuple[str, ...] = ()) -> list[Resource]:
    done = subprocess.run(
        [sys.executable, "-c", RUN_PROGRAM, str(REPO / directory), stack, *(str(REPO / f) for f in fixtures)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"program {directory} failed under the engine:\n{done.stderr[-3000:]}"
    return [Resource(**r) for r in json.loads(done.stdout)]


def findings(pack: PackDriver, resources: list[Resource]) -> list[Finding]:
    found = []
    for r in resources:
        for d in pack.process.analyze(r).diagnostics:
            if PREVIEW_MARKER not in d.message:
                found.append(Finding(d.policy, r.name, d.message))
    by_urn = {r.urn: r.name for r in resources}
    for d in pack.process.analyze_stack(resources).diagnostics:
        if PREVIEW_MARKER not in d.message:
            found.append(Finding(d.policy, by_urn.get(d.urn, d.urn or "stack"), d.message))
    return found


@pytest.fixture(scope="module")
def reference() -> Iterator[list[Resource]]:
    yield run_program(".")


@pytest.fixture(scope="module")
def insecure() -> Iterator[list[Resource]]:
    yield run_program("examples/insecure")


def test_reference_stack_has_no_violations(pack: PackDriver, reference: list[Resource]) -> None:
    assert len(reference) > 20, "the reference stack registered suspiciously few resources"
    found = findings(pack, reference)
    assert found == [], "reference stack violations:\n" + "\n".join(map(str, found))


def test_insecure_example_breaks_every_resource_control(pack: PackDriver, insecure: list[Resource]) -> None:
    violated = {f.policy for f in findings(pack, insecure)}
    assert sorted(RESOURCE_CONTROLS - violated) == []


STACK_CONTROLS = {cid for cid, spec in collect(rule_modules()).rules.items() if spec.kind == "stack"}
ACCOUNT_LEVEL = {cid for cid, control in default_catalogue().items() if control.account_level}


def test_insecure_example_breaks_every_stack_control_judged_offline(pack: PackDriver, insecure: list[Resource]) -> None:
    violated = {f.policy for f in findings(pack, insecure)}
    assert sorted(STACK_CONTROLS - ACCOUNT_LEVEL - violated) == []
    assert set(default_catalogue()) >= violated


def test_insecure_example_account_services_are_not_checkable_offline(
    pack: PackDriver, insecure: list[Resource]
) -> None:
    reasons = pack.process.analyze_stack(insecure).not_applicable
    # its multi-region data-events trail satisfies stack-multi-region-trail; GuardDuty and Inspector are not settled
    assert {p for p in ACCOUNT_LEVEL if reasons.get(p, "").startswith("not checkable offline: ")} == {
        "stack-guardduty-eks-protection",
        "stack-inspector-scanning",
    }


HELM_PROGRAM = "tests/policies/programs/helm_chart"
CHART = "kubernetes:helm.sh/v3:Chart"


def test_helm_chart_children_are_checked_like_any_resource(pack: PackDriver) -> None:
    resources = run_program(HELM_PROGRAM, fixtures=(f"{HELM_PROGRAM}/fixtures.yaml",))
    chart = next(r.urn for r in resources if r.type == CHART)
    children = {r.name: r for r in resources if r.parent == chart}
    assert {name: r.type for name, r in children.items()} == {
        "monitoring/node-agent": "kubernetes:apps/v1:DaemonSet",
        "node-agent-cleanup": "kubernetes:batch/v1:CronJob",
    }
    found = {(f.resource, f.policy) for f in findings(pack, list(children.values()))}
    stack_policy = "stack-namespace-network-policy"
    daemonset = {"workload-privileged", "workload-host-namespaces", "workload-privilege-escalation"}
    daemonset |= {"workload-run-as-root", "workload-image-unpinned", "workload-image-registry"}
    daemonset |= {"workload-capabilities", "workload-sa-token-automount", "workload-readonly-root-filesystem"}
    daemonset |= {"workload-seccomp-profile", "workload-resource-limits"}
    # The CronJob sets no namespace: its provider's ("monitoring") applies, so its image, root filesystem and limits
    # are at fault...
    cronjob = {"workload-image-unpinned", "workload-image-registry", "workload-readonly-root-filesystem"}
    cronjob |= {"workload-resource-limits"}
    expected = {("monitoring/node-agent", p) for p in daemonset} | {("node-agent-cleanup", p) for p in cronjob}
    assert {f for f in found if f[1] != stack_policy} == expected
    # ...and both workloads share one namespace without a NetworkPolicy: one stack finding, not two.
    stack = pack.process.analyze_stack(resources).diagnostics
    messages = [d.message.splitlines()[-1] for d in stack if d.policy == stack_policy]
    assert len(messages) == 1 and messages[0].startswith("namespace monitoring runs "), messages
