"""Rules for controls/exposure.toml: how workloads are reached from outside the cluster.

Which AWS controller provisions a LoadBalancer Service decides its scheme: the AWS Load Balancer Controller (for
spec.loadBalancerClass service.k8s.aws/nlb, or aws-load-balancer-type external / nlb-ip) and EKS Auto Mode
(eks.amazonaws.com/nlb) make internal load balancers unless the aws-load-balancer-scheme annotation says
internet-facing (https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/nlb/,
https://docs.aws.amazon.com/eks/latest/userguide/auto-configure-nlb.html); the in-tree controller makes them
internet-facing unless aws-load-balancer-internal is set to anything but "false". Source ranges come from
spec.loadBalancerSourceRanges or the service.beta.kubernetes.io/load-balancer-source-ranges annotation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..facts import INTERNET_CIDRS
from ..framework import NotApplicable, RuleContext, resource_rule
from ..values import as_list, get, show, strings
from ._k8s import INGRESS_TYPES, SERVICE_TYPES, get_path

_ANNOTATION = "service.beta.kubernetes.io/"
SCHEME = f"{_ANNOTATION}aws-load-balancer-scheme"
INTERNAL = f"{_ANNOTATION}aws-load-balancer-internal"
LB_TYPE = f"{_ANNOTATION}aws-load-balancer-type"
SOURCE_RANGES = f"{_ANNOTATION}load-balancer-source-ranges"
AWS_CONTROLLER_CLASSES = ("service.k8s.aws/nlb", "eks.amazonaws.com/nlb")
AWS_CONTROLLER_TYPES = ("external", "nlb-ip")

ALB = "alb.ingress.kubernetes.io/"
LISTENERS = (
    "aws:lb/listener:Listener",
    "aws:alb/listener:Listener",
    "aws:elasticloadbalancingv2/listener:Listener",
)


def _annotation(props: Any, key: str) -> Any:
    annotations = get_path(props, "metadata", "annotations")
    return get(annotations, key)


def _internet_facing(props: Any) -> tuple[bool, str]:
    """(internet-facing?, why) for a LoadBalancer Service; raises NotApplicable for a non-AWS class."""
    scheme = _annotation(props, SCHEME)
    lb_class = get_path(props, "spec", "loadBalancerClass")
    by_aws_controller = lb_class in AWS_CONTROLLER_CLASSES or _annotation(props, LB_TYPE) in AWS_CONTROLLER_TYPES
    if lb_class is not None and not by_aws_controller:
        raise NotApplicable(f"spec.loadBalancerClass {show(lb_class)} is not provisioned by an AWS controller")
    if scheme == "internet-facing":
        return True, f"{SCHEME} is internet-facing"
    if scheme == "internal":
        return False, ""
    internal = _annotation(props, INTERNAL)
    if by_aws_controller:  # internal by default; the deprecated annotation still chooses when set
        return (True, f"{INTERNAL} is false") if internal == "false" else (False, "")
    if internal not in (None, "false"):
        return False, ""
    return True, f"the in-tree controller makes it internet-facing (no {SCHEME} internal annotation)"


@resource_rule("service-load-balancer-source-ranges", types=SERVICE_TYPES)
def load_balancer_source_ranges(ctx: RuleContext) -> list[str]:
    if get_path(ctx.props, "spec", "type") != "LoadBalancer":
        return []
    public, why = _internet_facing(ctx.props)
    if not public:
        return []
    ranges = strings(get_path(ctx.props, "spec", "loadBalancerSourceRanges"))
    annotated = _annotation(ctx.props, SOURCE_RANGES)
    if not ranges and isinstance(annotated, str):
        ranges = [r.strip() for r in annotated.split(",") if r.strip()]
    if not ranges:
        return [f"{why} and no loadBalancerSourceRanges are set: the whole internet can reach it"]
    wide = sorted(set(ranges) & set(INTERNET_CIDRS))
    if wide:
        return [f"{why} and its source ranges include {', '.join(wide)}: the whole internet can reach it"]
    return []


@resource_rule("service-node-port", types=SERVICE_TYPES)
def node_port(ctx: RuleContext) -> Iterator[str]:
    if get_path(ctx.props, "spec", "type") == "NodePort":
        yield (
            "spec.type is NodePort: the port is opened on every node's address, past the load balancer and "
            "its source ranges; use a ClusterIP Service behind an Ingress or an internal load balancer"
        )


# --- TLS --------------------------------------------------------------------------------------------------------


def _ingress_tls(props: Any) -> list[str]:
    tls = as_list(get_path(props, "spec", "tls"))
    certificate = _annotation(props, f"{ALB}certificate-arn")
    if not tls and not (isinstance(certificate, str) and certificate.strip()):
        return ["spec.tls is empty and no ALB certificate-arn annotation is set: traffic is plain HTTP"]
    ports = _annotation(props, f"{ALB}listen-ports")
    if not isinstance(ports, str) or _annotation(props, f"{ALB}ssl-redirect") is not None:
        return []
    try:
        listeners = json.loads(ports)
    except ValueError:
        return [f"{ALB}listen-ports is not JSON: {show(ports)}"]
    plain = [p["HTTP"] for p in listeners if isinstance(p, dict) and "HTTP" in p] if isinstance(listeners, list) else []
    if plain:
        shown = ", ".join(str(p) for p in plain)
        return [f"{ALB}listen-ports opens HTTP {shown} without {ALB}ssl-redirect: those requests stay unencrypted"]
    return []


def _listener_tls(props: Any) -> list[str]:
    protocol = get(props, "protocol")
    if protocol not in (None, "HTTP"):
        return []
    actions = as_list(get(props, "defaultActions")) or []
    redirects = [get_path(a, "redirect", "protocol") == "HTTPS" and get(a, "type") == "redirect" for a in actions]
    if redirects and all(redirects):
        return []
    shown = "HTTP" if protocol else "not set (HTTP for an Application Load Balancer)"
    return [f"protocol is {shown} and the default action does not redirect to HTTPS: requests travel unencrypted"]


@resource_rule("ingress-tls", types=(*INGRESS_TYPES, *LISTENERS))
def ingress_tls(ctx: RuleContext) -> list[str]:
    return _listener_tls(ctx.props) if ctx.resource_type in LISTENERS else _ingress_tls(ctx.props)
