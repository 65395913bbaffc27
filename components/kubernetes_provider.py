"""The Kubernetes provider AccessControl builds for an EKS cluster when the caller passes none.

It authenticates with a short-lived token from ``aws eks get-token``, so no credential is stored in state:
https://docs.aws.amazon.com/eks/latest/userguide/create-kubeconfig.html
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s


def eks_kubernetes_provider(
    resource_name: str,
    parent: pulumi.Resource,
    cluster_name: pulumi.Input[str],
    endpoint: pulumi.Input[str] | None,
    certificate_authority: pulumi.Input[str] | None,
) -> k8s.Provider:
    """A server-side-apply provider for the cluster; endpoint and CA are looked up by name when ``endpoint`` is None."""
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    if endpoint is None:
        found = aws.eks.get_cluster_output(name=cluster_name, opts=invoke)
        endpoint, certificate_authority = found.endpoint, found.certificate_authorities[0].data
    region = aws.get_region_output(opts=invoke).region
    return k8s.Provider(
        resource_name,
        kubeconfig=pulumi.Output.json_dumps(exec_kubeconfig(cluster_name, region, endpoint, certificate_authority)),
        enable_server_side_apply=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def exec_kubeconfig(
    cluster_name: pulumi.Input[str], region: pulumi.Input[str], endpoint: pulumi.Input[str], ca: pulumi.Input[str]
) -> dict:
    """A kubeconfig that authenticates with a short-lived token from ``aws eks get-token`` (no stored secret)."""
    get_token = ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "eks", "cluster": {"server": endpoint, "certificate-authority-data": ca}}],
        "contexts": [{"name": "eks", "context": {"cluster": "eks", "user": "eks"}}],
        "current-context": "eks",
        "users": [
            {
                "name": "eks",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": get_token,
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
    }
