"""aws.iam.get_policy_document computed as terraform-provider-aws computes it (policy_document_data_source.go,
policy_model.go): the exact JSON text, so the IAM rules judge what the provider would produce."""

from __future__ import annotations

import json
import textwrap
import zlib

import pytest

from eksguard.engine.policy_document import PolicyDocumentError, policy_document

TRUST = {
    "statements": [
        {"actions": ["sts:AssumeRole"], "principals": [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}]}
    ]
}


def _doc(text: str) -> str:
    return textwrap.dedent(text).strip()


CASES = [
    pytest.param(
        TRUST,
        """
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Effect": "Allow",
              "Action": "sts:AssumeRole",
              "Principal": {
                "Service": "ec2.amazonaws.com"
              }
            }
          ]
        }
        """,
        id="effect-defaults-to-allow-single-values-collapse",
    ),
    pytest.param(
        {
            "statements": [
                {
                    "sid": "Read",
                    "effect": "Deny",
                    "actions": ["s3:GetObject", "s3:ListBucket", "s3:GetObject"],
                    "resources": ["arn:aws:s3:::b/&{aws:username}/*"],
                    "principals": [
                        {"type": "Service", "identifiers": ["eks.amazonaws.com"]},
                        {
                            "type": "AWS",
                            "identifiers": ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"],
                        },
                    ],
                    "conditions": [
                        {"test": "StringLike", "variable": "s3:prefix", "values": ["b/*", "a/*"]},
                        {"test": "StringEquals", "variable": "aws:PrincipalTag/team", "values": ["a<b"]},
                    ],
                }
            ]
        },
        """
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Sid": "Read",
              "Effect": "Deny",
              "Action": [
                "s3:ListBucket",
                "s3:GetObject"
              ],
              "Resource": "arn:aws:s3:::b/${aws:username}/*",
              "Principal": {
                "AWS": [
                  "arn:aws:iam::222222222222:root",
                  "arn:aws:iam::111111111111:root"
                ],
                "Service": "eks.amazonaws.com"
              },
              "Condition": {
                "StringEquals": {
                  "aws:PrincipalTag/team": "a\\u003cb"
                },
                "StringLike": {
                  "s3:prefix": [
                    "b/*",
                    "a/*"
                  ]
                }
              }
            }
          ]
        }
        """,
        id="sets-dedup-and-sort-in-reverse-principals-by-type-conditions-keep-order",
    ),
    pytest.param(
        {
            "statements": [
                {"actions": ["*"], "resources": ["*"], "principals": [{"type": "*", "identifiers": ["*"]}]},
                {"notActions": ["iam:*"], "notResources": ["*"], "principals": [{"type": "AWS", "identifiers": ["*"]}]},
            ]
        },
        """
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Effect": "Allow",
              "Action": "*",
              "Resource": "*",
              "Principal": "*"
            },
            {
              "Effect": "Allow",
              "NotAction": "iam:*",
              "NotResource": "*",
              "Principal": {
                "AWS": "*"
              }
            }
          ]
        }
        """,
        id="only-a-star-typed-star-principal-is-a-bare-star",
    ),
    pytest.param(
        {
            "policyId": "deploy",
            "sourcePolicyDocuments": [
                json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
                    }
                )
            ],
            "statements": [{"sid": "B", "actions": ["eks:DescribeCluster"], "resources": ["*"]}],
            "overridePolicyDocuments": [
                json.dumps({"Statement": [{"Sid": "A", "Effect": "Deny", "Action": ["s3:Delete*"], "Resource": "*"}]})
            ],
        },
        """
        {
          "Version": "2012-10-17",
          "Id": "deploy",
          "Statement": [
            {
              "Sid": "A",
              "Effect": "Deny",
              "Action": [
                "s3:Delete*"
              ],
              "Resource": "*"
            },
            {
              "Sid": "B",
              "Effect": "Allow",
              "Action": "eks:DescribeCluster",
              "Resource": "*"
            }
          ]
        }
        """,
        id="source-then-statements-then-overrides-replacing-by-sid",
    ),
]


@pytest.mark.parametrize(("args", "expected"), CASES)
def test_the_document_is_the_providers(args: dict, expected: str) -> None:
    result = policy_document(args)
    assert result["json"] == _doc(expected)
    assert result["minifiedJson"] == json.dumps(json.loads(result["json"]), separators=(",", ":")).replace(
        "<", "\\u003c"
    )
    assert result["id"] == str(zlib.crc32(result["json"].encode()))


def test_minified_json_is_gos_marshal() -> None:
    assert policy_document(TRUST)["minifiedJson"] == (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",'
        '"Principal":{"Service":"ec2.amazonaws.com"}}]}'
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"statements": [{"sid": "A"}, {"sid": "A"}]}, r"duplicate Sid \(A\)"),
        ({"version": "2008-10-17", "statements": [{"resources": ["a/&{x}"]}]}, r"found &\{ sequence in \(a/&\{x\}\)"),
        ({"version": "2020-01-01"}, r"expected version to be one of"),
    ],
)
def test_what_the_provider_refuses_is_refused(args: dict, message: str) -> None:
    with pytest.raises(PolicyDocumentError, match=message):
        policy_document(args)
