"""Workload, service account and namespace controls (rules/workloads.py) over the real protocol.

Every workload kind starts from a pod spec that meets the Pod Security Standards' restricted profile and every
eksguard workload control; each case changes one thing and states the exact set of violations.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from eksguard_policies.rules._images import parse_image

from eksguard.protocol.wire import UNKNOWN, Secret

from .cases import Case, case, run_case
from .pack_driver import PREVIEW_MARKER, resource, urn_for

K = "kubernetes:"
POD = f"{K}core/v1:Pod"
DEPLOYMENT = f"{K}apps/v1:Deployment"
STATEFULSET = f"{K}apps/v1:StatefulSet"
DAEMONSET = f"{K}apps/v1:DaemonSet"
REPLICASET = f"{K}apps/v1:ReplicaSet"
RC = f"{K}core/v1:ReplicationController"
JOB = f"{K}batch/v1:Job"
CRONJOB = f"{K}batch/v1:CronJob"
NAMESPACE = f"{K}core/v1:Namespace"
SERVICE_ACCOUNT = f"{K}core/v1:ServiceAccount"
NETWORK_POLICY = f"{K}networking.k8s.io/v1:NetworkPolicy"

PRIV = "workload-privileged"
HOSTNS = "workload-host-namespaces"
ESC = "workload-privilege-escalation"
ROOT = "workload-run-as-root"
CAPS = "workload-capabilities"
SOCKET = "workload-runtime-socket-mount"
HOSTPATH = "workload-host-path"
UNPINNED = "workload-image-unpinned"
REGISTRY = "workload-image-registry"
DEFAULT_NS = "workload-default-namespace"
AUTOMOUNT = "workload-sa-token-automount"
SECRET_ENV = "workload-secrets-in-env"
DEFAULT_SA = "service-account-default-automount"
PSA = "namespace-pod-security-enforce"
NETPOL = "stack-namespace-network-policy"
READONLY = "workload-readonly-root-filesystem"
SECCOMP = "workload-seccomp-profile"
HOSTPORT = "workload-host-port"
WINHOST = "workload-windows-host-process"
CREDS = "workload-literal-credentials"
LIMITS = "workload-resource-limits"
CONTAINER_RULES = {PRIV, ESC, ROOT, CAPS, UNPINNED, REGISTRY, SECRET_ENV, READONLY, SECCOMP, HOSTPORT, WINHOST, CREDS}
POD_RULES = CONTAINER_RULES | {HOSTNS, SOCKET, HOSTPATH, AUTOMOUNT}

IMAGE = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1.4.2"
DIGEST = "sha256:" + "ab" * 32
ENFORCE = "pod-security.kubernetes.io/enforce"


def container(name: str = "app", **changes: Any) -> dict[str, Any]:
    """A restricted-compliant container; ``changes`` set (None deletes) top-level container fields."""
    c: dict[str, Any] = {
        "name": name,
        "image": IMAGE,
        "ports": [{"containerPort": 8080.0}],
        "env": [{"name": "MODE", "value": "prod"}, {"name": "CFG", "valueFrom": {"configMapKeyRef": {"name": "c"}}}],
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        "resources": {"limits": {"memory": "256Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    return _apply(c, changes)


def sc(**changes: Any) -> dict[str, Any]:
    """The baseline container with its securityContext changed."""
    return container(securityContext=_apply(container()["securityContext"], changes))


def spec(*containers: Any, **changes: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "automountServiceAccountToken": False,
        "serviceAccountName": "api",
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001.0, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": list(containers) or [container()],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }
    return _apply(s, changes)


def _apply(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base, {id(UNKNOWN): UNKNOWN})  # UNKNOWN is matched by identity
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


METADATA = {"name": "api", "namespace": "shop", "labels": {"app": "api"}}
TEMPLATE_META = {"labels": {"app": "api"}}


def workload(kind: str, pod_spec: Any = None, **metadata: Any) -> dict[str, Any]:
    """``pod_spec`` (default: the compliant one) placed where ``kind`` keeps its pod template."""
    pod_spec = spec() if pod_spec is None else pod_spec
    meta = _apply(METADATA, metadata)
    template = {"metadata": TEMPLATE_META, "spec": pod_spec}
    if kind == POD:
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec}
    if kind == CRONJOB:
        job = {"template": template, "backoffLimit": 2.0}
        return {"metadata": meta, "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": job}}}
    return {
        "metadata": meta,
        "spec": {"replicas": 2.0, "selector": {"matchLabels": {"app": "api"}}, "template": template},
    }


def k8s_provider(namespace: Any) -> dict[str, Any]:
    """An explicit Kubernetes provider; its ``namespace`` input is where resources without one go."""
    properties = {"kubeconfig": "{}"} if namespace is None else {"kubeconfig": "{}", "namespace": namespace}
    return {
        "type": "pulumi:providers:kubernetes",
        "urn": urn_for("pulumi:providers:kubernetes", "k8s"),
        "name": "k8s",
        "properties": properties,
    }


AWS_PROVIDER = {"type": "pulumi:providers:aws", "urn": "", "name": "aws", "properties": {"namespace": "shop"}}


def pod(pod_spec: Any = None, **metadata: Any) -> dict[str, Any]:
    return workload(POD, pod_spec, **metadata)


def volume(path: Any, name: str = "host") -> dict[str, Any]:
    return {"name": name, "hostPath": {"path": path, "type": ""}}


def with_volume(*volumes: Any) -> dict[str, Any]:
    return spec(volumes=[{"name": "tmp", "emptyDir": {}}, *volumes])


KINDS = [POD, DEPLOYMENT, STATEFULSET, DAEMONSET, REPLICASET, RC, JOB, CRONJOB, f"{K}apps/v1beta2:Deployment"]


def _kind_id(resource_type: str) -> str:
    """kubernetes:apps/v1:Deployment -> Deployment-apps-v1"""
    _, version, kind = resource_type.split(":")
    return f"{kind}-{version.replace('/', '-')}"


KIND_CASES = [case(f"{_kind_id(kind)}-baseline", kind, workload(kind)) for kind in KINDS]
KIND_CASES += [
    case(
        f"{_kind_id(kind)}-privileged-hostpid",
        kind,
        workload(kind, spec(sc(privileged=True), hostPID=True)),
        {PRIV, HOSTNS},
    )
    for kind in KINDS
]

POD_CASES = [
    # privileged, including init and ephemeral containers
    case("privileged", POD, pod(spec(sc(privileged=True))), {PRIV}),
    case("privileged-false", POD, pod(spec(sc(privileged=False)))),
    case("privileged-string", POD, pod(spec(sc(privileged="true")))),
    case("privileged-secret", POD, pod(spec(sc(privileged=Secret(True)))), {PRIV}),
    case(
        "privileged-init",
        DEPLOYMENT,
        workload(DEPLOYMENT, spec(initContainers=[sc(privileged=True)])),
        {PRIV},
    ),
    case(
        "privileged-ephemeral",
        POD,
        pod(spec(ephemeralContainers=[container("debug", securityContext={"privileged": True})])),
        {PRIV, ESC, CAPS},
    ),
    case("second-container-privileged", POD, pod(spec(container(), sc(privileged=True))), {PRIV}),
    # host namespaces
    case("host-network", POD, pod(spec(hostNetwork=True)), {HOSTNS}),
    case("host-pid", CRONJOB, workload(CRONJOB, spec(hostPID=True)), {HOSTNS}),
    case("host-ipc", DAEMONSET, workload(DAEMONSET, spec(hostIPC=True)), {HOSTNS}),
    case("host-namespaces-false", POD, pod(spec(hostNetwork=False, hostPID=False, hostIPC=False))),
    case("host-network-string", POD, pod(spec(hostNetwork="yes"))),
    # privilege escalation
    case("escalation-missing", POD, pod(spec(sc(allowPrivilegeEscalation=None))), {ESC}),
    case("escalation-true", POD, pod(spec(sc(allowPrivilegeEscalation=True))), {ESC}),
    case("escalation-string-false", POD, pod(spec(sc(allowPrivilegeEscalation="false"))), {ESC}),
    case("escalation-init", JOB, workload(JOB, spec(initContainers=[sc(allowPrivilegeEscalation=None)])), {ESC}),
    # running as root
    case("root-uid-0", POD, pod(spec(sc(runAsUser=0.0))), {ROOT}),
    case("root-pod-uid-0", POD, pod(spec(securityContext={"runAsUser": 0.0})), {ROOT, SECCOMP}),
    case(
        "root-pod-uid-0-container-override",
        POD,
        pod(spec(sc(runAsUser=1000.0), securityContext={"runAsUser": 0.0})),
        {SECCOMP},
    ),
    case("root-nothing-set", POD, pod(spec(sc(runAsNonRoot=None), securityContext=None)), {ROOT, SECCOMP}),
    case("root-container-non-root-only", POD, pod(spec(securityContext=None)), {SECCOMP}),
    case(
        "root-pod-non-root-only",
        POD,
        pod(spec(sc(runAsNonRoot=None), securityContext={"runAsNonRoot": True})),
        {SECCOMP},
    ),
    case("root-non-root-false-uid-set", POD, pod(spec(sc(runAsNonRoot=False)))),
    case("root-non-root-false", POD, pod(spec(sc(runAsNonRoot=False), securityContext=None)), {ROOT, SECCOMP}),
    case(
        "root-uid-positive-only",
        POD,
        pod(spec(sc(runAsNonRoot=None, runAsUser=1000.0), securityContext=None)),
        {SECCOMP},
    ),
    case(
        "root-uid-false-is-not-0",
        POD,
        pod(spec(sc(runAsNonRoot=None, runAsUser=False), securityContext=None)),
        {ROOT, SECCOMP},
    ),
    case("root-pod-sc-string", POD, pod(spec(sc(runAsNonRoot=None), securityContext="restricted")), {ROOT, SECCOMP}),
    # capabilities
    case("caps-add-sys-admin", POD, pod(spec(sc(capabilities={"add": ["SYS_ADMIN"], "drop": ["ALL"]}))), {CAPS}),
    case("caps-add-bind", POD, pod(spec(sc(capabilities={"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]})))),
    case("caps-add-cap-prefix", POD, pod(spec(sc(capabilities={"add": ["cap_net_bind_service"], "drop": ["all"]})))),
    case("caps-no-drop", POD, pod(spec(sc(capabilities=None))), {CAPS}),
    case("caps-drop-some", POD, pod(spec(sc(capabilities={"drop": ["NET_RAW"]}))), {CAPS}),
    case("caps-add-string", POD, pod(spec(sc(capabilities={"add": "SYS_ADMIN", "drop": ["ALL"]})))),
    case(
        "caps-allowed-by-config",
        POD,
        pod(spec(sc(capabilities={"add": ["SYS_PTRACE"]}))),
        config={CAPS: {"allowedCapabilities": ["SYS_PTRACE"], "requireDropAll": False}},
    ),
    # host paths and runtime sockets
    case(
        "docker-sock", DAEMONSET, workload(DAEMONSET, with_volume(volume("/var/run/docker.sock"))), {SOCKET, HOSTPATH}
    ),
    case("containerd-sock", POD, pod(with_volume(volume("/run/containerd/containerd.sock"))), {SOCKET, HOSTPATH}),
    case("crio-sock", POD, pod(with_volume(volume("/var/run/crio/crio.sock"))), {SOCKET, HOSTPATH}),
    case("containerd-dir", POD, pod(with_volume(volume("/run/containerd"))), {SOCKET, HOSTPATH}),
    case("host-root", POD, pod(with_volume(volume("/"))), {SOCKET, HOSTPATH}),
    case("docker-sock-odd-spelling", POD, pod(with_volume(volume("//var//run/./docker.sock/"))), {SOCKET, HOSTPATH}),
    case("host-var-log", POD, pod(with_volume(volume("/var/log"))), {HOSTPATH}),
    case("host-sock-lookalike", POD, pod(with_volume(volume("/var/run/docker.sock.d"))), {HOSTPATH}),
    case(
        "host-var-log-allowed",
        POD,
        pod(with_volume(volume("/var/log"))),
        config={HOSTPATH: {"allowedHostPaths": ["/var/log", "/var/log/*"]}},
    ),
    case(
        "docker-sock-allowed-path-still-socket",
        POD,
        pod(with_volume(volume("/var/run/docker.sock"))),
        {SOCKET},
        config={HOSTPATH: {"allowedHostPaths": ["/var/run/*"]}},
    ),
    case("host-path-relative", POD, pod(with_volume(volume("var/run/docker.sock")))),
    case("host-path-garbage", POD, pod(with_volume({"name": "x", "hostPath": "/var/run/docker.sock"}, None, 3))),
    # images
    case("image-no-tag", POD, pod(spec(container(image="nginx"))), {UNPINNED, REGISTRY}),
    case("image-latest-ecr", POD, pod(spec(container(image=IMAGE.replace("1.4.2", "latest")))), {UNPINNED}),
    case("image-digest-latest", POD, pod(spec(container(image=f"{IMAGE.replace(':1.4.2', ':latest')}@{DIGEST}")))),
    case(
        "image-digest",
        POD,
        pod(spec(container(image=IMAGE.split(":")[0] + "@" + DIGEST))),
        config={UNPINNED: {"requireDigest": True}},
    ),
    case("image-tag-when-digest-required", POD, pod(), {UNPINNED}, config={UNPINNED: {"requireDigest": True}}),
    case("image-docker-hub", POD, pod(spec(container(image="nginx:1.27.3"))), {REGISTRY}),
    case("image-registry-port", POD, pod(spec(container(image="localhost:5000/app:1"))), {REGISTRY}),
    case("image-ecr-public", POD, pod(spec(container(image="public.ecr.aws/eks/aws-load-balancer-controller:v2.8.1")))),
    case("image-ecr-china", POD, pod(spec(container(image="111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/a:1")))),
    case(
        "image-ecr-lookalike",
        POD,
        pod(spec(container(image="dkr.ecr.eu-west-1.amazonaws.com.evil.io/a:1"))),
        {REGISTRY},
    ),
    case("image-missing", POD, pod(spec(container(image=None))), {UNPINNED}),
    case("image-number", POD, pod(spec(container(image=5.0))), {UNPINNED}),
    case(
        "image-init-latest",
        POD,
        pod(spec(initContainers=[container("init", image=f"{IMAGE}".replace("1.4.2", ""))])),
        {UNPINNED},
    ),
    case(
        "registry-check-off",
        POD,
        pod(spec(container(image="nginx:1.27.3"))),
        config={REGISTRY: {"allowedRegistries": []}},
    ),
    case(
        "registry-docker-hub-allowed",
        POD,
        pod(spec(container(image="nginx:1.27.3"))),
        config={REGISTRY: {"allowedRegistries": ["docker.io"]}},
    ),
    case(
        "registry-repository-pattern",
        POD,
        pod(spec(container(image="nginx:1.27.3"), container("sidecar", image="bitnami/redis:7.2"))),
        {REGISTRY},
        config={REGISTRY: {"allowedRegistries": ["docker.io/library/*"]}},
    ),
    # namespaces
    case("namespace-missing", POD, pod(namespace=None), {DEFAULT_NS}),
    case("namespace-default", DEPLOYMENT, workload(DEPLOYMENT, namespace="default"), {DEFAULT_NS}),
    case("namespace-empty", POD, pod(namespace=""), {DEFAULT_NS}),
    case("namespace-unknown", POD, pod(namespace=UNKNOWN), not_checkable={DEFAULT_NS}),
    case("metadata-missing", POD, {"spec": spec()}, {DEFAULT_NS}),
    case("namespace-from-provider", POD, pod(namespace=None), provider=k8s_provider("shop")),
    case("namespace-provider-default", POD, pod(namespace=None), {DEFAULT_NS}, provider=k8s_provider("default")),
    case("namespace-provider-unset", POD, pod(namespace=None), {DEFAULT_NS}, provider=k8s_provider(None)),
    case(
        "namespace-provider-unknown",
        POD,
        pod(namespace=None),
        provider=k8s_provider(UNKNOWN),
        not_checkable={DEFAULT_NS},
    ),
    case("namespace-own-beats-provider", POD, pod(namespace="default"), {DEFAULT_NS}, provider=k8s_provider("shop")),
    case("namespace-other-provider", POD, pod(namespace=None), {DEFAULT_NS}, provider=AWS_PROVIDER),
    # service account token automount
    case("automount-missing", POD, pod(spec(automountServiceAccountToken=None)), {AUTOMOUNT}),
    case("automount-true", CRONJOB, workload(CRONJOB, spec(automountServiceAccountToken=True)), {AUTOMOUNT}),
    case("automount-unknown", POD, pod(spec(automountServiceAccountToken=UNKNOWN)), not_checkable={AUTOMOUNT}),
    # secrets in environment variables
    case(
        "env-secret-key-ref",
        POD,
        pod(spec(container(env=[{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}]))),
        {SECRET_ENV},
    ),
    case("env-from-secret", POD, pod(spec(container(envFrom=[{"secretRef": {"name": "db"}}]))), {SECRET_ENV}),
    case("env-from-configmap", POD, pod(spec(container(envFrom=[{"configMapRef": {"name": "cfg"}}])))),
    case(
        "env-secret-ref-unknown",
        POD,
        pod(spec(container(env=[{"name": "X", "valueFrom": {"secretKeyRef": UNKNOWN}}]))),
        {SECRET_ENV},
    ),
    case("env-unknown", POD, pod(spec(container(env=UNKNOWN))), not_checkable={SECRET_ENV, CREDS}),
    case("env-garbage", POD, pod(spec(container(env="DB_PASSWORD=x", envFrom=[None, "x", {"secretRef": None}])))),
    # unknowns: definite violations first, otherwise not checkable until apply
    case("image-unknown", POD, pod(spec(container(image=UNKNOWN))), not_checkable={UNPINNED, REGISTRY}),
    case(
        "privileged-with-unknown-image",
        POD,
        pod(spec(container(image=UNKNOWN, securityContext={**container()["securityContext"], "privileged": True}))),
        {PRIV},
        not_checkable={UNPINNED, REGISTRY},
    ),
    case("containers-unknown", POD, pod(spec(containers=UNKNOWN)), not_checkable=CONTAINER_RULES),
    case(
        "containers-unknown-init-privileged",
        POD,
        pod(spec(containers=UNKNOWN, initContainers=[sc(privileged=True)])),
        {PRIV},
        not_checkable=CONTAINER_RULES - {PRIV},
    ),
    case(
        "one-container-unknown",
        POD,
        pod(spec(container(), UNKNOWN, container("b", image="nginx"))),
        {UNPINNED, REGISTRY},
        not_checkable=CONTAINER_RULES - {UNPINNED, REGISTRY},
    ),
    case(
        "template-unknown", DEPLOYMENT, {"metadata": METADATA, "spec": {"template": UNKNOWN}}, not_checkable=POD_RULES
    ),
    case(
        "security-context-unknown",
        POD,
        pod(spec(container(securityContext=UNKNOWN))),
        not_checkable={PRIV, ESC, ROOT, CAPS, READONLY, SECCOMP, WINHOST},
    ),
    case("escalation-unknown", POD, pod(spec(sc(allowPrivilegeEscalation=UNKNOWN))), not_checkable={ESC}),
    case(
        "run-as-user-unknown",
        POD,
        pod(spec(sc(runAsUser=UNKNOWN, runAsNonRoot=None), securityContext=None)),
        {SECCOMP},
        not_checkable={ROOT},
    ),
    case("run-as-user-unknown-non-root", POD, pod(spec(sc(runAsUser=UNKNOWN)))),
    case(
        "pod-non-root-unknown",
        POD,
        pod(spec(sc(runAsNonRoot=None), securityContext={"runAsNonRoot": UNKNOWN})),
        {SECCOMP},
        not_checkable={ROOT},
    ),
    case("host-network-unknown", POD, pod(spec(hostNetwork=UNKNOWN)), not_checkable={HOSTNS}),
    case("host-network-unknown-pid-true", POD, pod(spec(hostNetwork=UNKNOWN, hostPID=True)), {HOSTNS}),
    case(
        "caps-add-unknown", POD, pod(spec(sc(capabilities={"add": [UNKNOWN], "drop": ["ALL"]}))), not_checkable={CAPS}
    ),
    case("caps-add-unknown-and-sys-admin", POD, pod(spec(sc(capabilities={"add": [UNKNOWN, "SYS_ADMIN"]}))), {CAPS}),
    case("caps-drop-unknown", POD, pod(spec(sc(capabilities={"drop": UNKNOWN}))), not_checkable={CAPS}),
    case("volumes-unknown", POD, pod(spec(volumes=UNKNOWN)), not_checkable={SOCKET, HOSTPATH}),
    case(
        "volume-unknown-beside-docker-sock",
        POD,
        pod(spec(volumes=[UNKNOWN, volume("/var/run/docker.sock")])),
        {SOCKET, HOSTPATH},
    ),
    case("host-path-unknown", POD, pod(with_volume(volume(UNKNOWN))), not_checkable={SOCKET, HOSTPATH}),
    case("volume-name-unknown", POD, pod(with_volume(volume("/run/docker.sock", UNKNOWN))), {SOCKET, HOSTPATH}),
    # oddly typed
    case("spec-string", POD, pod("privileged")),
    case("spec-missing", DEPLOYMENT, {"metadata": METADATA, "spec": {"replicas": 1.0}}),
    case("template-spec-list", DEPLOYMENT, {"metadata": METADATA, "spec": {"template": {"spec": [1, 2]}}}),
    case("containers-string", POD, pod(spec(containers="nginx"))),
    case("containers-garbage", POD, pod(spec(containers=[None, 5.0, "x", [container()], container()]))),
    case(
        "container-security-context-string",
        POD,
        pod(spec(container(securityContext="privileged"))),
        {ESC, CAPS, READONLY},
    ),
    case("capabilities-string", POD, pod(spec(sc(capabilities="ALL"))), {CAPS}),
    case("volumes-string", POD, pod(spec(volumes="/var/run/docker.sock"))),
    case(
        "bare-pod",
        POD,
        {"spec": {"containers": [{"name": "x", "image": "nginx"}]}},
        {ESC, ROOT, CAPS, UNPINNED, REGISTRY, AUTOMOUNT, DEFAULT_NS, READONLY, SECCOMP},
    ),
]


AKIA = "AKIA" + "IOSFODNN7EXAMPLE"  # AWS's documented example access key id
WINDOWS = {"name": "windows"}


def env(*entries: tuple[str, Any]) -> list[dict[str, Any]]:
    return [{"name": name, "value": value} for name, value in entries]


HARDENING_CASES = [
    # read-only root filesystem (container level; ephemeral containers and Windows pods are not checked)
    case("readonly-missing", POD, pod(spec(sc(readOnlyRootFilesystem=None))), {READONLY}),
    case("readonly-false", DEPLOYMENT, workload(DEPLOYMENT, spec(sc(readOnlyRootFilesystem=False))), {READONLY}),
    case("readonly-string-true", POD, pod(spec(sc(readOnlyRootFilesystem="true"))), {READONLY}),
    case("readonly-init", JOB, workload(JOB, spec(initContainers=[sc(readOnlyRootFilesystem=None)])), {READONLY}),
    case("readonly-unknown", POD, pod(spec(sc(readOnlyRootFilesystem=UNKNOWN))), not_checkable={READONLY}),
    case(
        "readonly-ephemeral-writable",
        POD,
        pod(
            spec(
                ephemeralContainers=[
                    container(
                        "debug", securityContext={**container()["securityContext"], "readOnlyRootFilesystem": False}
                    )
                ]
            )
        ),
    ),
    case("windows-pod", POD, pod(spec(sc(readOnlyRootFilesystem=None), securityContext=None, os=WINDOWS))),
    # seccomp: container overrides pod; RuntimeDefault or Localhost
    case("seccomp-pod-missing", CRONJOB, workload(CRONJOB, spec(securityContext={"runAsNonRoot": True})), {SECCOMP}),
    case(
        "seccomp-container-only",
        POD,
        pod(
            spec(
                sc(seccompProfile={"type": "Localhost", "localhostProfile": "p.json"}),
                securityContext={"runAsNonRoot": True},
            )
        ),
    ),
    case("seccomp-container-unconfined", POD, pod(spec(sc(seccompProfile={"type": "Unconfined"}))), {SECCOMP}),
    case(
        "seccomp-pod-unconfined",
        POD,
        pod(spec(securityContext={"runAsNonRoot": True, "seccompProfile": {"type": "Unconfined"}})),
        {SECCOMP},
    ),
    case(
        "seccomp-pod-unknown",
        POD,
        pod(spec(securityContext={"runAsNonRoot": True, "seccompProfile": UNKNOWN})),
        not_checkable={SECCOMP},
    ),
    case("seccomp-type-number", POD, pod(spec(sc(seccompProfile={"type": 1.0}))), {SECCOMP}),
    # host ports
    case(
        "host-port",
        DAEMONSET,
        workload(DAEMONSET, spec(container(ports=[{"containerPort": 80.0, "hostPort": 80.0}]))),
        {HOSTPORT},
    ),
    case("host-port-zero", POD, pod(spec(container(ports=[{"containerPort": 80.0, "hostPort": 0.0}])))),
    case("host-port-string", POD, pod(spec(container(ports=[{"containerPort": 80.0, "hostPort": "80"}]))), {HOSTPORT}),
    case(
        "host-port-unknown",
        POD,
        pod(spec(container(ports=[{"containerPort": 80.0, "hostPort": UNKNOWN}]))),
        not_checkable={HOSTPORT},
    ),
    # Windows HostProcess (pod or container)
    case(
        "host-process-pod",
        POD,
        pod(spec(securityContext={"windowsOptions": {"hostProcess": True}}, os=WINDOWS)),
        {WINHOST},
    ),
    case(
        "host-process-container",
        DEPLOYMENT,
        workload(DEPLOYMENT, spec(container(securityContext={"windowsOptions": {"hostProcess": True}}), os=WINDOWS)),
        {WINHOST, ESC, CAPS},
    ),
    case("host-process-false", POD, pod(spec(securityContext={"windowsOptions": {"hostProcess": False}}, os=WINDOWS))),
    # literal credentials: by name (never by value) and by shape
    case("cred-password-env", POD, pod(spec(container(env=env(("DB_PASSWORD", "hunter2"))))), {CREDS}),
    case("cred-secret-value", POD, pod(spec(container(env=env(("API_TOKEN", Secret("t-123")))))), {CREDS}),
    case("cred-computed-value", POD, pod(spec(container(env=env(("clientSecret", UNKNOWN))))), {CREDS}),
    case(
        "cred-aws-key-any-name",
        STATEFULSET,
        workload(
            STATEFULSET,
            spec(container(env=env(("ID", AKIA)))),
        ),
        {CREDS},
    ),
    case(
        "cred-file-pointer",
        POD,
        pod(
            spec(
                container(
                    env=env(
                        ("DB_PASSWORD_FILE", "/run/secrets/db"), ("TOKEN_URL", "https://sts"), ("SECRET_NAME", "db")
                    )
                )
            )
        ),
    ),
    case("cred-empty-and-reference", POD, pod(spec(container(env=env(("PASSWORD", ""), ("TOKEN", "$(OTHER)")))))),
    case("cred-arg-flag-equals", JOB, workload(JOB, spec(container(args=["--db-password=hunter2"]))), {CREDS}),
    case("cred-arg-flag-next", POD, pod(spec(container(command=["app", "--token", "abc"]))), {CREDS}),
    case("cred-arg-private-key", POD, pod(spec(container(args=["-----BEGIN RSA PRIVATE KEY-----"]))), {CREDS}),
    case("cred-arg-harmless", POD, pod(spec(container(args=["--token-file", "/var/run/t", "--port", "80"])))),
    case("cred-arg-unknown-beside-flag", POD, pod(spec(container(args=[UNKNOWN, "--password=x"]))), {CREDS}),
    case("cred-args-unknown", POD, pod(spec(container(args=UNKNOWN))), not_checkable={CREDS}),
    case("cred-env-odd", POD, pod(spec(container(env=[{"name": 5.0, "value": "x"}, "PASSWORD=x", None])))),
]


NAMESPACE_CASES = [
    case("ns-restricted", NAMESPACE, {"metadata": {"name": "shop", "labels": {ENFORCE: "restricted"}}}),
    case("ns-baseline", NAMESPACE, {"metadata": {"name": "shop", "labels": {ENFORCE: "baseline"}}}),
    case("ns-no-labels", NAMESPACE, {"metadata": {"name": "shop"}}, {PSA}),
    case("ns-no-metadata", NAMESPACE, {}, {PSA}),
    case("ns-only-warn", NAMESPACE, {"metadata": {"labels": {"pod-security.kubernetes.io/warn": "restricted"}}}, {PSA}),
    case("ns-privileged", NAMESPACE, {"metadata": {"name": "shop", "labels": {ENFORCE: "privileged"}}}, {PSA}),
    case("ns-wrong-case", NAMESPACE, {"metadata": {"labels": {ENFORCE: "Restricted"}}}, {PSA}),
    case("ns-labels-string", NAMESPACE, {"metadata": {"labels": "restricted"}}, {PSA}),
    case("ns-labels-unknown", NAMESPACE, {"metadata": {"name": "shop", "labels": UNKNOWN}}, not_checkable={PSA}),
    case("ns-level-unknown", NAMESPACE, {"metadata": {"labels": {ENFORCE: UNKNOWN}}}, not_checkable={PSA}),
    case(
        "ns-baseline-not-allowed",
        NAMESPACE,
        {"metadata": {"labels": {ENFORCE: "baseline"}}},
        {PSA},
        config={PSA: {"allowedLevels": ["restricted"]}},
    ),
    case(
        "ns-kube-system-exempted",
        NAMESPACE,
        {"metadata": {"name": "kube-system", "labels": {ENFORCE: "privileged"}}},
        name="kube-system",
        config={PSA: {"exemptions": [{"pattern": "kube-system", "reason": "system add-ons need host access"}]}},
    ),
    case("sa-default-off", SERVICE_ACCOUNT, {"metadata": {"name": "default"}, "automountServiceAccountToken": False}),
    case("sa-default-unset", SERVICE_ACCOUNT, {"metadata": {"name": "default", "namespace": "shop"}}, {DEFAULT_SA}),
    case(
        "sa-default-true",
        SERVICE_ACCOUNT,
        {"metadata": {"name": "default"}, "automountServiceAccountToken": True},
        {DEFAULT_SA},
    ),
    case("sa-named-unset", SERVICE_ACCOUNT, {"metadata": {"name": "api", "namespace": "shop"}}),
    case("sa-autonamed", SERVICE_ACCOUNT, {}),
    case("sa-name-unknown", SERVICE_ACCOUNT, {"metadata": {"name": UNKNOWN}}, not_checkable={DEFAULT_SA}),
    case(
        "sa-automount-unknown",
        SERVICE_ACCOUNT,
        {"metadata": {"name": "default"}, "automountServiceAccountToken": UNKNOWN},
        not_checkable={DEFAULT_SA},
    ),
]

CASES: list[Case] = KIND_CASES + POD_CASES + HARDENING_CASES + NAMESPACE_CASES


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_workload_case(pack, c: Case) -> None:
    run_case(pack, c)


def test_messages_name_the_field_and_the_value(pack) -> None:
    bad = container(
        "web",
        image="nginx",
        securityContext={"privileged": True, "runAsUser": 0.0, "capabilities": {"add": ["NET_ADMIN"]}},
        env=[{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api-token", "key": "t"}}}],
    )
    props = workload(CRONJOB, spec(bad, hostNetwork=True, volumes=[volume("/run/containerd", "rt")]))
    found = pack.messages(CRONJOB, props)
    where = "spec.jobTemplate.spec.template.spec"
    assert found == {
        PRIV: [f"{where}.containers[0] (web) is privileged (securityContext.privileged: true): it is root on the node"],
        HOSTNS: [f"{where}.hostNetwork is true: the pod shares the node's network namespace"],
        ESC: [
            f"{where}.containers[0] (web) does not set securityContext.allowPrivilegeEscalation: false "
            "(Kubernetes allows it)"
        ],
        ROOT: [f"{where}.containers[0] (web) runs as root (runAsUser: 0)"],
        READONLY: [
            f"{where}.containers[0] (web) does not set securityContext.readOnlyRootFilesystem: true: a process can "
            "rewrite its own image"
        ],
        CAPS: [
            f"{where}.containers[0] (web) adds capabilities NET_ADMIN (securityContext.capabilities.add; "
            "allowed: NET_BIND_SERVICE)",
            f"{where}.containers[0] (web) does not drop ALL capabilities (securityContext.capabilities.drop)",
        ],
        SOCKET: [
            f"{where}.volumes[0] (rt) mounts hostPath /run/containerd, which holds the runtime socket "
            "/run/containerd/containerd.sock"
        ],
        HOSTPATH: [f"{where}.volumes[0] (rt) mounts the node path /run/containerd (hostPath.path)"],
        UNPINNED: [f"{where}.containers[0] (web) image nginx has no tag or digest: it pulls whatever latest is"],
        REGISTRY: [f"{where}.containers[0] (web) image nginx comes from docker.io, which is not in allowedRegistries"],
        SECRET_ENV: [
            f"{where}.containers[0] (web) env[0] (TOKEN) reads Secret api-token into the environment "
            "(secretKeyRef); mount it as a file instead"
        ],
    }


def test_registry_check_off_says_why(pack) -> None:
    with pack.configured({REGISTRY: {"allowedRegistries": []}}):
        reasons = pack.not_applicable(POD, pod())
    assert reasons[REGISTRY] == "no registry allow-list configured (allowedRegistries is empty)"


# --- remediation ---------------------------------------------------------------------------------------------


def test_namespace_remediation_adds_restricted_only_when_missing(pack) -> None:
    props = {"metadata": {"name": "shop", "labels": {"team": "a"}, "annotations": Secret({"owner": "x"})}}
    with pack.configured({PSA: "remediate"}):
        fixed = pack.remediate(NAMESPACE, props)
        assert pack.remediate(NAMESPACE, {"metadata": {"labels": {ENFORCE: "privileged"}}}) is None
        assert pack.remediate(NAMESPACE, {"metadata": {"labels": {ENFORCE: "baseline"}}}) is None
        bare = pack.remediate(NAMESPACE, {})
    assert fixed == {
        "metadata": {
            "name": "shop",
            "labels": {"team": "a", ENFORCE: "restricted"},
            "annotations": Secret({"owner": "x"}),
        }
    }
    assert bare == {"metadata": {"labels": {ENFORCE: "restricted"}}}
    assert pack.violations(NAMESPACE, fixed) == set()


def test_namespace_remediation_waits_for_unknown_labels(pack) -> None:
    with pack.configured({PSA: "remediate"}):
        remediations = pack.process.remediate(resource(NAMESPACE, {"metadata": {"name": "x", "labels": UNKNOWN}}))
    assert [r.policy for r in remediations if "during preview" in r.diagnostic] == [PSA]
    assert all(r.properties is None for r in remediations)


def test_default_service_account_remediation(pack) -> None:
    with pack.configured({DEFAULT_SA: "remediate"}):
        fixed = pack.remediate(SERVICE_ACCOUNT, {"metadata": {"name": "default", "namespace": "shop"}})
        assert pack.remediate(SERVICE_ACCOUNT, {"metadata": {"name": "api"}}) is None
        assert (
            pack.remediate(SERVICE_ACCOUNT, {"metadata": {"name": "default"}, "automountServiceAccountToken": True})
            is None
        )
    assert fixed == {"metadata": {"name": "default", "namespace": "shop"}, "automountServiceAccountToken": False}
    assert pack.violations(SERVICE_ACCOUNT, fixed) == set()


def test_no_remediation_for_exempted_namespace(pack) -> None:
    config = {PSA: {"enforcementLevel": "remediate", "exemptions": [{"pattern": "legacy-*", "reason": "migrating"}]}}
    with pack.configured(config):
        assert pack.remediate(NAMESPACE, {"metadata": {"name": "legacy"}}, name="legacy-ns") is None


# --- stack policy: namespaces with workloads need a NetworkPolicy -------------------------------------------------


def _ns(name: str) -> Any:
    return resource(NAMESPACE, {"metadata": {"name": name, "labels": {ENFORCE: "restricted"}}}, name=f"{name}-ns")


def _deploy(name: str, namespace: Any, provider_namespace: str | None = None) -> Any:
    provider = k8s_provider(provider_namespace) if provider_namespace else None
    return resource(DEPLOYMENT, workload(DEPLOYMENT, name=name, namespace=namespace), name=name, provider=provider)


def _netpol(namespace: Any, rtype: str = NETWORK_POLICY) -> Any:
    props = {"metadata": {"name": "default-deny", "namespace": namespace}, "spec": {"podSelector": {}}}
    return resource(rtype, props, name=f"deny-{namespace if isinstance(namespace, str) else 'x'}")


def _ns_urn(name: str) -> str:
    return urn_for(NAMESPACE, f"{name}-ns")


def _deploy_urn(name: str) -> str:
    return urn_for(DEPLOYMENT, name)


CALICO = f"{K}crd.projectcalico.org/v1:NetworkPolicy"

STACK_CASES: list[tuple[str, list[Any], set[tuple[str, str]], dict[str, Any]]] = [
    ("netpol-covered", [_ns("shop"), _deploy("api", "shop"), _netpol("shop")], set(), {}),
    ("netpol-missing", [_ns("shop"), _deploy("api", "shop")], {(NETPOL, _ns_urn("shop"))}, {}),
    ("netpol-other-namespace", [_ns("shop"), _deploy("api", "shop"), _netpol("ops")], {(NETPOL, _ns_urn("shop"))}, {}),
    ("netpol-namespace-not-in-stack", [_deploy("api", "shop")], {(NETPOL, _deploy_urn("api"))}, {}),
    ("netpol-empty-namespace", [_ns("shop")], set(), {}),
    (
        "netpol-two-namespaces",
        [_ns("shop"), _ns("ops"), _deploy("api", "shop"), _deploy("tool", "ops"), _netpol("shop")],
        {(NETPOL, _ns_urn("ops"))},
        {},
    ),
    ("netpol-default-namespace", [_deploy("api", None), _netpol(None)], set(), {}),
    ("netpol-default-namespace-missing", [_deploy("api", "default")], {(NETPOL, _deploy_urn("api"))}, {}),
    ("netpol-provider-namespace", [_ns("shop"), _deploy("api", None, "shop"), _netpol("shop")], set(), {}),
    ("netpol-provider-namespace-missing", [_ns("shop"), _deploy("api", None, "shop")], {(NETPOL, _ns_urn("shop"))}, {}),
    (
        "netpol-calico-not-counted",
        [_deploy("api", "shop"), _netpol("shop", CALICO)],
        {(NETPOL, _deploy_urn("api"))},
        {},
    ),
    (
        "netpol-calico-counted",
        [_deploy("api", "shop"), _netpol("shop", CALICO)],
        set(),
        {NETPOL: {"networkPolicyTypes": [NETWORK_POLICY, CALICO]}},
    ),
    ("netpol-workload-namespace-unknown-no-policy", [_deploy("api", UNKNOWN)], {(NETPOL, _deploy_urn("api"))}, {}),
    ("netpol-workload-namespace-unknown-policy-elsewhere", [_deploy("api", UNKNOWN), _netpol("shop")], set(), {}),
    ("netpol-policy-namespace-unknown", [_deploy("api", "shop"), _netpol(UNKNOWN)], set(), {}),
    (
        "netpol-exempted",
        [_ns("shop"), _deploy("api", "shop")],
        set(),
        {NETPOL: {"exemptions": [{"pattern": "shop-ns", "reason": "Cilium cluster-wide policies"}]}},
    ),
]


LIMIT_RANGE = f"{K}core/v1:LimitRange"


def _unlimited(name: str, namespace: str = "shop", **resources: Any) -> Any:
    """A Deployment whose container sets ``resources`` (none by default), with its namespace's NetworkPolicy."""
    pod_spec = spec(container(resources=resources or None))
    return resource(DEPLOYMENT, workload(DEPLOYMENT, pod_spec, name=name, namespace=namespace), name=name)


def _limit_range(namespace: Any, item: Any) -> Any:
    props = {"metadata": {"name": "defaults", "namespace": namespace}, "spec": {"limits": [item]}}
    return resource(LIMIT_RANGE, props, name=f"limits-{namespace if isinstance(namespace, str) else 'x'}")


COVERED = [_ns("shop"), _netpol("shop")]
MEMORY_DEFAULT = {"type": "Container", "default": {"memory": "512Mi"}}
CPU = {"requireCpuLimits": True}
STACK_CASES += [
    ("limits-missing", [*COVERED, _unlimited("api")], {(LIMITS, _deploy_urn("api"))}, {}),
    ("limits-limit-range-default", [*COVERED, _unlimited("api"), _limit_range("shop", MEMORY_DEFAULT)], set(), {}),
    (
        "limits-limit-range-max",
        [*COVERED, _unlimited("api"), _limit_range("shop", {"type": "Container", "max": {"memory": "1Gi"}})],
        set(),
        {},
    ),
    (
        "limits-limit-range-pod-type",
        [*COVERED, _unlimited("api"), _limit_range("shop", {"type": "Pod", "max": {"memory": "1Gi"}})],
        {(LIMITS, _deploy_urn("api"))},
        {},
    ),
    (
        "limits-limit-range-elsewhere",
        [*COVERED, _unlimited("api"), _limit_range("ops", MEMORY_DEFAULT)],
        {(LIMITS, _deploy_urn("api"))},
        {},
    ),
    (
        "limits-cpu-required",
        [*COVERED, _unlimited("api", limits={"memory": "1Gi"})],
        {(LIMITS, _deploy_urn("api"))},
        {LIMITS: {"requireCpuLimits": True}},
    ),
    (
        "limits-cpu-from-limit-range",
        [
            *COVERED,
            _unlimited("api", limits={"memory": "1Gi"}),
            _limit_range("shop", {"type": "Container", "default": {"cpu": "500m"}}),
        ],
        set(),
        {LIMITS: CPU},
    ),
    (
        "limits-requests-from-limits",
        [*COVERED, _unlimited("api", limits={"memory": "1Gi", "cpu": "1"})],
        set(),
        {LIMITS: {"requireCpuLimits": True, "requireRequests": True}},
    ),
    (
        "limits-requests-missing",
        [*COVERED, _unlimited("api", limits={"memory": "1Gi"})],
        {(LIMITS, _deploy_urn("api"))},
        {LIMITS: {"requireRequests": True}},
    ),
    (
        "limits-limit-range-namespace-unknown",
        [*COVERED, _unlimited("api"), _limit_range(UNKNOWN, MEMORY_DEFAULT)],
        set(),
        {},
    ),
]


@pytest.mark.parametrize("c", STACK_CASES, ids=lambda c: c[0])
def test_stack_case(pack, c) -> None:
    _, resources, expected, config = c
    with pack.configured(config):
        assert pack.stack_violations(resources) == expected


@pytest.mark.parametrize(
    "resources",
    [
        [_deploy("api", UNKNOWN), _netpol("shop")],
        [_deploy("api", "shop"), _netpol(UNKNOWN)],
    ],
    ids=["workload-namespace-unknown", "policy-namespace-unknown"],
)
def test_stack_rule_not_checkable_when_the_verdict_depends_on_an_unknown(pack, resources) -> None:
    diagnostics = pack.process.analyze_stack(resources).diagnostics
    assert {d.policy for d in diagnostics if "during preview" in d.message} == {NETPOL}


def test_stack_rule_reports_definite_gap_despite_unknown_policy_namespace(pack) -> None:
    resources = [_ns("shop"), _deploy("api", "shop"), _netpol("ops"), _deploy("job", UNKNOWN)]
    assert pack.stack_violations(resources) == {(NETPOL, _ns_urn("shop"))}
    message = next(d.message for d in pack.process.analyze_stack(resources).diagnostics if d.policy == NETPOL)
    assert "namespace shop runs Deployment api but the stack declares no NetworkPolicy in it" in message


# --- image references (pure) -----------------------------------------------------------------------------------

IMAGE_REFS = [
    ("nginx", ("docker.io", "library/nginx", None, None)),
    ("nginx:1.27", ("docker.io", "library/nginx", "1.27", None)),
    ("bitnami/redis:7.2", ("docker.io", "bitnami/redis", "7.2", None)),
    ("localhost/app", ("localhost", "app", None, None)),
    ("localhost:5000/team/app:v1", ("localhost:5000", "team/app", "v1", None)),
    ("Registry.Example.com/app:v1", ("registry.example.com", "app", "v1", None)),
    (f"public.ecr.aws/eks/coredns@{DIGEST}", ("public.ecr.aws", "eks/coredns", None, DIGEST)),
    (f"{IMAGE}@{DIGEST}", ("111122223333.dkr.ecr.eu-west-1.amazonaws.com", "shop/api", "1.4.2", DIGEST)),
    ("app:", ("docker.io", "library/app", None, None)),
]


@pytest.mark.parametrize(("image", "expected"), IMAGE_REFS, ids=[i for i, _ in IMAGE_REFS])
def test_parse_image(image: str, expected: tuple[Any, ...]) -> None:
    ref = parse_image(image)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == expected
    assert ref.pinned_by_digest == (expected[3] is not None)


def test_short_digest_does_not_pin() -> None:
    assert not parse_image("nginx@sha256:abc").pinned_by_digest


def test_resource_limits_not_checkable_when_a_limit_range_namespace_is_unknown(pack) -> None:
    resources = [*COVERED, _unlimited("api"), _limit_range(UNKNOWN, MEMORY_DEFAULT)]
    diagnostics = pack.process.analyze_stack(resources).diagnostics
    assert [(d.policy, PREVIEW_MARKER in d.message) for d in diagnostics] == [(LIMITS, True)]


def test_resource_limits_message_names_the_container_and_namespace(pack) -> None:
    diagnostics = pack.process.analyze_stack([*COVERED, _unlimited("api")]).diagnostics
    assert [d.message.splitlines()[-1] for d in diagnostics] == [
        "Deployment api: containers[0] (app) sets no memory limit, and namespace shop has no LimitRange in the "
        "stack that gives a default: one pod can starve its node"
    ]


def test_credential_messages_name_the_variable_never_the_value(pack) -> None:
    secret = "hunter2-literal"
    props = pod(spec(container(env=env(("DB_PASSWORD", secret)), args=[f"--api-key={secret}", AKIA])))
    found = pack.messages(POD, props)[CREDS]
    assert all(secret not in m and AKIA not in m for m in found)
    where = "spec.containers[0] (app)"
    keep = "whoever can read the pod spec reads it; keep it in a Secret mounted as a file"
    assert found == [
        f"{where} env[0] (DB_PASSWORD) holds a literal credential (by its name): {keep}",
        f"{where} args[0] gives --api-key a literal credential: {keep}",
        f"{where} args[1] holds an AWS access key id: {keep}",
    ]


def test_seccomp_remediation_sets_runtime_default_only_when_nobody_chose(pack) -> None:
    with pack.configured({SECCOMP: "remediate"}):
        fixed = pack.remediate(POD, pod(spec(securityContext={"runAsNonRoot": True})))
        explicit = pack.remediate(
            POD, pod(spec(sc(seccompProfile={"type": "Unconfined"}), securityContext={"runAsNonRoot": True}))
        )
        windows = pack.remediate(POD, pod(spec(securityContext={"runAsNonRoot": True}, os=WINDOWS)))
    assert fixed["spec"]["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert explicit is None and windows is None
