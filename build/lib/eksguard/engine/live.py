"""Invoke answers read live from AWS with boto3 (``--live-lookups``). Only read-only calls are made:
ssm:GetParameter, sts:GetCallerIdentity, eks:DescribeCluster; region and partition come from the session."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_PARTITIONS = {"cn-": ("aws-cn", "amazonaws.com.cn"), "us-gov-": ("aws-us-gov", "amazonaws.com")}


class LiveLookups:
    def __init__(self, region: str | None, session: Any = None) -> None:
        import boto3

        self.session = session or boto3.session.Session(region_name=region)
        self.region = self.session.region_name or region or "us-east-1"
        self._clients: dict[str, Any] = {}
        self._handlers: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "aws:ssm/getParameter:getParameter": self._ssm_parameter,
            "aws:index/getCallerIdentity:getCallerIdentity": self._caller_identity,
            "aws:index/getRegion:getRegion": self._region,
            "aws:index/getPartition:getPartition": self._partition,
            "aws:eks/getCluster:getCluster": self._eks_cluster,
        }

    def handles(self, token: str) -> bool:
        return token in self._handlers

    def answer(self, token: str, args: Mapping[str, Any]) -> dict[str, Any]:
        return self._handlers[token](args)

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, region_name=self.region)
        return self._clients[service]

    def _ssm_parameter(self, args: Mapping[str, Any]) -> dict[str, Any]:
        p = self._client("ssm").get_parameter(Name=args["name"], WithDecryption=False)["Parameter"]
        return {
            "arn": p.get("ARN", ""),
            "id": p["Name"],
            "name": p["Name"],
            "type": p.get("Type", "String"),
            "value": p["Value"],
            "insecureValue": p["Value"],
            "version": p.get("Version", 0),
            "withDecryption": False,
        }

    def _caller_identity(self, args: Mapping[str, Any]) -> dict[str, Any]:
        who = self._client("sts").get_caller_identity()
        return {"accountId": who["Account"], "arn": who["Arn"], "id": who["Account"], "userId": who["UserId"]}

    def _region(self, args: Mapping[str, Any]) -> dict[str, Any]:
        region = args.get("region") or args.get("name") or self.region
        return {
            "id": region,
            "name": region,
            "region": region,
            "description": region,
            "endpoint": f"ec2.{region}.amazonaws.com",
        }

    def _partition(self, args: Mapping[str, Any]) -> dict[str, Any]:
        partition, suffix = next(
            (v for prefix, v in _PARTITIONS.items() if self.region.startswith(prefix)), ("aws", "amazonaws.com")
        )
        reverse = ".".join(reversed(suffix.split(".")))
        return {"id": partition, "partition": partition, "dnsSuffix": suffix, "reverseDnsPrefix": reverse}

    def _eks_cluster(self, args: Mapping[str, Any]) -> dict[str, Any]:
        c = self._client("eks").describe_cluster(name=args["name"])["cluster"]
        vpc = c.get("resourcesVpcConfig", {})
        access = c.get("accessConfig", {})
        logging = c.get("logging", {}).get("clusterLogging", [])
        net = c.get("kubernetesNetworkConfig", {})
        return {
            "id": c["name"],
            "name": c["name"],
            "arn": c["arn"],
            "version": c.get("version", ""),
            "platformVersion": c.get("platformVersion", ""),
            "status": c.get("status", ""),
            "endpoint": c.get("endpoint", ""),
            "roleArn": c.get("roleArn", ""),
            "createdAt": str(c.get("createdAt", "")),
            "clusterId": c.get("id", ""),
            "deletionProtection": bool(c.get("deletionProtection", False)),
            "accessConfigs": [
                {
                    "authenticationMode": access.get("authenticationMode", "CONFIG_MAP"),
                    "bootstrapClusterCreatorAdminPermissions": access.get(
                        "bootstrapClusterCreatorAdminPermissions", False
                    ),
                }
            ],
            "certificateAuthorities": [{"data": c.get("certificateAuthority", {}).get("data", "")}],
            "enabledClusterLogTypes": sorted({t for entry in logging if entry.get("enabled") for t in entry["types"]}),
            "identities": [{"oidcs": [{"issuer": c.get("identity", {}).get("oidc", {}).get("issuer", "")}]}],
            "kubernetesNetworkConfigs": [
                {
                    "ipFamily": net.get("ipFamily", "ipv4"),
                    "serviceIpv4Cidr": net.get("serviceIpv4Cidr", ""),
                    "serviceIpv6Cidr": net.get("serviceIpv6Cidr", ""),
                }
            ],
            "tags": c.get("tags", {}),
            "vpcConfig": {
                "clusterSecurityGroupId": vpc.get("clusterSecurityGroupId", ""),
                "endpointPrivateAccess": vpc.get("endpointPrivateAccess", False),
                "endpointPublicAccess": vpc.get("endpointPublicAccess", True),
                "publicAccessCidrs": vpc.get("publicAccessCidrs", []),
                "securityGroupIds": vpc.get("securityGroupIds", []),
                "subnetIds": vpc.get("subnetIds", []),
                "vpcId": vpc.get("vpcId", ""),
            },
        }
