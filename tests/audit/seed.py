"""Seed a moto account through the API (plus the few backend writes moto's API does not allow, FACTS.md).

``seed_insecure`` returns the exact set of (control id, resource) the audit must report, as the pack's rules
decide them; ``seed_compliant`` builds an account that must yield no finding.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import boto3
from eksguard_policies.rules.eks_cluster import LOG_TYPES
from moto.eks.models import eks_backends
from moto.ssm.models import Parameter, ssm_backends

from eksguard.audit.aws.amis import ami_parameter
from tests.audit.moto_gaps import MotoGaps

TODAY = dt.date(2026, 11, 28)
REGION = "eu-west-1"
SECOND_REGION = "us-east-1"
ALL_LOGS = {"clusterLogging": [{"types": list(LOG_TYPES), "enabled": True}]}
ASSUME_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
ASSUME_EKS = ASSUME_EC2.replace("ec2.amazonaws.com", "eks.amazonaws.com")
PAB_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
CNI_DEFAULT = "v1.20.4-eksbuild.1"
"""The vpc-cni version the seeded accounts' EKS installs by default on 1.35 (DescribeAddonVersions): behind the
pack's data file figure, so the audit is seen to judge by the account's own default."""
CSI_DEFAULT = "v1.41.0-eksbuild.1"


@dataclass
class Seeded:
    account_id: str
    expected: set[tuple[str, str]] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)
    gaps: MotoGaps = field(default_factory=MotoGaps)
    """What the account holds beyond moto (access entries, add-ons), answered at before-send."""


def seed_release_history(
    account_id: str,
    region: str,
    version: str,
    releases: list[tuple[str, dt.datetime]],
    ami_type: str = "AL2023_x86_64_STANDARD",
) -> None:
    """moto refuses PutParameter under /aws/service (reserved): write the public parameter's history into the
    backend of the server running in this process."""
    name = ami_parameter(ami_type, version)
    history = ssm_backends[account_id][region]._parameters[name]
    history.clear()
    for number, (value, modified) in enumerate(releases, start=1):
        history.append(
            Parameter(
                account_id=account_id,
                name=name,
                value=value,
                parameter_type="String",
                description=None,
                allowed_pattern=None,
                keyid=None,
                last_modified_date=modified,
                version=number,
                data_type="text",
            )
        )


def clients(session: boto3.Session, endpoint: str, region: str) -> Any:
    def make(service: str) -> Any:
        return session.client(service, region_name=region, endpoint_url=endpoint)

    return make


def network(ec2: Any) -> tuple[str, list[str]]:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
    return vpc, subnets


def role(iam: Any, name: str, document: str, policies: list[str]) -> str:
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)["Role"]["Arn"]
    for policy in policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
    return arn


def set_access_config(account_id: str, region: str, cluster: str, mode: str | None, bootstrap: bool | None) -> None:
    """moto's EKS drops accessConfig; the server serialises the backend attribute."""
    config = {"authenticationMode": mode, "bootstrapClusterCreatorAdminPermissions": bootstrap}
    eks_backends[account_id][region].clusters[cluster].access_config = {
        k: v for k, v in config.items() if v is not None
    }


def set_deletion_protection(account_id: str, region: str, cluster: str, value: bool = True) -> None:
    """moto's EKS takes no deletionProtection; the server serialises the backend attribute."""
    eks_backends[account_id][region].clusters[cluster].deletion_protection = value


def irsa_trust(account_id: str, issuer: str, namespace: str, service_account: str) -> str:
    """An IRSA role's trust policy scoped to one service account, with the audience IRSA uses
    (https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html)."""
    provider = issuer.removeprefix("https://")
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{account_id}:oidc-provider/{provider}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {
                f"{provider}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                f"{provider}:aud": "sts.amazonaws.com",
            }
        },
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def pod_identity_trust(account_id: str, cluster_arn: str | None = None) -> str:
    """A Pod Identity role's trust policy (https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html),
    limited to the account's (or one cluster's) associations when ``cluster_arn`` is given, else open to any."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    }
    if cluster_arn:
        statement["Condition"] = {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnEquals": {"aws:SourceArn": cluster_arn},
        }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def set_endpoint(account_id: str, region: str, cluster: str, url: str) -> None:
    """Point a moto cluster's API endpoint at a local Kubernetes API stand-in."""
    eks_backends[account_id][region].clusters[cluster].endpoint = url


def ecr_uses_aws_managed_key(account_id: str, region: str, repository: str) -> str:
    """moto gives a repository created with KMS and no key a random key ARN that KMS does not know; AWS names its
    aws/ecr managed key. Make that key (KeyManager AWS) and point the repository at it."""
    from moto.ecr.models import ecr_backends
    from moto.kms.models import kms_backends

    key = kms_backends[account_id][region].create_key(
        policy=None, key_usage="ENCRYPT_DECRYPT", key_spec="SYMMETRIC_DEFAULT", description="aws/ecr", tags=None
    )
    key.key_manager = "AWS"
    ecr_backends[account_id][region].repositories[repository].encryption_configuration["kmsKey"] = key.arn
    return key.arn


def drop_remote_access(account_id: str, region: str, cluster: str, nodegroup: str) -> None:
    """moto gives every node group a default SSH key; AWS gives none unless asked."""
    eks_backends[account_id][region].clusters[cluster].nodegroups[nodegroup].remote_access = None


def generated_template(make: Any, cluster: str, nodegroup: str, data: dict[str, Any], subnet: str) -> str:
    """What EKS does for a node group without a launch template: a template it owns, named by the node group's
    Auto Scaling group (which moto's EKS does not create)."""
    described = make("eks").describe_nodegroup(clusterName=cluster, nodegroupName=nodegroup)["nodegroup"]
    group = described["resources"]["autoScalingGroups"][0]["name"]
    tags = [{"Key": "eks:cluster-name", "Value": cluster}, {"Key": "eks:nodegroup-name", "Value": nodegroup}]
    template = make("ec2").create_launch_template(
        LaunchTemplateName=f"eks-{described['nodegroupArn'].rsplit('/', 1)[-1]}",
        LaunchTemplateData=data,
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": tags}],
    )["LaunchTemplate"]["LaunchTemplateId"]
    make("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=group,
        LaunchTemplate={"LaunchTemplateId": template, "Version": "1"},
        MinSize=0,
        MaxSize=1,
        DesiredCapacity=0,
        VPCZoneIdentifier=subnet,
    )
    return template


PUBLIC_PULL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage"]}],
}
KEEP_200 = {
    "rules": [
        {
            "rulePriority": 1,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 200},
            "action": {"type": "expire"},
        }
    ]
}
RUNTIME_WITH_AGENT = {
    "Name": "RUNTIME_MONITORING",
    "Status": "ENABLED",
    "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}],
}


def seed_weak_services(make: Any, account_id: str) -> dict[str, str]:
    """An image repository anyone may pull from, mutable, scanned by nothing, on AWS's key and without lifecycle;
    GuardDuty without EKS audit logs or runtime monitoring; Inspector off; an unencrypted EFS file system."""
    ecr = make("ecr")
    repository = ecr.create_repository(repositoryName="weak/images")["repository"]
    ecr.set_repository_policy(repositoryName="weak/images", policyText=json.dumps(PUBLIC_PULL))
    detector = make("guardduty").create_detector(
        Enable=True, Features=[{"Name": "EKS_AUDIT_LOGS", "Status": "DISABLED"}]
    )
    efs = make("efs").create_file_system(CreationToken="weak-shared", Encrypted=False)
    return {
        "repository": repository["repositoryArn"],
        "audit_logs": f"{detector['DetectorId']}/EKS_AUDIT_LOGS",
        "file_system": efs["FileSystemArn"],
    }


def seed_strong_services(make: Any, account_id: str, key: str) -> None:
    """An immutable repository scanned on push, on a customer key, with a lifecycle policy; GuardDuty with EKS
    audit logs and runtime monitoring (agent managed); Inspector scanning EC2 and ECR; an encrypted file system."""
    ecr = make("ecr")
    ecr.create_repository(
        repositoryName="good/images",
        imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key},
    )
    ecr.put_lifecycle_policy(repositoryName="good/images", lifecyclePolicyText=json.dumps(KEEP_200))
    pull = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:role/good-node"}}
    pull["Action"] = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    ecr.set_repository_policy(
        repositoryName="good/images", policyText=json.dumps({"Version": "2012-10-17", "Statement": [pull]})
    )
    make("guardduty").create_detector(
        Enable=True, Features=[{"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"}, RUNTIME_WITH_AGENT]
    )
    make("inspector2").enable(accountIds=[account_id], resourceTypes=["EC2", "ECR"])
    make("efs").create_file_system(CreationToken="good-shared", Encrypted=True, KmsKeyId=key)


def seed_insecure(session: boto3.Session, endpoint: str, account_id: str) -> Seeded:
    out = Seeded(account_id)
    make = clients(session, endpoint, REGION)
    ec2, eks, iam = make("ec2"), make("eks"), make("iam")
    vpc, subnets = network(ec2)
    open_sg = ec2.create_security_group(GroupName="weak-cluster", Description="x", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=open_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "public HTTPS (an allowed public port)"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "ssh from anywhere"}],
            },
        ],
    )
    kubelet_sg = ec2.create_security_group(GroupName="weak-node", Description="x", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=kubelet_sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 10250, "ToPort": 10250, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]},
        ],
    )
    default_acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"][0]
    cluster_role = role(iam, "weak-cluster", ASSUME_EKS, ["AmazonEKSClusterPolicy"])
    node_role = role(iam, "weak-node", ASSUME_EC2, ["AmazonEKSWorkerNodePolicy", "AdministratorAccess"])
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_role_policy(RoleName="weak-node", PolicyName="debug", PolicyDocument=json.dumps(everything))

    cluster = eks.create_cluster(
        name="weak",
        version="1.33",
        roleArn=cluster_role,
        resourcesVpcConfig={"subnetIds": subnets, "securityGroupIds": [open_sg]},
    )["cluster"]
    set_access_config(account_id, REGION, "weak", "CONFIG_MAP", True)
    al2 = eks.create_nodegroup(
        clusterName="weak",
        nodegroupName="al2",
        version="1.33",  # what AWS gives a node group created without one (moto gives 1.19)
        nodeRole=node_role,
        subnets=subnets,
        amiType="AL2_x86_64",
        remoteAccess={"ec2SshKey": "ops"},
        releaseVersion="1.33.5-20260901",
    )["nodegroup"]
    eks_generated = generated_template(
        make,
        "weak",
        "al2",
        {
            "MetadataOptions": {"HttpTokens": "optional", "HttpPutResponseHopLimit": 2},
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20, "VolumeType": "gp2"}}],
        },
        subnets[0],
    )
    lt = ec2.create_launch_template(
        LaunchTemplateName="weak-lt",
        LaunchTemplateData={
            "MetadataOptions": {"HttpTokens": "optional", "HttpPutResponseHopLimit": 2},
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 50, "Encrypted": False}}],
            "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": True, "Groups": [kubelet_sg]}],
        },
    )["LaunchTemplate"]["LaunchTemplateId"]
    stale = eks.create_nodegroup(
        clusterName="weak",
        nodegroupName="stale",
        version="1.33",  # what AWS gives a node group created without one (moto gives 1.19)
        nodeRole=node_role,
        subnets=subnets,
        amiType="AL2023_x86_64_STANDARD",
        releaseVersion="1.33.5-20260901",
        launchTemplate={"id": lt, "version": "1"},
    )["nodegroup"]
    drop_remote_access(account_id, REGION, "weak", "stale")
    seed_release_history(
        account_id,
        REGION,
        "1.33",
        [
            ("1.33.5-20260901", dt.datetime(2026, 9, 2, tzinfo=dt.UTC)),
            ("1.33.5-20261001", dt.datetime(2026, 10, 2, tzinfo=dt.UTC)),
            ("1.33.6-20261101", dt.datetime(2026, 11, 2, tzinfo=dt.UTC)),
        ],
    )
    root = f"arn:aws:iam::{account_id}:root"
    admins = f"arn:aws:iam::{account_id}:role/PlatformAdmins"
    out.gaps.access["weak"] = {
        root: [{"policyArn": CLUSTER_ADMIN, "accessScope": {"type": "cluster"}}],
        admins: [{"policyArn": CLUSTER_ADMIN, "accessScope": {"type": "cluster"}}],
    }
    out.gaps.addons["weak"] = {"vpc-cni": {"addonVersion": "v1.20.4-eksbuild.1", "addonArn": "arn:addon/weak/vpc-cni"}}
    out.gaps.imds_defaults.update({REGION: {}, SECOND_REGION: {}})  # the account set none (no preference)
    out.gaps.addon_defaults["vpc-cni", "1.33"] = "v1.21.0-eksbuild.2"
    uploader = role(iam, "weak-uploader", pod_identity_trust(account_id), ["AmazonS3ReadOnlyAccess"])
    out.gaps.associate(account_id, REGION, "weak", "uploader", uploader, namespace="apps")
    fargate_trust = ASSUME_EC2.replace("ec2.amazonaws.com", "eks-fargate-pods.amazonaws.com")
    fargate_role = role(
        iam, "weak-fargate", fargate_trust, ["AmazonEKSFargatePodExecutionRolePolicy", "AmazonS3ReadOnlyAccess"]
    )
    batch = eks.create_fargate_profile(
        fargateProfileName="batch",
        clusterName="weak",
        podExecutionRoleArn=fargate_role,
        subnets=subnets,
        selectors=[{"namespace": "batch"}],
    )["fargateProfile"]

    # A second region: a private, logged, encrypted cluster whose key does not rotate.
    make2 = clients(session, endpoint, SECOND_REGION)
    _vpc2, subnets2 = network(make2("ec2"))
    default_acl2 = make2("ec2").describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [_vpc2]}])["NetworkAcls"]
    key = make2("kms").create_key(Description="eks secrets")["KeyMetadata"]["Arn"]
    keyed = make2("eks").create_cluster(
        name="keyed",
        version="1.35",
        roleArn=cluster_role,
        logging=ALL_LOGS,
        resourcesVpcConfig={"subnetIds": subnets2, "endpointPublicAccess": False, "endpointPrivateAccess": True},
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": key}}],
    )["cluster"]
    set_access_config(account_id, SECOND_REGION, "keyed", "API", False)
    logs2 = make2("logs")
    logs2.create_log_group(logGroupName="/aws/eks/keyed/cluster")  # never expires, CloudWatch's own key
    keyed_logs = logs2.describe_log_groups(logGroupNamePrefix="/aws/eks/keyed/")["logGroups"][0]["logGroupArn"]

    bucket = f"weak-trail-{account_id}"
    make("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    trail = make("cloudtrail").create_trail(Name="weak-trail", S3BucketName=bucket)["TrailARN"]

    weak = seed_weak_services(make, account_id)

    arn = cluster["arn"]
    out.expected |= {
        ("ecr-tag-immutability", weak["repository"]),
        ("ecr-kms-encryption", weak["repository"]),
        ("ecr-public-policy", weak["repository"]),
        ("ecr-image-scanning", weak["repository"]),
        ("ecr-lifecycle-policy", weak["repository"]),
        ("guardduty-eks-audit-logs", weak["audit_logs"]),
        ("stack-guardduty-eks-protection", arn),
        ("stack-guardduty-eks-protection", keyed["arn"]),
        ("stack-inspector-scanning", arn),
        ("stack-inspector-scanning", keyed["arn"]),
        ("stack-inspector-scanning", weak["repository"]),
        ("storage-encrypted", weak["file_system"]),
        ("eks-endpoint-public-access", arn),
        ("eks-public-access-cidrs-open", arn),
        ("eks-control-plane-logging", arn),
        ("eks-secrets-encryption", arn),
        ("eks-version-standard-support", arn),
        ("eks-authentication-mode", arn),
        ("eks-bootstrap-cluster-creator-admin", arn),
        ("nodegroup-ami-family", al2["nodegroupArn"]),
        ("nodegroup-ssh-remote-access", al2["nodegroupArn"]),
        ("nodegroup-ami-age", al2["nodegroupArn"]),
        ("nodegroup-ami-age", stale["nodegroupArn"]),
        ("node-imdsv2-required", eks_generated),
        ("node-ebs-encrypted", eks_generated),
        ("node-imdsv2-required", lt),
        ("node-ebs-encrypted", lt),
        ("node-public-ip", lt),
        ("sg-open-ingress", open_sg),
        ("sg-kubelet-exposed", kubelet_sg),
        ("sg-rule-description", kubelet_sg),
        ("sg-rule-description", open_sg),
        ("iam-policy-admin-wildcard", node_role),
        ("iam-node-role-admin", node_role),
        ("access-policy-cluster-admin-broad", root),
        ("nacl-admin-ports-open", default_acl["NetworkAclId"]),
        ("nacl-admin-ports-open", default_acl2[0]["NetworkAclId"]),
        ("kms-key-rotation", key),
        ("cloudtrail-multi-region", trail),
        ("cloudtrail-log-validation", trail),
        ("cloudtrail-kms", trail),
        ("cloudtrail-cloudwatch-logs", trail),
        ("cloudtrail-logging-enabled", trail),
        ("stack-trail-bucket-public-access-block", f"arn:aws:s3:::{bucket}"),
        ("stack-multi-region-trail", arn),
        ("stack-multi-region-trail", keyed["arn"]),
        ("eks-endpoint-private-access", arn),
        ("eks-deletion-protection", arn),
        ("eks-deletion-protection", keyed["arn"]),
        ("eks-control-plane-log-group", keyed_logs),
        ("eks-addon-version", "arn:addon/weak/vpc-cni"),
        ("eks-addon-identity", "arn:addon/weak/vpc-cni"),
        ("eks-addon-identity", keyed["arn"]),  # EKS's own VPC CNI, on the node role
        ("ec2-imds-account-defaults", f"{account_id}/{REGION}"),
        ("ec2-imds-account-defaults", f"{account_id}/{SECOND_REGION}"),
        ("iam-pod-identity-trust-scoped", uploader),
        ("eks-fargate-pod-execution-role", batch["fargateProfileArn"]),
    }
    out.names.update(
        cluster="weak",
        keyed=keyed["arn"],
        stale=stale["nodegroupArn"],
        al2=al2["nodegroupArn"],
        lt=lt,
        trail=trail,
        generated=eks_generated,
    )
    return out


def seed_compliant(session: boto3.Session, endpoint: str, account_id: str, clusters: int = 1) -> Seeded:
    """``clusters`` clusters sharing one VPC, security groups, key and node role; each has one node group
    with its own launch template, one access entry (a named role, view only) and the vpc-cni add-on."""
    out = Seeded(account_id)
    make = clients(session, endpoint, REGION)
    ec2, eks, iam, kms = make("ec2"), make("eks"), make("iam"), make("kms")
    vpc, subnets = network(ec2)
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for number, (protocol, ports, cidr) in enumerate(
        [("6", (443, 443), "0.0.0.0/0"), ("6", (32768, 65535), "0.0.0.0/0"), ("-1", None, "10.0.0.0/16")], start=1
    ):
        extra = {"PortRange": {"From": ports[0], "To": ports[1]}} if ports else {}
        ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=number * 100,
            Protocol=protocol,
            RuleAction="allow",
            Egress=False,
            CidrBlock=cidr,
            **extra,
        )
    associations = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": subnets}])
    for assoc in associations["NetworkAcls"][0]["Associations"]:
        ec2.replace_network_acl_association(AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=acl)
    cluster_sg = ec2.create_security_group(GroupName="cluster", Description="x", VpcId=vpc)["GroupId"]
    node_sg = ec2.create_security_group(GroupName="node", Description="x", VpcId=vpc)["GroupId"]
    for group in (cluster_sg, node_sg):  # replace the undescribed default egress rule with a described one
        anywhere = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ec2.revoke_security_group_egress(GroupId=group, IpPermissions=[anywhere])
        described = {
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "AWS APIs over HTTPS"}],
        }
        ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[described])
    ingress = [  # (group, port, source group, description)
        (cluster_sg, 443, node_sg, "nodes to the API server"),
        (node_sg, 10250, cluster_sg, "control plane to kubelet"),
    ]
    for group, port, source, description in ingress:
        pair = {"GroupId": source, "Description": description}
        rule = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "UserIdGroupPairs": [pair]}
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[rule])
    cluster_role = role(iam, "good-cluster", ASSUME_EKS, ["AmazonEKSClusterPolicy"])
    node_role = role(iam, "good-node", ASSUME_EC2, ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"])
    key = kms.create_key(Description="eks")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key)
    logs = make("logs")
    template_data = {
        "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 50, "Encrypted": True}}],
        "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": False, "Groups": [node_sg]}],
    }
    latest = "1.35.2-20261120"
    seed_release_history(
        account_id,
        REGION,
        "1.35",
        [
            ("1.35.2-20261020", dt.datetime(2026, 10, 21, tzinfo=dt.UTC)),
            (latest, dt.datetime(2026, 11, 21, tzinfo=dt.UTC)),
        ],
    )
    out.gaps.imds_defaults[REGION] = {"httpTokens": "required", "httpPutResponseHopLimit": 1}
    fargate_trust = ASSUME_EC2.replace("ec2.amazonaws.com", "eks-fargate-pods.amazonaws.com")
    fargate_role = role(iam, "good-fargate", fargate_trust, ["AmazonEKSFargatePodExecutionRolePolicy"])
    for index in range(clusters):
        name = f"good-{index}"
        lt = ec2.create_launch_template(LaunchTemplateName=f"{name}-lt", LaunchTemplateData=template_data)
        logs.create_log_group(logGroupName=f"/aws/eks/{name}/cluster", kmsKeyId=key)
        logs.put_retention_policy(logGroupName=f"/aws/eks/{name}/cluster", retentionInDays=365)
        cluster = eks.create_cluster(
            name=name,
            version="1.35",
            roleArn=cluster_role,
            logging=ALL_LOGS,
            resourcesVpcConfig={
                "subnetIds": subnets,
                "securityGroupIds": [cluster_sg],
                "endpointPublicAccess": False,
                "endpointPrivateAccess": True,
            },
            encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": key}}],
        )["cluster"]
        set_access_config(account_id, REGION, name, "API", False)
        set_deletion_protection(account_id, REGION, name)
        eks.create_nodegroup(
            clusterName=name,
            nodegroupName="workers",
            version="1.35",
            nodeRole=node_role,
            subnets=subnets,
            amiType="AL2023_x86_64_STANDARD",
            releaseVersion=latest,
            launchTemplate={"id": lt["LaunchTemplate"]["LaunchTemplateId"], "version": "1"},
        )
        drop_remote_access(account_id, REGION, name, "workers")
        viewer = f"arn:aws:iam::{account_id}:role/Viewers"
        out.gaps.access[name] = {viewer: [{"policyArn": VIEW, "accessScope": {"type": "cluster"}}]}
        eks.create_fargate_profile(
            fargateProfileName="system",
            clusterName=name,
            podExecutionRoleArn=fargate_role,
            subnets=subnets,
            selectors=[{"namespace": "batch"}],
        )
        # vpc-cni through Pod Identity, the EBS CSI driver through IRSA: each with a role of its own
        cni_trust = pod_identity_trust(account_id, cluster["arn"])
        cni_role = role(iam, f"{name}-vpc-cni", cni_trust, ["AmazonEKS_CNI_Policy"])
        issuer = cluster["identity"]["oidc"]["issuer"]
        csi_trust = irsa_trust(account_id, issuer, "kube-system", "ebs-csi-controller-sa")
        csi_role = role(iam, f"{name}-ebs-csi", csi_trust, ["service-role/AmazonEBSCSIDriverPolicy"])
        cni_arn = f"arn:aws:eks:{REGION}:{account_id}:addon/{name}/vpc-cni/0"
        out.gaps.addons[name] = {
            "vpc-cni": {
                "addonVersion": CNI_DEFAULT,
                "addonArn": cni_arn,
                "configurationValues": json.dumps({"enableNetworkPolicy": "true"}),
                "podIdentityAssociations": [
                    out.gaps.associate(account_id, REGION, name, "aws-node", cni_role, owner=cni_arn)
                ],
            },
            "aws-ebs-csi-driver": {
                "addonVersion": CSI_DEFAULT,
                "addonArn": f"arn:aws:eks:{REGION}:{account_id}:addon/{name}/aws-ebs-csi-driver/0",
                "serviceAccountRoleArn": csi_role,
            },
        }
    out.gaps.addon_defaults.update({("vpc-cni", "1.35"): CNI_DEFAULT, ("aws-ebs-csi-driver", "1.35"): CSI_DEFAULT})

    s3, trail_client = make("s3"), make("cloudtrail")
    bucket = f"org-trail-{account_id}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PAB_ON)
    logs.create_log_group(logGroupName="cloudtrail")
    group_arn = logs.describe_log_groups(logGroupNamePrefix="cloudtrail")["logGroups"][0]["arn"]
    trail_role = role(iam, "trail-logs", ASSUME_EC2.replace("ec2.amazonaws.com", "cloudtrail.amazonaws.com"), [])
    trail_client.create_trail(
        Name="org-trail",
        S3BucketName=bucket,
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=key,
        CloudWatchLogsLogGroupArn=group_arn,
        CloudWatchLogsRoleArn=trail_role,
    )
    trail_client.start_logging(Name="org-trail")
    seed_strong_services(make, account_id, key)
    return out
