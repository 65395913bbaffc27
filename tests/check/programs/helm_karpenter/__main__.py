"""Karpenter installed from its OCI chart as a Helm release, with the EC2NodeClass and NodePool it launches
nodes from (the node class allows IMDSv1 with a hop limit of 2: pods can read the node's credentials), and
metrics-server as a client-side rendered chart."""

import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
provider = k8s.Provider("cluster", kubeconfig=config.require_secret("kubeconfig"))
opts = pulumi.ResourceOptions(provider=provider)

karpenter = k8s.helm.v3.Release(
    "karpenter",
    chart="oci://public.ecr.aws/karpenter/karpenter",
    version="1.3.3",
    namespace="kube-system",
    values={"settings": {"clusterName": "platform", "interruptionQueue": "platform-karpenter"}},
    opts=opts,
)

k8s.helm.v3.Chart(
    "metrics-server",
    k8s.helm.v3.ChartOpts(
        chart="metrics-server",
        fetch_opts=k8s.helm.v3.FetchOpts(repo="https://kubernetes-sigs.github.io/metrics-server/"),
        namespace="kube-system",
    ),
    opts=opts,
)

node_class = k8s.apiextensions.CustomResource(
    "general",
    api_version="karpenter.k8s.aws/v1",
    kind="EC2NodeClass",
    spec={
        "role": "KarpenterNodeRole-platform",
        "amiSelectorTerms": [{"alias": "al2023@latest"}],
        "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "platform"}}],
        "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "platform"}}],
        "metadataOptions": {"httpTokens": "optional", "httpPutResponseHopLimit": 2},
    },
    opts=pulumi.ResourceOptions(provider=provider, depends_on=[karpenter]),
)

k8s.apiextensions.CustomResource(
    "general",
    api_version="karpenter.sh/v1",
    kind="NodePool",
    spec={
        "template": {
            "spec": {
                "nodeClassRef": {
                    "group": "karpenter.k8s.aws",
                    "kind": "EC2NodeClass",
                    "name": node_class.metadata["name"],
                },
                "requirements": [{"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]}],
            }
        }
    },
    opts=pulumi.ResourceOptions(provider=provider, depends_on=[karpenter]),
)
