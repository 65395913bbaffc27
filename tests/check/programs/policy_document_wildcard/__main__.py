"""The deploy pipeline's role: trusted by the CI account, with an inline policy built from
aws.iam.get_policy_document that ended up allowing every action on every resource."""

import pulumi_aws as aws

ci = aws.get_caller_identity()
trust = aws.iam.get_policy_document_output(
    statements=[
        {
            "actions": ["sts:AssumeRole"],
            "principals": [{"type": "AWS", "identifiers": [f"arn:aws:iam::{ci.account_id}:root"]}],
        }
    ]
)
deployer = aws.iam.Role("deployer", assume_role_policy=trust.json)

everything = aws.iam.get_policy_document_output(
    statements=[
        {"sid": "Deploy", "actions": ["eks:*", "*"], "resources": ["*"]},
        {"sid": "ReadState", "actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::deploy-state/*"]},
    ]
)
aws.iam.RolePolicy("deployer-everything", role=deployer.id, policy=everything.json)
