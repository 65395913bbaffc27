"""A read-only Kubernetes API stand-in on 127.0.0.1 (real HTTP, a thread per request), for the audit's tests.

It serves the API's documented JSON (https://kubernetes.io/docs/reference/using-api/api-concepts/): discovery
(/version, /api, /apis, /api/v1, /apis/<group>/<version>), objects with kind and apiVersion, and lists
(``<Kind>List`` whose items carry neither) with real list semantics: items in name order, ``limit`` and an
opaque ``continue`` token, ``metadata.remainingItemCount``, 410 Expired for a stale token. It answers
401 without a bearer token it accepts, 403 (a Status naming the user and verb) for the resources it is told to
forbid, 404 for unknown objects and 405 for any write; it records every request it receives.

Objects are stored as the API server keeps them: uid, resourceVersion, creationTimestamp, managedFields and
status added, so the audit must drop what no declaration carries.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

GROUPS = {
    "": ("v1", {"namespaces": ("Namespace", False), "serviceaccounts": ("ServiceAccount", True),
                "services": ("Service", True), "pods": ("Pod", True), "configmaps": ("ConfigMap", True),
                "limitranges": ("LimitRange", True)}),
    "rbac.authorization.k8s.io": ("v1", {"clusterroles": ("ClusterRole", False), "roles": ("Role", True),
                                         "clusterrolebindings": ("ClusterRoleBinding", False),
                                         "rolebindings": ("RoleBinding", True)}),
    "networking.k8s.io": ("v1", {"networkpolicies": ("NetworkPolicy", True), "ingresses": ("Ingress", True)}),
    "storage.k8s.io": ("v1", {"storageclasses": ("StorageClass", False)}),
    "apps": ("v1", {"deployments": ("Deployment", True), "statefulsets": ("StatefulSet", True),
                    "daemonsets": ("DaemonSet", True), "replicasets": ("ReplicaSet", True)}),
    "batch": ("v1", {"jobs": ("Job", True), "cronjobs": ("CronJob", True)}),
    "karpenter.k8s.aws": ("v1", {"ec2nodeclasses": ("EC2NodeClass", False)}),
    "eks.amazonaws.com": ("v1", {"nodeclasses": ("NodeClass", False)}),
}  # fmt: skip
CUSTOM_GROUPS = frozenset({"karpenter.k8s.aws", "eks.amazonaws.com"})
"""Groups of custom resources: served only once their CRD is installed (``KubeApi.crds``), else 404 as any
unknown path."""
KIND_RESOURCE = {
    kind: (group, resource) for group, (_, kinds) in GROUPS.items() for resource, (kind, _) in kinds.items()
}
USER = "arn:aws:sts::111111111111:assumed-role/auditor/eksguard"


def token_ok(token: str) -> bool:
    """An EKS token as ``aws eks get-token`` makes it: a presigned STS GetCallerIdentity URL, 60 s, signing
    the x-k8s-aws-id header."""
    if not token.startswith("k8s-aws-v1."):
        return False
    body = token[len("k8s-aws-v1.") :]
    try:
        url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except ValueError:
        return False
    query = parse_qs(urlsplit(url).query)
    return (
        query.get("Action") == ["GetCallerIdentity"]
        and query.get("X-Amz-Expires") == ["60"]
        and "x-k8s-aws-id" in query.get("X-Amz-SignedHeaders", [""])[0].split(";")
    )


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str


@dataclass
class KubeApi:
    """The stand-in's state: stored objects, what it forbids, and the requests it received."""

    objects: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    """(group, resource) -> stored objects."""
    forbidden: set[str] = field(default_factory=set)
    """Resource names whose list answers 403."""
    crds: set[str] = field(default_factory=set)
    """Custom resource groups installed (adding an object of one installs it)."""
    static_tokens: set[str] = field(default_factory=set)
    """Bearer tokens accepted besides EKS tokens (a kubeconfig's)."""
    accept_eks_tokens: bool = True
    """False: an API server that does not know the audit's IAM identity (every EKS token gets 401)."""
    expire_next_continue: bool = False
    requests: list[Request] = field(default_factory=list)
    resource_version: int = 1000
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, *objects: dict[str, Any]) -> None:
        for obj in objects:
            group, resource = KIND_RESOURCE[obj["kind"]]
            with self.lock:
                if group in CUSTOM_GROUPS:
                    self.crds.add(group)
                self.resource_version += 1
                stored = copy.deepcopy(obj)
                metadata = stored.setdefault("metadata", {})
                metadata.update(
                    uid=f"uid-{self.resource_version}",
                    resourceVersion=str(self.resource_version),
                    creationTimestamp="2026-11-01T10:00:00Z",
                    managedFields=[
                        {"manager": "kubectl", "operation": "Apply", "apiVersion": stored.get("apiVersion")}
                    ],
                )
                stored["status"] = {"observedGeneration": 1}
                self.objects.setdefault((group, resource), []).append(stored)

    def listed(self, group: str, resource: str, namespace: str | None) -> list[dict[str, Any]]:
        items = self.objects.get((group, resource), [])
        if namespace is not None:
            items = [o for o in items if o["metadata"].get("namespace") == namespace]
        return sorted(items, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}  # fmt: skip


def _route(path: str) -> tuple[str, str, str | None, str, str | None] | None:
    """(group, version, namespace, resource, name) of an object or list path."""
    parts = [unquote(p) for p in path.strip("/").split("/")]
    if parts[:1] == ["api"] and len(parts) >= 3:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if len(rest) == 1:
        return group, version, namespace, rest[0], None
    if len(rest) == 2:
        return group, version, namespace, rest[0], rest[1]
    return None


def _discovery(path: str, crds: set[str]) -> dict[str, Any] | None:
    if path == "/version":
        return {"major": "1", "minor": "35", "gitVersion": "v1.35.0-eks-1a2b3c4", "platform": "linux/amd64"}
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
    if path == "/apis":
        groups = [
            {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
             "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v}}
            for g, (v, _) in GROUPS.items() if g and (g not in CUSTOM_GROUPS or g in crds)
        ]  # fmt: skip
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
    for group, (version, kinds) in GROUPS.items():
        if group in CUSTOM_GROUPS and group not in crds:
            continue
        if path == (f"/apis/{group}/{version}" if group else f"/api/{version}"):
            resources = [
                {"name": r, "singularName": k.lower(), "namespaced": ns, "kind": k, "verbs": ["get", "list", "watch"]}
                for r, (k, ns) in kinds.items()
            ]
            return {"kind": "APIResourceList", "groupVersion": f"{group}/{version}" if group else version,
                    "resources": resources}  # fmt: skip
    return None


class _Handler(BaseHTTPRequestHandler):
    api: KubeApi

    def log_message(self, *_: Any) -> None:  # quiet
        return None

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> tuple[str, dict[str, list[str]]]:
        split = urlsplit(self.path)
        query = parse_qs(split.query)
        self.api.requests.append(Request(self.command, split.path, query, self.headers.get("Authorization", "")))
        return split.path, query

    def _write(self) -> None:
        path, _ = self._record()
        self._send(405, _status(405, "MethodNotAllowed", f"the stand-in is read-only: {self.command} {path}"))

    do_POST = do_PUT = do_PATCH = do_DELETE = _write

    def do_GET(self) -> None:
        path, query = self._record()
        token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not ((self.api.accept_eks_tokens and token_ok(token)) or token in self.api.static_tokens):
            self._send(401, _status(401, "Unauthorized", "Unauthorized"))
            return
        found = _discovery(path, self.api.crds)
        if found is not None:
            self._send(200, found)
            return
        route = _route(path)
        if (
            route is None
            or route[0] not in GROUPS
            or route[1] != GROUPS[route[0]][0]
            or route[3] not in GROUPS[route[0]][1]
            or (route[0] in CUSTOM_GROUPS and route[0] not in self.api.crds)
        ):
            self._send(404, _status(404, "NotFound", f"the server could not find the requested resource ({path})"))
            return
        group, version, namespace, resource, name = route
        kind = GROUPS[group][1][resource][0]
        api_version = f"{group}/{version}" if group else version
        if resource in self.api.forbidden:
            scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            where = f'in API group "{group}" ' if group else 'in API group "" '
            message = f'{resource}{"." + group if group else ""} is forbidden: User "{USER}" cannot list resource '
            self._send(403, _status(403, "Forbidden", f'{message}"{resource}" {where}{scope}'))
            return
        if name is not None:
            self._object(group, resource, namespace, name, kind, api_version)
        else:
            self._list(group, resource, namespace, kind, api_version, query)

    def _object(self, group: str, resource: str, namespace: str | None, name: str, kind: str, api_version: str) -> None:
        for obj in self.api.listed(group, resource, namespace):
            if obj["metadata"]["name"] == name:
                self._send(200, {**obj, "kind": kind, "apiVersion": api_version})
                return
        self._send(404, _status(404, "NotFound", f'{resource} "{name}" not found'))

    def _list(
        self, group: str, resource: str, namespace: str | None, kind: str, api_version: str, query: dict[str, list[str]]
    ) -> None:
        if query.get("watch", ["false"])[0] not in ("false", "0"):
            self._send(405, _status(405, "MethodNotAllowed", "the stand-in does not serve watches"))
            return
        items = self.api.listed(group, resource, namespace)
        start, version = 0, str(self.api.resource_version)
        token = query.get("continue", [""])[0]
        if token:
            state = json.loads(base64.b64decode(token))
            if self.api.expire_next_continue:
                self.api.expire_next_continue = False
                message = "The provided continue parameter is too old to display a consistent list result."
                self._send(410, _status(410, "Expired", message))
                return
            start, version = state["start"], state["rv"]
        limit = int(query.get("limit", ["0"])[0] or 0)
        end = start + limit if limit > 0 else len(items)
        page = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in items[start:end]]
        metadata: dict[str, Any] = {"resourceVersion": version}
        if end < len(items):
            metadata["continue"] = base64.b64encode(json.dumps({"start": end, "rv": version}).encode()).decode()
            metadata["remainingItemCount"] = len(items) - end
        self._send(200, {"kind": f"{kind}List", "apiVersion": api_version, "metadata": metadata, "items": page})


@contextmanager
def serving(api: KubeApi) -> Iterator[str]:
    """Serve ``api`` on 127.0.0.1; yields its http:// URL."""
    handler = type("Handler", (_Handler,), {"api": api})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """An http:// URL on 127.0.0.1 where nothing listens (connection refused)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def list_requests(api: KubeApi, methods: Iterable[str] = ("GET",)) -> list[Request]:
    return [r for r in api.requests if r.method in methods and _route(r.path) is not None and _route(r.path)[4] is None]
