"""Time `eksguard check` on generated stacks of 10, 100 and 1000 node groups.

Each node group comes with its launch template, security group (and two rules), IAM role and a
Kubernetes Role and RoleBinding; once per stack: the EKS cluster (secrets encrypted, deletion protection), its
role, its log group, the vpc-cni add-on on its own Pod Identity role with the agent, a multi-region trail and the
Kubernetes provider. All hardened, so every stack passes and the whole pack
runs on every resource. One run per
size; prints the wall-clock time of `python -m eksguard check` (process start to exit), resources per
second and the ratio to the previous size. Target: the 1000 case within 12x the 100 case.

    .venv/bin/python bench/check_scale.py [--sizes 10 100 1000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PROGRAM_HEAD = """
import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

COUNT = {count}
KEY = "arn:aws:kms:eu-west-1:123456789012:key/0e0e0e0e-0000-4000-8000-000000000001"
cluster_role = aws.iam.Role("cluster-role", assume_role_policy=json.dumps({{
    "Version": "2012-10-17",
    "Statement": [{{"Effect": "Allow", "Principal": {{"Service": "eks.amazonaws.com"}}, "Action": "sts:AssumeRole"}}],
}}))
logs = aws.cloudwatch.LogGroup("bench-logs", name="/aws/eks/bench/cluster", retention_in_days=365, kms_key_id=KEY)
cluster = aws.eks.Cluster(
    "bench",
    name="bench",
    role_arn=cluster_role.arn,
    deletion_protection=True,
    version="1.34",
    vpc_config={{"subnet_ids": ["subnet-0a", "subnet-0b"], "endpoint_private_access": True,
                 "endpoint_public_access": False}},
    access_config={{"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False}},
    enabled_cluster_log_types=["api", "audit", "authenticator", "controllerManager", "scheduler"],
    encryption_config={{"resources": ["secrets"], "provider": {{"key_arn": KEY}}}},
    opts=pulumi.ResourceOptions(depends_on=[logs]),
)
agent = aws.eks.Addon("pod-identity-agent", cluster_name=cluster.name, addon_name="eks-pod-identity-agent")
aws.eks.Addon("vpc-cni", cluster_name=cluster.name, addon_name="vpc-cni",
    configuration_values=json.dumps({{"enableNetworkPolicy": "true"}}),
    pod_identity_associations=[{{"role_arn": "arn:aws:iam::123456789012:role/bench-vpc-cni",
                                 "service_account": "aws-node"}}],
    opts=pulumi.ResourceOptions(depends_on=[agent]))
aws.cloudtrail.Trail("trail", s3_bucket_name="bench-trail-logs", is_multi_region_trail=True,
    enable_log_file_validation=True, kms_key_id=KEY,
    cloud_watch_logs_group_arn="arn:aws:logs:eu-west-1:123456789012:log-group:trail:*",
    cloud_watch_logs_role_arn="arn:aws:iam::123456789012:role/trail-to-logs")
provider = k8s.Provider("k8s", kubeconfig="{{}}")
"""

NODE_GROUP = """
for i in range(COUNT):
    name = f"ng-{{i}}"
    sg = aws.ec2.SecurityGroup(f"{{name}}-sg", vpc_id="vpc-0e01", description=f"nodes of {{name}}")
    aws.vpc.SecurityGroupIngressRule(f"{{name}}-from-cluster", security_group_id=sg.id, ip_protocol="tcp",
        from_port=10250, to_port=10250, referenced_security_group_id="sg-0c1u5", description="kubelet from the cluster")
    aws.vpc.SecurityGroupEgressRule(f"{{name}}-to-vpc", security_group_id=sg.id, ip_protocol="-1",
        cidr_ipv4="10.0.0.0/16", description="nodes to the VPC")
    lt = aws.ec2.LaunchTemplate(f"{{name}}-lt", vpc_security_group_ids=[sg.id],
        metadata_options={{"http_tokens": "required", "http_put_response_hop_limit": 1, "http_endpoint": "enabled"}},
        block_device_mappings=[{{"device_name": "/dev/xvda", "ebs": {{"encrypted": "true", "volume_size": 50}}}}])
    role = aws.iam.Role(f"{{name}}-role", assume_role_policy=json.dumps({{
        "Version": "2012-10-17",
        "Statement": [{{"Effect": "Allow", "Principal": {{"Service": "ec2.amazonaws.com"}},
                        "Action": "sts:AssumeRole"}}],
    }}))
    aws.eks.NodeGroup(name, cluster_name=cluster.name, node_role_arn=role.arn, subnet_ids=["subnet-0a"],
        scaling_config={{"desired_size": 2, "min_size": 1, "max_size": 3}}, ami_type="AL2023_x86_64_STANDARD",
        launch_template={{"id": lt.id, "version": "$Latest"}})
    opts = pulumi.ResourceOptions(provider=provider)
    k8s.rbac.v1.Role(f"{{name}}-reader", metadata={{"namespace": f"team-{{i}}"}},
        rules=[{{"api_groups": [""], "resources": ["pods"], "verbs": ["get", "list"]}}], opts=opts)
    k8s.rbac.v1.RoleBinding(f"{{name}}-reader-binding", metadata={{"namespace": f"team-{{i}}"}},
        role_ref={{"api_group": "rbac.authorization.k8s.io", "kind": "Role", "name": f"{{name}}-reader"}},
        subjects=[{{"kind": "Group", "name": f"team-{{i}}", "api_group": "rbac.authorization.k8s.io"}}], opts=opts)
"""


def generate(directory: Path, count: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text("name: bench\nruntime: python\n")
    (directory / "Pulumi.bench.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    program = PROGRAM_HEAD.format(count=count) + NODE_GROUP.format()
    (directory / "__main__.py").write_text(textwrap.dedent(program).lstrip())
    return directory


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_check(program: Path, report: Path) -> tuple[float, float, int, dict]:
    cpu_start = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "eksguard",
            "check",
            "--no-progress",
            "--program",
            str(program),
            "--stack",
            "bench",
            "--format",
            "json",
            "--output",
            str(report),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu_start  # the check process and the policy pack it started
    if proc.returncode == 2:
        raise SystemExit(f"check failed on {program}:\n{proc.stderr}")
    document = json.loads(report.read_text())
    return elapsed, cpu, proc.returncode, document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--keep", type=Path, help="generate the programs here and keep them")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="eksguard-bench-"))
    print(f"{'node groups':>11} {'resources':>9} {'wall s':>8} {'cpu s':>8} {'res/s':>7} {'ratio':>6}  verdict")
    previous: float | None = None
    figures: dict[int, tuple[float, float]] = {}
    for size in args.sizes:
        program = generate(root / f"ng{size}", size)
        elapsed, cpu, code, document = time_check(program, root / f"ng{size}.json")
        resources = document["target"]["resources"]
        ratio = f"{elapsed / previous:5.1f}x" if previous else "     -"
        verdict = "pass" if code == 0 else f"exit {code} ({document['totals']['violated']} controls violated)"
        print(f"{size:>11} {resources:>9} {elapsed:8.2f} {cpu:8.2f} {resources / elapsed:7.0f} {ratio}  {verdict}")
        previous = elapsed
        figures[size] = (elapsed, cpu)
    if 100 in figures and 1000 in figures:
        wall = figures[1000][0] / figures[100][0]
        cpu = figures[1000][1] / figures[100][1]
        verdict = "OK" if wall <= 12 else "OVER"
        print(f"1000 vs 100 node groups: {wall:.1f}x wall, {cpu:.1f}x cpu (target: within 12x) -> {verdict}")


if __name__ == "__main__":
    main()
