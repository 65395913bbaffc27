"""Rules for controls/kubelet.toml: what the nodes' boot configuration does to their kubelet, and credentials in it.

The EKS-optimized AMIs configure the kubelet safely (CIS Amazon EKS Benchmark v1.8.0, section 3.2): user data may
only weaken that. Each control reads the same boot configuration (rules/_userdata.py) of every place nodes are
launched from: launch templates (``userData``, base64), instances and launch configurations (``userData`` or
``userDataBase64``), Karpenter EC2NodeClasses (``spec.userData`` and ``spec.kubelet``), and the pulumi-eks node
group components' arguments (``kubeletExtraArgs``, ``bootstrapExtraArgs``, ``bottlerocketSettings``,
``nodeadmExtraOptions``, ``userData``/``nodeUserData``/``nodeUserDataOverride``), which pulumi-eks writes into the
user data of the launch template it creates (nodes/userdata.ts). Unset user data keeps the AMI's configuration:
passed. An EKS Auto Mode cluster's nodes are AWS's (rules/auto_mode.py).

User data usually embeds the cluster's endpoint and certificate, so at preview it is often unknown: such a node
is not checkable until apply unless something known already decides the control.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from ..facts import EKS_CLUSTER, EKS_MANAGED_NODE_GROUP, EKS_NODE_GROUP, EKS_NODE_GROUP_V2
from ..framework import NotApplicable, RuleContext, resource_rule
from ..values import get, raw, show
from . import _userdata as ud
from ._ec2 import as_int
from ._k8s import KARPENTER_NODE_CLASS_TYPES
from .auto_mode import auto_mode
from .nodes import INSTANCE, LAUNCH_CONFIGURATION, LAUNCH_TEMPLATE, NODE_GROUP
from .pulumi_eks import node_settings

SELF_MANAGED_COMPONENTS = (EKS_CLUSTER, EKS_NODE_GROUP, EKS_NODE_GROUP_V2)
BOOT_TYPES = (
    NODE_GROUP,
    LAUNCH_TEMPLATE,
    INSTANCE,
    LAUNCH_CONFIGURATION,
    *KARPENTER_NODE_CLASS_TYPES,
    *SELF_MANAGED_COMPONENTS,
    EKS_MANAGED_NODE_GROUP,
)
"""Everything nodes boot from: the resources (a managed node group without a launch template boots from the one EKS
creates, with EKS's own user data), and the pulumi-eks components whose arguments become user data."""


class Reading:
    """A node's boot configuration as far as it is known at preview."""

    def __init__(self) -> None:
        self.boot = ud.Boot()
        self.pending: UnknownValueError | None = None

    def add(self, read: Callable[[], ud.Boot]) -> None:
        try:
            self.boot += read()
        except UnknownValueError as exc:
            self.pending = self.pending or exc

    def verdict(self, messages: list[str]) -> list[str]:
        """The messages; with none, whatever is unknown may still hold one: not checkable until apply."""
        if not messages and self.pending is not None:
            raise self.pending
        return messages


def _user_data(value: Any, where: str) -> ud.Boot:
    return ud.user_data(value, where) if isinstance(value, str) and value.strip() else ud.Boot()


def _argument(name: str, value: Any, label: str) -> ud.Boot:
    """One pulumi-eks node group argument that ends up in the user data (nodes/userdata.ts); ``label`` names it."""
    if value is None:
        return ud.Boot()
    if name == "kubeletExtraArgs":
        text = value if isinstance(value, str) else ""
        return ud.Boot(tuple(ud.flags(text, label)), tuple(ud.credentials(text, label)))
    if name == "bootstrapExtraArgs":
        # bootstrap.sh arguments, possibly --kubelet-extra-args '<flags>' (nodes/userdata.ts:200-213)
        return ud.section("text/x-shellscript", value, label) if isinstance(value, str) else ud.Boot()
    if name == "bottlerocketSettings":
        settings = raw(value)
        return ud.Boot(tuple(ud.bottlerocket(settings, label)), tuple(ud.mapping_credentials(settings, label)))
    if name == "nodeadmExtraOptions":
        boot = ud.Boot()
        for i, option in enumerate(raw(value) if isinstance(raw(value), list) else []):
            if isinstance(option, dict) and isinstance(option.get("content"), str):
                content_type = option.get("contentType") if isinstance(option.get("contentType"), str) else ""
                boot += ud.section(content_type.split(";")[0].strip(), option["content"], f"{label}[{i}]")
        return boot
    return _user_data(value, label)


COMPONENT_ARGUMENTS = (
    "kubeletExtraArgs",
    "bootstrapExtraArgs",
    "bottlerocketSettings",
    "nodeadmExtraOptions",
    "nodeUserData",
    "nodeUserDataOverride",
    "userData",
)


def reading(ctx: RuleContext) -> Reading:
    """Every boot source of the resource; NotApplicable when it launches no node of its own."""
    props, kind = ctx.props, ctx.resource_type
    found = Reading()
    if kind == NODE_GROUP:
        if get(props, "launchTemplate") is not None:
            raise NotApplicable("the nodes boot from its launchTemplate's user data, judged there")
        return found  # EKS's launch template: the AMI's kubelet configuration, no user data of the program's
    if kind in SELF_MANAGED_COMPONENTS or kind == EKS_MANAGED_NODE_GROUP:
        if kind == EKS_CLUSTER and auto_mode(kind, props):
            return found  # AWS-managed: EKS Auto Mode launches and configures the nodes (rules/auto_mode.py)
        settings = props if kind == EKS_MANAGED_NODE_GROUP else node_settings(kind, ctx.name, props).settings
        prefix = "nodeGroupOptions." if settings is not props else ""
        for name in COMPONENT_ARGUMENTS:
            found.add(lambda name=name: _argument(name, get(settings, name), f"{prefix}{name}"))
    elif kind in KARPENTER_NODE_CLASS_TYPES:
        spec = get(props, "spec")
        found.add(lambda: _user_data(get(spec, "userData"), "spec.userData"))
        found.add(lambda: ud.Boot(tuple(ud.kubelet_config(raw(get(spec, "kubelet")), "spec.kubelet"))))
    elif kind == LAUNCH_TEMPLATE:
        found.add(lambda: _user_data(get(props, "userData"), "userData"))
    else:
        own = get(props, "userData") is not None or get(props, "userDataBase64") is not None
        if kind == INSTANCE and not own and get(props, "launchTemplate") is not None:
            raise NotApplicable("the instance boots from its launchTemplate's user data, judged there")
        found.add(lambda: _user_data(get(props, "userData"), "userData"))
        found.add(lambda: _user_data(get(props, "userDataBase64"), "userDataBase64"))
    return found


def _flag(value: Any) -> bool | None:
    """A boolean as YAML, TOML, JSON or a flag writes it."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _judge(ctx: RuleContext, judge: Callable[[ud.Boot], Iterable[str]]) -> list[str]:
    found = reading(ctx)
    return found.verdict(list(judge(found.boot)))


def _standalone(boot: ud.Boot, effect: str) -> list[str]:
    return [
        f"{s.where} is true: Bottlerocket's standalone kubelet {effect}"
        for s in boot.of(ud.STANDALONE)
        if _flag(s.value) is not False
    ]


# --- CIS 3.2.1 --------------------------------------------------------------------------------------------------
@resource_rule("node-kubelet-anonymous-auth", types=BOOT_TYPES)
def anonymous_auth(ctx: RuleContext) -> list[str]:
    def judge(boot: ud.Boot) -> Iterable[str]:
        for s in boot.of(ud.ANONYMOUS):
            flag = _flag(s.value)
            if flag is None:
                yield f"{s.where} is {show(s.value)}, not a boolean"
            elif flag:
                yield f"{s.where} turns anonymous authentication on: unauthenticated requests reach the kubelet API"
        yield from _standalone(boot, "accepts anonymous requests")

    return _judge(ctx, judge)


# --- CIS 3.2.2 --------------------------------------------------------------------------------------------------
WEBHOOK = "Webhook"


@resource_rule("node-kubelet-authorization-mode", types=BOOT_TYPES)
def authorization_mode(ctx: RuleContext) -> list[str]:
    def judge(boot: ud.Boot) -> Iterable[str]:
        for s in boot.of(ud.AUTHORIZATION):
            if s.value != WEBHOOK:
                yield (
                    f"{s.where} is {show(s.value)}: the kubelet authorizes requests without asking the API server "
                    f"({WEBHOOK} does)"
                )
        yield from _standalone(boot, "authorizes every request (AlwaysAllow)")

    return _judge(ctx, judge)


# --- CIS 3.2.4 --------------------------------------------------------------------------------------------------
@resource_rule("node-kubelet-read-only-port", types=BOOT_TYPES)
def read_only_port(ctx: RuleContext) -> list[str]:
    def judge(boot: ud.Boot) -> Iterable[str]:
        for s in boot.of(ud.READ_ONLY_PORT):
            port = as_int(s.value)
            if port is None or port < 0:
                yield f"{s.where} is {show(s.value)}, not a port number (0 disables the read-only port)"
            elif port:
                yield f"{s.where} is {port}: the kubelet serves pod and node details on it without authentication"

    return _judge(ctx, judge)


# --- CIS 3.2.8 and 3.2.9 ----------------------------------------------------------------------------------------
_ROTATION = {
    ud.ROTATE_CLIENT: "its client certificate is not rotated before it expires",
    ud.ROTATE_SERVER: "it does not request and renew its serving certificate from the API server",
    ud.SERVER_CERT_GATE: "its serving certificate is not rotated",
}


@resource_rule("node-kubelet-certificate-rotation", types=BOOT_TYPES)
def certificate_rotation(ctx: RuleContext) -> list[str]:
    def judge(boot: ud.Boot) -> Iterable[str]:
        for s in boot.of(*_ROTATION):
            flag = _flag(s.value)
            if flag is None:
                yield f"{s.where} is {show(s.value)}, not a boolean"
            elif not flag:
                yield f"{s.where} is false: {_ROTATION[s.key]}"

    return _judge(ctx, judge)


# --- CIS 3.2.7 --------------------------------------------------------------------------------------------------
@resource_rule(
    "node-kubelet-event-qps",
    types=BOOT_TYPES,
    config={
        "minimumEventQPS": {
            "type": "integer",
            "minimum": 1,
            "default": 5,
            "description": "Lowest accepted kubelet eventRecordQPS (event creations per second); 0, no limit, is "
            "accepted too (CIS 3.2.7: 0 or a level that captures events).",
        }
    },
)
def event_qps(ctx: RuleContext) -> list[str]:
    minimum = ctx.config.get("minimumEventQPS")
    minimum = as_int(minimum) if as_int(minimum) is not None else 5  # JSON numbers arrive as floats

    def judge(boot: ud.Boot) -> Iterable[str]:
        for s in boot.of(ud.EVENT_QPS):
            qps = as_int(s.value)
            if qps is None or qps < 0:
                yield f"{s.where} is {show(s.value)}, not an event rate (0 or more events per second)"
            elif 0 < qps < minimum:
                yield (
                    f"{s.where} is {qps}: the kubelet drops events beyond {qps} per second, which the audit record "
                    f"needs (minimumEventQPS {minimum})"
                )

    return _judge(ctx, judge)


# --- credentials ------------------------------------------------------------------------------------------------
@resource_rule("node-user-data-credentials", types=BOOT_TYPES)
def user_data_credentials(ctx: RuleContext) -> list[str]:
    def judge(boot: ud.Boot) -> Iterable[str]:
        for where in dict.fromkeys(boot.credentials):
            yield (
                f"the node's user data holds a credential: {where}; anyone on the node, and anyone allowed "
                "DescribeInstanceAttribute or the launch template, reads it"
            )

    return _judge(ctx, judge)
