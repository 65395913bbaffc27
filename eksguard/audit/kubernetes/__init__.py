"""Read a live cluster's Kubernetes objects, read-only, and give them to the pack as the declarations they are.

For each cluster: GET /version (is the endpoint reachable, is the audit authorised), one paged list per kind
(``limit``/``continue``, as kubectl pages; a custom resource whose CRD is absent answers 404: none), and one get
of each ConfigMap the rules read (aws-auth, amazon-vpc-cni). A cluster the audit cannot
reach or is not authorised on, or a kind it may not list, becomes a gap with the reason; the run goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from eksguard.audit.kubernetes.client import (
    ReadOnlyApiClient,
    eks_client,
    get_json,
    kubeconfig_client,
    kubeconfig_context,
)
from eksguard.audit.kubernetes.kinds import (
    CONFIG_MAP,
    CONFIG_MAPS,
    CUSTOM,
    LISTED,
    TYPES,
    VERSION_PATH,
    Kind,
    declared,
    owned,
)
from eksguard.audit.live import Inventory, LiveResource
from eksguard.audit.session import ReadOnlySession

PAGE_LIMIT = 500  # kubectl's default chunk size
GONE = 410  # an expired continue token: the list starts over
NOT_FOUND = 404


@dataclass(frozen=True)
class ClusterEndpoint:
    """What DescribeCluster says about reaching a cluster's API server."""

    name: str
    region: str
    arn: str
    endpoint: str
    ca_data: str | None = None

    @property
    def where(self) -> str:
        return f"cluster {self.name} ({self.region})"

    @property
    def scope(self) -> str:
        """The AnalyzeStack scope of the cluster's objects: namespaces are per cluster."""
        return f"kubernetes:{self.region}/{self.name}"


def status_message(exc: ApiException) -> str:
    """``<code> <reason>: <message>`` from the API's Status body."""
    message = ""
    try:
        message = str((json.loads(exc.body or "{}") or {}).get("message", ""))
    except (ValueError, TypeError, AttributeError):
        message = ""
    head = f"{exc.status} {exc.reason or ''}".strip()
    return f"{head}: {message}" if message else head


def list_objects(api: ReadOnlyApiClient, kind: Kind, limit: int = PAGE_LIMIT) -> Iterator[dict[str, Any]]:
    """Every object of ``kind``, page by page; starts over once if the continue token expires."""
    for attempt in (1, 2):
        items: list[dict[str, Any]] = []
        token = ""
        try:
            while True:
                query: list[tuple[str, Any]] = [("limit", limit)] + ([("continue", token)] if token else [])
                page = get_json(api, kind.list_path(), query)
                items += page.get("items") or []
                token = (page.get("metadata") or {}).get("continue") or ""
                if not token:
                    break
        except ApiException as exc:
            if exc.status == GONE and attempt == 1:
                continue
            raise
        yield from items
        return


def _client(
    session: ReadOnlySession, cluster: ClusterEndpoint, kubeconfig: Path | None
) -> AbstractContextManager[ReadOnlyApiClient] | str:
    if kubeconfig is None:
        return eks_client(session, cluster.region, cluster.name, cluster.endpoint, cluster.ca_data)
    try:
        context = kubeconfig_context(kubeconfig, cluster.endpoint, (cluster.arn, cluster.name))
    except (ConfigException, OSError, ValueError) as exc:
        return f"kubeconfig {kubeconfig} cannot be read: {exc}"
    if context is None:
        return f"no context in {kubeconfig} for its endpoint {cluster.endpoint}"
    return kubeconfig_client(kubeconfig, context)


def read_cluster(
    session: ReadOnlySession,
    cluster: ClusterEndpoint,
    inventory: Inventory,
    kubeconfig: Path | None = None,
    limit: int = PAGE_LIMIT,
) -> bool:
    """Add the cluster's objects to ``inventory``; False (and a gap) when the cluster could not be read."""
    client = _client(session, cluster, kubeconfig)
    if isinstance(client, str):
        inventory.gap(cluster.where, client, TYPES)
        return False
    try:
        with client as api:  # a kubeconfig's credentials are loaded (exec plugins run) here
            get_json(api, VERSION_PATH)
            for kind in LISTED:
                _read_kind(api, cluster, kind, inventory, limit)
            for versions in CUSTOM:
                _read_custom(api, cluster, versions, inventory, limit)
            for namespace, name in CONFIG_MAPS:
                _read_config_map(api, cluster, namespace, name, inventory)
    except ApiException as exc:
        what = "not authorised" if exc.status in (401, 403) else "the API server answered"
        inventory.gap(cluster.where, f"{what}: {status_message(exc)}", TYPES)
        return False
    except ConfigException as exc:
        inventory.gap(cluster.where, f"kubeconfig credentials cannot be used: {exc}", TYPES)
        return False
    except urllib3.exceptions.HTTPError as exc:  # connection refused, DNS, TLS, timeouts: urllib3 wraps them all
        reason = exc.reason if isinstance(exc, urllib3.exceptions.MaxRetryError) else exc
        inventory.gap(cluster.where, f"API endpoint {cluster.endpoint} not reachable from here: {reason}", TYPES)
        return False
    return True


def _read_kind(
    api: ReadOnlyApiClient,
    cluster: ClusterEndpoint,
    kind: Kind,
    inventory: Inventory,
    limit: int,
    types: frozenset[str] | None = None,
) -> bool:
    """List ``kind`` into ``inventory``; False when the server does not serve it (404), a gap for ``types`` (default:
    the kind's) on any other refusal."""
    try:
        objects = list(list_objects(api, kind, limit))
    except ApiException as exc:
        if exc.status in (401,):
            raise
        if exc.status == NOT_FOUND and types is not None:
            return False
        inventory.gap(cluster.where, f"list {kind.resource}: {status_message(exc)}", types or {kind.type_token})
        return True
    for obj in objects:
        if not (kind.only_unowned and owned(obj)):
            inventory.add(live_object(cluster, kind, obj))
    return True


def _read_custom(
    api: ReadOnlyApiClient, cluster: ClusterEndpoint, versions: tuple[Kind, ...], inventory: Inventory, limit: int
) -> None:
    """A custom resource in the first of its versions the server serves; none served: the CRD is absent."""
    types = frozenset(k.type_token for k in versions)
    for kind in versions:
        if _read_kind(api, cluster, kind, inventory, limit, types):
            return


def _read_config_map(
    api: ReadOnlyApiClient, cluster: ClusterEndpoint, namespace: str, name: str, inventory: Inventory
) -> None:
    try:
        obj = get_json(api, CONFIG_MAP.object_path(name, namespace))
    except ApiException as exc:
        if exc.status == NOT_FOUND:
            return  # no such ConfigMap (no aws-auth: access comes from access entries only)
        if exc.status == 401:
            raise
        inventory.gap(
            cluster.where, f"get configmap {namespace}/{name}: {status_message(exc)}", {CONFIG_MAP.type_token}
        )
        return
    inventory.add(live_object(cluster, CONFIG_MAP, obj))


def live_object(cluster: ClusterEndpoint, kind: Kind, obj: dict[str, Any]) -> LiveResource:
    props = declared(obj, kind)
    metadata = props["metadata"]
    namespace, name = metadata.get("namespace"), str(metadata.get("name", ""))
    local = f"{namespace}/{name}" if kind.namespaced and namespace else name
    return LiveResource(
        kind.type_token,
        f"{cluster.name}/{local}",
        cluster.region,
        props,
        arn=f"{cluster.arn}/{kind.kind}/{local}",
        scope=cluster.scope,
        import_id=local,
        observed={"cluster_name": cluster.name},
    )
