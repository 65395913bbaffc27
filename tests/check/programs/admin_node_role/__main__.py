"""Nodes could not pull from a private registry, so someone gave the node role AdministratorAccess. The role
is auto-named, the attachment refers to it by name: a real preview knows that name before the pack runs."""

import pulumi_aws as aws

trust = aws.iam.get_policy_document(
    statements=[
        aws.iam.GetPolicyDocumentStatementArgs(
            actions=["sts:AssumeRole"],
            principals=[
                aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="Service", identifiers=["ec2.amazonaws.com"])
            ],
        )
    ]
)
node_role = aws.iam.Role("eks-node", assume_role_policy=trust.json)
aws.iam.RolePolicyAttachment(
    "eks-node-admin", role=node_role.name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
)
aws.iam.InstanceProfile("eks-node", role=node_role.name)
