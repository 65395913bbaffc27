"""Programs written the way users write EKS stacks (tests/check/programs/), run end to end through
``python -m eksguard check --program DIR --stack dev`` with no fixture file, each with its exact verdicts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.check.venvs import requirements_virtualenv

REPO = Path(__file__).resolve().parents[2]
PROGRAMS = Path(__file__).resolve().parent / "programs"
REPORT_SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text())
PULUMI_RANDOM = "pulumi-random==4.21.4"
CHECK = (sys.executable, "-m", "eksguard", "check", "--no-progress")


def check(program: Path, tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict | None]:
    out = tmp_path / "report.json"
    done = subprocess.run(
        [*CHECK, "--program", str(program), "--stack", "dev", "--format", "json", "--output", str(out), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    document = json.loads(out.read_text()) if done.returncode in (0, 1) else None
    if document is not None:
        jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(document)
    return done, document


def verdicts(document: dict) -> dict[str, set[tuple[str, str]]]:
    """Control id -> {(resource name, message)} of every control that is not passed or not applicable (a finding
    about the whole stack has no resource name)."""
    return {
        c["id"]: {(f["resource_name"], f["message"]) for f in c["findings"]}
        for area in document["areas"]
        for c in area["controls"]
        if c["status"] in ("violated", "not_checkable", "not_checkable_offline")
    }


def statuses(document: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for area in document["areas"] for c in area["controls"]}


def not_judged(document: dict) -> set[tuple[str, int, bool]]:
    return {(t["type"], t["count"], t["remote"]) for t in document["coverage"]["not_judged"]}


PSA_MESSAGE = (
    "metadata.labels has no pod-security.kubernetes.io/enforce label: Pod Security Admission admits privileged pods"
)
ACCOUNT_LEVEL = "is account-level and often declared in another stack or by the organization (set checkAccount to ask "
# a stack with a cluster that declares no trail, GuardDuty or Inspector: not checkable offline (about the stack)
ACCOUNT_SERVICES = {
    "stack-multi-region-trail": {
        (
            "",
            "the stack declares no logging multi-region CloudTrail trail; "
            f"CloudTrail {ACCOUNT_LEVEL}the account, read-only)",
        )
    },
    "stack-guardduty-eks-protection": {
        (
            "",
            "the stack declares no GuardDuty EKS audit log monitoring or GuardDuty EKS runtime monitoring with "
            f"EKS_ADDON_MANAGEMENT; GuardDuty {ACCOUNT_LEVEL}the account, read-only)",
        )
    },
    "stack-inspector-scanning": {
        ("", f"the stack declares no Inspector EC2 or ECR scanning; Inspector {ACCOUNT_LEVEL}the account, read-only)")
    },
}
ADDON_IDENTITY_MESSAGE = (
    "vpc-cni on cluster {cluster} has no identity of its own (no Pod Identity association for kube-system/aws-node, "
    "no serviceAccountRoleArn): it calls AWS with the node role, which must then hold AmazonEKS_CNI_Policy"
)
# eks_components: pulumi-eks and awsx judged from their inputs and their defaults (issue 10)
EKS_COMPONENTS = {
    "namespace-pod-security-enforce": {("payments", PSA_MESSAGE)},
    "eks-secrets-encryption": {
        (
            "platform",
            "encryptionConfigKeyArn is not set: pulumi-eks configures no secrets encryption (pulumi-eks 4, "
            "cluster/cluster.ts:593-607), so Secrets are not envelope-encrypted with a customer-managed KMS key",
        )
    },
    "eks-bootstrap-cluster-creator-admin": {
        (
            "platform",
            "pulumi-eks always sets accessConfig.bootstrapClusterCreatorAdminPermissions true (pulumi-eks 4, "
            "cluster/cluster.ts:739) and no argument changes it: the cluster creator stays admin until its access "
            "entry is removed",
        )
    },
    "eks-control-plane-logging": {
        ("platform", "enabledClusterLogTypes lacks api, audit, authenticator, controllerManager, scheduler")
    },
    "node-ebs-encrypted": {
        (
            "platform-general",
            "managed node group platform-general runs on the launch template EKS creates, whose volumes are "
            "encrypted only when the account enables EBS encryption by default "
            "(https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html): give it a launch template "
            "with encrypted blockDeviceMappings",
        )
    },
    # issue 12: pulumi-eks's vpc-cni add-on without an identity, deletion protection unset, and the node role the
    # program attaches AmazonEKS_CNI_Policy to
    "eks-addon-identity": {("platform", ADDON_IDENTITY_MESSAGE.format(cluster="platform"))},
    "eks-deletion-protection": {
        (
            "platform",
            "deletionProtection is not set: pulumi-eks sends none (pulumi-eks 4, cluster/cluster.ts:743), so EKS does "
            "not protect the cluster: one DeleteCluster call (or pulumi destroy) removes the cluster",
        )
    },
    "iam-node-role-least-privilege": {
        (
            "platform-nodes-AmazonEKS_CNI_Policy",
            "attaches AmazonEKS_CNI_Policy (the vpc-cni add-on's: every pod on the node gets it through the node's "
            "credentials; give it to the add-on's service account with Pod Identity or IRSA) to node role "
            "platform-nodes (its trust policy allows EC2)",
        )
    },
    # not checkable offline, about the whole stack:
    "node-public-ip": {
        (
            "",
            "the subnets come from awsx VPC platform, which has public subnets that map public IPs on launch "
            "(pulumi-awsx 3, ec2/vpc.ts:218) and others that do not; the reference names the VPC, not which of its "
            "subnets (a real `pulumi preview` sends the subnets themselves)",
        )
    },
    **ACCOUNT_SERVICES,
}
EKS_COMPONENTS_OFFLINE = {"node-public-ip", *ACCOUNT_SERVICES}

CASES = [
    pytest.param(
        "eks_components",
        1,
        EKS_COMPONENTS,
        EKS_COMPONENTS_OFFLINE,
        # the pulumi-eks and awsx components are judged on their inputs (their children are not visible here)
        (8, 8, set()),
        [],
        id="resource-objects-as-inputs-provider-from-cluster-component-method",
    ),
    pytest.param(
        "admin_node_role",
        1,
        # the attachment is followed to the auto-named role and judged by its trust policy, not its name
        {
            "iam-node-role-admin": {
                ("eks-node-admin", "attaches AdministratorAccess to node role eks-node (its trust policy allows EC2)")
            }
        },
        set(),
        (3, 2, {("aws:iam/instanceProfile:InstanceProfile", 1, False)}),
        [],
        id="auto-named-role-attached-by-name",
    ),
    pytest.param(
        "policy_document_wildcard",
        1,
        {
            "iam-policy-admin-wildcard": {
                ("deployer-everything", 'policy statement 0 allows Action "*" on Resource "*"')
            }
        },
        set(),
        (2, 2, set()),
        [],
        id="get-policy-document-feeding-a-role-policy",
    ),
    pytest.param(
        "helm_karpenter",
        1,
        # the Karpenter node class is held to the launch templates' IMDS control (issue 12)
        {
            "node-imdsv2-required": {
                ("general", "spec.metadataOptions.httpTokens is 'optional': IMDSv1 is allowed"),
                (
                    "general",
                    "spec.metadataOptions.httpPutResponseHopLimit is 2: pods can reach the node's IMDS credentials",
                ),
            },
            "node-public-ip": {
                (
                    "",
                    "EC2NodeClass general: spec.associatePublicIPAddress is not set, so the subnets its "
                    "subnetSelectorTerms pick decide whether its nodes get public addresses (set it to false)",
                )
            },
        },
        {"node-public-ip"},
        (
            4,
            3,  # the Helm chart and release are read for NetworkPolicy engines (eks-network-policy-enforcement)
            {("kubernetes:karpenter.sh/v1:NodePool", 1, False)},
        ),
        ["kubernetes:helm:template"],
        id="helm-release-chart-and-custom-resources",
    ),
]


@pytest.mark.parametrize(("program", "exit_code", "expected", "offline", "coverage", "unanswered"), CASES)
def test_idiom_gets_its_exact_verdicts(
    tmp_path: Path, program: str, exit_code: int, expected, offline, coverage, unanswered
) -> None:
    done, document = check(PROGRAMS / program, tmp_path)
    assert done.returncode == exit_code, done.stderr
    assert verdicts(document) == expected
    assert {cid for cid, status in statuses(document).items() if status == "not_checkable_offline"} == offline
    resources, judged, types = coverage
    assert (document["coverage"]["resources"], document["coverage"]["judged"]) == (resources, judged)
    assert not_judged(document) == types
    assert document["coverage"]["unanswered_invokes"] == unanswered


def test_the_terminal_report_says_what_no_policy_judged(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "eksguard", "check", "--no-progress", "--program", str(PROGRAMS / "helm_karpenter")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1, done.stderr  # the node class allows IMDSv1
    tail = done.stdout.splitlines()[-10:]
    assert [line.strip() for line in tail if "judge" in line or "invokes" in line] == [
        "3 of 4 resources judged by a policy; 1 are of types no policy judges",
        "- not judged: kubernetes:karpenter.sh/v1:NodePool x1",
        "invokes nothing answered (their results were unknown; add --fixtures or --live-lookups): "
        "kubernetes:helm:template",
    ]
    # the counts follow the catalogue
    assert re.fullmatch(
        r"FAIL: 2 mandatory violation\(s\) \(1 violated, 1 not checkable offline, \d+ passed, \d+ not applicable\)",
        tail[-1],
    ), tail[-1]


@pytest.fixture(scope="session")
def own_virtualenv_program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The program and, in its folder, the virtualenv its Pulumi.yaml names, holding pulumi-random from PyPI."""
    program = tmp_path_factory.mktemp("own-venv") / "program"
    shutil.copytree(PROGRAMS / "own_virtualenv", program)
    requirements_virtualenv(program / "venv", extra_packages=(PULUMI_RANDOM,))
    return program


def test_a_program_runs_in_the_virtualenv_its_pulumi_yaml_names(own_virtualenv_program: Path, tmp_path: Path) -> None:
    import importlib.util

    assert importlib.util.find_spec("pulumi_random") is None, "eksguard's environment must lack pulumi-random"
    done, document = check(own_virtualenv_program, tmp_path)
    assert done.returncode == 1, done.stderr
    assert document["target"]["environment"] == f"the program's virtualenv {own_virtualenv_program / 'venv'}"
    # The cluster's name comes from pulumi-random (unknown at preview); what the program sets is judged all the same.
    assert verdicts(document) == {
        "eks-endpoint-public-access": {
            ("sandbox", "vpcConfig.endpointPublicAccess is true: the API server endpoint is public")
        },
        "eks-public-access-cidrs-open": {
            ("sandbox", "vpcConfig.publicAccessCidrs is not set while the endpoint is public (AWS default 0.0.0.0/0)")
        },
        "eks-secrets-encryption": {
            (
                "sandbox",
                "encryptionConfig is not set: Secrets are not envelope-encrypted with a customer-managed KMS key",
            )
        },
        "eks-authentication-mode": {
            (
                "sandbox",
                "accessConfig.authenticationMode is not set (AWS default CONFIG_MAP): access comes from aws-auth",
            )
        },
        "eks-bootstrap-cluster-creator-admin": {
            (
                "sandbox",
                "accessConfig.bootstrapClusterCreatorAdminPermissions is not set (AWS default true): the creator "
                "becomes cluster admin",
            )
        },
        "eks-control-plane-logging": {
            ("sandbox", "enabledClusterLogTypes lacks api, audit, authenticator, controllerManager, scheduler")
        },
        # issue 12: EKS's own vpc-cni with the node role's credentials, no private endpoint, no deletion protection
        "eks-addon-identity": {("sandbox", ADDON_IDENTITY_MESSAGE.format(cluster="sandbox"))},
        "eks-endpoint-private-access": {
            (
                "sandbox",
                "vpcConfig.endpointPrivateAccess is not set (AWS default false): nodes and in-VPC clients reach the "
                "API server only through its public endpoint, over the internet",
            )
        },
        "eks-deletion-protection": {
            (
                "sandbox",
                "deletionProtection is not set (AWS default false): one DeleteCluster call (or pulumi destroy) "
                "removes the cluster",
            )
        },
        **ACCOUNT_SERVICES,
    }
    assert not_judged(document) == {("random:index/randomPet:RandomPet", 1, False)}


def test_an_import_error_names_the_environment_used(own_virtualenv_program: Path, tmp_path: Path) -> None:
    program = tmp_path / "program"
    shutil.copytree(own_virtualenv_program, program, ignore=shutil.ignore_patterns("venv"))
    (program / "Pulumi.yaml").write_text("name: random-cluster-name\nruntime: python\n")
    done, document = check(program, tmp_path)
    assert done.returncode == 2 and document is None
    assert done.stderr.splitlines()[0] == (
        "eksguard check: the program raised ModuleNotFoundError: No module named 'pulumi_random' (the program ran "
        f"in eksguard's own environment ({sys.executable}); the program's Pulumi.yaml names no virtualenv)"
    )
    assert f'File "{program / "__main__.py"}", line 7, in <module>' in done.stderr


def test_a_missing_virtualenv_is_a_usage_error(tmp_path: Path) -> None:
    program = shutil.copytree(PROGRAMS / "own_virtualenv", tmp_path / "program")
    done, _ = check(program, tmp_path)
    assert done.returncode == 2
    assert f"the program's virtualenv {program / 'venv'} does not exist" in done.stderr
    assert "pulumi install" in done.stderr


def test_the_reference_stack_runs_with_requirements_txt_and_its_own_folder_only(tmp_path: Path) -> None:
    """As `pulumi install` + `pulumi up` on a fresh clone: a virtualenv from requirements.txt alone (no .pth
    putting policies/ on the path), the repository folder on the path, the reference stack under mocks."""
    from dataclasses import replace

    from eksguard.engine import load_project, run_program

    python = requirements_virtualenv(tmp_path / "venv")
    probe = subprocess.run(
        [str(python), "-c", "import eksguard_policies"], cwd=tmp_path, capture_output=True, text=True
    )
    assert "No module named 'eksguard_policies'" in probe.stderr  # nothing but requirements.txt
    project = replace(load_project(REPO, "dev"), runtime_options={"virtualenv": str(tmp_path / "venv")})
    run = run_program(project)
    assert run.environment.virtualenv == tmp_path / "venv"
    types = {r.resource.type for r in run.resources}
    assert {"eksguard:index:Baseline", "aws:eks/cluster:Cluster", "aws:cloudtrail/trail:Trail"} <= types
