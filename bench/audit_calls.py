"""Count the AWS API calls and Kubernetes API requests `eksguard audit` makes as the number of clusters grows.

Each run seeds a fresh moto account (a server on 127.0.0.1) in one region with N compliant clusters (one managed
node group with its own launch template, one access entry, the vpc-cni (Pod Identity) and EBS CSI (IRSA) add-ons,
one Fargate profile and the control-plane log group each; a trail, KMS key, security groups, NACL, ECR repository,
GuardDuty, Inspector and EFS shared), points every cluster's API endpoint at one local Kubernetes API stand-in
holding a small cluster's objects, audits it (the pack judging everything), and counts every AWS request that
reaches botocore's HTTP layer per operation (retries included; the operations moto lacks are answered at the same
layer and counted) and every request the stand-in receives. Prints the counts per operation,
the calls per cluster and the calls that do not depend on the number of clusters.

    .venv/bin/python bench/audit_calls.py [--clusters 1 2 4 8 16]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moto.server import ThreadedMotoServer

from tests.audit.conftest import FAKE_AWS_ENV, account_session
from tests.audit.helpers import audit, audit_session, started_pack
from tests.audit.kube_api import KubeApi, serving
from tests.audit.seed import REGION, seed_compliant, set_endpoint

SMALL_CLUSTER = (
    [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        for name in ("shop", "kube-system", "default")
    ]
    + [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": f"api-{i}", "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": [{"name": "api", "image": "nginx:1.27"}]}}},
        }
        for i in range(5)
    ]
    + [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": f"reader-{i}"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
        }
        for i in range(5)
    ]
)


def count_calls(
    endpoint: str, clusters: int, account_id: str, pack, kube_url: str, kube: KubeApi
) -> tuple[Counter, int]:
    seeded = seed_compliant(account_session(endpoint, account_id), endpoint, account_id, clusters=clusters)
    for index in range(clusters):
        set_endpoint(account_id, REGION, f"good-{index}", kube_url)
    calls: Counter[str] = Counter()
    counter = lambda event_name, **_: calls.update([event_name.split(".", 1)[1]])  # noqa: E731
    session = audit_session(endpoint, account_id, None, counter, seeded.gaps)
    kube.requests.clear()
    _, report = audit(session, pack, [REGION], kubernetes=True)
    assert report.extra["clusters"] == clusters and len(report.extra["kubernetes_clusters"]) == clusters
    return calls, len(kube.requests)


def _table(title: str, runs: dict[int, Counter], sizes: list[int]) -> None:
    operations = sorted(set().union(*runs.values()))
    print(title)
    print(f"{'operation':<48}" + "".join(f"{'N=' + str(n):>8}" for n in sizes))
    for op in operations:
        print(f"{op:<48}" + "".join(f"{runs[n][op]:>8}" for n in sizes))
    totals = {n: sum(runs[n].values()) for n in sizes}
    print(f"{'total':<48}" + "".join(f"{totals[n]:>8}" for n in sizes))
    if len(sizes) > 1:
        first, last = sizes[0], sizes[-1]
        per_cluster = (totals[last] - totals[first]) / (last - first)
        fixed = {n: totals[n] - per_cluster * n for n in sizes}
        constant = all(abs(fixed[n] - fixed[first]) < 1e-9 for n in sizes)
        print(f"calls per cluster: {per_cluster:g}")
        print("calls independent of N: " + ", ".join(f"N={n}: {fixed[n]:g}" for n in sizes))
        print("linear with constant per-cluster and fixed cost: " + ("yes" if constant else "NO"))
    print()


def main() -> None:
    os.environ.update(FAKE_AWS_ENV)
    os.environ.pop("AWS_PROFILE", None)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    sizes = sorted(set(parser.parse_args().clusters))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    kube = KubeApi()
    kube.add(*SMALL_CLUSTER)
    try:
        with started_pack() as pack, serving(kube) as kube_url:
            runs = {n: count_calls(endpoint, n, f"{900000000000 + n:012d}", pack, kube_url, kube) for n in sizes}
    finally:
        server.stop()
    print(f"one region, N clusters (1 node group each); moto at {endpoint}\n")
    _table("AWS API calls by operation", {n: runs[n][0] for n in sizes}, sizes)
    _table("Kubernetes API requests (all kinds)", {n: Counter(requests=runs[n][1]) for n in sizes}, sizes)


if __name__ == "__main__":
    main()
