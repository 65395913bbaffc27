"""The audit against a moto server over real HTTP: an insecure account and a compliant one, judged by the pack."""

from __future__ import annotations

import pytest

from tests.audit.helpers import audit, audit_session, finding_set
from tests.audit.seed import REGION, SECOND_REGION, seed_compliant, seed_insecure

# moto keeps every account's state in process-wide backends: these accounts are used by no other test module
INSECURE, COMPLIANT = "121212121212", "222222222222"
KUBERNETES_NOT_READ = "Kubernetes objects not read (--no-kubernetes)"
NOTHING_TO_JUDGE: set[str] = set()


@pytest.fixture(scope="module")
def insecure(endpoint, pack):
    from tests.audit.conftest import account_session

    seeded = seed_insecure(account_session(endpoint, INSECURE), endpoint, INSECURE)
    inventory, report = audit(audit_session(endpoint, INSECURE, seeded.gaps), pack, [REGION, SECOND_REGION])
    return seeded, inventory, report


@pytest.fixture(scope="module")
def compliant(endpoint, pack):
    from tests.audit.conftest import account_session

    seeded = seed_compliant(account_session(endpoint, COMPLIANT), endpoint, COMPLIANT)
    inventory, report = audit(audit_session(endpoint, COMPLIANT, seeded.gaps), pack, [REGION])
    return seeded, inventory, report


def test_insecure_account_every_weakness_found_exactly(insecure):
    seeded, _, report = insecure
    assert finding_set(report) == seeded.expected


def test_compliant_account_has_no_findings(compliant):
    _, _, report = compliant
    assert finding_set(report) == set()


def test_compliant_account_statuses(compliant):
    """Every AWS control passes or has nothing to judge; the Kubernetes ones are not assessed, with why."""
    _, _, report = compliant
    by_status: dict[str, set[str]] = {}
    for result in report.results:
        by_status.setdefault(result.status, set()).add(result.control.id)
    kubernetes = {
        r.control.id
        for r in report.results
        if r.reason.startswith(f"not assessed in cluster good-0 ({REGION}): {KUBERNETES_NOT_READ}")
    }
    # The account-level S3 public access block cannot be read through one --endpoint-url: the stack rule that
    # reads it is not assessed (a failed read is never a pass).
    account_block = {r.control.id for r in report.results if "not read with --endpoint-url" in r.reason}
    assert account_block == {"stack-trail-bucket-public-access-block"}
    assert by_status["not_assessed"] == kubernetes | account_block
    assert by_status.get("not_applicable", set()) == NOTHING_TO_JUDGE
    # stack policies publish the types they read, so a cluster not read makes exactly them not assessed too; the
    # node controls also judge Karpenter's and Auto Mode's node classes, which live in the cluster
    assert {"stack-namespace-network-policy", "workload-resource-limits"} <= kubernetes
    assert {"node-imdsv2-required", "node-ebs-encrypted", "node-public-ip"} <= kubernetes
    passed = by_status["passed"]
    assert {
        "eks-endpoint-public-access",
        "eks-deletion-protection",
        "eks-control-plane-log-group",
        "eks-addon-version",
        "iam-node-role-least-privilege",
        "iam-irsa-trust-scoped",
        "iam-pod-identity-trust-scoped",
        "eks-fargate-pod-execution-role",
        "ec2-imds-account-defaults",
        "nodegroup-version-skew",
        "nodegroup-ami-age",
        "sg-open-ingress",
        "nacl-admin-ports-open",
        "iam-node-role-admin",
        "access-policy-cluster-admin-broad",
        "kms-key-rotation",
        "cloudtrail-logging-enabled",
        "cloudtrail-bucket-public-access-block",
        "stack-multi-region-trail",
    } <= passed


def test_what_was_judged_is_counted(compliant):
    _, inventory, report = compliant
    results = {r.control.id: r for r in report.results}
    assert results["eks-endpoint-public-access"].resources_evaluated == 1
    assert results["node-imdsv2-required"].resources_evaluated == 1
    assert results["sg-open-ingress"].resources_evaluated == 2
    # A stack policy reads every resource of its declared types: the cluster, node, Fargate pod execution, vpc-cni
    # (Pod Identity) and EBS CSI (IRSA) roles and their six attachments (the trail's role is not one a cluster uses,
    # so the audit does not read it).
    assert results["iam-node-role-admin"].resources_evaluated == 11
    assert report.extra["clusters"] == 1 and report.target["resources"] == len(inventory.resources)


def test_coverage_counts_the_live_resources_a_policy_judged(compliant):
    """As for a program: a resource counts as judged when an enabled policy names its type (read from the pack's
    resource-type tags); the others are listed by type."""
    from eksguard.reporters.model import UnjudgedType

    _, inventory, report = compliant
    assert report.coverage is not None
    assert (report.coverage.resources, report.coverage.judged) == (
        len(inventory.resources),
        len(inventory.resources) - 1,
    )
    assert report.coverage.not_judged == (UnjudgedType(type="aws:eks/accessEntry:AccessEntry", count=1, remote=False),)


def test_report_target_and_exit_code(insecure, compliant):
    _, _, bad = insecure
    _, _, good = compliant
    assert bad.target["account"] == INSECURE and bad.target["regions"] == [REGION, SECOND_REGION]
    assert bad.target["policy_packs"][0]["name"] == "eksguard"
    assert (bad.exit_code(), good.exit_code()) == (1, 0)


def test_a_finding_names_the_control_message_and_remediation_of_the_pack(insecure, pack):
    """The message is the rule's own; the control (title, remediation) the catalogue's, as ``check`` shows it."""
    _, _, report = insecure
    result = next(r for r in report.results if r.control.id == "eks-authentication-mode")
    (finding,) = result.findings
    assert finding.message == (
        "accessConfig.authenticationMode is CONFIG_MAP: access comes from the aws-auth ConfigMap"
    )
    policy = next(p for p in pack.info.policies if p.name == "eks-authentication-mode")
    assert result.control.remediation == policy.remediation_steps
    assert (finding.region, finding.resource_type, finding.resource_name) == (
        REGION,
        "aws:eks/cluster:Cluster",
        "weak",
    )


def test_remediation_plan_names_import_and_component(insecure):
    seeded, _, report = insecure
    by_key = {(f.control_id, f.resource): f for r in report.results for f in r.findings}
    cluster = next(f for (cid, _), f in by_key.items() if cid == "eks-secrets-encryption")
    assert cluster.fix["import_command"] == "pulumi import aws:eks/cluster:Cluster weak weak"
    assert cluster.fix["component"] == "eksguard:index:Cluster"
    assert "cluster_name='weak'" in cluster.fix["snippet"]
    lt = by_key[("node-imdsv2-required", seeded.names["lt"])]
    assert lt.fix["import_command"] == (
        f"pulumi import aws:ec2/launchTemplate:LaunchTemplate {seeded.names['lt'].lower()} {seeded.names['lt']}"
    )
    stale = by_key[("nodegroup-ami-age", seeded.names["stale"])]
    assert stale.fix["import_id"] == "weak:stale"
    assert (stale.fix["newest_release"], stale.fix["releases_behind"], stale.fix["days_behind"]) == (
        "1.33.6-20261101",
        2,
        61,
    )
    generated = by_key[("node-imdsv2-required", seeded.names["generated"])]
    assert generated.fix["generated_for"] == "weak:al2"


def test_every_snippet_compiles_with_known_arguments_only(insecure):
    from eksguard.audit.remediation import component_arguments

    _, _, report = insecure
    for result in report.results:
        for finding in result.findings:
            snippet = finding.fix["snippet"]
            compile(snippet, finding.control_id, "exec")
            assert finding.fix["component"] == result.control.component
            known = component_arguments(result.control.component.rsplit(":", 1)[-1])
            written = {line.strip().split("=", 1)[0] for line in snippet.splitlines() if line.startswith("        ")}
            assert written <= known, snippet


def test_nodegroup_snippet_carries_observed_values(insecure):
    seeded, _, report = insecure
    (finding,) = [
        f
        for r in report.results
        for f in r.findings
        if f.control_id == "nodegroup-ami-age" and f.resource == seeded.names["stale"]
    ]
    assert "cluster_name='weak'" in finding.fix["snippet"]
    assert "ami_family='AL2023'" in finding.fix["snippet"] and "kubernetes_version='1.33'" in finding.fix["snippet"]


def test_references_become_property_dependencies(insecure):
    """What the engine sends for references: the value is the id or ARN, the dependency the referenced URN."""
    seeded, inventory, _ = insecure
    records = {r.resource.name: r.resource for r in inventory.records()}
    stale = records["weak:stale"]
    deps = {prop: sorted(u.split("::")[2] for u in urns) for prop, urns in stale.property_dependencies.items()}
    assert deps == {
        "clusterName": ["aws:eks/cluster:Cluster"],
        "nodeRoleArn": ["aws:iam/role:Role"],
        "subnetIds": ["aws:ec2/subnet:Subnet", "aws:ec2/subnet:Subnet"],
        "launchTemplate": ["aws:ec2/launchTemplate:LaunchTemplate"],
    }
    assert stale.properties["launchTemplate"]["id"] == seeded.names["lt"]
    assert set(stale.dependencies) == {u for urns in stale.property_dependencies.values() for u in urns}
    association = next(r for n, r in records.items() if n.startswith(f"weak#arn:aws:iam::{INSECURE}:root#"))
    assert [u.split("::")[2] for u in association.property_dependencies["principalArn"]] == [
        "aws:eks/accessEntry:AccessEntry"
    ]
    generated = records[seeded.names["generated"]]
    assert generated.parent == stale.urn.replace("weak:stale", "weak:al2")


def test_a_node_group_on_the_template_eks_generated_is_judged_once_there(insecure):
    """The node group that names no launch template is declared on the one EKS generated for it (read through its
    Auto Scaling group): each weakness of that template is reported once, on the template, not again on the node
    group against what EKS documents of its templates."""
    seeded, inventory, report = insecure
    generated, node_group = seeded.names["generated"], seeded.names["al2"]
    launch_controls = ("node-imdsv2-required", "node-ebs-encrypted", "node-public-ip")
    found = sorted(
        (f.control_id, f.resource, f.message)
        for r in report.results
        for f in r.findings
        if f.control_id in launch_controls and f.resource in (generated, node_group)
    )
    assert found == [
        (
            "node-ebs-encrypted",
            generated,
            "blockDeviceMappings[0].ebs.encrypted is not set (unencrypted unless the account enables EBS encryption "
            "by default)",
        ),
        (
            "node-imdsv2-required",
            generated,
            "metadataOptions.httpPutResponseHopLimit is 2: pods can reach the node's IMDS credentials",
        ),
        ("node-imdsv2-required", generated, "metadataOptions.httpTokens is 'optional': IMDSv1 is allowed"),
    ]
    declared = next(r.resource for r in inventory.records() if r.resource.name == "weak:al2")
    assert declared.properties["launchTemplate"] == {"id": generated, "version": "1"}
    assert [u.rsplit("::", 1)[-1] for u in declared.property_dependencies["launchTemplate"]] == [generated]


def test_a_launch_template_eks_generated_and_not_found_is_judged_on_what_eks_documents(endpoint, pack):
    """Without its Auto Scaling group the template cannot be read: the node group is judged, as for a program,
    against what EKS documents of the templates it generates, and the report says what was not read."""
    from tests.audit.conftest import account_session

    account, region = "555555555555", "ap-southeast-2"
    session = account_session(endpoint, account)
    ec2 = session.client("ec2", region_name=region, endpoint_url=endpoint)
    eks = session.client("eks", region_name=region, endpoint_url=endpoint)
    iam = session.client("iam", region_name=region, endpoint_url=endpoint)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    node_role = iam.create_role(RoleName="node", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    eks.create_cluster(name="plain", version="1.35", roleArn=node_role, resourcesVpcConfig={"subnetIds": subnets})
    eks.create_nodegroup(
        clusterName="plain", nodegroupName="ng", nodeRole=node_role, subnets=subnets, amiType="AL2023_x86_64_STANDARD"
    )
    _, report = audit(audit_session(endpoint, account), pack, [region])
    results = {r.control.id: r for r in report.results}
    (gap,) = [g for g in report.extra["not_read"] if g["where"].startswith("node group")]
    assert gap == {
        "where": f"node group plain:ng ({region})",
        "reason": "names no launch template, and the one EKS generated for it was not found (no Auto Scaling "
        "group): judged on what EKS documents of the templates it generates",
        "types": [],
    }
    ebs = results["node-ebs-encrypted"]
    assert (ebs.status, [(f.resource_name, f.message) for f in ebs.findings]) == (
        "violated",
        [
            (
                "plain:ng",
                "this managed node group runs on the launch template EKS creates, whose volumes are encrypted only "
                "when the account enables EBS encryption by default "
                "(https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html): give it a launch "
                "template with encrypted blockDeviceMappings",
            )
        ],
    )
    imds = results["node-imdsv2-required"]  # AL2023: IMDSv2 required, hop limit 1; node classes not read
    assert (imds.status, imds.findings) == ("not_assessed", [])
    assert imds.reason.startswith(f"not assessed in cluster plain ({region}): Kubernetes objects not read")


def test_every_aws_declaration_uses_the_pulumi_aws_input_names_and_types(insecure, compliant):
    from tests.audit.sdk_inputs import args_class, object_problems

    checked = set()
    for _, inventory, _ in (insecure, compliant):
        for live in inventory.resources.values():
            if live.type.startswith("aws:"):
                assert object_problems(live.props, args_class(live.type)) == [], live.name
                checked.add(live.type)
    assert checked == {
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:eks/accessEntry:AccessEntry",
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        "aws:eks/addon:Addon",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/networkAcl:NetworkAcl",
        "aws:iam/role:Role",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:kms/key:Key",
        "aws:cloudtrail/trail:Trail",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:ecr/repository:Repository",
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
        "aws:guardduty/detector:Detector",
        "aws:guardduty/detectorFeature:DetectorFeature",
        "aws:inspector2/enabler:Enabler",
        "aws:efs/fileSystem:FileSystem",
        "aws:eks/fargateProfile:FargateProfile",
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults",
    }


def test_the_input_check_catches_a_wrong_name_and_a_wrong_type():
    from tests.audit.sdk_inputs import args_class, object_problems

    template = args_class("aws:ec2/launchTemplate:LaunchTemplate")
    assert object_problems({"metadataOptions": {"httpPutResponseHopLimit": 1}}, template) == []
    assert object_problems({"blockDeviceMappings": [{"ebs": {"encrypted": True}}]}, template) == [
        "blockDeviceMappings[0].ebs.encrypted: True is not one of [<class 'str'>]"
    ]
    assert object_problems({"metadata_options": {}}, template) == [
        "metadata_options: not an input of LaunchTemplateArgs"
    ]


def test_bottlerocket_release_age_comes_from_the_published_history(endpoint, pack):
    """A Bottlerocket release carries no build date: the audit reads when it was published (the public SSM
    parameter's history) and the rule judges its age from that; a release the history does not hold stays not
    checkable offline, said as the audit says it."""
    import datetime as dt

    from tests.audit.conftest import account_session
    from tests.audit.seed import (
        ASSUME_EC2,
        ASSUME_EKS,
        clients,
        drop_remote_access,
        network,
        role,
        seed_release_history,
    )

    account, region = "565656565656", "eu-north-1"
    make = clients(account_session(endpoint, account), endpoint, region)
    _, subnets = network(make("ec2"))
    cluster_role = role(make("iam"), "br-cluster", ASSUME_EKS, [])
    node_role = role(make("iam"), "br-node", ASSUME_EC2, [])
    make("eks").create_cluster(
        name="br", version="1.35", roleArn=cluster_role, resourcesVpcConfig={"subnetIds": subnets}
    )
    bottlerocket = {"amiType": "BOTTLEROCKET_x86_64", "nodeRole": node_role, "subnets": subnets}
    for name, release in (("old", "1.50.0-5f7c6ac5"), ("unlisted", "1.49.9-00000000")):
        make("eks").create_nodegroup(clusterName="br", nodegroupName=name, releaseVersion=release, **bottlerocket)
        drop_remote_access(account, region, "br", name)
    published = [("1.50.0-5f7c6ac5", dt.datetime(2026, 9, 1, 8, tzinfo=dt.UTC))]
    published.append(("1.51.0-9e8d7c6b", dt.datetime(2026, 11, 10, tzinfo=dt.UTC)))
    seed_release_history(account, region, "1.35", published, ami_type="BOTTLEROCKET_x86_64")
    _, report = audit(audit_session(endpoint, account), pack, [region])
    (age,) = [r for r in report.results if r.control.id == "nodegroup-ami-age"]
    assert [(f.resource_name, f.message) for f in age.findings] == [
        ("br:old", "releaseVersion '1.50.0-5f7c6ac5' was published on 2026-09-01, 88 days before 2026-11-28 "
         "(maxAmiAgeDays 30)")
    ]  # fmt: skip
    assert [(f.resource_name, f.message) for f in age.not_checkable_offline] == [
        (
            "br:unlisted",
            "releaseVersion '1.49.9-00000000' carries no build date (Bottlerocket releases do not); its age needs "
            "the date it was published (releaseDates)",
        )
    ]
