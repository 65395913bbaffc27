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
    addon_roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Role ARN of an add-on's service account -> observed component arguments."""

    def client(self, service: str, region: str | None = None) -> Any:
        return self.session.client(service, region or self.region)
