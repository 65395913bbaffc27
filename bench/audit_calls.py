"""Count the AWS API calls `eksguard audit` makes as the number of clusters grows (against a local moto server).

Each run seeds a fresh moto account in one region with N compliant clusters (one managed node group with a
launch template each, a trail, KMS key, security groups, NACL) and audits it, counting every request that
reaches the HTTP layer per operation. Prints the counts per operation, the calls per cluster and the calls
that do not depend on the number of clusters (per region and per account).

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

from eksguard.audit.runner import run_audit
from eksguard.audit.session import ReadOnlySession
from tests.audit.conftest import FAKE_AWS_ENV, account_session
from tests.audit.helpers import audit_catalogue
from tests.audit.seed import REGION, TODAY, seed_compliant


def count_calls(endpoint: str, clusters: int, account_id: str) -> Counter[str]:
    seed_compliant(account_session(endpoint, account_id), endpoint, account_id, clusters=clusters)
    calls: Counter[str] = Counter()
    boto_session = account_session(endpoint, account_id)
    boto_session.events.register("before-send", lambda event_name, **_: calls.update([event_name.split(".", 1)[1]]))
    session = ReadOnlySession(boto_session=boto_session, endpoint_url=endpoint)
    report = run_audit(session, [REGION], today=TODAY, catalogue=audit_catalogue())
    assert report.extra["clusters"] == clusters
    return calls


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
    try:
        runs = {n: count_calls(endpoint, n, f"{900000000000 + n:012d}") for n in sizes}
    finally:
        server.stop()

    operations = sorted(set().union(*runs.values()))
    print(f"API calls by operation, one region, N clusters (1 node group each); moto at {endpoint}\n")
    print(f"{'operation':<48}" + "".join(f"{'N=' + str(n):>8}" for n in sizes))
    for op in operations:
        print(f"{op:<48}" + "".join(f"{runs[n][op]:>8}" for n in sizes))
    totals = {n: sum(runs[n].values()) for n in sizes}
    print(f"{'total':<48}" + "".join(f"{totals[n]:>8}" for n in sizes))
    if len(sizes) > 1:
        first, last = sizes[0], sizes[-1]
        per_cluster = (totals[last] - totals[first]) / (last - first)
        print(f"\ncalls per cluster: {per_cluster:g}")
        fixed = {n: totals[n] - per_cluster * n for n in sizes}
        print("calls independent of N (per region + per account): " + ", ".join(f"N={n}: {fixed[n]:g}" for n in sizes))
        constant = all(abs(fixed[n] - fixed[first]) < 1e-9 for n in sizes)
        print("linear with constant per-cluster and per-region cost: " + ("yes" if constant else "NO"))


if __name__ == "__main__":
    main()
