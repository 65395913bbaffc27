"""A Helm chart installed with its defaults. helm.v3.Chart renders client-side (the provider's
kubernetes:helm:template invoke, answered here by fixtures.yaml), so its objects reach the policy pack as
ordinary resources whose parent is the chart."""

import pulumi
import pulumi_kubernetes as k8s

provider = k8s.Provider("k8s", kubeconfig="{}", namespace="monitoring")
k8s.helm.v3.Chart(
    "node-agent",
    k8s.helm.v3.ChartOpts(chart="node-agent", fetch_opts=k8s.helm.v3.FetchOpts(repo="https://charts.example.com")),
    opts=pulumi.ResourceOptions(provider=provider),
)
