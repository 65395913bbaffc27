"""EKS Auto Mode clusters: their nodes are AWS's to configure, so the node controls count as met by AWS.

An Auto Mode cluster (``computeConfig.enabled``; pulumi-eks ``autoMode.enabled``) runs its nodes as EC2 managed
instances that EKS launches, patches and replaces (at most 21 days old) from a Bottlerocket variant AWS chooses,
with no SSH or SSM access; IAM-enforced restrictions cover the instances, their volumes and their launch templates,
so no customer setting reaches the metadata options, volumes, kubelet or user data
(https://docs.aws.amazon.com/eks/latest/userguide/automode-learn-instances.html,
https://docs.aws.amazon.com/whitepapers/latest/security-overview-amazon-eks-auto-mode/eks-auto-mode-data-plane.html).
The node controls therefore pass on the cluster itself, AWS-managed; on any other cluster they do not apply, the
nodes being judged where the program declares them. What Auto Mode leaves to the customer is judged on its
NodeClass (rules/node_classes.py) and by the cluster controls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..facts import AWS_EKS_CLUSTER, EKS_CLUSTER
from ..framework import NotApplicable, RuleContext, resource_rule
from ..values import as_bool, get


def auto_mode(resource_type: str, props: Any) -> bool:
    """Whether the cluster runs EKS Auto Mode (raises UnknownValueError when that is unknown at preview)."""
    if resource_type == EKS_CLUSTER:
        return as_bool(get(get(props, "autoMode"), "enabled"), default=False) is True
    return as_bool(get(get(props, "computeConfig"), "enabled"), default=False) is True


def _aws_managed(control_id: str) -> Callable[[RuleContext], list[str]]:
    @resource_rule(control_id, types=(AWS_EKS_CLUSTER,))
    def on_cluster(ctx: RuleContext) -> list[str]:
        if not auto_mode(ctx.resource_type, ctx.props):
            raise NotApplicable("not an EKS Auto Mode cluster: its nodes are judged where the program declares them")
        return []  # AWS-managed: EKS Auto Mode launches, configures and patches the nodes

    return on_cluster


imds = _aws_managed("node-imdsv2-required")
volumes = _aws_managed("node-ebs-encrypted")
ami_family = _aws_managed("nodegroup-ami-family")
ami_age = _aws_managed("nodegroup-ami-age")
ssh = _aws_managed("nodegroup-ssh-remote-access")
anonymous = _aws_managed("node-kubelet-anonymous-auth")
authorization = _aws_managed("node-kubelet-authorization-mode")
read_only_port = _aws_managed("node-kubelet-read-only-port")
certificate_rotation = _aws_managed("node-kubelet-certificate-rotation")
event_qps = _aws_managed("node-kubelet-event-qps")
user_data_credentials = _aws_managed("node-user-data-credentials")
