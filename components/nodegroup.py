"""NodeGroup: an EKS managed node group on a hardened launch template, patched from AWS's public AMI parameters.

Launch template: IMDSv2 only with hop limit 1 (pods cannot reach node credentials), encrypted gp3 volumes
with a customer-managed key, no public IP, no SSH key, detailed monitoring, the node security group.
The node group runs AL2023 or Bottlerocket only, with ``releaseVersion`` read at deploy time from the AWS
public SSM parameter for the cluster's Kubernetes version (the latest patched AMI). The node role holds only
the three node policies; the VPC CNI policy sits on a separate role for kube-system/aws-node
(https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html), bound through EKS Pod Identity (with the
eks-pod-identity-agent add-on) or IRSA (the vpc-cni add-on annotated with the role).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
import pulumi_aws as aws
from eksguard_policies import facts, versions

from components._common import InvalidArgumentError, coerce_args, require_choice, type_token
from components.iam import (
    AwsAccount,
    attach_managed_policies,
    aws_account,
    customer_key,
    pod_identity_role,
    policy_document,
    service_trust_policy,
)

AMI_FAMILIES = tuple(facts.PATCHED_AMI_PARAMETERS)
ARCHITECTURES = facts.AMI_ARCHITECTURES
CNI_IDENTITIES = ("pod-identity", "irsa", "external")
CAPACITY_TYPES = ("ON_DEMAND", "SPOT")
AMI_TYPES = {
    ("AL2023", "x86_64"): "AL2023_x86_64_STANDARD",
    ("AL2023", "arm64"): "AL2023_ARM_64_STANDARD",
    ("BOTTLEROCKET", "x86_64"): "BOTTLEROCKET_x86_64",
    ("BOTTLEROCKET", "arm64"): "BOTTLEROCKET_ARM_64",
}
DEFAULT_INSTANCE_TYPES = {"x86_64": ["m7i.large"], "arm64": ["m7g.large"]}
NODE_POLICIES = {
    "policy-worker-node": "AmazonEKSWorkerNodePolicy",
    "policy-ecr-read-only": facts.ECR_READ_ONLY_POLICY,
    "policy-ssm-core": "AmazonSSMManagedInstanceCore",
}
CNI = facts.ADDON_IDENTITIES[facts.VPC_CNI_ADDON]
CNI_POLICIES = {"policy-cni": CNI.policy}
# The EKS add-on that lets each identity reach aws-node (https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html,
# https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html).
CNI_ADDONS = {"pod-identity": facts.POD_IDENTITY_AGENT_ADDON, "irsa": facts.VPC_CNI_ADDON}


def ami_release_parameter(kubernetes_version: str, ami_family: str, architecture: str) -> str:
    """The AWS public SSM parameter holding the newest release for this version, AMI family and architecture."""
    _check_ami_family("ami_release_parameter", ami_family)
    require_choice("ami_release_parameter", "architecture", architecture, ARCHITECTURES)
    return facts.PATCHED_AMI_PARAMETERS[ami_family].release(kubernetes_version, architecture)


@dataclass
class NodeGroupArgs:
    cluster_name: pulumi.Input[str] = ""
    """The EKS cluster (created in this stack or existing); version and OIDC issuer are looked up from it."""
    subnet_ids: pulumi.Input[list[pulumi.Input[str]]] = field(default_factory=list)
    """Private subnets for the nodes."""
    node_security_group_id: pulumi.Input[str] = ""
    """The node security group, e.g. DataPlaneSecurityGroups.node_security_group_id."""
    ami_family: str = "AL2023"
    """AL2023 or BOTTLEROCKET (Amazon Linux 2 AMIs are out of support)."""
    architecture: str = "x86_64"
    """x86_64 or arm64."""
    kubernetes_version: str | None = None
    """Kubernetes version of the nodes, in standard support (default: the cluster's version)."""
    instance_types: list[str] | None = None
    """EC2 instance types (default: m7i.large for x86_64, m7g.large for arm64)."""
    capacity_type: str = "ON_DEMAND"
    """ON_DEMAND or SPOT."""
    min_size: int = 2
    """Minimum number of nodes."""
    desired_size: int = 2
    """Desired number of nodes."""
    max_size: int = 4
    """Maximum number of nodes."""
    max_unavailable_percentage: int = 33
    """Share of nodes replaced at once during updates (1-100)."""
    disk_size_gib: int = 50
    """Size of the root (AL2023) or data (Bottlerocket) volume in GiB (20-16384)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """KMS key for the EBS volumes (default: a new key with rotation). A key you bring must let Auto Scaling use it."""
    cni_identity: str = "pod-identity"
    """How aws-node gets the CNI policy: pod-identity, irsa, or external (one identity per cluster: another
    NodeGroup of the cluster, or you, provides it; no CNI role is created here)."""
    manage_cni_addon: bool = True
    """Create the add-on the CNI identity needs: eks-pod-identity-agent (pod-identity) or vpc-cni pointed at the
    role (irsa). False when the cluster already has that add-on; for irsa, then bind cni_role_arn yourself."""
    oidc_provider_arn: pulumi.Input[str] | None = None
    """IRSA only: the cluster's IAM OIDC provider (default: derived from the cluster's issuer and this account)."""
    labels: dict[str, str] = field(default_factory=dict)
    """Kubernetes labels for the nodes."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags for every taggable child resource."""


class NodeGroup(pulumi.ComponentResource):
    """A managed node group on a hardened launch template, on the latest patched AL2023 or Bottlerocket AMI."""

    node_group_name: pulumi.Output[str]
    """The EKS managed node group name."""
    node_role_arn: pulumi.Output[str]
    """ARN of the node IAM role (worker node, ECR read-only and SSM policies only)."""
    cni_role_arn: pulumi.Output[Optional[str]]  # noqa: UP045 (the schema analyzer reads Optional)
    """ARN of the role holding AmazonEKS_CNI_Policy for kube-system/aws-node (none if cni_identity is external)."""
    launch_template_id: pulumi.Output[str]
    """The hardened launch template."""
    release_version: pulumi.Output[str]
    """The AMI release version read from the public SSM parameter."""

    def __init__(self, name: str, args: NodeGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = coerce_args(NodeGroupArgs, args)
        validate(name, args)
        super().__init__(type_token(NodeGroup), name, None, opts)
        self._name = name
        self._args = args
        # Children do not inherit depends_on: what the component is told to wait for (e.g. the add-ons giving aws-node
        # its identity on a cluster created alongside), its node group waits for.
        self._waits_for = opts.depends_on if opts is not None else None
        # A known version keeps the AMI lookup resolvable at preview; only without one is the cluster read.
        k8s_version = pulumi.Output.from_input(args.kubernetes_version or self._cluster.version)
        release = self._lookup_release(k8s_version)

        key_arn = args.kms_key_arn or self._create_key().arn
        template = self._create_launch_template(key_arn)
        node_role, node_attachments = self._create_node_role()
        cni_role, cni_binding = (None, []) if args.cni_identity == "external" else self._create_cni_identity()
        group = self._create_node_group(
            template, node_role, k8s_version, release, depends_on=[*node_attachments, *cni_binding]
        )

        self.node_group_name = group.node_group_name
        self.node_role_arn = node_role.arn
        self.cni_role_arn = cni_role.arn if cni_role else pulumi.Output.from_input(None)
        self.launch_template_id = template.id
        self.release_version = release
        self.register_outputs(
            {
                "node_group_name": self.node_group_name,
                "node_role_arn": self.node_role_arn,
                "cni_role_arn": self.cni_role_arn,
                "launch_template_id": self.launch_template_id,
                "release_version": self.release_version,
            }
        )

    @functools.cached_property
    def _cluster(self) -> pulumi.Output[aws.eks.GetClusterResult]:
        """The cluster as AWS describes it; looked up only when its version or OIDC issuer is needed."""
        return aws.eks.get_cluster_output(name=self._args.cluster_name, opts=pulumi.InvokeOutputOptions(parent=self))

    def _opts(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _lookup_release(self, k8s_version: pulumi.Output[str]) -> pulumi.Output[str]:
        path = k8s_version.apply(lambda v: ami_release_parameter(v, self._args.ami_family, self._args.architecture))
        return aws.ssm.get_parameter_output(name=path, opts=pulumi.InvokeOutputOptions(parent=self)).value

    def _create_key(self) -> aws.kms.Key:
        # EC2 Auto Scaling launches the nodes, so its service-linked role must be able to use the key
        # (https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html).
        return customer_key(
            f"{self._name}-kms",
            f"EKS node group {self._name}: EBS volumes",
            aws_account(self).apply(_ebs_key_policy),
            self,
            self._args.tags,
        )

    def _create_launch_template(self, key_arn: pulumi.Input[str]) -> aws.ec2.LaunchTemplate:
        ebs = {"encrypted": "true", "kms_key_id": key_arn, "volume_type": "gp3", "delete_on_termination": "true"}
        if self._args.ami_family == "BOTTLEROCKET":  # xvda: OS (snapshot size), xvdb: container data
            devices = [("/dev/xvda", None), ("/dev/xvdb", self._args.disk_size_gib)]
        else:
            devices = [("/dev/xvda", self._args.disk_size_gib)]
        return aws.ec2.LaunchTemplate(
            f"{self._name}-lt",
            description=f"eksguard node group {self._name}",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=facts.IMDS_HOP_LIMIT,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=device, ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(volume_size=size, **ebs)
                )
                for device, size in devices
            ],
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    device_index=0,
                    associate_public_ip_address="false",
                    delete_on_termination="true",
                    security_groups=[self._args.node_security_group_id],
                )
            ],
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=self._args.tags)
                for kind in ("instance", "volume")
            ]
            if self._args.tags
            else None,
            tags=self._args.tags,
            opts=self._opts(),
        )

    def _create_node_role(self) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
        role = aws.iam.Role(
            f"{self._name}-node-role",
            assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
            tags=self._args.tags,
            opts=self._opts(),
        )
        return role, attach_managed_policies(f"{self._name}-node-role", role, NODE_POLICIES, self)

    def _create_cni_identity(self) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        """The CNI role and what binds it to aws-node; the node group waits for all of it."""
        pod_identity = self._args.cni_identity == "pod-identity"
        name, tags = f"{self._name}-cni-role", self._args.tags
        if pod_identity:
            role, attachments = pod_identity_role(name, self, self._args.cluster_name, CNI_POLICIES, tags)
        else:
            role = aws.iam.Role(name, assume_role_policy=self._irsa_trust_policy(), tags=tags, opts=self._opts())
            attachments = attach_managed_policies(name, role, CNI_POLICIES, self)
        binding: list[pulumi.Resource] = list(attachments)
        if pod_identity:
            binding.append(
                aws.eks.PodIdentityAssociation(
                    f"{self._name}-cni-pod-identity",
                    cluster_name=self._args.cluster_name,
                    namespace=CNI.namespace,
                    service_account=CNI.service_account,
                    role_arn=role.arn,
                    tags=self._args.tags,
                    opts=self._opts(),
                )
            )
        if self._args.manage_cni_addon:
            binding.append(self._create_cni_addon(role, depends_on=list(binding)))
        return role, binding

    def _create_cni_addon(self, role: aws.iam.Role, depends_on: list[pulumi.Resource]) -> aws.eks.Addon:
        addon = CNI_ADDONS[self._args.cni_identity]
        return aws.eks.Addon(
            f"{self._name}-{addon}",
            cluster_name=self._args.cluster_name,
            addon_name=addon,
            # irsa: aws-node's service account is annotated with the role; the add-on adopts a self-managed aws-node,
            # and enforces NetworkPolicies as a Cluster's does.
            service_account_role_arn=role.arn if addon == facts.VPC_CNI_ADDON else None,
            configuration_values=json.dumps(facts.VPC_CNI_NETWORK_POLICY) if addon == facts.VPC_CNI_ADDON else None,
            resolve_conflicts_on_create="OVERWRITE",
            tags=self._args.tags,
            opts=self._opts(depends_on=depends_on),
        )

    def _irsa_trust_policy(self) -> pulumi.Output[str]:
        issuer = self._cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer.removeprefix("https://"))
        provider_arn = self._args.oidc_provider_arn or pulumi.Output.all(aws_account(self), issuer).apply(
            lambda a: f"arn:{a[0].partition}:iam::{a[0].id}:oidc-provider/{a[1]}"
        )
        return pulumi.Output.all(provider_arn, issuer).apply(
            lambda a: policy_document(
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": a[0]},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{a[1]}:sub": f"system:serviceaccount:{CNI.namespace}:{CNI.service_account}",
                            f"{a[1]}:aud": facts.IRSA_AUDIENCE,
                        }
                    },
                }
            )
        )

    def _create_node_group(
        self,
        template: aws.ec2.LaunchTemplate,
        role: aws.iam.Role,
        k8s_version: pulumi.Output[str],
        release: pulumi.Output[str],
        depends_on: list[pulumi.Resource],
    ) -> aws.eks.NodeGroup:
        args = self._args
        return aws.eks.NodeGroup(
            f"{self._name}-ng",
            cluster_name=args.cluster_name,
            node_role_arn=role.arn,
            subnet_ids=args.subnet_ids,
            ami_type=AMI_TYPES[(args.ami_family, args.architecture)],
            version=k8s_version,
            release_version=release,
            capacity_type=args.capacity_type,
            instance_types=args.instance_types or DEFAULT_INSTANCE_TYPES[args.architecture],
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=args.min_size, desired_size=args.desired_size, max_size=args.max_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=args.max_unavailable_percentage),
            labels=args.labels,
            tags=args.tags,
            opts=pulumi.ResourceOptions.merge(
                pulumi.ResourceOptions(depends_on=self._waits_for),
                self._opts(depends_on=depends_on, ignore_changes=["scalingConfig.desiredSize"]),
            ),
        )


def _ebs_key_policy(a: AwsAccount) -> str:
    autoscaling = (
        f"arn:{a.partition}:iam::{a.id}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    return policy_document(
        a.administers_key(),
        {"Sid": "AutoScalingUsesKey", "Effect": "Allow", "Principal": {"AWS": autoscaling},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
         "Resource": "*"},
        {"Sid": "AutoScalingGrants", "Effect": "Allow", "Principal": {"AWS": autoscaling},
         "Action": "kms:CreateGrant", "Resource": "*", "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
    )  # fmt: skip


def _check_ami_family(component: str, ami_family: str) -> None:
    if ami_family == "AL2":
        raise InvalidArgumentError(
            component,
            "ami_family",
            f"is 'AL2': EKS-optimized Amazon Linux 2 AMIs reached end of support on {facts.AL2_END_OF_SUPPORT}",
            AMI_FAMILIES,
        )
    require_choice(component, "ami_family", ami_family, AMI_FAMILIES)


def validate(name: str, args: NodeGroupArgs) -> None:
    """Raise the InvalidArgumentError that ``NodeGroup(name, args)`` would raise, registering nothing."""
    c = "NodeGroup"
    if not args.cluster_name:
        raise InvalidArgumentError(
            c, "cluster_name", "is missing", "the name of an EKS cluster (or Cluster.cluster_name)"
        )
    if not isinstance(args.subnet_ids, pulumi.Output | list) or args.subnet_ids == []:
        raise InvalidArgumentError(c, "subnet_ids", f"is {args.subnet_ids!r}", "a non-empty list of private subnet ids")
    if not args.node_security_group_id:
        raise InvalidArgumentError(
            c,
            "node_security_group_id",
            "is missing",
            "a security group id (DataPlaneSecurityGroups.node_security_group_id)",
        )
    _check_ami_family(c, args.ami_family)
    require_choice(c, "architecture", args.architecture, ARCHITECTURES)
    if args.kubernetes_version is not None:
        require_choice(c, "kubernetes_version", args.kubernetes_version, versions.standard_support_versions())
    require_choice(c, "capacity_type", args.capacity_type, CAPACITY_TYPES)
    require_choice(c, "cni_identity", args.cni_identity, CNI_IDENTITIES)
    if not isinstance(args.manage_cni_addon, bool):
        raise InvalidArgumentError(c, "manage_cni_addon", f"is {args.manage_cni_addon!r}", (True, False))
    if args.oidc_provider_arn is not None and args.cni_identity != "irsa":
        raise InvalidArgumentError(c, "oidc_provider_arn", "is set but cni_identity is not 'irsa'", ["irsa"])
    sizes = (args.min_size, args.desired_size, args.max_size)
    if (
        not all(_is_int(s) for s in sizes)
        or not 0 <= args.min_size <= args.desired_size <= args.max_size
        or args.max_size < 1
    ):
        raise InvalidArgumentError(
            c, [("min_size", "desired_size", "max_size")], f"are {sizes!r}", "0 <= min <= desired <= max, max >= 1"
        )
    if not _is_int(args.max_unavailable_percentage) or not 1 <= args.max_unavailable_percentage <= 100:
        raise InvalidArgumentError(
            c, "max_unavailable_percentage", f"is {args.max_unavailable_percentage!r}", "1 to 100"
        )
    if not _is_int(args.disk_size_gib) or not 20 <= args.disk_size_gib <= 16384:
        raise InvalidArgumentError(c, "disk_size_gib", f"is {args.disk_size_gib!r}", "20 to 16384")
    if args.instance_types is not None and (
        not isinstance(args.instance_types, list)
        or not args.instance_types
        or not all(isinstance(t, str) and "." in t for t in args.instance_types)
    ):
        raise InvalidArgumentError(
            c, "instance_types", f"is {args.instance_types!r}", "a non-empty list like ['m7i.large']"
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
