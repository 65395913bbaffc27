"""End to end through ``python -m eksguard check --program DIR`` on programs written with pulumi-eks and awsx the
way users write them (tests/check/programs/components-*), and on examples/pulumi-eks-hardened.

Each program's verdict is stated exactly: the violated controls and the resources (by name) each is reported on,
and the controls that are not checkable offline (a verdict of their own: the account-level services a stack
needs but does not declare, references outside the stack).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.check.test_stacks import _cli
from tests.check.test_stacks import _controls as controls

REPO = Path(__file__).resolve().parents[2]
PROGRAMS = Path(__file__).parent / "programs"
# A stack with a cluster that declares no trail, GuardDuty or Inspector: account-level, asked only with checkAccount.
ACCOUNT_SERVICES = {"stack-multi-region-trail", "stack-guardduty-eks-protection", "stack-inspector-scanning"}


def check(program: Path, tmp_path: Path) -> tuple[int, dict[str, Any]]:
    return check_with(program, tmp_path)


def check_with(program: Path, tmp_path: Path, *options: str) -> tuple[int, dict[str, Any]]:
    proc, document = _cli(tmp_path, "--program", str(program), *options)
    return proc.returncode, document


def violated(document: dict[str, Any]) -> dict[str, set[str]]:
    """Violated control -> the names of the resources it is reported on."""
    return {
        cid: {f["resource"].rsplit("::", 1)[-1] for f in c["findings"]}
        for cid, c in controls(document).items()
        if c["status"] == "violated"
    }


def offline(document: dict[str, Any]) -> set[str]:
    return {cid for cid, c in controls(document).items() if c["status"] == "not_checkable_offline"}


CLUSTER_NOT_YET_HARDENED = {
    "eks-addon-identity": {"cluster"},  # pulumi-eks's vpc-cni add-on has no identity: aws-node uses the node role
    "eks-deletion-protection": {"cluster"},  # deletionProtection unset
    "eks-control-plane-log-group": {"cluster"},  # logs enabled, no /aws/eks/<name>/cluster declared
    "eks-endpoint-private-access": {"cluster"},  # endpointPrivateAccess unset
}
"""What the programs written before issue 12's controls leave open on their pulumi-eks cluster."""
COMPONENT_DEFAULTS = {
    "eks-endpoint-public-access": {"cluster"},
    "eks-public-access-cidrs-open": {"cluster"},
    "eks-control-plane-logging": {"cluster"},
    "eks-secrets-encryption": {"cluster"},
    "eks-authentication-mode": {"cluster"},
    "eks-bootstrap-cluster-creator-admin": {"cluster"},
    "node-imdsv2-required": {"cluster"},
    "node-ebs-encrypted": {"cluster"},
    "node-public-ip": {"cluster"},
    # issue 12: what pulumi-eks leaves unset or creates its own way
    "eks-endpoint-private-access": {"cluster"},  # endpointPrivateAccess unset: AWS default false
    "eks-deletion-protection": {"cluster"},  # deletionProtection unset
    "eks-addon-identity": {"cluster"},  # its vpc-cni add-on has no identity: aws-node uses the node role
    "iam-node-role-least-privilege": {"cluster"},  # the instance role it creates holds AmazonEKS_CNI_Policy
    "cloudtrail-multi-region": {"trail"},
    "cloudtrail-log-validation": {"trail"},
    "cloudtrail-kms": {"trail"},
    "cloudtrail-cloudwatch-logs": {"trail"},
    "stack-trail-bucket-public-access-block": {"trail"},
}


def test_components_with_their_defaults(tmp_path: Path) -> None:
    code, document = check(PROGRAMS / "components-defaults", tmp_path)
    assert violated(document) == COMPONENT_DEFAULTS
    assert offline(document) == ACCOUNT_SERVICES  # its awsx trail is single-region: cloudtrail-multi-region's
    assert code == 1
    findings = controls(document)["node-public-ip"]["findings"]
    assert findings[0]["location"] == {"file": "tests/check/programs/components-defaults/__main__.py", "line": 8}
    assert findings[0]["message"] == (
        "nodeAssociatePublicIpAddress is not set: pulumi-eks defaults it to true (pulumi-eks 4, "
        "nodes/nodegroup.ts:1267), so the default node group of cluster cluster gets public IPs"
    )


def test_components_with_every_hardening_argument(tmp_path: Path) -> None:
    code, document = check(PROGRAMS / "components-hardened", tmp_path)
    # pulumi-eks 4 always makes the creator admin (cluster/cluster.ts:739): advisory, and no argument fixes it
    assert violated(document) == {"eks-bootstrap-cluster-creator-admin": {"cluster"}}
    assert offline(document) == ACCOUNT_SERVICES - {"stack-multi-region-trail"}  # its awsx trail is multi-region
    assert code == 0
    statuses = {cid: c["status"] for cid, c in controls(document).items()}
    for cid in (
        "eks-secrets-encryption",
        "eks-endpoint-public-access",
        "cloudtrail-cloudwatch-logs",
        "stack-trail-bucket-public-access-block",
        "stack-multi-region-trail",
        "sg-open-ingress",
    ):
        assert statuses[cid] == "passed", cid


def test_cross_resource_weaknesses_are_found_through_the_graph(tmp_path: Path) -> None:
    code, document = check(PROGRAMS / "components-graph", tmp_path)
    assert violated(document) == {
        "node-public-ip": {"nodes"},  # its subnets include one that maps public IPs
        "node-ebs-encrypted": {"nodes"},  # no launch template: EKS's, unencrypted without account encryption
        "iam-node-role-admin": {"nodes-admin", "builder-everything"},  # by the roles' trust, not their names
        "iam-policy-admin-wildcard": {"everything"},
        "eks-secrets-encryption": {"cluster"},
        # issue 12: the cluster's add-on identity, private endpoint, deletion protection and log group
        **CLUSTER_NOT_YET_HARDENED,
    }
    assert offline(document) == ACCOUNT_SERVICES
    assert code == 1
    messages = [f["message"] for f in controls(document)["iam-node-role-admin"]["findings"]]
    assert 'attaches policy everything (Action "*" on Resource "*") to node role builder' in " ".join(messages)


def test_references_outside_the_stack_are_not_checkable_offline(tmp_path: Path) -> None:
    code, document = check(PROGRAMS / "components-outside", tmp_path)
    assert violated(document) == {"node-ebs-encrypted": {"nodes"}}
    assert offline(document) == {"node-public-ip", "iam-node-role-admin"}
    reason = controls(document)["iam-node-role-admin"]["reason"]
    assert "role 'ci-deployer', which is not declared in this stack" in reason
    assert code == 0


def test_node_groups_joined_by_resource_objects(tmp_path: Path) -> None:
    """Resource objects as inputs (cluster=cluster, node_role=role, instance_roles=[role]) arrive as ids/URNs, and
    cluster.get_kubeconfig() is a component method call (issue 9's engine)."""
    code, document = check(PROGRAMS / "components-node-groups", tmp_path)
    assert violated(document) == {
        "node-imdsv2-required": {"imdsv2", "self-managed"},
        "node-ebs-encrypted": {"defaults", "imdsv2", "self-managed"},
        "node-public-ip": {"self-managed"},
        "eks-bootstrap-cluster-creator-admin": {"cluster"},
        # issue 12: the role it attaches AmazonEKS_CNI_Policy to is a node role (its trust allows EC2)
        "iam-node-role-least-privilege": {"node-role-AmazonEKS_CNI_Policy"},
        **{k: v for k, v in CLUSTER_NOT_YET_HARDENED.items() if k != "eks-endpoint-private-access"},
    }
    # the ManagedNodeGroup without amiType runs on pulumi-eks's launch template, whose AMI the program does not show
    assert offline(document) == ACCOUNT_SERVICES | {"nodegroup-ami-family"}
    assert code == 1


PULUMI_EKS_EXAMPLE = REPO / "examples" / "pulumi-eks-hardened"


def test_the_pulumi_eks_example_passes_check(tmp_path: Path) -> None:
    code, document = check(PULUMI_EKS_EXAMPLE, tmp_path)
    assert code == 0
    # the one thing pulumi-eks cannot do (examples/pulumi-eks-hardened/README.md): no argument turns it off
    assert violated(document) == {"eks-bootstrap-cluster-creator-admin": {"platform"}}
    assert offline(document) == set()  # eksguard's AuditTrail and ThreatDetection declare the account services
    statuses = {cid: c["status"] for cid, c in controls(document).items()}
    # the NodeGroup's Pod Identity role trusts associations of the cluster pulumi-eks names at apply
    trust_until_apply = ("iam-node-role-least-privilege", "iam-irsa-trust-scoped", "iam-pod-identity-trust-scoped")
    assert {cid for cid, status in statuses.items() if status == "not_checkable"} == set(trust_until_apply)
    hardened_by_pulumi_eks_and_the_program = (
        "eks-endpoint-private-access",
        "eks-deletion-protection",
        "eks-control-plane-logging",
        "eks-control-plane-log-group",
        "eks-secrets-encryption",
        "eks-addon-version",
        "eks-addon-identity",
    )
    assert {cid: statuses[cid] for cid in hardened_by_pulumi_eks_and_the_program} == dict.fromkeys(
        hardened_by_pulumi_eks_and_the_program, "passed"
    )
    hardened_by_eksguard = (
        "node-imdsv2-required",
        "node-ebs-encrypted",
        "node-public-ip",
        "nodegroup-ami-age",
        "cloudtrail-multi-region",
        "stack-trail-bucket-public-access-block",
        "sg-kubelet-exposed",
        "stack-multi-region-trail",
        "stack-guardduty-eks-protection",
        "stack-inspector-scanning",
    )
    assert {cid: statuses[cid] for cid in hardened_by_eksguard} == dict.fromkeys(hardened_by_eksguard, "passed")


def test_the_pulumi_eks_example_enforces_network_policies(tmp_path: Path) -> None:
    """Nothing in the example relies on NetworkPolicies yet, so the control is asked of every cluster here: the
    vpc-cni pulumi-eks manages runs its network policy agent (vpcCniOptions.enableNetworkPolicy)."""
    config = tmp_path / "policy-config.json"
    config.write_text('{"eks-network-policy-enforcement": {"requireForEveryCluster": true}}')
    _, document = check_with(PULUMI_EKS_EXAMPLE, tmp_path, "--policy-pack-config", str(config))
    assert controls(document)["eks-network-policy-enforcement"]["status"] == "passed"
