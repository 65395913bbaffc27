"""The payments team's stack on the shared EKS cluster, built from eksguard's components.

The cluster belongs to the platform team; this stack only names it. What the components need beyond the
name (VPC, subnets, Kubernetes version, OIDC issuer, endpoint) they look up from the cluster.
"""

import pulumi

from components.access import AccessControl, AccessControlArgs, AccessMapping, ManagedNamespace
from components.network import NetworkControls, NetworkControlsArgs
from components.nodegroup import NodeGroup, NodeGroupArgs
from components.security_groups import DataPlaneSecurityGroups, DataPlaneSecurityGroupsArgs

config = pulumi.Config()
cluster_name = config.require("clusterName")
vpc_cidr_blocks: list[str] = config.require_object("vpcCidrBlocks")
subnet_ids: list[str] = config.require_object("privateSubnetIds")
namespaces: list[str] = config.require_object("namespaces")
tags = {"team": "payments", "managed-by": "pulumi"}

security_groups = DataPlaneSecurityGroups(
    "payments-sg",
    DataPlaneSecurityGroupsArgs(
        cluster_name=cluster_name,
        egress_mode="restricted",
        vpc_cidr_blocks=vpc_cidr_blocks,
        tags=tags,
    ),
)

network = NetworkControls(
    "payments-network",
    NetworkControlsArgs(cluster_name=cluster_name, vpc_cidr_blocks=vpc_cidr_blocks, subnet_ids=subnet_ids, tags=tags),
)

nodes = NodeGroup(
    "payments-nodes",
    NodeGroupArgs(
        cluster_name=cluster_name,
        subnet_ids=subnet_ids,
        node_security_group_id=security_groups.node_security_group_id,
        architecture=config.get("nodeArchitecture") or "x86_64",
        min_size=2,
        desired_size=3,
        max_size=6,
        labels={"team": "payments"},
        tags=tags,
    ),
)

access = AccessControl(
    "payments-access",
    AccessControlArgs(
        cluster_name=cluster_name,
        namespaces=[ManagedNamespace(name=n) for n in namespaces],
        access_mappings=[
            AccessMapping(
                name="developers",
                principal_arn=config.require("developerRoleArn"),
                role="developer",
                namespaces=namespaces,
            ),
            AccessMapping(
                name="oncall",
                principal_arn=config.require("operatorRoleArn"),
                role="operator",
                namespaces=namespaces,
            ),
        ],
    ),
)

pulumi.export("nodeGroupName", nodes.node_group_name)
pulumi.export("nodeSecurityGroupId", security_groups.node_security_group_id)
pulumi.export("networkAclId", network.network_acl_id)
pulumi.export("namespaces", access.namespace_names)
