"""The operations moto does not implement (EKS access entries, add-ons, add-on versions and Pod Identity
associations: it answers 404; EC2 GetInstanceMetadataDefaults), answered with the JSON (or, for EC2, the XML) the
API references document, at botocore's 'before-send' event: the request is built and signed exactly as for AWS,
and the response goes through botocore's own parser. What a test does not give here is left to moto, which refuses
it: the audit then reports the types it feeds "not assessed" (tests/audit/test_robustness.py).

The EKS lists page with ``nextToken`` (``page_size`` items per page), as the API does, so the audit's paging is
exercised.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from botocore.awsrequest import AWSResponse

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp()
ADDON_PATH = re.compile(r"^/clusters/(?P<cluster>[^/]+)/addons(?:/(?P<addon>[^/]+))?$")
ENTRY_PATH = re.compile(r"^/clusters/(?P<cluster>[^/]+)/access-entries(?:/(?P<principal>[^/]+)/access-policies)?$")
ASSOCIATION_PATH = re.compile(r"^/clusters/(?P<cluster>[^/]+)/pod-identity-associations(?:/(?P<id>[^/]+))?$")
SIGNED_REGION = re.compile(r"Credential=[^/]+/[0-9]+/(?P<region>[a-z0-9-]+)/")
EC2_XMLNS = "http://ec2.amazonaws.com/doc/2016-11-15/"


SUMMARY_FIELDS = ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId", "ownerArn")
"""What ListPodIdentityAssociations gives of each association."""


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any):
        yield self._body


def response(status: int, body: dict[str, Any]) -> AWSResponse:
    return AWSResponse(
        "http://127.0.0.1", status, {"Content-Type": "application/json"}, _Raw(json.dumps(body).encode())
    )


@dataclass
class MotoGaps:
    """What the account's clusters hold beyond moto: access entries and add-ons."""

    access: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    """Cluster -> principal ARN -> associated access policies ({policyArn, accessScope})."""
    addons: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """Cluster -> add-on name -> DescribeAddon's addon fields."""
    associations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Cluster -> its Pod Identity associations (DescribePodIdentityAssociation's fields; see ``associate``)."""
    addon_defaults: dict[tuple[str, str], str] = field(default_factory=dict)
    """(add-on, Kubernetes version) -> the version DescribeAddonVersions marks ``defaultVersion``."""
    imds_defaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Region -> GetInstanceMetadataDefaults' accountLevel (XML names; {} = the account set none)."""
    page_size: int = 100
    calls: list[str] = field(default_factory=list)

    def __call__(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        split = urlsplit(request.url)
        path, query = split.path, {k: v[0] for k, v in parse_qs(split.query).items()}
        if operation in ("ListAccessEntries", "ListAssociatedAccessPolicies"):
            self.calls.append(operation)
            match = ENTRY_PATH.match(path)
            if match is None:
                return None
            entries = self.access.get(unquote(match["cluster"]), {})
            if operation == "ListAccessEntries":
                return self._page("accessEntries", list(entries), query, {})
            principal = unquote(match["principal"])
            policies = [{**p, "associatedAt": NOW, "modifiedAt": NOW} for p in entries.get(principal, [])]
            return self._page(
                "associatedAccessPolicies",
                policies,
                query,
                {"clusterName": match["cluster"], "principalArn": principal},
            )
        if operation in ("ListPodIdentityAssociations", "DescribePodIdentityAssociation"):
            self.calls.append(operation)
            match = ASSOCIATION_PATH.match(path)
            if match is None:
                return None
            associations = self.associations.get(unquote(match["cluster"]), [])
            if operation == "ListPodIdentityAssociations":
                summaries = [{k: a[k] for k in SUMMARY_FIELDS if k in a} for a in associations]
                return self._page("associations", summaries, query, {})
            found = [a for a in associations if a["associationId"] == match["id"]]
            if not found:
                return response(404, {"message": f"No association: {match['id']}"})
            return response(200, {"association": {**found[0], "createdAt": NOW, "modifiedAt": NOW}})
        if operation == "DescribeAddonVersions":
            self.calls.append(operation)
            addon, version = query.get("addonName", ""), query.get("kubernetesVersion", "")
            default = self.addon_defaults.get((addon, version))
            if default is None:
                return self._page("addons", [], query, {})
            compatibility = {"clusterVersion": version, "platformVersions": ["*"], "defaultVersion": True}
            versions = [
                {"addonVersion": default, "architecture": ["amd64", "arm64"], "compatibilities": [compatibility]}
            ]
            entry = {"addonName": addon, "type": "networking", "addonVersions": versions, "owner": "aws"}
            return self._page("addons", [entry], query, {})
        if operation == "GetInstanceMetadataDefaults":
            signed = SIGNED_REGION.search(str(request.headers.get("Authorization", "")))
            account_level = self.imds_defaults.get(signed["region"]) if signed else None
            if account_level is None:
                return None  # left to moto, which does not implement it
            self.calls.append(operation)
            fields = "".join(f"<{k}>{v}</{k}>" for k, v in account_level.items())
            body = (
                f'<GetInstanceMetadataDefaultsResponse xmlns="{EC2_XMLNS}"><requestId>r</requestId>'
                f"<accountLevel>{fields}</accountLevel></GetInstanceMetadataDefaultsResponse>"
            )
            return AWSResponse("http://127.0.0.1", 200, {"Content-Type": "text/xml"}, _Raw(body.encode()))
        if operation in ("ListAddons", "DescribeAddon"):
            self.calls.append(operation)
            match = ADDON_PATH.match(path)
            if match is None:
                return None
            addons = self.addons.get(match["cluster"], {})
            if operation == "ListAddons":
                return self._page("addons", list(addons), query, {})
            addon = addons.get(match["addon"] or "")
            if addon is None:
                return response(404, {"message": f"No addon: {match['addon']}"})
            return response(200, {"addon": {"addonName": match["addon"], "clusterName": match["cluster"], **addon}})
        return None

    def associate(
        self,
        account: str,
        region: str,
        cluster: str,
        service_account: str,
        role: str,
        owner: str | None = None,
        namespace: str = "kube-system",
    ) -> str:
        """A Pod Identity association of ``cluster`` (``namespace``/``service_account`` -> ``role``), owned by the
        add-on ARN ``owner`` if given; returns its ARN (what DescribeAddon lists for an add-on's associations)."""
        associations = self.associations.setdefault(cluster, [])
        association_id = f"a-{len(associations) + 1:017d}"
        arn = f"arn:aws:eks:{region}:{account}:podidentityassociation/{cluster}/{association_id}"
        entry = {
            "clusterName": cluster,
            "namespace": namespace,
            "serviceAccount": service_account,
            "roleArn": role,
            "associationArn": arn,
            "associationId": association_id,
        }
        associations.append({**entry, "ownerArn": owner} if owner else entry)
        return arn

    def _page(self, key: str, items: list[Any], query: dict[str, str], extra: dict[str, Any]) -> AWSResponse:
        start = int(query.get("nextToken", "0") or 0)
        end = start + self.page_size
        body: dict[str, Any] = {key: items[start:end], **extra}
        if end < len(items):
            body["nextToken"] = str(end)
        return response(200, body)
