"""Seed a moto account through the API (plus the few backend writes moto's API does not allow).

``seed_insecure`` returns the exact set of (control id, resource) the audit must report; ``seed_compliant``
builds an account that must yield no finding.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.eks.models import eks_backends
from moto.ssm.models import Parameter, ssm_backends

from eksguard.audit.aws.amis import ami_parameter

TODAY = dt.date(2026, 11, 28)
REGION = "eu-west-1"
SECOND_REGION = "us-east-1"
ALL_LOGS = {
    "clusterLogging": [{"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"], "enabled": True}]
}
ASSUME_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
ASSUME_EKS = ASSUME_EC2.replace("ec2.amazonaws.com", "eks.amazonaws.com")
PAB_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


@dataclass
class Seeded:
    account_id: str
    expected: set[tuple[str, str]] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)


def seed_release_history(account_id: str, region: str, version: str, releases: list[tuple[str, dt.datetime]]) -> None:
    """moto refuses PutParameter under /aws/service (reserved): write the public parameter's history into the
    backend of the server running in this process."""
    name = ami_parameter("AL2023_x86_64_STANDARD", version)
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


def _clients(session: boto3.Session, endpoint: str, region: str) -> Any:
    def make(service: str) -> Any:
        return session.client(service, region_name=region, endpoint_url=endpoint)

    return make


def _network(ec2: Any) -> tuple[str, list[str]]:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
    return vpc, subnets


def _role(iam: Any, name: str, document: str, policies: list[str]) -> str:
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)["Role"]["Arn"]
    for policy in policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
    return arn


def _set_access_config(account_id: str, region: str, cluster: str, mode: str, bootstrap: bool) -> None:
    """moto's EKS drops accessConfig; the server serialises the backend attribute."""
    eks_backends[account_id][region].clusters[cluster].access_config = {
        "authenticationMode": mode,
        "bootstrapClusterCreatorAdminPermissions": bootstrap,
    }


def _drop_remote_access(account_id: str, region: str, cluster: str, nodegroup: str) -> None:
    """moto gives every node group remoteAccess; AWS never does when a launch template is used."""
    eks_backends[account_id][region].clusters[cluster].nodegroups[nodegroup].remote_access = None


def seed_insecure(session: boto3.Session, endpoint: str, account_id: str) -> Seeded:
    out = Seeded(account_id)
    client = _clients(session, endpoint, REGION)
    ec2, eks, iam = client("ec2"), client("eks"), client("iam")
    vpc, subnets = _network(ec2)
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
    cluster_role = _role(iam, "weak-cluster", ASSUME_EKS, ["AmazonEKSClusterPolicy"])
    node_role = _role(iam, "weak-node", ASSUME_EC2, ["AmazonEKSWorkerNodePolicy", "AdministratorAccess"])
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_role_policy(RoleName="weak-node", PolicyName="debug", PolicyDocument=json.dumps(everything))

    cluster = eks.create_cluster(
        name="weak",
        version="1.33",
        roleArn=cluster_role,
        resourcesVpcConfig={"subnetIds": subnets, "securityGroupIds": [open_sg]},
    )["cluster"]
    _set_access_config(account_id, REGION, "weak", "CONFIG_MAP", True)
    al2 = eks.create_nodegroup(
        clusterName="weak",
        nodegroupName="al2",
        nodeRole=node_role,
        subnets=subnets,
        amiType="AL2_x86_64",
        remoteAccess={"ec2SshKey": "ops"},
        releaseVersion="1.33.5-20260901",
    )["nodegroup"]
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
        nodeRole=node_role,
        subnets=subnets,
        amiType="AL2023_x86_64_STANDARD",
        releaseVersion="1.33.5-20260901",
        launchTemplate={"id": lt, "version": "1"},
    )["nodegroup"]
    _drop_remote_access(account_id, REGION, "weak", "stale")
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

    # A second region: a private, logged, encrypted cluster whose key does not rotate.
    client2 = _clients(session, endpoint, SECOND_REGION)
    _vpc2, subnets2 = _network(client2("ec2"))
    key = client2("kms").create_key(Description="eks secrets")["KeyMetadata"]["Arn"]
    keyed = client2("eks").create_cluster(
        name="keyed",
        version="1.35",
        roleArn=cluster_role,
        logging=ALL_LOGS,
        resourcesVpcConfig={"subnetIds": subnets2, "endpointPublicAccess": False, "endpointPrivateAccess": True},
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": key}}],
    )["cluster"]
    _set_access_config(account_id, SECOND_REGION, "keyed", "API", False)

    bucket = f"weak-trail-{account_id}"
    client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    trail = client("cloudtrail").create_trail(Name="weak-trail", S3BucketName=bucket)["TrailARN"]

    arn = cluster["arn"]
    out.expected |= {
        ("eks-endpoint-public-access", arn),
        ("eks-public-access-cidrs-open", arn),
        ("eks-control-plane-logging", arn),
        ("eks-secrets-encryption", arn),
        ("eks-version-standard-support", arn),
        ("eks-authentication-mode", arn),
        ("eks-bootstrap-cluster-creator-admin", arn),
        ("nodegroup-ami-family", al2["nodegroupArn"]),
        ("nodegroup-ssh-remote-access", al2["nodegroupArn"]),
        ("node-ebs-encrypted", al2["nodegroupArn"]),
        ("nodegroup-ami-age", stale["nodegroupArn"]),
        ("node-imdsv2-required", lt),
        ("node-ebs-encrypted", lt),
        ("node-public-ip", lt),
        ("sg-open-ingress", open_sg),
        ("sg-kubelet-exposed", kubelet_sg),
        ("sg-rule-description", kubelet_sg),
        ("sg-rule-description", open_sg),
        ("iam-policy-admin-wildcard", node_role),
        ("nacl-admin-ports-open", default_acl["NetworkAclId"]),
        ("iam-node-role-admin", node_role),
        ("kms-key-rotation", key),
        ("cloudtrail-multi-region", trail),
        ("cloudtrail-log-validation", trail),
        ("cloudtrail-kms", trail),
        ("cloudtrail-cloudwatch-logs", trail),
        ("cloudtrail-logging-enabled", trail),
        ("cloudtrail-bucket-public-access-block", f"arn:aws:s3:::{bucket}"),
        ("stack-multi-region-trail", f"account {account_id}"),
    }
    out.names.update(cluster="weak", keyed=keyed["arn"], stale=stale["nodegroupArn"], lt=lt, trail=trail)
    return out


def seed_compliant(session: boto3.Session, endpoint: str, account_id: str, clusters: int = 1) -> Seeded:
    """``clusters`` clusters sharing one VPC, security groups, key and node role; each has one node group
    with its own launch template."""
    out = Seeded(account_id)
    client = _clients(session, endpoint, REGION)
    ec2, eks, iam, kms = client("ec2"), client("eks"), client("iam"), client("kms")
    vpc, subnets = _network(ec2)
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
    cluster_role = _role(iam, "good-cluster", ASSUME_EKS, ["AmazonEKSClusterPolicy"])
    node_role = _role(
        iam,
        "good-node",
        ASSUME_EC2,
        ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"],
    )
    key = kms.create_key(Description="eks")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key)
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
    for index in range(clusters):
        name = f"good-{index}"
        lt = ec2.create_launch_template(LaunchTemplateName=f"{name}-lt", LaunchTemplateData=template_data)
        eks.create_cluster(
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
        )
        _set_access_config(account_id, REGION, name, "API", False)
        eks.create_nodegroup(
            clusterName=name,
            nodegroupName="workers",
            nodeRole=node_role,
            subnets=subnets,
            amiType="AL2023_x86_64_STANDARD",
            releaseVersion=latest,
            launchTemplate={"id": lt["LaunchTemplate"]["LaunchTemplateId"], "version": "1"},
        )
        _drop_remote_access(account_id, REGION, name, "workers")

    s3, logs, trail_client = client("s3"), client("logs"), client("cloudtrail")
    bucket = f"org-trail-{account_id}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PAB_ON)
    logs.create_log_group(logGroupName="cloudtrail")
    group_arn = logs.describe_log_groups(logGroupNamePrefix="cloudtrail")["logGroups"][0]["arn"]
    trail_role = _role(iam, "trail-logs", ASSUME_EC2.replace("ec2.amazonaws.com", "cloudtrail.amazonaws.com"), [])
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
    return out
