"""A Kubernetes API client (the official ``kubernetes`` package) that can only read what the audit reads.

Every call of the client ends in ``ApiClient.request``; :class:`ReadOnlyApiClient` refuses there, before the
REST client opens a connection, any method but GET, any ``watch``, and any path but the cluster-wide lists of
the kinds in :mod:`.kinds`, ``/version`` and the aws-auth ConfigMap.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kubernetes import client as k8s
from kubernetes import config as k8s_config

from eksguard.audit.kubernetes.kinds import readable
from eksguard.audit.kubernetes.token import TokenSource
from eksguard.audit.session import ReadOnlySession

CONNECT_TIMEOUT, READ_TIMEOUT = 5, 30
TOKEN_KEY = "BearerToken"


class KubernetesRefusedError(PermissionError):
    """The audit tried a Kubernetes request that is not one of its reads; refused before it was sent."""

    def __init__(self, method: str, path: str, why: str) -> None:
        super().__init__(f"eksguard audit is read-only: Kubernetes {method} {path} refused before sending ({why})")
        self.method = method
        self.path = path


def refusal(method: str, url: str, query: Any) -> str | None:
    """Why the request is not a read the audit makes, or None."""
    if method.upper() != "GET":
        return "only GET"
    path = urlsplit(url).path
    if not readable(path):
        return "only the lists and objects the audit reads"
    params = query.items() if isinstance(query, dict) else query or []
    if any(str(k) == "watch" and str(v).lower() not in ("false", "0") for k, v in params):
        return "no watch"
    return None


class ReadOnlyApiClient(k8s.ApiClient):
    def request(self, method: str, url: str, query_params: Any = None, *args: Any, **kwargs: Any) -> Any:
        why = refusal(method, url, query_params)
        if why is not None:
            raise KubernetesRefusedError(method.upper(), urlsplit(url).path, why)
        return super().request(method, url, query_params, *args, **kwargs)


def _configuration(host: str) -> k8s.Configuration:
    configuration = k8s.Configuration()
    configuration.host = host.rstrip("/")
    configuration.retries = 1
    return configuration


@contextmanager
def eks_client(
    session: ReadOnlySession, region: str, cluster_name: str, endpoint: str, ca_data: str | None
) -> Iterator[ReadOnlyApiClient]:
    """A client for the cluster's endpoint, authenticated with an EKS token (no kubeconfig needed)."""
    configuration = _configuration(endpoint)
    tokens = TokenSource(session, region, cluster_name)
    configuration.api_key = {TOKEN_KEY: tokens.token()}
    configuration.api_key_prefix = {TOKEN_KEY: "Bearer"}

    def refresh(c: k8s.Configuration) -> None:
        c.api_key[TOKEN_KEY] = tokens.token()

    configuration.refresh_api_key_hook = refresh
    ca_file = None
    try:
        if ca_data and endpoint.startswith("https:"):
            with tempfile.NamedTemporaryFile("wb", suffix=".crt", delete=False) as handle:
                handle.write(base64.b64decode(ca_data))
                ca_file = handle.name
            configuration.ssl_ca_cert = ca_file
        with ReadOnlyApiClient(configuration) as api:
            yield api
    finally:
        if ca_file:
            os.unlink(ca_file)


def kubeconfig_context(path: Path, endpoint: str, names: tuple[str, ...]) -> str | None:
    """The context of ``path`` whose cluster serves ``endpoint`` (or is named like the cluster), or None."""
    contexts, _ = k8s_config.list_kube_config_contexts(config_file=str(path))
    import yaml

    document = yaml.safe_load(Path(path).read_text()) or {}
    servers = {c.get("name"): (c.get("cluster") or {}).get("server", "") for c in document.get("clusters") or []}
    for context in contexts or []:
        cluster = (context.get("context") or {}).get("cluster")
        if servers.get(cluster, "").rstrip("/") == endpoint.rstrip("/") or context.get("name") in names:
            return context["name"]
    return None


@contextmanager
def kubeconfig_client(path: Path, context: str) -> Iterator[ReadOnlyApiClient]:
    """A client for ``context`` of the kubeconfig at ``path`` (its credentials, exec plugins included)."""
    configuration = k8s.Configuration()
    k8s_config.load_kube_config(config_file=str(path), context=context, client_configuration=configuration)
    configuration.retries = 1
    with ReadOnlyApiClient(configuration) as api:
        yield api


def get_json(api: ReadOnlyApiClient, path: str, query: list[tuple[str, Any]] | None = None) -> Any:
    """GET ``path`` through the client's own call path (auth, headers) and decode the JSON body."""
    import json

    response = api.call_api(
        path,
        "GET",
        query_params=query or [],
        header_params={"Accept": "application/json"},
        auth_settings=[TOKEN_KEY],
        response_types_map={},
        _preload_content=False,
        _request_timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
    )
    return json.loads(response.data or b"null")
