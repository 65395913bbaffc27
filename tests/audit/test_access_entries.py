"""The access-entry collector and check on responses shaped as the EKS API reference documents them
(ListAccessEntries, ListAssociatedAccessPolicies); moto does not implement these operations."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.stub import Stubber
from eksguard.audit.checks import evaluate
from eksguard.audit.collect import AccountInventory, RegionInventory, collect_access_entries

CLUSTER = "prod"
ADMIN = "arn:aws:iam::111122223333:role/Admin"
DEV = "arn:aws:iam::111122223333:role/Developer"
ROOT = "arn:aws:iam::111122223333:root"
POLICY = "arn:aws:eks::aws:cluster-access-policy/{}"


def _assoc(policy: str, scope: str, namespaces: list[str] | None = None) -> dict:
    access_scope = {"type": scope, **({"namespaces": namespaces} if namespaces else {})}
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    return {"policyArn": POLICY.format(policy), "accessScope": access_scope, "associatedAt": now, "modifiedAt": now}


def _policies(principal: str, associations: list[dict]) -> tuple:
    response = {"clusterName": CLUSTER, "principalArn": principal, "associatedAccessPolicies": associations}
    return "list_associated_access_policies", response, {"clusterName": CLUSTER, "principalArn": principal}


# Two pages of entries (the collector must follow nextToken); the paginator is read lazily, so the second
# page is requested after the policies of the first page's principals.
RESPONSES = [
    ("list_access_entries", {"accessEntries": [ADMIN, DEV], "nextToken": "t1"}, {"clusterName": CLUSTER}),
    _policies(ADMIN, [_assoc("AmazonEKSClusterAdminPolicy", "cluster")]),
    _policies(DEV, [_assoc("AmazonEKSAdminPolicy", "namespace", ["team-a"]), _assoc("AmazonEKSViewPolicy", "cluster")]),
    ("list_access_entries", {"accessEntries": [ROOT]}, {"clusterName": CLUSTER, "nextToken": "t1"}),
    _policies(ROOT, [_assoc("AmazonEKSClusterAdminPolicy", "cluster")]),
]


@pytest.fixture
def stubbed_eks():
    client = boto3.client("eks", region_name="eu-west-1", endpoint_url="http://127.0.0.1:9")
    with Stubber(client) as stubber:
        for operation, response, params in RESPONSES:
            stubber.add_response(operation, response, params)
        yield client, stubber


def test_collects_every_entry_and_policy_across_pages(stubbed_eks):
    client, stubber = stubbed_eks
    entries = collect_access_entries(client, CLUSTER)
    stubber.assert_no_pending_responses()
    assert [
        (e["principalArn"], [p["policyArn"].rsplit("/", 1)[-1] for p in e["associatedAccessPolicies"]]) for e in entries
    ] == [
        (ADMIN, ["AmazonEKSClusterAdminPolicy"]),
        (DEV, ["AmazonEKSAdminPolicy", "AmazonEKSViewPolicy"]),
        (ROOT, ["AmazonEKSClusterAdminPolicy"]),
    ]


def test_only_admin_policies_for_broad_principals_are_findings(stubbed_eks):
    client, _ = stubbed_eks
    cluster = {
        "name": CLUSTER,
        "arn": f"arn:aws:eks:eu-west-1:111122223333:cluster/{CLUSTER}",
        "version": "1.35",
        "nodegroups": [],
        "accessEntries": collect_access_entries(client, CLUSTER),
    }
    inv = RegionInventory(region="eu-west-1", clusters=[cluster])
    ev = evaluate([inv], AccountInventory(), dt.date(2026, 11, 28))
    found = {(f.resource, f.import_id) for f in ev.findings if f.control_id == "access-policy-cluster-admin-broad"}
    assert found == {(ROOT, f"{CLUSTER}:{ROOT}")}  # a named role holding cluster admin is not broad
    assert ev.evaluated["access-policy-cluster-admin-broad"] == 3
