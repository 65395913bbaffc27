"""What node user data does to the kubelet, and credentials in it, over the real protocol.

The three forms EKS AMIs read (nodeadm NodeConfig in MIME parts for AL2023, Bottlerocket TOML settings, AL2
bootstrap.sh flags), on launch templates (base64), instances and launch configurations, Karpenter EC2NodeClasses,
managed node groups without a launch template, the pulumi-eks node group arguments, and EKS Auto Mode clusters.
"""

from __future__ import annotations

import base64
import gzip
from typing import Any

import pytest
import yaml

from eksguard.protocol.wire import UNKNOWN, Secret

from .cases import HARDENED_AWS_CLUSTER, Case, case, run_case
from .component_children import HARDENED_CLUSTER_INPUTS, HARDENED_CONTROL_PLANE, HARDENED_NODES
from .pack_driver import PackDriver

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
LAUNCH_CONFIGURATION = "aws:ec2/launchConfiguration:LaunchConfiguration"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EC2_NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
CLUSTER = "aws:eks/cluster:Cluster"
EKS_CLUSTER = "eks:index:Cluster"
MNG = "eks:index:ManagedNodeGroup"
NODE_GROUP_V2 = "eks:index:NodeGroupV2"

ANONYMOUS = "node-kubelet-anonymous-auth"
AUTHZ = "node-kubelet-authorization-mode"
READ_ONLY = "node-kubelet-read-only-port"
ROTATION = "node-kubelet-certificate-rotation"
QPS = "node-kubelet-event-qps"
CREDENTIALS = "node-user-data-credentials"
IMDS = "node-imdsv2-required"
EBS = "node-ebs-encrypted"
CREATOR = "eks-bootstrap-cluster-creator-admin"
NODE_CONTROLS = {
    IMDS,
    EBS,
    "nodegroup-ami-family",
    "nodegroup-ami-age",
    "nodegroup-ssh-remote-access",
    ANONYMOUS,
    AUTHZ,
    READ_ONLY,
    ROTATION,
    QPS,
    CREDENTIALS,
}
AS_OF = {"eks-version-standard-support": {"asOf": "2026-11-28"}}
AUTO_MODE_CLUSTER: dict[str, Any] = {**HARDENED_AWS_CLUSTER, "name": "auto"}  # every cluster control met

# A launch template that passes every other node control, so each case states only what its user data does.
SAFE_TEMPLATE: dict[str, Any] = {
    "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1, "httpEndpoint": "enabled"},
    "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}],
}
SAFE_INSTANCE: dict[str, Any] = {
    "metadataOptions": SAFE_TEMPLATE["metadataOptions"],
    "rootBlockDevice": {"encrypted": True},
}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def mime(*parts: tuple[str, str]) -> str:
    body = "".join(f"--BOUNDARY\nContent-Type: {kind}\n\n{content}\n" for kind, content in parts)
    return f'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="BOUNDARY"\n\n{body}--BOUNDARY--\n'


def node_config(kubelet: str) -> str:
    """A nodeadm NodeConfig (node.eks.aws/v1alpha1) with ``kubelet`` as its spec.kubelet block (indented YAML)."""
    return (
        "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n    name: prod\n"
        "    apiServerEndpoint: https://example.eks.amazonaws.com\n  kubelet:\n" + kubelet
    )


def al2023(kubelet: str) -> str:
    return b64(mime(("application/node.eks.aws", node_config(kubelet))))


def kubelet(**config: Any) -> str:
    """AL2023 user data whose NodeConfig sets ``config`` in its KubeletConfiguration (dotted keys nest)."""
    nested: dict[str, Any] = {}
    for key, value in config.items():
        *parents, leaf = key.split("__")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    block = yaml.safe_dump({"config": nested}, sort_keys=False)
    return al2023("".join(f"    {line}\n" for line in block.splitlines()))


def flags(*values: str) -> str:
    """AL2023 user data whose NodeConfig passes kubelet ``flags``."""
    return al2023("    flags:\n" + "".join(f"      - {v}\n" for v in values))


def al2(extra_args: str) -> str:
    return f"#!/bin/bash\nset -ex\n/etc/eks/bootstrap.sh prod --kubelet-extra-args '{extra_args}'\n"


BOTTLEROCKET_BASE = '[settings.kubernetes]\ncluster-name = "prod"\napi-server = "https://example.eks.amazonaws.com"\n'


def bottlerocket(extra: str) -> str:
    return b64(BOTTLEROCKET_BASE + extra)


def lt(user_data: Any) -> dict[str, Any]:
    return {**SAFE_TEMPLATE, "userData": user_data}


def t(id: str, user_data: Any, violations: set[str] = frozenset(), **kw: Any) -> Case:
    return case(id, LAUNCH_TEMPLATE, lt(user_data), violations, **kw)


SHELL_PART = 'text/x-shellscript; charset="us-ascii"'
SAFE_NODEADM = al2023("    flags:\n      - --node-labels=team=payments\n")
SHELL_WITH_SECRETS = (
    "#!/bin/bash\n"
    "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
    "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\n"
    'DB_PASSWORD="$(aws secretsmanager get-secret-value --secret-id db --query SecretString --output text)"\n'
)

CASES: list[Case] = [
    # launch templates without user data keep the AMI's kubelet configuration
    t("kubelet-no-user-data", None),
    t("kubelet-nodeadm-labels-only", SAFE_NODEADM),
    # AL2023: nodeadm NodeConfig, config and flags
    t("kubelet-nodeadm-anonymous", kubelet(authentication__anonymous__enabled=True), {ANONYMOUS}),
    t("kubelet-nodeadm-anonymous-off", kubelet(authentication__anonymous__enabled=False)),
    t("kubelet-nodeadm-always-allow", kubelet(authorization__mode="AlwaysAllow"), {AUTHZ}),
    t("kubelet-nodeadm-webhook", kubelet(authorization__mode="Webhook")),
    t("kubelet-nodeadm-read-only-port", kubelet(readOnlyPort=10255), {READ_ONLY}),
    t("kubelet-nodeadm-read-only-port-off", kubelet(readOnlyPort=0)),
    t("kubelet-nodeadm-rotation-off", kubelet(rotateCertificates=False, serverTLSBootstrap=False), {ROTATION}),
    t("kubelet-nodeadm-server-gate-off", kubelet(featureGates__RotateKubeletServerCertificate=False), {ROTATION}),
    t("kubelet-nodeadm-event-qps-low", kubelet(eventRecordQPS=1), {QPS}),
    t("kubelet-nodeadm-event-qps-unlimited", kubelet(eventRecordQPS=0)),
    t("kubelet-nodeadm-event-qps-negative", kubelet(eventRecordQPS=-1), {QPS}),
    t("kubelet-nodeadm-event-qps-low-accepted", kubelet(eventRecordQPS=2), config={QPS: {"minimumEventQPS": 2}}),
    t(
        "kubelet-nodeadm-flags",
        flags(
            "--anonymous-auth=true",
            "--read-only-port=10255",
            "--feature-gates=RotateKubeletServerCertificate=false,Other=true",
            "--event-qps=1",
        ),
        {ANONYMOUS, READ_ONLY, ROTATION, QPS},
    ),
    t("kubelet-nodeadm-plain-yaml", b64(node_config("    config:\n      readOnlyPort: 10255\n")), {READ_ONLY}),
    t(
        "kubelet-nodeadm-gzipped",
        base64.b64encode(gzip.compress(base64.b64decode(flags("--anonymous-auth")))).decode(),
        {ANONYMOUS},
    ),
    t(
        "kubelet-nodeadm-garbage-values",
        kubelet(readOnlyPort="lots", rotateCertificates="sometimes"),
        {READ_ONLY, ROTATION},
    ),
    # Bottlerocket settings
    t("kubelet-bottlerocket-defaults", bottlerocket("")),
    t("kubelet-bottlerocket-standalone", bottlerocket("standalone-mode = true\n"), {ANONYMOUS, AUTHZ}),
    t("kubelet-bottlerocket-no-server-tls-bootstrap", bottlerocket("server-tls-bootstrap = false\n"), {ROTATION}),
    t("kubelet-bottlerocket-event-qps", bottlerocket("event-qps = 2\n"), {QPS}),
    t(
        "kubelet-bottlerocket-dotted-keys",
        b64('settings.kubernetes.cluster-name = "prod"\nsettings.kubernetes.standalone-mode = true\n'),
        {ANONYMOUS, AUTHZ},
    ),
    # AL2: bootstrap.sh --kubelet-extra-args
    t("kubelet-al2-labels", b64(al2("--node-labels=team=a --max-pods=110"))),
    t(
        "kubelet-al2-weakened",
        b64(
            al2(
                "--anonymous-auth=true --authorization-mode=AlwaysAllow --read-only-port 10255 "
                "--rotate-certificates=false"
            )
        ),
        {ANONYMOUS, AUTHZ, READ_ONLY, ROTATION},
    ),
    t("kubelet-al2-inside-mime", b64(mime((SHELL_PART, al2("--anonymous-auth")))), {ANONYMOUS}),
    # credentials: named by variable, flag or key, or shaped like one; never a reference
    t("credentials-shell", b64(SHELL_WITH_SECRETS), {CREDENTIALS}),
    t("credentials-reference-only", b64('#!/bin/bash\nexport API_TOKEN="$(cat /run/token)"\nTOKEN_FILE=/run/t\n')),
    t(
        "credentials-private-key",
        b64("#!/bin/bash\ncat > /k <<EOF\n-----BEGIN RSA PRIVATE KEY-----\nMII\nEOF\n"),
        {CREDENTIALS},
    ),
    t("credentials-flag", b64("#!/bin/bash\n/opt/agent --api-key=9f8e7d6c5b4a --endpoint https://x\n"), {CREDENTIALS}),
    t(
        "credentials-bottlerocket-bootstrap-token",
        bottlerocket('bootstrap-token = "abcdef.0123456789abcdef"\n'),
        {CREDENTIALS},
    ),
    t("credentials-secret-user-data", Secret(b64(SHELL_WITH_SECRETS)), {CREDENTIALS}),
    # unknown at preview (it embeds the cluster's endpoint): not checkable, every control of user data
    t("kubelet-user-data-unknown", UNKNOWN, not_checkable={ANONYMOUS, AUTHZ, READ_ONLY, ROTATION, QPS, CREDENTIALS}),
    t(
        "kubelet-user-data-not-base64",
        "#!/bin/bash\n/etc/eks/bootstrap.sh prod --kubelet-extra-args '--anonymous-auth'\n",
        {ANONYMOUS},
    ),
    t("kubelet-user-data-number", 42.0),
    # instances and launch configurations take user data as text, or base64 in userDataBase64
    case("kubelet-instance-text", INSTANCE, {**SAFE_INSTANCE, "userData": al2("--read-only-port=10255")}, {READ_ONLY}),
    case(
        "kubelet-instance-base64",
        INSTANCE,
        {**SAFE_INSTANCE, "userDataBase64": b64(al2("--authorization-mode=AlwaysAllow"))},
        {AUTHZ},
    ),
    case("kubelet-instance-from-template", INSTANCE, {**SAFE_INSTANCE, "launchTemplate": {"id": "lt-1"}}),
    case(
        "kubelet-launch-configuration",
        LAUNCH_CONFIGURATION,
        {
            "rootBlockDevice": {"encrypted": True},
            "metadataOptions": SAFE_TEMPLATE["metadataOptions"],
            "userData": SHELL_WITH_SECRETS,
        },
        {CREDENTIALS},
    ),
    # a managed node group without a launch template boots from EKS's, with EKS's own user data
    case(
        "kubelet-node-group-eks-template",
        NODE_GROUP,
        {"clusterName": "prod", "amiType": "AL2023_x86_64_STANDARD"},
        {EBS},
    ),
    # Karpenter: spec.userData and spec.kubelet
    case(
        "kubelet-karpenter-kubelet-config",
        EC2_NODE_CLASS,
        {"spec": {"amiFamily": "AL2023", "kubelet": {"readOnlyPort": 10255, "maxPods": 110}}},
        {READ_ONLY},
    ),
    case(
        "kubelet-karpenter-user-data",
        EC2_NODE_CLASS,
        {"spec": {"amiFamily": "AL2023", "userData": base64.b64decode(flags("--anonymous-auth=true")).decode()}},
        {ANONYMOUS},
    ),
    case("kubelet-karpenter-defaults", EC2_NODE_CLASS, {"spec": {"amiFamily": "AL2023", "kubelet": {"maxPods": 110}}}),
    # pulumi-eks: the arguments that become user data
    case(
        "kubelet-mng-kubelet-extra-args",
        MNG,
        {"launchTemplate": {"id": "lt-1"}, "kubeletExtraArgs": "--read-only-port=10255 --event-qps=1"},
        {READ_ONLY, QPS},
    ),
    case(
        "kubelet-mng-bottlerocket-settings",
        MNG,
        {
            "launchTemplate": {"id": "lt-1"},
            "bottlerocketSettings": {"settings": {"kubernetes": {"standalone-mode": True}}},
        },
        {ANONYMOUS, AUTHZ},
    ),
    case(
        "kubelet-mng-nodeadm-extra-options",
        MNG,
        {
            "launchTemplate": {"id": "lt-1"},
            "nodeadmExtraOptions": [
                {
                    "contentType": "application/node.eks.aws",
                    "content": node_config("    flags: [--rotate-certificates=false]\n"),
                }
            ],
        },
        {ROTATION},
    ),
    case("kubelet-mng-labels", MNG, {"launchTemplate": {"id": "lt-1"}, "kubeletExtraArgs": "--node-labels=a=b"}),
    case(
        "kubelet-v2-bootstrap-extra-args",
        NODE_GROUP_V2,
        {
            "nodeRootVolumeEncrypted": True,
            "bootstrapExtraArgs": "--use-max-pods false --kubelet-extra-args '--anonymous-auth=true'",
        },
        {ANONYMOUS, IMDS},
    ),
    case(
        "kubelet-v2-user-data-credentials",
        NODE_GROUP_V2,
        {"nodeRootVolumeEncrypted": True, "nodeUserData": SHELL_WITH_SECRETS},
        {CREDENTIALS, IMDS},
    ),
    case(
        "kubelet-eks-cluster-node-group-options",
        EKS_CLUSTER,
        {
            **HARDENED_CLUSTER_INPUTS,
            "nodeGroupOptions": {**HARDENED_NODES, "kubeletExtraArgs": "--authorization-mode=AlwaysAllow"},
        },
        {AUTHZ, IMDS, CREATOR},  # the self-managed default node group's IMDS and the creator: pulumi-eks offers no fix
        config=AS_OF,
    ),
    case(
        "kubelet-eks-cluster-auto-mode",
        EKS_CLUSTER,
        {**HARDENED_CONTROL_PLANE, "autoMode": {"enabled": True}},
        {CREATOR},
        config=AS_OF,
    ),
    # EKS Auto Mode: the nodes are AWS's; on any other cluster the node controls judge the node resources instead
    case("kubelet-auto-mode-cluster", CLUSTER, {**AUTO_MODE_CLUSTER, "computeConfig": {"enabled": True}}, config=AS_OF),
    case(
        "kubelet-auto-mode-unknown",
        CLUSTER,
        {**AUTO_MODE_CLUSTER, "computeConfig": UNKNOWN},
        not_checkable=NODE_CONTROLS,
        config=AS_OF,
    ),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_kubelet_case(pack: PackDriver, c: Case) -> None:
    run_case(pack, c)


def test_messages_say_where_and_what(pack: PackDriver) -> None:
    flags = "--anonymous-auth=true --read-only-port 10255 --feature-gates=RotateKubeletServerCertificate=false"
    messages = pack.messages(LAUNCH_TEMPLATE, lt(b64(al2(flags))))
    assert {k: v for k, v in messages.items() if k not in (IMDS, EBS)} == {
        ANONYMOUS: [
            "userData bootstrap.sh --kubelet-extra-args --anonymous-auth turns anonymous authentication on: "
            "unauthenticated requests reach the kubelet API"
        ],
        READ_ONLY: [
            "userData bootstrap.sh --kubelet-extra-args --read-only-port is 10255: the kubelet serves pod and node "
            "details on it without authentication"
        ],
        ROTATION: [
            "userData bootstrap.sh --kubelet-extra-args --feature-gates RotateKubeletServerCertificate is false: its "
            "serving certificate is not rotated"
        ],
    }
    nodeadm = pack.messages(LAUNCH_TEMPLATE, lt(kubelet(authorization__mode="AlwaysAllow")))
    assert nodeadm[AUTHZ] == [
        "userData (NodeConfig) spec.kubelet.config authorization.mode is 'AlwaysAllow': the kubelet authorizes "
        "requests without asking the API server (Webhook does)"
    ]


def test_credentials_are_named_never_shown(pack: PackDriver) -> None:
    diagnostics = pack.analyze(LAUNCH_TEMPLATE, lt(b64(SHELL_WITH_SECRETS)))
    messages = [d.message.splitlines()[-1] for d in diagnostics if d.policy == CREDENTIALS]
    assert [m.split(";")[0] for m in messages] == [
        "the node's user data holds a credential: an AWS access key id (userData line 2)",
        "the node's user data holds a credential: AWS_SECRET_ACCESS_KEY (userData line 3)",
    ]
    for secret in ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"):
        assert all(secret not in d.message for d in diagnostics)


def test_user_data_controls_are_not_remediated(pack: PackDriver) -> None:
    config = dict.fromkeys((ANONYMOUS, AUTHZ, READ_ONLY, ROTATION, QPS, CREDENTIALS), "remediate")
    with pack.configured(config):
        assert pack.process.remediate(next(c for c in CASES if c.id == "kubelet-al2-weakened").resource()) == []
