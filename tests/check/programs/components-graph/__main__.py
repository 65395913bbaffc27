"""Controls whose truth lives in another resource: subnets that map public IPs, a role that trusts EC2, a policy
document in its own resource, an IRSA trust whose OIDC issuer is not known until apply."""

import json

import pulumi_aws as aws

vpc = aws.ec2.Vpc("vpc", cidr_block="10.30.0.0/16")
public = aws.ec2.Subnet("public", vpc_id=vpc.id, cidr_block="10.30.0.0/20", map_public_ip_on_launch=True)
private = aws.ec2.Subnet("private", vpc_id=vpc.id, cidr_block="10.30.16.0/20")

ec2_trust = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
node_role = aws.iam.Role("nodes", assume_role_policy=ec2_trust)
aws.iam.RolePolicyAttachment(
    "nodes-admin", role=node_role.name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
)

everything = aws.iam.Policy(
    "everything",
    policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
)
builder_role = aws.iam.Role("builder", assume_role_policy=ec2_trust)
aws.iam.RolePolicyAttachment("builder-everything", role=builder_role.name, policy_arn=everything.arn)

cluster_role = aws.iam.Role(
    "cluster",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    ),
)
cluster = aws.eks.Cluster(
    "cluster",
    role_arn=cluster_role.arn,
    version="1.35",
    vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=[private.id], endpoint_public_access=False),
    enabled_cluster_log_types=["api", "audit", "authenticator", "controllerManager", "scheduler"],
    access_config=aws.eks.ClusterAccessConfigArgs(
        authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False
    ),
)

# Managed nodes on the launch template EKS creates, in both subnets: the public one maps public IPs.
aws.eks.NodeGroup(
    "nodes",
    cluster_name=cluster.name,
    node_role_arn=node_role.arn,
    subnet_ids=[public.id, private.id],
    scaling_config=aws.eks.NodeGroupScalingConfigArgs(desired_size=2, min_size=1, max_size=3),
)

# IRSA: the trust names the cluster's OIDC provider and its "<issuer>:sub" condition key, both unknown until the
# cluster exists; its structure already says it is no node role, whatever policy it holds.
issuer = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer.removeprefix("https://"))
irsa_trust = aws.iam.get_policy_document_output(
    statements=[
        aws.iam.GetPolicyDocumentStatementArgs(
            actions=["sts:AssumeRoleWithWebIdentity"],
            principals=[
                aws.iam.GetPolicyDocumentStatementPrincipalArgs(
                    type="Federated",
                    identifiers=[issuer.apply(lambda i: f"arn:aws:iam::111122223333:oidc-provider/{i}")],
                )
            ],
            conditions=[
                aws.iam.GetPolicyDocumentStatementConditionArgs(
                    test="StringEquals",
                    variable=issuer.apply(lambda i: f"{i}:sub"),
                    values=["system:serviceaccount:app:app"],
                )
            ],
        )
    ]
)
irsa = aws.iam.Role("app", assume_role_policy=irsa_trust.json)
aws.iam.RolePolicyAttachment("app-admin", role=irsa.name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")
