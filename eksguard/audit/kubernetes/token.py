"""An EKS authentication token, made exactly as ``aws eks get-token`` makes it.

awscli's ``awscli/customizations/eks/get_token.py`` (aws/aws-cli, TokenGenerator and STSClientFactory):
presign STS GetCallerIdentity for GET with the header ``x-k8s-aws-id`` set to the cluster name (moved from the
call's params into the request before signing), an URL lifetime of 60 seconds, and give
``"k8s-aws-v1." + base64url(url)`` without padding. Clients treat the token as good for 14 minutes (STS
signs for 15) and then make a new one.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from eksguard.audit.session import ReadOnlySession

TOKEN_PREFIX = "k8s-aws-v1."
K8S_AWS_ID_HEADER = "x-k8s-aws-id"
URL_TIMEOUT = 60
TOKEN_LIFETIME = 14 * 60


def _take_cluster_id(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if K8S_AWS_ID_HEADER in params:
        context[K8S_AWS_ID_HEADER] = params.pop(K8S_AWS_ID_HEADER)


def _inject_cluster_id(request: Any, **_: Any) -> None:
    if K8S_AWS_ID_HEADER in request.context:
        request.headers[K8S_AWS_ID_HEADER] = request.context[K8S_AWS_ID_HEADER]


def eks_token(session: ReadOnlySession, region: str, cluster_name: str) -> str:
    sts = session.client("sts", region)
    # The session shares its STS client: register once (the handlers act only on a call that carries the id).
    sts.meta.events.register(
        "provide-client-params.sts.GetCallerIdentity", _take_cluster_id, unique_id="eksguard-k8s-aws-id-param"
    )
    sts.meta.events.register("before-sign.sts.GetCallerIdentity", _inject_cluster_id, unique_id="eksguard-k8s-aws-id")
    url = sts.generate_presigned_url(
        "get_caller_identity",
        Params={K8S_AWS_ID_HEADER: cluster_name},
        ExpiresIn=URL_TIMEOUT,
        HttpMethod="GET",
    )
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode("utf-8")).decode("utf-8").rstrip("=")


class TokenSource:
    """Gives a bearer token for one cluster, made anew once it is 14 minutes old."""

    def __init__(self, session: ReadOnlySession, region: str, cluster_name: str) -> None:
        self._args = (session, region, cluster_name)
        self._token = ""
        self._made = 0.0

    def token(self) -> str:
        if not self._token or time.monotonic() - self._made >= TOKEN_LIFETIME:
            self._token = eks_token(*self._args)
            self._made = time.monotonic()
        return self._token
