"""Answers to a program's invokes (data sources) and component method calls, in this order: ``--live-lookups``
(read-only boto3), the user's ``--fixtures`` and the embedded defaults, the pure functions eksguard computes as
the provider does; anything else is unknown, as a value a preview cannot know, and is listed in the report.

Method calls (``cluster.get_kubeconfig()``) are unknown in a preview: the component does not exist yet. Under
``--assume-apply`` the calls listed in :data:`CALL_PLACEHOLDERS` get a documented placeholder (docs/fixtures.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import yaml
from eksguard_policies import facts

from eksguard.engine.fixtures import InvokeFixtures, MissingFixtureError
from eksguard.engine.policy_document import TOKEN as POLICY_DOCUMENT
from eksguard.engine.policy_document import PolicyDocumentError, policy_document
from eksguard.engine.sandbox.monitor import APPLY_PLACEHOLDERS


class InvokeFailed(Exception):
    """A --live-lookups call failed, or the provider would refuse the arguments: no verdict."""


class _KubernetesYamlLoader(yaml.SafeLoader):
    """YAML as Kubernetes reads it (sigs.k8s.io/yaml): timestamps stay strings."""


_KubernetesYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def decode_yaml(args: Mapping[str, Any]) -> dict[str, Any]:
    """``kubernetes:yaml:decode`` (pulumi-kubernetes ``provider/pkg/provider/invoke_decode_yaml.go``): every
    document of the text that has a kind and an apiVersion, in order. The provider also sets its default
    namespace (when configured) on namespaced kinds, which needs the cluster's API discovery; the policies
    resolve an object's namespace through its provider, so it is left out here."""
    try:
        documents = list(yaml.load_all(str(args.get("text") or ""), Loader=_KubernetesYamlLoader))
    except yaml.YAMLError as exc:
        raise InvokeFailed(f"invoke kubernetes:yaml:decode: {exc}") from None
    return {"result": [d for d in documents if isinstance(d, dict) and d.get("kind") and d.get("apiVersion")]}


COMPUTED: Mapping[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    POLICY_DOCUMENT: policy_document,
    "kubernetes:yaml:decode": decode_yaml,
}
"""Invokes that are pure functions of their arguments."""
_CLUSTER_PLACEHOLDERS = APPLY_PLACEHOLDERS[facts.AWS_EKS_CLUSTER]


def _kubeconfig(cluster: str, region: str) -> dict[str, Any]:
    """The shape pulumi-eks's ``Cluster.getKubeconfig`` returns (a kubeconfig that runs ``aws eks get-token``),
    for a cluster whose endpoint and CA are the --assume-apply placeholders."""
    server = _CLUSTER_PLACEHOLDERS["endpoint"].format(region=region)
    authority = _CLUSTER_PLACEHOLDERS["certificateAuthority"]["data"]
    config = {
        "apiVersion": "v1",
        "clusters": [
            {
                "cluster": {
                    "server": server,
                    "certificate-authority-data": authority,
                },
                "name": "kubernetes",
            }
        ],
        "contexts": [{"context": {"cluster": "kubernetes", "user": "aws"}, "name": "aws"}],
        "current-context": "aws",
        "kind": "Config",
        "users": [
            {
                "name": "aws",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": ["eks", "get-token", "--cluster-name", cluster, "--output", "json"],
                    }
                },
            }
        ],
    }
    return {"result": json.dumps(config)}


CALL_PLACEHOLDERS: Mapping[str, Callable[[str, str], dict[str, Any]]] = {
    f"{facts.EKS_CLUSTER}/getKubeconfig": _kubeconfig
}
"""Method calls answered under --assume-apply: token -> f(component name, region) -> result."""


class InvokeAnswers:
    """What ``eksguard check`` answers the program's process; counts invokes and remembers what it left unknown."""

    def __init__(self, fixtures: InvokeFixtures, region: str, live: Any = None, assume_apply: bool = False) -> None:
        self.fixtures = fixtures
        self.region = region
        self.live = live
        self.assume_apply = assume_apply
        self.invokes = 0
        self.unanswered: list[str] = []
        """Invoke tokens answered "unknown", each once, in the order first seen."""
        self.failure: InvokeFailed | None = None

    def invoke(self, token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
        """The invoke's result, or None for unknown; raises InvokeFailed."""
        self.invokes += 1
        try:
            return self._invoke(token, args)
        except InvokeFailed as exc:
            self.failure = self.failure or exc
            raise

    def _invoke(self, token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
        if self.live is not None and self.live.handles(token):
            try:
                return self.live.answer(token, args)
            except Exception as exc:  # botocore's errors: no credentials, access denied, not found
                raise InvokeFailed(f"--live-lookups: {token} failed: {type(exc).__name__}: {exc}") from None
        try:
            return self.fixtures.answer(token, args)
        except MissingFixtureError:
            pass
        compute = COMPUTED.get(token)
        if compute is not None:
            try:
                return compute(args)
            except PolicyDocumentError as exc:
                raise InvokeFailed(f"invoke {token}: {exc}") from None
        if token not in self.unanswered:
            self.unanswered.append(token)
        return None

    def call(self, token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
        """A component method's result, or None for unknown."""
        placeholder = CALL_PLACEHOLDERS.get(token)
        if not self.assume_apply or placeholder is None:
            return None
        owner = args.get("__self__")
        name = owner.rsplit("::", 1)[-1] if isinstance(owner, str) else "cluster"
        return placeholder(name, self.region)
