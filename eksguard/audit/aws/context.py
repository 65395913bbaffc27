"""What one region's collectors share: the session, the partial inventory and the raw EKS descriptions
the other collectors start from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eksguard.audit.live import Inventory, LiveResource
from eksguard.audit.session import ReadOnlySession


@dataclass
class NodeGroupRead:
    cluster: dict[str, Any]
    """DescribeCluster output."""
    nodegroup: dict[str, Any]
    """DescribeNodegroup output."""
    live: LiveResource


@dataclass
class RegionRead:
    session: ReadOnlySession
    region: str
    inventory: Inventory
    clusters: list[dict[str, Any]] = field(default_factory=list)
    """DescribeCluster outputs."""
    nodegroups: list[NodeGroupRead] = field(default_factory=list)
    cluster_live: dict[str, LiveResource] = field(default_factory=dict)
    """Cluster name -> its declaration."""
    pod_roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Role ARN EKS hands to pods (an add-on's service account, a Pod Identity association, a Fargate profile's
    pod execution role), or to Auto Mode's nodes -> observed component arguments."""
    addon_defaults: dict[tuple[str, str], str] = field(default_factory=dict)
    """(add-on, Kubernetes version) -> the version EKS installs by default there (DescribeAddonVersions)."""

    def client(self, service: str, region: str | None = None) -> Any:
        return self.session.client(service, region or self.region)
