"""The Kubernetes objects the audit reads, where the API serves them, and how a live object becomes the
pulumi-kubernetes declaration that would manage it.

A live object already has the shape of pulumi-kubernetes inputs (apiVersion, kind, metadata, spec...); what
the server adds and no declaration carries (status, managedFields, resourceVersion, uid, timestamps, the
last-applied annotation) is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from eksguard_policies.facts import AWS_AUTH_CONFIG_MAP, VPC_CNI_CONFIG_MAP


@dataclass(frozen=True)
class Kind:
    group: str
    """API group; "" for the core group."""
    version: str
    resource: str
    """Plural resource name in the URL."""
    kind: str
    namespaced: bool
    only_unowned: bool = False
    """Pods and Jobs that a controller owns are judged through that controller's template."""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def type_token(self) -> str:
        """The pulumi-kubernetes type token: ``kubernetes:<group or core>/<version>:<Kind>``."""
        return f"kubernetes:{self.group or 'core'}/{self.version}:{self.kind}"

    @property
    def base_path(self) -> str:
        return f"/api/{self.version}" if not self.group else f"/apis/{self.group}/{self.version}"

    def list_path(self) -> str:
        """Every object of the kind, in all namespaces."""
        return f"{self.base_path}/{self.resource}"

    def object_path(self, name: str, namespace: str | None = None) -> str:
        where = f"/namespaces/{namespace}" if self.namespaced and namespace else ""
        return f"{self.base_path}{where}/{self.resource}/{name}"


RBAC, APPS, BATCH = "rbac.authorization.k8s.io", "apps", "batch"
NETWORKING, STORAGE = "networking.k8s.io", "storage.k8s.io"
LISTED: tuple[Kind, ...] = (
    Kind("", "v1", "namespaces", "Namespace", namespaced=False),
    Kind("", "v1", "serviceaccounts", "ServiceAccount", namespaced=True),
    Kind("", "v1", "services", "Service", namespaced=True),
    Kind("", "v1", "limitranges", "LimitRange", namespaced=True),
    Kind(RBAC, "v1", "clusterroles", "ClusterRole", namespaced=False),
    Kind(RBAC, "v1", "roles", "Role", namespaced=True),
    Kind(RBAC, "v1", "clusterrolebindings", "ClusterRoleBinding", namespaced=False),
    Kind(RBAC, "v1", "rolebindings", "RoleBinding", namespaced=True),
    Kind(NETWORKING, "v1", "networkpolicies", "NetworkPolicy", namespaced=True),
    Kind(NETWORKING, "v1", "ingresses", "Ingress", namespaced=True),
    Kind(STORAGE, "v1", "storageclasses", "StorageClass", namespaced=False),
    Kind(APPS, "v1", "deployments", "Deployment", namespaced=True),
    Kind(APPS, "v1", "statefulsets", "StatefulSet", namespaced=True),
    Kind(APPS, "v1", "daemonsets", "DaemonSet", namespaced=True),
    Kind(BATCH, "v1", "jobs", "Job", namespaced=True, only_unowned=True),
    Kind(BATCH, "v1", "cronjobs", "CronJob", namespaced=True),
    Kind("", "v1", "pods", "Pod", namespaced=True, only_unowned=True),
)
"""Listed cluster-wide, one paged list call per kind."""
KARPENTER, AUTO_MODE = "karpenter.k8s.aws", "eks.amazonaws.com"
CUSTOM: tuple[tuple[Kind, ...], ...] = (
    (
        Kind(KARPENTER, "v1", "ec2nodeclasses", "EC2NodeClass", namespaced=False),
        Kind(KARPENTER, "v1beta1", "ec2nodeclasses", "EC2NodeClass", namespaced=False),
    ),
    (Kind(AUTO_MODE, "v1", "nodeclasses", "NodeClass", namespaced=False),),
)
"""Custom resources the node controls judge: Karpenter's EC2NodeClass and EKS Auto Mode's NodeClass
(https://karpenter.sh/docs/concepts/nodeclasses/, https://docs.aws.amazon.com/eks/latest/userguide/create-node-class.html).
Each is listed in the first version the server serves (Karpenter 1.0 still serves v1beta1 for its migration: the
same objects, not listed twice); a 404 means the CRD is not installed, so the cluster has none."""
CONFIG_MAP = Kind("", "v1", "configmaps", "ConfigMap", namespaced=True)
CONFIG_MAPS = (AWS_AUTH_CONFIG_MAP, VPC_CNI_CONFIG_MAP)
"""The ConfigMaps the rules read, each with one get: aws-auth, which maps IAM principals to Kubernetes identities
(docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html), and amazon-vpc-cni (where EKS Auto Mode turns its
NetworkPolicy enforcement on)."""
TYPES = frozenset(k.type_token for k in (*LISTED, *(k for versions in CUSTOM for k in versions), CONFIG_MAP))

VERSION_PATH = "/version"
_READABLE = re.compile(
    "^(?:"
    + "|".join(
        [re.escape(VERSION_PATH)]
        + [re.escape(k.list_path()) for k in (*LISTED, *(k for versions in CUSTOM for k in versions))]
        + [re.escape(CONFIG_MAP.object_path(name, namespace)) for namespace, name in CONFIG_MAPS]
    )
    + ")$"
)

SERVER_METADATA = (
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def readable(path: str) -> bool:
    """Whether ``path`` is one the audit reads: /version, a kind's cluster-wide list, one of its ConfigMaps."""
    return bool(_READABLE.match(path))


def owned(obj: dict[str, Any]) -> bool:
    return any(ref.get("controller") for ref in (obj.get("metadata") or {}).get("ownerReferences") or [])


def declared(obj: dict[str, Any], kind: Kind) -> dict[str, Any]:
    """The object as a declaration gives it: apiVersion and kind set (list items omit them), server fields out."""
    out = {k: v for k, v in obj.items() if k != "status"}
    out["apiVersion"], out["kind"] = kind.api_version, kind.kind
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in SERVER_METADATA}
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k != LAST_APPLIED}
    if annotations:
        metadata["annotations"] = annotations
    else:
        metadata.pop("annotations", None)
    out["metadata"] = metadata
    return out
