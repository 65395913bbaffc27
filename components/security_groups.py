"""DataPlaneSecurityGroups: the cluster and node security groups with only the rules EKS requires.

Rules follow https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html ("Restricting cluster
traffic"): control plane to nodes on 443 and the kubelet port, nodes to the API on 443, CoreDNS (tcp/udp 53) and
ephemeral ports between nodes. They are data keyed by stable rule ids (terraform-aws-eks style), created in
one loop, so each id is also the resource name f"{name}-<id>". Ingress from the whole internet is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from eksguard_policies import facts

from components._common import InvalidArgumentError, Segment, coerce_args, require_choice, type_token
from components.network import ANY_IPV4, validate_cidrs

# Opt-in webhook / extension API server ports the control plane may call on nodes.
WEBHOOK_PORTS: dict[int, str] = {
    4443: "metrics-server / prometheus-adapter",
    6443: "extension API servers",
    8443: "admission webhooks (e.g. ingress-nginx, Kyverno)",
    9443: "admission webhooks (e.g. AWS Load Balancer Controller, Karpenter)",
    10251: "metrics-server (EKS add-on)",
}
EGRESS_MODES = ("all", "restricted")
TARGETS = ("node", "cluster")
DIRECTIONS = ("ingress", "egress")
PROTOCOLS = ("tcp", "udp", "icmp", "icmpv6", "-1")
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass
class SecurityGroupRuleArgs:
    rule_id: str = ""
    """Stable id; also the resource name suffix (lowercase letters, digits, '-')."""
    description: str = ""
    """Why the rule exists (required)."""
    target: str = "node"
    """The group the rule belongs to: node or cluster."""
    direction: str = "ingress"
    """ingress or egress."""
    protocol: str = "tcp"
    """tcp, udp, icmp, icmpv6 or -1 (all)."""
    from_port: int | None = None
    """First port (required for tcp and udp)."""
    to_port: int | None = None
    """Last port (default: from_port)."""
    cidr_ipv4: str | None = None
    """Peer IPv4 CIDR (ingress never from 0.0.0.0/0)."""
    cidr_ipv6: str | None = None
    """Peer IPv6 CIDR (ingress never from ::/0)."""
    referenced_security_group_id: pulumi.Input[str] | None = None
    """Peer security group."""
    peer: str | None = None
    """Peer by role: node or cluster (one of the groups this component manages)."""


@dataclass(frozen=True)
class Rule:
    """One rule as data: ``peer`` is "node", "cluster", a security group id, or a CIDR."""

    target: str
    direction: str
    protocol: str
    from_port: int | None
    to_port: int | None
    description: str
    peer: Any


@dataclass
class DataPlaneSecurityGroupsArgs:
    vpc_id: pulumi.Input[str] | None = None
    """The VPC (default: the cluster's VPC, looked up from cluster_name)."""
    cluster_name: pulumi.Input[str] | None = None
    """An existing cluster: node rules then reference its EKS-managed cluster security group (no new cluster group)."""
    webhook_ports: list[int] = field(default_factory=list)
    """Opt-in ports the control plane may call on nodes for webhooks/extension API servers."""
    egress_mode: str = "all"
    """Node egress: all (what EKS requires: images, AWS APIs) or restricted (the VPC CIDRs, and tcp 443 anywhere)."""
    vpc_cidr_blocks: list[str] = field(default_factory=list)
    """VPC CIDR blocks (required when egress_mode is restricted)."""
    extra_rules: list[SecurityGroupRuleArgs] = field(default_factory=list)
    """Caller rules, created after the required ones; each needs a description."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags for the security groups and rules."""


def required_rules(webhook_ports: list[int], own_cluster_group: bool) -> dict[str, Rule]:
    """The rules EKS needs between the control plane and nodes, and between nodes."""
    rules = {
        "cluster-ingress-nodes-443": Rule("cluster", "ingress", "tcp", 443, 443, "Nodes to the cluster API", "node"),
        "node-ingress-cluster-443": Rule(
            "node", "ingress", "tcp", 443, 443, "Cluster API to node webhooks on 443", "cluster"
        ),
        "node-ingress-cluster-kubelet": Rule(
            "node", "ingress", "tcp", facts.KUBELET_PORT, facts.KUBELET_PORT, "Cluster API to node kubelets", "cluster"
        ),
        "node-ingress-self-coredns-tcp": Rule("node", "ingress", "tcp", 53, 53, "Node to node CoreDNS (TCP)", "node"),
        "node-ingress-self-coredns-udp": Rule("node", "ingress", "udp", 53, 53, "Node to node CoreDNS (UDP)", "node"),
        "node-ingress-self-ephemeral": Rule(
            "node", "ingress", "tcp", 1025, 65535, "Node to node ingress on ephemeral ports", "node"
        ),
    }
    for port in webhook_ports:
        rules[f"node-ingress-cluster-webhook-{port}"] = Rule(
            "node", "ingress", "tcp", port, port, f"Cluster API to node {WEBHOOK_PORTS[port]}", "cluster"
        )
    if own_cluster_group:  # an EKS-managed cluster group already allows all egress
        for rule_id, rule in list(rules.items()):
            if rule.target == "node" and rule.peer == "cluster":
                egress_id = rule_id.replace("node-ingress-cluster", "cluster-egress-nodes")
                rules[egress_id] = Rule(
                    "cluster", "egress", "tcp", rule.from_port, rule.to_port, rule.description, "node"
                )
    return rules


def egress_rules(mode: str, vpc_cidrs: list[str]) -> dict[str, Rule]:
    if mode == "all":
        return {"node-egress-all": Rule("node", "egress", "-1", None, None, "Node egress to anywhere", ANY_IPV4)}
    rules = {
        f"node-egress-vpc-{i}": Rule("node", "egress", "-1", None, None, "Node egress within the VPC", cidr)
        for i, cidr in enumerate(vpc_cidrs)
    }
    rules["node-egress-https"] = Rule("node", "egress", "tcp", 443, 443, "Node egress to HTTPS endpoints", ANY_IPV4)
    return rules


def rule_table(args: DataPlaneSecurityGroupsArgs, own_cluster_group: bool) -> dict[str, Rule]:
    """Every rule in creation order: required, then egress, then the caller's (last)."""
    return {
        **required_rules(args.webhook_ports, own_cluster_group),
        **egress_rules(args.egress_mode, args.vpc_cidr_blocks),
        **{r.rule_id: _caller_rule(r) for r in args.extra_rules},
    }


class DataPlaneSecurityGroups(pulumi.ComponentResource):
    """Cluster and node security groups holding only the rules EKS requires, plus explicit opt-ins."""

    cluster_security_group_id: pulumi.Output[str]
    """Security group for the control-plane ENIs (for an existing cluster: its EKS-managed group)."""
    node_security_group_id: pulumi.Output[str]
    """Security group for the worker nodes (pass it to NodeGroup)."""

    def __init__(
        self, name: str, args: DataPlaneSecurityGroupsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args = coerce_args(DataPlaneSecurityGroupsArgs, args)
        validate(name, args)
        super().__init__(type_token(DataPlaneSecurityGroups), name, None, opts)
        self._name = name
        self._args = args
        existing = args.cluster_name is not None
        vpc_id = args.vpc_id
        cluster_sg_id: pulumi.Input[str]
        if existing:
            cluster = aws.eks.get_cluster_output(name=args.cluster_name, opts=pulumi.InvokeOutputOptions(parent=self))
            vpc_id = vpc_id if vpc_id is not None else cluster.vpc_config.vpc_id
            cluster_sg_id = cluster.vpc_config.cluster_security_group_id
        else:
            cluster_sg_id = self._create_group("cluster", vpc_id, "EKS control-plane ENIs").id
        node_sg = self._create_group("node", vpc_id, "EKS worker nodes")

        groups = {"cluster": cluster_sg_id, "node": node_sg.id}
        rules = rule_table(args, own_cluster_group=not existing)
        for rule_id, rule in rules.items():
            self._create_rule(rule_id, rule, groups)

        self.cluster_security_group_id = pulumi.Output.from_input(cluster_sg_id)
        self.node_security_group_id = node_sg.id
        self.register_outputs(
            {
                "cluster_security_group_id": self.cluster_security_group_id,
                "node_security_group_id": self.node_security_group_id,
            }
        )

    def _create_group(self, role: str, vpc_id: pulumi.Input[str] | None, purpose: str) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            f"{self._name}-{role}",
            vpc_id=vpc_id,
            description=f"{purpose} (eksguard; rules managed separately)",
            tags={**self._args.tags, "Name": f"{self._name}-{role}"},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_rule(self, rule_id: str, rule: Rule, groups: dict[str, pulumi.Input[str]]) -> None:
        peer: dict[str, Any]
        if rule.peer in groups:
            peer = {"referenced_security_group_id": groups[rule.peer]}
        elif isinstance(rule.peer, str) and "/" in rule.peer:
            peer = {"cidr_ipv6": rule.peer} if ":" in rule.peer else {"cidr_ipv4": rule.peer}
        else:
            peer = {"referenced_security_group_id": rule.peer}
        resource = aws.vpc.SecurityGroupIngressRule if rule.direction == "ingress" else aws.vpc.SecurityGroupEgressRule
        resource(
            f"{self._name}-{rule_id}",
            security_group_id=groups[rule.target],
            ip_protocol=rule.protocol,
            from_port=rule.from_port,
            to_port=rule.to_port,
            description=rule.description,
            tags=self._args.tags,
            opts=pulumi.ResourceOptions(parent=self),
            **peer,
        )


def _caller_rule(r: SecurityGroupRuleArgs) -> Rule:
    peer = r.peer or r.referenced_security_group_id or r.cidr_ipv4 or r.cidr_ipv6
    ports = (None, None) if r.protocol == "-1" else (r.from_port, r.to_port if r.to_port is not None else r.from_port)
    return Rule(r.target, r.direction, r.protocol, ports[0], ports[1], r.description, peer)


def validate(name: str, args: DataPlaneSecurityGroupsArgs) -> None:
    """Raise the InvalidArgumentError that ``DataPlaneSecurityGroups(name, args)`` would raise, registering nothing."""
    component = "DataPlaneSecurityGroups"
    if args.vpc_id is None and args.cluster_name is None:
        raise InvalidArgumentError(component, "vpc_id", "is missing (and no cluster_name to look it up)", "a VPC id")
    require_choice(component, "egress_mode", args.egress_mode, EGRESS_MODES)
    for port in args.webhook_ports:
        require_choice(component, "webhook_ports", port, WEBHOOK_PORTS)
    validate_cidrs(component, "vpc_cidr_blocks", args.vpc_cidr_blocks, allow_internet=False)
    if args.egress_mode == "restricted" and not args.vpc_cidr_blocks:
        raise InvalidArgumentError(
            component, "vpc_cidr_blocks", "is empty but egress_mode is 'restricted'", "the VPC's CIDR blocks"
        )
    taken = set(required_rules(list(WEBHOOK_PORTS), True)) | set(egress_rules("all", []))
    taken |= set(egress_rules("restricted", args.vpc_cidr_blocks))
    for i, rule in enumerate(args.extra_rules):
        _validate_caller_rule(component, ("extra_rules", i), rule, taken)
        taken.add(rule.rule_id)


def _validate_caller_rule(
    component: str, where: tuple[Segment, ...], rule: SecurityGroupRuleArgs, taken: set[str]
) -> None:
    if not _RULE_ID.match(rule.rule_id or ""):
        raise InvalidArgumentError(
            component, (*where, "rule_id"), f"is {rule.rule_id!r}", "lowercase letters, digits, '-'"
        )
    if rule.rule_id in taken:
        raise InvalidArgumentError(component, (*where, "rule_id"), f"is {rule.rule_id!r}, already used", "a new id")
    if not (rule.description or "").strip():
        raise InvalidArgumentError(
            component, (*where, "description"), "is empty", "a sentence saying why the rule exists"
        )
    require_choice(component, (*where, "target"), rule.target, TARGETS)
    require_choice(component, (*where, "direction"), rule.direction, DIRECTIONS)
    require_choice(component, (*where, "protocol"), rule.protocol, PROTOCOLS)
    if rule.peer is not None:
        require_choice(component, (*where, "peer"), rule.peer, TARGETS)
    peer_fields = ("peer", "referenced_security_group_id", "cidr_ipv4", "cidr_ipv6")
    peers = [getattr(rule, f) for f in peer_fields if getattr(rule, f) is not None]
    if len(peers) != 1:
        raise InvalidArgumentError(
            component, (*where, peer_fields), f"name {len(peers)} peers", f"exactly one of {', '.join(peer_fields)}"
        )
    for cidr_field in ("cidr_ipv4", "cidr_ipv6"):
        value = getattr(rule, cidr_field)
        if value is not None:
            validate_cidrs(component, (*where, cidr_field), [value], allow_internet=rule.direction == "egress")
    if (rule.cidr_ipv4 is not None and ":" in rule.cidr_ipv4) or (
        rule.cidr_ipv6 is not None and ":" not in rule.cidr_ipv6
    ):
        raise InvalidArgumentError(
            component,
            (*where, ("cidr_ipv4", "cidr_ipv6")),
            "hold a CIDR of the wrong family",
            "IPv4 in cidr_ipv4, IPv6 in cidr_ipv6",
        )
    if rule.protocol in ("tcp", "udp"):
        ports = (rule.from_port, rule.to_port if rule.to_port is not None else rule.from_port)
        if (
            not all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p <= 65535 for p in ports)
            or ports[0] > ports[1]
        ):
            raise InvalidArgumentError(
                component, (*where, ("from_port", "to_port")), f"are {ports!r}", "0 <= from_port <= to_port <= 65535"
            )
