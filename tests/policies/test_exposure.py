"""Exposure controls (rules/exposure.py) over the real protocol: LoadBalancer Services and their scheme and source
ranges, NodePort Services, Ingress TLS and load balancer listeners."""

from __future__ import annotations

from typing import Any

import pytest

from eksguard.protocol.wire import UNKNOWN

from .cases import Case, case, run_case

SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
LISTENER = "aws:lb/listener:Listener"
ALB_LISTENER = "aws:alb/listener:Listener"

RANGES = "service-load-balancer-source-ranges"
NODE_PORT = "service-node-port"
TLS = "ingress-tls"

A = "service.beta.kubernetes.io/"
PUBLIC = {f"{A}aws-load-balancer-scheme": "internet-facing"}
LBC = {f"{A}aws-load-balancer-type": "external", f"{A}aws-load-balancer-nlb-target-type": "ip"}


def service(annotations: Any = None, kind: Any = "LoadBalancer", **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "namespace": "shop", "annotations": annotations or {}},
        "spec": {"type": kind, "selector": {"app": "web"}, "ports": [{"port": 443.0, "targetPort": 8443.0}], **spec},
    }


def ingress(annotations: Any = None, **spec: Any) -> dict[str, Any]:
    rules = [{"host": "shop.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix"}]}}]
    return {"metadata": {"name": "web", "annotations": annotations or {}}, "spec": {"rules": rules, **spec}}


def listener(**props: Any) -> dict[str, Any]:
    base = {"loadBalancerArn": "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/web/1", "port": 443.0}
    return {**base, **props}


CERT = "arn:aws:acm:eu-west-1:111122223333:certificate/abc"
REDIRECT = [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]
FORWARD = [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/web/1"}]
ALB = "alb.ingress.kubernetes.io/"

CASES: list[Case] = [
    # internet-facing decision
    case("svc-in-tree-default-public", SERVICE, service(), {RANGES}),
    case("svc-in-tree-internal", SERVICE, service({f"{A}aws-load-balancer-internal": "true"})),
    case("svc-in-tree-internal-legacy-cidr", SERVICE, service({f"{A}aws-load-balancer-internal": "0.0.0.0/0"})),
    case("svc-in-tree-internal-false", SERVICE, service({f"{A}aws-load-balancer-internal": "false"}), {RANGES}),
    case("svc-lbc-default-internal", SERVICE, service(LBC)),
    case("svc-lbc-class-internal", SERVICE, service(loadBalancerClass="service.k8s.aws/nlb")),
    case("svc-auto-mode-public", SERVICE, service(PUBLIC, loadBalancerClass="eks.amazonaws.com/nlb"), {RANGES}),
    case("svc-lbc-public", SERVICE, service({**LBC, **PUBLIC}), {RANGES}),
    case("svc-lbc-internal-false", SERVICE, service({**LBC, f"{A}aws-load-balancer-internal": "false"}), {RANGES}),
    case("svc-scheme-internal", SERVICE, service({f"{A}aws-load-balancer-scheme": "internal"})),
    case("svc-other-class", SERVICE, service(PUBLIC, loadBalancerClass="metallb.io/metallb")),
    # source ranges
    case("svc-public-ranges", SERVICE, service(PUBLIC, loadBalancerSourceRanges=["203.0.113.0/24"])),
    case("svc-public-open-range", SERVICE, service(PUBLIC, loadBalancerSourceRanges=["0.0.0.0/0"]), {RANGES}),
    case("svc-public-ipv6-open", SERVICE, service(PUBLIC, loadBalancerSourceRanges=["10.0.0.0/8", "::/0"]), {RANGES}),
    case("svc-public-annotation-ranges", SERVICE, service({**PUBLIC, f"{A}load-balancer-source-ranges": "10.0.0.0/8"})),
    case(
        "svc-public-annotation-open",
        SERVICE,
        service({**PUBLIC, f"{A}load-balancer-source-ranges": " 0.0.0.0/0"}),
        {RANGES},
    ),
    case("svc-ranges-unknown", SERVICE, service(PUBLIC, loadBalancerSourceRanges=UNKNOWN), not_checkable={RANGES}),
    case("svc-scheme-unknown", SERVICE, service({f"{A}aws-load-balancer-scheme": UNKNOWN}), not_checkable={RANGES}),
    case("svc-annotations-string", SERVICE, service("internal"), {RANGES}),
    # NodePort and others
    case("svc-node-port", SERVICE, service(kind="NodePort"), {NODE_PORT}),
    case("svc-cluster-ip", SERVICE, service(kind="ClusterIP")),
    case("svc-no-spec", SERVICE, {"metadata": {"name": "x"}}),
    case("svc-type-unknown", SERVICE, service(kind=UNKNOWN), not_checkable={RANGES, NODE_PORT}),
    # Ingress TLS
    case("ingress-tls", INGRESS, ingress(tls=[{"hosts": ["shop.example.com"], "secretName": "shop-tls"}])),
    case("ingress-no-tls", INGRESS, ingress(), {TLS}),
    case("ingress-empty-tls", INGRESS, ingress(tls=[]), {TLS}),
    case("ingress-alb-certificate", INGRESS, ingress({f"{ALB}certificate-arn": CERT}, ingressClassName="alb")),
    case(
        "ingress-alb-http-too",
        INGRESS,
        ingress({f"{ALB}certificate-arn": CERT, f"{ALB}listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]'}),
        {TLS},
    ),
    case(
        "ingress-alb-http-redirected",
        INGRESS,
        ingress(
            {
                f"{ALB}certificate-arn": CERT,
                f"{ALB}listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
                f"{ALB}ssl-redirect": "443",
            }
        ),
    ),
    case(
        "ingress-alb-listen-ports-garbage",
        INGRESS,
        ingress({f"{ALB}certificate-arn": CERT, f"{ALB}listen-ports": "[{"}),
        {TLS},
    ),
    case("ingress-tls-unknown", INGRESS, ingress(tls=UNKNOWN), not_checkable={TLS}),
    case("ingress-beta", "kubernetes:extensions/v1beta1:Ingress", ingress(), {TLS}),
    # load balancer listeners
    case("listener-https", LISTENER, listener(protocol="HTTPS", certificateArn=CERT, defaultActions=FORWARD)),
    case("listener-http-forward", LISTENER, listener(protocol="HTTP", port=80.0, defaultActions=FORWARD), {TLS}),
    case("listener-http-redirect", ALB_LISTENER, listener(protocol="HTTP", port=80.0, defaultActions=REDIRECT)),
    case("listener-protocol-missing", LISTENER, listener(defaultActions=FORWARD), {TLS}),
    case("listener-tcp", LISTENER, listener(protocol="TCP", defaultActions=FORWARD)),
    case("listener-actions-unknown", LISTENER, listener(protocol="HTTP", defaultActions=UNKNOWN), not_checkable={TLS}),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_exposure_case(pack, c: Case) -> None:
    run_case(pack, c)


def test_messages_say_why_the_load_balancer_is_public(pack) -> None:
    in_tree = pack.messages(SERVICE, service())[RANGES]
    lbc = pack.messages(SERVICE, service({**LBC, **PUBLIC}, loadBalancerSourceRanges=["0.0.0.0/0"]))[RANGES]
    assert in_tree == [
        f"the in-tree controller makes it internet-facing (no {A}aws-load-balancer-scheme internal annotation) and "
        "no loadBalancerSourceRanges are set: the whole internet can reach it"
    ]
    assert lbc == [
        f"{A}aws-load-balancer-scheme is internet-facing and its source ranges include 0.0.0.0/0: the whole internet "
        "can reach it"
    ]


def test_other_load_balancer_classes_are_not_applicable(pack) -> None:
    reasons = pack.not_applicable(SERVICE, service(PUBLIC, loadBalancerClass="metallb.io/metallb"))
    assert reasons[RANGES] == "spec.loadBalancerClass 'metallb.io/metallb' is not provisioned by an AWS controller"
