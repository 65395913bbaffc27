"""What the policy pack checks must be known at preview, before anything exists: a policy built from a
provider-computed output (an ARN, an id) would reach the pack as unknown and be "not checkable until apply".
The harness previews a create: ids and computed outputs are unknown, inputs are known."""

from __future__ import annotations

import json

import pytest

from components.baseline import Baseline
from tests.components import harness
from tests.components.test_baseline import created

# Resources whose policy document the pack reads, and the input holding it.
POLICY_INPUTS = {
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:kms/key:Key": "policy",
}
# Built from the auto-named bucket's ARN, which only the provider knows (its Check step never runs under mocks).
UNKNOWN_AT_PREVIEW = {"base-audit-bucket-policy"}


@pytest.fixture(scope="module")
def preview() -> harness.Result:
    return harness.run(lambda: Baseline("base", created()), preview=True)


def test_every_iam_and_key_policy_is_known_at_preview(preview):
    documents = {r.name: r.inputs.get(POLICY_INPUTS[r.type]) for r in preview.resources if r.type in POLICY_INPUTS}
    assert set(documents) == {
        "base-cluster-kms",
        "base-cluster-role",
        "base-cluster-vpc-cni-role",
        "base-cluster-aws-ebs-csi-driver-role",
        "base-network-kms",
        "base-network-flow-logs-role",
        "base-network-flow-logs-delivery",
        "base-general-kms",
        "base-general-node-role",
        "base-arm-kms",
        "base-arm-node-role",
        "base-audit-key",
        "base-audit-logs-role",
        "base-audit-logs-role-policy",
    }
    unknown = {name for name, document in documents.items() if not isinstance(document, str)}
    assert unknown == set()
    assert all(json.loads(document)["Statement"] for document in documents.values())


def test_only_the_bucket_policy_waits_for_apply(preview):
    unknown = {
        r.name for r in preview.of_type("aws:s3/bucketPolicy:BucketPolicy") if not isinstance(r.inputs["policy"], str)
    }
    assert unknown == UNKNOWN_AT_PREVIEW
