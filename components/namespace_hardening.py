"""What every namespace AccessControl manages is hardened with, as data: Pod Security Admission labels and
default-deny NetworkPolicies that still allow DNS.

Pod Security Admission: https://kubernetes.io/docs/concepts/security/pod-security-admission/
Network policies: https://docs.aws.amazon.com/eks/latest/best-practices/network-security.html
"""

from __future__ import annotations

from typing import Any

from eksguard_policies import facts

# The levels AccessControl enforces, the strongest (its default) first.
POD_SECURITY_LEVELS = tuple(reversed(facts.POD_SECURITY_LEVELS))
STRONGEST = POD_SECURITY_LEVELS[0]
RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


def pod_security_labels(enforce_level: str, version: str) -> dict[str, str]:
    """Namespace labels enforcing ``enforce_level``; audit and warn stay at restricted whatever is enforced."""
    labels = {}
    for mode in facts.POD_SECURITY_MODES:
        labels[facts.pod_security_label(mode)] = enforce_level if mode == "enforce" else STRONGEST
        labels[facts.pod_security_version_label(mode)] = version
    return labels


def default_network_policies() -> list[tuple[str, str, dict[str, Any]]]:
    """(resource name suffix, NetworkPolicy name, spec) of each policy: deny all traffic, then allow DNS egress."""
    dns_pods = {
        "namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "kube-system"}},
        "pod_selector": {"match_labels": {"k8s-app": "kube-dns"}},
    }
    dns_ports = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    return [
        ("default-deny", "default-deny-all", {"pod_selector": {}, "policy_types": ["Ingress", "Egress"]}),
        (
            "allow-dns",
            "allow-dns-egress",
            {"pod_selector": {}, "policy_types": ["Egress"], "egress": [{"to": [dns_pods], "ports": dns_ports}]},
        ),
    ]
