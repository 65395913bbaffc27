"""EFS file systems (the volumes the EFS CSI driver gives pods) as aws:efs/fileSystem:FileSystem declarations.
One DescribeFileSystems (paged) per region."""

from __future__ import annotations

from eksguard.audit.aws.context import RegionRead
from eksguard.audit.aws.reads import paginate, tags
from eksguard.audit.aws.types import EFS_FILE_SYSTEM
from eksguard.audit.live import LiveResource, pruned


def read_file_systems(ctx: RegionRead) -> None:
    for system in paginate(ctx.client("efs"), "describe_file_systems", "FileSystems"):
        props = pruned(
            {
                "creationToken": system.get("CreationToken"),
                "encrypted": system.get("Encrypted"),
                "kmsKeyId": system.get("KmsKeyId"),
                "performanceMode": system.get("PerformanceMode"),
                "throughputMode": system.get("ThroughputMode"),
                "availabilityZoneName": system.get("AvailabilityZoneName"),
                "tags": tags(system.get("Tags")),
                "region": ctx.region,
            }
        )
        system_id = system["FileSystemId"]
        ctx.inventory.add(
            LiveResource(EFS_FILE_SYSTEM, system_id, ctx.region, props, arn=system.get("FileSystemArn", system_id))
        )
