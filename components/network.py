"""NetworkControls: a network ACL for the node subnets and VPC flow logs.

The NACL is a stateless second fence behind the security groups: it allows traffic from inside the VPC,
denies remote-administration ports from the internet (IPv4 and IPv6), and allows the ephemeral return
ports so nodes keep reaching registries and AWS APIs. Flow logs record ALL traffic to a KMS-encrypted
CloudWatch log group. Rules are data keyed by stable ids; each becomes aws.ec2.NetworkAclRule f"{name}-<id>".
See https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html and
https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from eksguard_policies import facts

from components._common import InvalidArgumentError, Segment, coerce_args, require_choice, type_token
from components.iam import aws_account, logs_kms_key, policy_document, require_retention, service_trust_policy

# Remote administration and node-control ports never reachable from the internet: {rule id: (from, to)}.
ADMIN_PORTS = facts.ADMIN_PORTS
ANY_IPV4, ANY_IPV6 = facts.INTERNET_CIDRS
EPHEMERAL_PORTS = (1024, 65535)
_FLOW_LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
)


def validate_cidrs(
    component: str, argument: str | Sequence[Segment], values: Any, *, allow_internet: bool
) -> list[str]:
    """Each value must be an IPv4/IPv6 network in CIDR notation; 0.0.0.0/0 and ::/0 only if allowed."""
    accepted = "CIDR blocks such as '10.0.0.0/16' or '2001:db8::/56'"
    if not allow_internet:
        accepted += f" (not {ANY_IPV4} or {ANY_IPV6})"
    if not isinstance(values, list | tuple):
        raise InvalidArgumentError(component, argument, f"is {values!r}, not a list", accepted)
    for value in values:
        try:
            network = ipaddress.ip_network(value, strict=True)
        except (TypeError, ValueError):
            raise InvalidArgumentError(component, argument, f"contains {value!r}, not a CIDR block", accepted) from None
        if network.prefixlen == 0 and not allow_internet:
            raise InvalidArgumentError(component, argument, f"contains {value!r}, the whole internet", accepted)
    return list(values)


@dataclass(frozen=True)
class AclRule:
    number: int
    egress: bool
    action: str
    protocol: str
    cidr: str
    ports: tuple[int, int] = (0, 0)


def acl_rules(vpc_cidrs: Iterable[str], denied_ports: dict[str, tuple[int, int]]) -> dict[str, AclRule]:
    """The NACL as data. Lowest number wins, so VPC-internal allows come first, then the internet denies,
    then the ephemeral-port allows for return traffic (denied admin ports inside that range stay denied)."""
    rules: dict[str, AclRule] = {}
    for i, cidr in enumerate(vpc_cidrs):
        rules[f"in-vpc-{i}"] = AclRule(100 + i, False, "allow", "-1", cidr)
    for i, (port_id, ports) in enumerate(denied_ports.items()):
        rules[f"in-deny-{port_id}-ipv4"] = AclRule(200 + 2 * i, False, "deny", "tcp", ANY_IPV4, ports)
        rules[f"in-deny-{port_id}-ipv6"] = AclRule(201 + 2 * i, False, "deny", "tcp", ANY_IPV6, ports)
    for n, (protocol, cidr) in enumerate((("tcp", ANY_IPV4), ("tcp", ANY_IPV6), ("udp", ANY_IPV4), ("udp", ANY_IPV6))):
        family = "ipv6" if ":" in cidr else "ipv4"
        rules[f"in-ephemeral-{protocol}-{family}"] = AclRule(300 + n, False, "allow", protocol, cidr, EPHEMERAL_PORTS)
    rules["out-all-ipv4"] = AclRule(100, True, "allow", "-1", ANY_IPV4)
    rules["out-all-ipv6"] = AclRule(101, True, "allow", "-1", ANY_IPV6)
    return rules


@dataclass
class NetworkControlsArgs:
    vpc_cidr_blocks: list[str] = field(default_factory=list)
    """The VPC's IPv4/IPv6 CIDR blocks; traffic from them is allowed through the NACL."""
    vpc_id: pulumi.Input[str] | None = None
    """The VPC (default: the cluster's VPC, looked up from cluster_name)."""
    subnet_ids: pulumi.Input[list[pulumi.Input[str]]] | None = None
    """Node subnets the NACL is associated with (default: the cluster's subnets, looked up from cluster_name)."""
    cluster_name: pulumi.Input[str] | None = None
    """An EKS cluster (created in this stack or existing) whose VPC and subnets are the defaults."""
    denied_admin_ports: list[str] = field(default_factory=lambda: list(ADMIN_PORTS))
    """Admin ports denied from the internet, by id; removing one is an explicit opt-out."""
    flow_log_retention_days: int = facts.LOG_RETENTION_DAYS
    """Retention of the flow-log group, one of CloudWatch Logs' accepted periods."""
    kms_key_arn: pulumi.Input[str] | None = None
    """KMS key for the flow-log group (default: a new key with rotation that CloudWatch Logs may use)."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags for every taggable child resource."""


class NetworkControls(pulumi.ComponentResource):
    """A network ACL for the node subnets that keeps admin ports off the internet, and VPC flow logs."""

    network_acl_id: pulumi.Output[str]
    """The network ACL associated with the node subnets."""
    flow_log_id: pulumi.Output[str]
    """The VPC flow log (ALL traffic)."""
    flow_log_group_name: pulumi.Output[str]
    """The KMS-encrypted log group receiving the flow logs."""

    def __init__(self, name: str, args: NetworkControlsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = coerce_args(NetworkControlsArgs, args)
        validate(name, args)
        super().__init__(type_token(NetworkControls), name, None, opts)
        self._name = name
        self._args = args
        vpc_id, subnet_ids = self._lookup_network()

        acl = self._create_acl(vpc_id, subnet_ids)
        log_group = self._create_log_group()
        flow_log = self._create_flow_log(vpc_id, log_group)

        self.network_acl_id = acl.id
        self.flow_log_id = flow_log.id
        self.flow_log_group_name = log_group.name
        self.register_outputs(
            {
                "network_acl_id": self.network_acl_id,
                "flow_log_id": self.flow_log_id,
                "flow_log_group_name": self.flow_log_group_name,
            }
        )

    def _opts(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _lookup_network(self) -> tuple[pulumi.Input[str], pulumi.Input[list[str]]]:
        vpc_id, subnet_ids = self._args.vpc_id, self._args.subnet_ids
        if vpc_id is None or subnet_ids is None:
            cluster = aws.eks.get_cluster_output(
                name=self._args.cluster_name, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            vpc_id = vpc_id if vpc_id is not None else cluster.vpc_config.vpc_id
            subnet_ids = subnet_ids if subnet_ids is not None else cluster.vpc_config.subnet_ids
        return vpc_id, subnet_ids

    def _create_acl(self, vpc_id: pulumi.Input[str], subnet_ids: pulumi.Input[list[str]]) -> aws.ec2.NetworkAcl:
        acl = aws.ec2.NetworkAcl(
            f"{self._name}-nacl", vpc_id=vpc_id, subnet_ids=subnet_ids, tags=self._args.tags, opts=self._opts()
        )
        denied = {port_id: ADMIN_PORTS[port_id] for port_id in self._args.denied_admin_ports}
        for rule_id, rule in acl_rules(self._args.vpc_cidr_blocks, denied).items():
            ipv6 = ":" in rule.cidr
            aws.ec2.NetworkAclRule(
                f"{self._name}-{rule_id}",
                network_acl_id=acl.id,
                rule_number=rule.number,
                egress=rule.egress,
                rule_action=rule.action,
                protocol=rule.protocol,
                from_port=rule.ports[0],
                to_port=rule.ports[1],
                cidr_block=None if ipv6 else rule.cidr,
                ipv6_cidr_block=rule.cidr if ipv6 else None,
                opts=self._opts(),
            )
        return acl

    def _create_log_group(self) -> aws.cloudwatch.LogGroup:
        key_arn = self._args.kms_key_arn or logs_kms_key(f"{self._name}-kms", f"VPC flow logs {self._name}", self).arn
        return aws.cloudwatch.LogGroup(
            f"{self._name}-flow-logs",
            name=f"/aws/vpc/flow-logs/{self._name}",
            retention_in_days=self._args.flow_log_retention_days,
            kms_key_id=key_arn,
            tags=self._args.tags,
            opts=self._opts(),
        )

    def _create_flow_log(self, vpc_id: pulumi.Input[str], log_group: aws.cloudwatch.LogGroup) -> aws.ec2.FlowLog:
        role = aws.iam.Role(
            f"{self._name}-flow-logs-role",
            assume_role_policy=service_trust_policy("vpc-flow-logs.amazonaws.com"),
            tags=self._args.tags,
            opts=self._opts(),
        )
        policy = aws.iam.RolePolicy(
            f"{self._name}-flow-logs-delivery",
            role=role.id,
            # Built from the group's name, not its ARN output, so the policy is known (and checkable) at preview.
            policy=pulumi.Output.all(aws_account(self), log_group.name).apply(
                lambda a: policy_document(
                    {
                        "Effect": "Allow",
                        "Action": list(_FLOW_LOG_DELIVERY_ACTIONS),
                        "Resource": [a[0].log_group_arn(a[1]), f"{a[0].log_group_arn(a[1])}:*"],
                    }
                )
            ),
            opts=self._opts(),
        )
        return aws.ec2.FlowLog(
            f"{self._name}-flow-log",
            vpc_id=vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=self._args.tags,
            opts=self._opts(depends_on=[policy]),
        )


def validate(name: str, args: NetworkControlsArgs) -> None:
    """Raise the InvalidArgumentError that ``NetworkControls(name, args)`` would raise, registering nothing."""
    component = "NetworkControls"
    cidrs = validate_cidrs(component, "vpc_cidr_blocks", args.vpc_cidr_blocks, allow_internet=False)
    if not cidrs:
        raise InvalidArgumentError(
            component, "vpc_cidr_blocks", "is empty", "the VPC's CIDR blocks, e.g. ['10.0.0.0/16']"
        )
    if args.cluster_name is None and (args.vpc_id is None or args.subnet_ids is None):
        raise InvalidArgumentError(
            component, "cluster_name", "is missing and vpc_id or subnet_ids is not given", "a cluster name, or both"
        )
    if (args.subnet_ids is not None and not isinstance(args.subnet_ids, pulumi.Output | list)) or args.subnet_ids == []:
        raise InvalidArgumentError(component, "subnet_ids", f"is {args.subnet_ids!r}", "a non-empty list of subnet ids")
    for port_id in args.denied_admin_ports:
        require_choice(component, "denied_admin_ports", port_id, ADMIN_PORTS)
    require_retention(component, "flow_log_retention_days", args.flow_log_retention_days)
