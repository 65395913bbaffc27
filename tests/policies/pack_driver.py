"""Drive the real eksguard pack over the analyzer protocol, the way the Pulumi engine does.

The pack runs as ``python -m pulumi.policy <engine> policies``; it is configured with its schema defaults
(as the engine fills them in) and every call carries wire-form properties (see eksguard.protocol.wire).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eksguard.protocol.analyzer import Diagnostic, PolicyPackProcess, Resource, config_with_defaults

REPO = Path(__file__).resolve().parents[2]
PACK_DIR = REPO / "policies"
PREVIEW_MARKER = "during preview"
STACK = "dev"
PROJECT = "eksguard-tests"


def urn_for(resource_type: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{resource_type}::{name}"


def resource(resource_type: str, props: Mapping[str, Any], name: str = "r", **extra: Any) -> Resource:
    urn = extra.pop("urn", None) or urn_for(resource_type, name)
    return Resource(type=resource_type, name=name, urn=urn, properties=props, **extra)


def child_urn(parent_urn: str, resource_type: str, name: str) -> str:
    """The URN of a resource whose parent is ``parent_urn``: the parent's type chain, then its own type."""
    chain = parent_urn.split("::")[2]
    return f"urn:pulumi:{STACK}::{PROJECT}::{chain}${resource_type}::{name}"


def fake_aws_env(
    endpoint: str | None,
    region: str,
    *,
    key: str | None = "testing",
    secret: str | None = "testing",
    token: str | None = None,
    endpoint_var: str = "AWS_ENDPOINT_URL",
) -> dict[str, str]:
    """This process's environment without AWS settings, plus fake credentials and ``endpoint`` (a moto server) for
    a pack process: no shared config files and no instance metadata, so nothing but the endpoint is contacted."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_DEFAULT_REGION=region,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    for name, value in (("AWS_ACCESS_KEY_ID", key), ("AWS_SECRET_ACCESS_KEY", secret), ("AWS_SESSION_TOKEN", token)):
        if value:
            env[name] = value
    if endpoint:
        env[endpoint_var] = endpoint
    return env


class PackDriver:
    def __init__(self, process: PolicyPackProcess) -> None:
        self.process = process
        self.info = process.get_analyzer_info()
        self.defaults = config_with_defaults(self.info)
        process.configure(self.defaults)
        process.configure_stack(stack=STACK, project=PROJECT)

    @contextmanager
    def configured(self, overrides: Mapping[str, Any]) -> Iterator[PackDriver]:
        """Run with ``--policy-pack-config``-style overrides, then restore the defaults."""
        self.process.configure(config_with_defaults(self.info, overrides))
        try:
            yield self
        finally:
            self.process.configure(self.defaults)

    def analyze(self, resource_type: str, props: Mapping[str, Any], name: str = "r") -> list[Diagnostic]:
        return self.process.analyze(resource(resource_type, props, name)).diagnostics

    def violations(self, resource_type: str, props: Mapping[str, Any], name: str = "r") -> set[str]:
        """Policies that reported a violation (not the 'can't run during preview' diagnostics)."""
        return {d.policy for d in self.analyze(resource_type, props, name) if PREVIEW_MARKER not in d.message}

    def messages(self, resource_type: str, props: Mapping[str, Any], name: str = "r") -> dict[str, list[str]]:
        """Each reporting policy's messages, without the policy description the SDK puts on the first line."""
        found: dict[str, list[str]] = {}
        for d in self.analyze(resource_type, props, name):
            found.setdefault(d.policy, []).append(d.message.splitlines()[-1])
        return found

    def not_checkable(self, resource_type: str, props: Mapping[str, Any], name: str = "r") -> set[str]:
        return {d.policy for d in self.analyze(resource_type, props, name) if PREVIEW_MARKER in d.message}

    def not_applicable(self, resource_type: str, props: Mapping[str, Any], name: str = "r") -> dict[str, str]:
        return self.process.analyze(resource(resource_type, props, name)).not_applicable

    def remediate(self, resource_type: str, props: Mapping[str, Any], name: str = "r") -> dict[str, Any] | None:
        """Apply every remediation in order (as the engine does); the final property map, or None if unchanged."""
        final = None
        for remediation in self.process.remediate(resource(resource_type, props, name)):
            if remediation.properties is not None:
                final = remediation.properties
        return final

    def stack_violations(self, resources: Iterable[Resource]) -> set[tuple[str, str]]:
        result = self.process.analyze_stack(list(resources))
        return {(d.policy, d.urn) for d in result.diagnostics if PREVIEW_MARKER not in d.message}
