"""A sandbox cluster named by pulumi-random (installed only in this program's own virtualenv), with its API
endpoint open to the internet."""

import json

import pulumi_aws as aws
import pulumi_random as random

pet = random.RandomPet("sandbox", length=2)
role = aws.iam.Role(
    "sandbox-cluster",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    ),
)
aws.eks.Cluster(
    "sandbox",
    name=pet.id,
    role_arn=role.arn,
    vpc_config={"subnet_ids": ["subnet-0a1", "subnet-0b2"], "endpoint_public_access": True},
)
