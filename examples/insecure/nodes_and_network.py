"""Insecure resources: worker nodes, security groups and network ACLs, the way a hurried newcomer writes them.

Breaks every control of policies/eksguard_policies/controls/{nodes,patching,security_groups,network}.toml.
"""

import pulumi_aws as aws

VPC_ID = "vpc-0insecure0example"
PUBLIC_SUBNETS = ["subnet-0public0a", "subnet-0public0b"]

# A launch template copied from an old blog post: no metadataOptions (IMDSv1, AMI-chosen hop limit),
# an unencrypted root volume, public IPs, and a pinned image nobody updates.
node_template = aws.ec2.LaunchTemplate(
    "nodes-lt",
    image_id="ami-0123456789abcdef0",
    instance_type="t3.large",
    block_device_mappings=[
        aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name="/dev/xvda",
            ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(volume_size=100, encrypted="false"),
        )
    ],
    network_interfaces=[aws.ec2.LaunchTemplateNetworkInterfaceArgs(device_index=0, associate_public_ip_address="true")],
)

# Managed node group on Amazon Linux 2 with an old pinned release and SSH open to the world
# (an SSH key without sourceSecurityGroupIds makes EKS open port 22 to 0.0.0.0/0).
aws.eks.NodeGroup(
    "nodes",
    cluster_name="insecure",
    node_role_arn="arn:aws:iam::123456789012:role/eks-node-role",
    subnet_ids=PUBLIC_SUBNETS,
    ami_type="AL2_x86_64",
    release_version="1.29.0-20240202",
    scaling_config=aws.eks.NodeGroupScalingConfigArgs(desired_size=2, min_size=1, max_size=3),
    remote_access=aws.eks.NodeGroupRemoteAccessArgs(ec2_ssh_key="my-laptop"),
)

# A bastion-style node started by hand: IMDSv1 with hop limit 2, unencrypted root volume, public IP.
aws.ec2.Instance(
    "debug-node",
    ami="ami-0123456789abcdef0",
    instance_type="t3.medium",
    subnet_id=PUBLIC_SUBNETS[0],
    associate_public_ip_address=True,
    metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="optional", http_put_response_hop_limit=2),
    root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(volume_size=50, encrypted=False),
)

# Security groups in all three forms: inline rules "to debug", a classic rule, and the newer vpc rule.
node_sg = aws.ec2.SecurityGroup(
    "nodes-sg",
    vpc_id=VPC_ID,
    ingress=[
        aws.ec2.SecurityGroupIngressArgs(protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"]),
        aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=22, to_port=22, cidr_blocks=["0.0.0.0/0"]),
    ],
    egress=[aws.ec2.SecurityGroupEgressArgs(protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"])],
)
aws.ec2.SecurityGroupRule(
    "kubelet-from-office",
    type="ingress",
    security_group_id=node_sg.id,
    protocol="tcp",
    from_port=10250,
    to_port=10250,
    cidr_blocks=["203.0.113.0/24"],
)
aws.vpc.SecurityGroupIngressRule(
    "nodeports-ipv6",
    security_group_id=node_sg.id,
    ip_protocol="tcp",
    from_port=30000,
    to_port=32767,
    cidr_ipv6="::/0",
)
aws.vpc.SecurityGroupEgressRule("nodes-egress", security_group_id=node_sg.id, ip_protocol="-1", cidr_ipv4="0.0.0.0/0")

# A network ACL that "fixes connectivity" by allowing SSH and RDP from anywhere, in both forms.
acl = aws.ec2.NetworkAcl(
    "nodes-nacl",
    vpc_id=VPC_ID,
    subnet_ids=PUBLIC_SUBNETS,
    ingress=[
        aws.ec2.NetworkAclIngressArgs(
            rule_no=100, action="allow", protocol="tcp", from_port=22, to_port=22, cidr_block="0.0.0.0/0"
        )
    ],
)
other_acl = aws.ec2.NetworkAcl("nodes-nacl-b", vpc_id=VPC_ID)
aws.ec2.NetworkAclRule(
    "rdp-anywhere",
    network_acl_id=other_acl.id,
    rule_number=100,
    rule_action="allow",
    protocol="tcp",
    from_port=3389,
    to_port=3389,
    cidr_block="0.0.0.0/0",
)
