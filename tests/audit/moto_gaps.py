"""The EKS operations moto does not implement (access entries, add-ons: it answers 404), answered with the JSON
the EKS API reference documents, at botocore's 'before-send' event: the request is built and signed exactly as
for AWS, and the response goes through botocore's own parser.

ListAccessEntries/ListAssociatedAccessPolicies page with ``nextToken`` (``page_size`` items per page), as the
API does, so the audit's paging is exercised.
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

    def _page(self, key: str, items: list[Any], query: dict[str, str], extra: dict[str, Any]) -> AWSResponse:
        start = int(query.get("nextToken", "0") or 0)
        end = start + self.page_size
        body: dict[str, Any] = {key: items[start:end], **extra}
        if end < len(items):
            body["nextToken"] = str(end)
        return response(200, body)
