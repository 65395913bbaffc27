"""Rules for controls/workloads.toml: pod security of every workload kind, service accounts, namespaces.

The pod-level checks follow the Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/)
and read the pod template wherever the kind keeps it (Pod: spec; CronJob: spec.jobTemplate.spec.template.spec;
the other controllers: spec.template.spec), including init and ephemeral containers.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import proxy
from pulumi_policy.proxy import UnknownValueError

from .. import facts
from ..framework import NotApplicable, RuleContext, StackContext, remediation, resource_rule, stack_rule
from ..values import UNKNOWN_VALUE, editable_props, has, peek, show
from ._credentials import flag_credential, is_credential_name, is_literal, value_shape
from ._images import parse_image, registry_allowed
from ._k8s import (
    CONTAINER_FIELDS,
    LIMIT_RANGE_TYPES,
    NAMESPACE_TYPES,
    NETWORK_POLICY_TYPES,
    SERVICE_ACCOUNT_TYPES,
    WORKLOAD_TYPES,
    Container,
    container_parts,
    definite_first,
    get,
    get_path,
    is_number,
    items,
    kind_of,
    known_items,
    pod_spec,
    pod_spec_path,
    string_list,
)
from ._namespaces import limit_range_defaults, namespace_of, provider_namespace, survey_namespaces
from ._pods import (
    HostPathPart,
    capability_name,
    check_containers,
    container_image,
    effective_security_value,
    host_path_volumes,
    refers_to,
    secret_env_message,
    windows_pod,
)


def _string_config(ctx: RuleContext | StackContext, key: str) -> list[str]:
    value = ctx.config.get(key)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


# --- privileges -----------------------------------------------------------------------------------------------


@resource_rule("workload-privileged", types=WORKLOAD_TYPES)
def privileged(ctx: RuleContext) -> list[str]:
    def check(c: Container) -> Iterator[str]:
        if get(c.security_context(), "privileged") is True:
            yield f"{c.label} is privileged (securityContext.privileged: true): it is root on the node"

    return check_containers(ctx, check)


HOST_NAMESPACES = {"hostNetwork": "network", "hostPID": "process ID", "hostIPC": "IPC"}


@resource_rule("workload-host-namespaces", types=WORKLOAD_TYPES)
def host_namespaces(ctx: RuleContext) -> list[str]:
    path, spec = pod_spec(ctx.resource_type, ctx.props)

    def part(field: str) -> Callable[[], list[str]]:
        def run() -> list[str]:
            if get(spec, field) is True:
                return [f"{path}.{field} is true: the pod shares the node's {HOST_NAMESPACES[field]} namespace"]
            return []

        return run

    return definite_first(part(f) for f in HOST_NAMESPACES)


@resource_rule("workload-privilege-escalation", types=WORKLOAD_TYPES)
def privilege_escalation(ctx: RuleContext) -> list[str]:
    def check(c: Container) -> Iterator[str]:
        value = get(c.security_context(), "allowPrivilegeEscalation")
        if value is None:
            yield f"{c.label} does not set securityContext.allowPrivilegeEscalation: false (Kubernetes allows it)"
        elif value is not False:
            yield f"{c.label} sets securityContext.allowPrivilegeEscalation to {show(value)}, not false"

    return check_containers(ctx, check)


@resource_rule("workload-run-as-root", types=WORKLOAD_TYPES)
def run_as_root(ctx: RuleContext) -> list[str]:
    _, spec = pod_spec(ctx.resource_type, ctx.props)

    def check(c: Container) -> Iterator[str]:
        unknown = None
        user = non_root = None
        try:
            user = effective_security_value(c, spec, "runAsUser")
        except UnknownValueError as exc:
            unknown = exc
        if is_number(user) and user == 0:
            yield f"{c.label} runs as root (runAsUser: 0)"
            return
        if is_number(user) and user > 0:
            return
        try:
            non_root = effective_security_value(c, spec, "runAsNonRoot")
        except UnknownValueError as exc:
            unknown = unknown or exc
        if non_root is True:
            return
        if unknown is not None:
            raise unknown
        yield (
            f"{c.label} may run as root: neither runAsNonRoot: true nor a non-zero runAsUser is set "
            f"(container or pod securityContext)"
        )

    return check_containers(ctx, check)


@resource_rule(
    "workload-capabilities",
    types=WORKLOAD_TYPES,
    config={
        "allowedCapabilities": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["NET_BIND_SERVICE"],
            "description": "Linux capabilities a container may add (the Pod Security Standards' restricted "
            "profile allows only NET_BIND_SERVICE).",
        },
        "requireDropAll": {
            "type": "boolean",
            "default": True,
            "description": "Require every container to drop ALL capabilities (restricted profile).",
        },
    },
)
def capabilities(ctx: RuleContext) -> list[str]:
    allowed = {capability_name(c) for c in _string_config(ctx, "allowedCapabilities")}
    require_drop_all = ctx.config.get("requireDropAll") is not False

    def check(c: Container) -> list[str]:
        caps = get(c.security_context(), "capabilities")
        added, dropped = string_list(caps, "add"), string_list(caps, "drop")
        messages, unknown = [], None
        extra = sorted({capability_name(a) for a in added.values} - allowed)
        if extra:
            messages.append(
                f"{c.label} adds capabilities {', '.join(extra)} (securityContext.capabilities.add; "
                f"allowed: {', '.join(sorted(allowed)) or 'none'})"
            )
        else:
            unknown = added.unknown
        if require_drop_all and "ALL" not in {capability_name(d) for d in dropped.values}:
            if dropped.unknown is not None:
                unknown = unknown or dropped.unknown
            else:
                messages.append(f"{c.label} does not drop ALL capabilities (securityContext.capabilities.drop)")
        if unknown is not None and not messages:
            raise unknown
        return messages

    return check_containers(ctx, check)


@resource_rule("workload-host-port", types=WORKLOAD_TYPES)
def host_port(ctx: RuleContext) -> list[str]:
    def check(c: Container) -> Iterator[str]:
        for i, port in items(get(c.value, "ports")):
            value = get(port, "hostPort")
            if value is None or (is_number(value) and value == 0):
                continue
            shown = str(int(value)) if is_number(value) else show(value)
            yield f"{c.label} ports[{i}] sets hostPort {shown}: the pod listens on the node's own address"

    return check_containers(ctx, check)


WINDOWS_HOST_PROCESS = ("securityContext", "windowsOptions", "hostProcess")


@resource_rule("workload-windows-host-process", types=WORKLOAD_TYPES)
def windows_host_process(ctx: RuleContext) -> list[str]:
    path, spec = pod_spec(ctx.resource_type, ctx.props)
    consequence = "it runs as a process on the Windows node, with the node's privileges"

    def pod_level() -> list[str]:
        if get_path(spec, *WINDOWS_HOST_PROCESS) is True:
            return [f"{path}.{'.'.join(WINDOWS_HOST_PROCESS)} is true: every container {consequence}"]
        return []

    def check(c: Container) -> Iterator[str]:
        if get_path(c.value, *WINDOWS_HOST_PROCESS) is True:
            yield f"{c.label} sets {'.'.join(WINDOWS_HOST_PROCESS)}: true: {consequence}"

    return definite_first([pod_level, *container_parts(path, spec, check)])


# --- hardening of the container runtime -------------------------------------------------------------------------


@resource_rule("workload-readonly-root-filesystem", types=WORKLOAD_TYPES)
def readonly_root_filesystem(ctx: RuleContext) -> list[str]:
    windows_pod(ctx, "a read-only root filesystem")

    def check(c: Container) -> Iterator[str]:
        if c.field == "ephemeralContainers":
            return  # debugging containers are short-lived and often need to write
        value = get(c.security_context(), "readOnlyRootFilesystem")
        if value is not True:
            shown = "does not set" if value is None else f"sets {show(value)} for"
            yield f"{c.label} {shown} securityContext.readOnlyRootFilesystem: true: a process can rewrite its own image"

    return check_containers(ctx, check)


SECCOMP_CONFINED = ("RuntimeDefault", "Localhost")
SECCOMP_TYPE = ("securityContext", "seccompProfile", "type")


@resource_rule("workload-seccomp-profile", types=WORKLOAD_TYPES)
def seccomp_profile(ctx: RuleContext) -> list[str]:
    spec = windows_pod(ctx, "seccomp")

    def check(c: Container) -> Iterator[str]:
        own = get_path(c.value, *SECCOMP_TYPE)
        effective = own if own is not None else get_path(spec, *SECCOMP_TYPE)
        if effective in SECCOMP_CONFINED:
            return
        if effective is None:
            yield f"{c.label} has no seccompProfile (container or pod securityContext): every system call is allowed"
        else:
            level = "" if own is not None else " (from the pod)"
            yield f"{c.label} has seccompProfile type {show(effective)}{level}, not RuntimeDefault or Localhost"

    return check_containers(ctx, check)


@remediation("workload-seccomp-profile")
def fix_seccomp_profile(ctx: RuleContext) -> dict[str, Any] | None:
    """Sets the pod's seccompProfile to RuntimeDefault when neither the pod nor any container chose one."""
    props = editable_props(ctx.props)
    spec = props
    for key in pod_spec_path(ctx.resource_type):
        spec = spec.get(key) if isinstance(spec, dict) else None
    if not isinstance(spec, dict) or get_path(spec, "os", "name") == "windows":
        return None
    security_context = spec.setdefault("securityContext", {})
    if not isinstance(security_context, dict) or security_context.get("seccompProfile") is not None:
        return None
    for list_field in CONTAINER_FIELDS:
        containers = spec.get(list_field)
        for c in containers if isinstance(containers, list) else []:
            if get_path(c, "securityContext", "seccompProfile") is not None:
                return None  # a container's own choice is left to its author
    security_context["seccompProfile"] = {"type": "RuntimeDefault"}
    return props


# --- credentials ------------------------------------------------------------------------------------------------


def _env_credentials(c: Container) -> tuple[list[str], UnknownValueError | None]:
    entries, unknown = known_items(get(c.value, "env"))
    messages = []
    for i, entry in entries:
        if not has(entry, "value"):
            continue
        name, value = peek(entry, "name"), peek(entry, "value")
        where = f"{c.label} env[{i}]" + (f" ({name})" if isinstance(name, str) else "")
        named = isinstance(name, str) and is_credential_name(name)
        if named and (value is UNKNOWN_VALUE or (isinstance(value, str) and is_literal(value))):
            messages.append(f"{where} holds a literal credential (by its name)")
        elif isinstance(value, str) and (kind := value_shape(value)):
            messages.append(f"{where} holds {kind}")
    return messages, unknown


def _argument_credentials(c: Container, key: str) -> tuple[list[str], UnknownValueError | None]:
    entries, unknown = known_items(get(c.value, key))
    texts = dict(entries)
    args = [texts.get(i) if isinstance(texts.get(i), str) else "" for i in range(max(texts, default=-1) + 1)]
    messages = []
    for i, item in enumerate(args):
        if flag := flag_credential(args, i):
            messages.append(f"{c.label} {key}[{i}] gives {flag} a literal credential")
        elif kind := value_shape(item):
            messages.append(f"{c.label} {key}[{i}] holds {kind}")
    return messages, unknown


@resource_rule("workload-literal-credentials", types=WORKLOAD_TYPES)
def literal_credentials(ctx: RuleContext) -> list[str]:
    def check(c: Container) -> list[str]:
        messages, unknown = _env_credentials(c)
        for key in ("command", "args"):
            found, pending = _argument_credentials(c, key)
            messages += found
            unknown = unknown or pending
        if unknown is not None and not messages:
            raise unknown
        return [f"{m}: whoever can read the pod spec reads it; keep it in a Secret mounted as a file" for m in messages]

    return check_containers(ctx, check)


# --- host paths -----------------------------------------------------------------------------------------------

DEFAULT_RUNTIME_SOCKETS = [
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/run/cri-dockerd.sock",
    "/var/run/dockershim.sock",
]


@resource_rule(
    "workload-runtime-socket-mount",
    types=WORKLOAD_TYPES,
    config={
        "runtimeSocketPaths": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_RUNTIME_SOCKETS,
            "description": "Container runtime sockets; a hostPath volume of one of them or of a directory "
            "holding one (such as /run/containerd or /) gives control of every container on the node.",
        }
    },
)
def runtime_socket_mount(ctx: RuleContext) -> list[str]:
    sockets = [posixpath.normpath(s) for s in _string_config(ctx, "runtimeSocketPaths") if s.startswith("/")]

    def exposing(part: HostPathPart) -> Callable[[], list[str]]:
        def run() -> list[str]:
            messages = []
            for label, host_path in part():
                inside = "/" if host_path == "/" else host_path + "/"
                hit = next((s for s in sockets if s == host_path or s.startswith(inside)), None)
                if hit == host_path:
                    messages.append(f"{label} mounts the container runtime socket {host_path} (hostPath.path)")
                elif hit:
                    messages.append(f"{label} mounts hostPath {host_path}, which holds the runtime socket {hit}")
            return messages

        return run

    return definite_first(exposing(p) for p in host_path_volumes(ctx))


@resource_rule(
    "workload-host-path",
    types=WORKLOAD_TYPES,
    config={
        "allowedHostPaths": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Globs of node paths a workload may mount as hostPath volumes (e.g. /var/log/* for "
            "a log collector); none by default.",
        }
    },
)
def host_path(ctx: RuleContext) -> list[str]:
    allowed = _string_config(ctx, "allowedHostPaths")

    def flagged(part: HostPathPart) -> Callable[[], list[str]]:
        def run() -> list[str]:
            return [
                f"{label} mounts the node path {host} (hostPath.path)"
                for label, host in part()
                if not any(fnmatch.fnmatchcase(host, pattern) for pattern in allowed)
            ]

        return run

    return definite_first(flagged(p) for p in host_path_volumes(ctx))


# --- images ---------------------------------------------------------------------------------------------------


@resource_rule(
    "workload-image-unpinned",
    types=WORKLOAD_TYPES,
    config={
        "requireDigest": {
            "type": "boolean",
            "default": False,
            "description": "Require every image to be pinned by digest (@sha256:...), not only by a fixed tag.",
        }
    },
)
def image_unpinned(ctx: RuleContext) -> list[str]:
    require_digest = ctx.config.get("requireDigest") is True

    def check(c: Container) -> Iterator[str]:
        image, problem = container_image(c)
        if image is None:
            yield problem or ""
            return
        ref = parse_image(image)
        if ref.pinned_by_digest:
            return
        if ref.tag is None:
            yield f"{c.label} image {image} has no tag or digest: it pulls whatever latest is"
        elif ref.tag == "latest":
            yield f"{c.label} image {image} uses the mutable tag latest"
        elif require_digest:
            yield f"{c.label} image {image} is not pinned by digest (requireDigest)"

    return check_containers(ctx, check)


DEFAULT_ALLOWED_REGISTRIES = ["*.dkr.ecr.*.amazonaws.com", "*.dkr.ecr.*.amazonaws.com.cn", "public.ecr.aws"]


@resource_rule(
    "workload-image-registry",
    types=WORKLOAD_TYPES,
    config={
        "allowedRegistries": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_ALLOWED_REGISTRIES,
            "description": "Globs of approved registries: a registry host (e.g. *.dkr.ecr.*.amazonaws.com, "
            "docker.io) or, with a '/', host/repository (e.g. docker.io/library/*). Docker Hub images such as "
            "nginx count as docker.io/library/nginx. An empty list turns the check off.",
        }
    },
)
def image_registry(ctx: RuleContext) -> list[str]:
    allowed = _string_config(ctx, "allowedRegistries")
    if not allowed:
        raise NotApplicable("no registry allow-list configured (allowedRegistries is empty)")

    def check(c: Container) -> Iterator[str]:
        image, _ = container_image(c)
        if image is None:
            return  # workload-image-unpinned reports a missing image
        ref = parse_image(image)
        if not registry_allowed(ref, allowed):
            yield f"{c.label} image {image} comes from {ref.registry}, which is not in allowedRegistries"

    return check_containers(ctx, check)


# --- namespaces, service accounts, secrets --------------------------------------------------------------------


@resource_rule("workload-default-namespace", types=WORKLOAD_TYPES)
def default_namespace(ctx: RuleContext) -> Iterator[str]:
    namespace = get_path(ctx.props, "metadata", "namespace")
    if namespace == "default":
        yield "metadata.namespace is default"
    elif namespace in (None, ""):
        inherited = provider_namespace(ctx.provider)
        if inherited == "default":
            yield "metadata.namespace is not set and the Kubernetes provider's namespace is default"
        elif inherited in (None, ""):
            yield "metadata.namespace is not set: the workload goes to the default namespace"


@resource_rule("workload-sa-token-automount", types=WORKLOAD_TYPES)
def sa_token_automount(ctx: RuleContext) -> Iterator[str]:
    path, spec = pod_spec(ctx.resource_type, ctx.props)
    if spec is None:
        return
    value = get(spec, "automountServiceAccountToken")
    if value is not False:
        shown = "is not set" if value is None else f"is {show(value)}"
        yield (
            f"{path}.automountServiceAccountToken {shown}, not false: every container gets a Kubernetes API "
            f"token unless its service account disables automount"
        )


@resource_rule("workload-secrets-in-env", types=WORKLOAD_TYPES)
def secrets_in_env(ctx: RuleContext) -> list[str]:
    def check(c: Container) -> list[str]:
        messages, unknown = [], None
        for key, ref_key in (("env", "secretKeyRef"), ("envFrom", "secretRef")):
            try:
                entries = list(items(get(c.value, key)))
            except UnknownValueError as exc:
                unknown = unknown or exc
                continue
            for i, entry in entries:
                holder = get(entry, "valueFrom") if key == "env" else entry
                if refers_to(holder, ref_key):
                    messages.append(secret_env_message(c, key, i, entry, holder, ref_key))
        if unknown is not None and not messages:
            raise unknown
        return messages

    return check_containers(ctx, check)


@resource_rule("service-account-default-automount", types=SERVICE_ACCOUNT_TYPES)
def default_service_account(ctx: RuleContext) -> Iterator[str]:
    if get_path(ctx.props, "metadata", "name") != "default":
        return
    value = get(ctx.props, "automountServiceAccountToken")
    if value is not False:
        shown = "is not set" if value is None else f"is {show(value)}"
        yield f"the default service account's automountServiceAccountToken {shown}, not false"


@remediation("service-account-default-automount")
def fix_default_service_account(ctx: RuleContext) -> dict[str, Any] | None:
    props = editable_props(ctx.props)
    metadata = props.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("name") != "default":
        return None
    if props.get("automountServiceAccountToken") is not None:
        return None  # an explicit choice is left to its author; only the missing setting is filled in
    props["automountServiceAccountToken"] = False
    return props


# --- Pod Security Admission -----------------------------------------------------------------------------------

PSA_ENFORCE = facts.pod_security_label("enforce")
# Remediate sees raw values (no unknown-checking proxy): these are the engine's sentinels for computed values.
UNKNOWN_SENTINELS = (proxy.UNKNOWN_STRING_VALUE, proxy.UNKNOWN_OBJECT_VALUE)
PSA_LEVELS = facts.POD_SECURITY_LEVELS


@resource_rule(
    "namespace-pod-security-enforce",
    types=NAMESPACE_TYPES,
    config={
        "allowedLevels": {
            "type": "array",
            "items": {"type": "string", "enum": list(PSA_LEVELS)},
            "default": ["restricted", "baseline"],
            "description": "Pod Security Standards levels the namespace's enforce label may name.",
        }
    },
)
def pod_security_enforce(ctx: RuleContext) -> Iterator[str]:
    allowed = _string_config(ctx, "allowedLevels")
    labels = get_path(ctx.props, "metadata", "labels")
    level = get(labels, PSA_ENFORCE)
    if level is None:
        yield f"metadata.labels has no {PSA_ENFORCE} label: Pod Security Admission admits privileged pods"
    elif level not in allowed:
        yield f"metadata.labels[{PSA_ENFORCE!r}] is {show(level)}, not one of {', '.join(allowed)}"


@remediation("namespace-pod-security-enforce")
def fix_pod_security_enforce(ctx: RuleContext) -> dict[str, Any] | None:
    """Adds enforce=restricted when the label is missing; an explicit level is the author's choice."""
    props = editable_props(ctx.props)
    metadata = props.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        return None
    labels = metadata.setdefault("labels", {})
    if labels in UNKNOWN_SENTINELS:  # computed labels: adding one now could clobber them
        raise UnknownValueError(labels, ["metadata", "labels"])
    if not isinstance(labels, dict) or PSA_ENFORCE in labels:
        return None
    labels[PSA_ENFORCE] = "restricted"
    return props


# --- network policies (stack) -----------------------------------------------------------------------------------


@stack_rule(
    "stack-namespace-network-policy",
    types=(*NETWORK_POLICY_TYPES, *NAMESPACE_TYPES, *WORKLOAD_TYPES),
    config={
        "networkPolicyTypes": {
            "type": "array",
            "items": {"type": "string"},
            "default": list(NETWORK_POLICY_TYPES),
            "description": "Resource types that count as a network policy of their namespace (add CNI-specific "
            "ones such as kubernetes:crd.projectcalico.org/v1:NetworkPolicy).",
        }
    },
)
def namespace_network_policy(ctx: StackContext) -> list[tuple[str, str | None]]:
    policy_types = _string_config(ctx, "networkPolicyTypes")
    survey = survey_namespaces(ctx.graph.of_type(*policy_types, *NAMESPACE_TYPES, *WORKLOAD_TYPES), set(policy_types))
    findings: list[tuple[str, str | None]] = []
    if survey.policy_unknown is None:  # else a NetworkPolicy whose namespace is computed may be any one's
        for namespace, members in survey.uncovered():
            shown = ", ".join(f"{kind_of(r.resource_type)} {r.name}" for r in members[:3])
            more = f" and {len(members) - 3} more" if len(members) > 3 else ""
            findings.append(
                (
                    f"namespace {namespace} runs {shown}{more} but the stack declares no NetworkPolicy in it: "
                    f"its pods accept traffic from every pod in the cluster",
                    survey.namespace_urns.get(namespace, members[0].urn),
                )
            )
        if not survey.covered:
            findings.extend(
                (
                    f"{kind_of(r.resource_type)} {r.name} runs in a namespace known only at apply, and the stack "
                    f"declares no NetworkPolicy at all",
                    r.urn,
                )
                for r, _ in survey.unplaced
            )
    undecided = survey.policy_unknown
    if undecided is None and survey.covered and survey.unplaced:
        undecided = survey.unplaced[0][1]
    if undecided is not None and not findings and (survey.unplaced or survey.uncovered()):
        raise undecided
    return findings


# --- resource limits (stack: a container's own limits, or its namespace's LimitRange) ---------------------------


@stack_rule(
    "workload-resource-limits",
    types=(*WORKLOAD_TYPES, *LIMIT_RANGE_TYPES),
    config={
        "requireCpuLimits": {
            "type": "boolean",
            "default": False,
            "description": "Also require a CPU limit on every container (or a namespace LimitRange default).",
        },
        "requireRequests": {
            "type": "boolean",
            "default": False,
            "description": "Also require memory and CPU requests (a limit counts as the request when none is set).",
        },
    },
)
def resource_limits(ctx: StackContext) -> list[tuple[str, str | None]]:
    wanted = [("limits", "memory")]
    if ctx.config.get("requireCpuLimits") is True:
        wanted.append(("limits", "cpu"))
    if ctx.config.get("requireRequests") is True:
        wanted += [("requests", "memory"), ("requests", "cpu")]
    # a LimitRange known only at apply may cover any gap
    defaults, unplaced = limit_range_defaults(ctx.graph.of_type(*LIMIT_RANGE_TYPES))
    pending = unplaced
    findings: list[tuple[str, str | None]] = []
    for workload in ctx.graph.of_type(*WORKLOAD_TYPES):
        try:
            gaps = _resource_gaps(workload, wanted)
            namespace = namespace_of(workload) if gaps else None
        except UnknownValueError as exc:
            pending = pending or exc
            continue
        open_gaps = [(label, missing) for label, missing in gaps if missing not in defaults.get(namespace or "", set())]
        if open_gaps and unplaced is None:
            shown = "; ".join(f"{label} sets no {name} {kind.removesuffix('s')}" for label, (kind, name) in open_gaps)
            findings.append(
                (
                    f"{kind_of(workload.resource_type)} {workload.name}: {shown}, and namespace {namespace} has no "
                    "LimitRange in the stack that gives a default: one pod can starve its node",
                    workload.urn,
                )
            )
    if pending is not None and not findings:
        raise pending
    return findings


def _resource_gaps(workload: Any, wanted: list[tuple[str, str]]) -> list[tuple[str, tuple[str, str]]]:
    """(container label, (limits|requests, resource)) for each wanted setting a container leaves out (a request
    is taken from the limit when only that is set). Ephemeral containers take no resources."""
    path, spec = pod_spec(workload.resource_type, workload.props)
    gaps = []
    for list_field in ("initContainers", "containers"):
        for i, container in items(get(spec, list_field)):
            if not isinstance(container, Mapping):
                continue
            label = Container(path, list_field, i, container).label
            resources = get(container, "resources")
            for kind, name in wanted:
                value = get_path(resources, kind, name)
                if value is None and kind == "requests":
                    value = get_path(resources, "limits", name)
                if value is None:
                    gaps.append((label.removeprefix(f"{path}."), (kind, name)))
    return gaps
