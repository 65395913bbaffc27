"""Insecure Kubernetes resources: RBAC, workloads and namespaces as copied from old tutorials and Stack Overflow.

Breaks every rbac-*, workload-*, service-account-* and namespace-* control and the stack policy
stack-namespace-network-policy. The explicit provider has a dummy kubeconfig, so no cluster is needed.
"""

import json

import pulumi
import pulumi_kubernetes as k8s

DUMMY_KUBECONFIG = json.dumps(
    {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443", "insecure-skip-tls-verify": True}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c",
        "users": [{"name": "u", "user": {"token": "not-a-real-token"}}],
    }
)

provider = k8s.Provider("insecure-k8s", kubeconfig=DUMMY_KUBECONFIG)
opts = pulumi.ResourceOptions(provider=provider)

# A namespace without Pod Security Admission labels, and no NetworkPolicy anywhere in the stack.
shop = k8s.core.v1.Namespace("shop", metadata={"name": "shop"}, opts=opts)
shop_opts = pulumi.ResourceOptions(provider=provider, depends_on=[shop])

# "Give CI everything so the pipeline stops failing."
k8s.rbac.v1.ClusterRoleBinding(
    "ci-admin",
    role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
    subjects=[{"api_group": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}],
    opts=opts,
)

k8s.rbac.v1.ClusterRole(
    "ops-everything",
    rules=[{"api_groups": ["*"], "resources": ["*"], "verbs": ["*"]}],
    opts=opts,
)

deployer = k8s.rbac.v1.Role(
    "deployer",
    metadata={"namespace": "shop"},
    rules=[
        {"api_groups": [""], "resources": ["pods", "pods/exec"], "verbs": ["get", "list", "create"]},
        {"api_groups": [""], "resources": ["secrets"], "verbs": ["get", "list"]},
        {"api_groups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["bind", "escalate"]},
    ],
    opts=shop_opts,
)

k8s.rbac.v1.RoleBinding(
    "deployer",
    metadata={"namespace": "shop"},
    role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "Role", "name": deployer.metadata.name},
    subjects=[{"api_group": "rbac.authorization.k8s.io", "kind": "User", "name": "jenkins"}],
    opts=shop_opts,
)

# The default service account, declared only to add a pull secret; its token is still mounted everywhere.
k8s.core.v1.ServiceAccount(
    "shop-default-sa",
    metadata={"name": "default", "namespace": "shop"},
    image_pull_secrets=[{"name": "dockerhub"}],
    opts=shop_opts,
)

# Docker-in-Docker CI agent in the default namespace: privileged, host namespaces, the node's Docker socket.
k8s.apps.v1.Deployment(
    "ci-agent",
    spec={
        "replicas": 1,
        "selector": {"match_labels": {"app": "ci-agent"}},
        "template": {
            "metadata": {"labels": {"app": "ci-agent"}},
            "spec": {
                "host_network": True,
                "host_pid": True,
                "containers": [
                    {
                        "name": "agent",
                        "image": "jenkins/inbound-agent:latest",
                        "security_context": {
                            "privileged": True,
                            "run_as_user": 0,
                            "capabilities": {"add": ["SYS_ADMIN", "NET_ADMIN"]},
                        },
                        "env": [
                            {
                                "name": "JENKINS_SECRET",
                                "value_from": {"secret_key_ref": {"name": "jenkins-agent", "key": "secret"}},
                            }
                        ],
                        "env_from": [{"secret_ref": {"name": "registry-credentials"}}],
                        "volume_mounts": [{"name": "docker-sock", "mount_path": "/var/run/docker.sock"}],
                    }
                ],
                "volumes": [{"name": "docker-sock", "host_path": {"path": "/var/run/docker.sock"}}],
            },
        },
    },
    opts=opts,
)

# The shop's API and its nightly job: untagged Docker Hub images, default security context.
k8s.apps.v1.Deployment(
    "api",
    metadata={"namespace": "shop"},
    spec={
        "replicas": 2,
        "selector": {"match_labels": {"app": "api"}},
        "template": {
            "metadata": {"labels": {"app": "api"}},
            "spec": {"containers": [{"name": "api", "image": "node", "ports": [{"container_port": 3000}]}]},
        },
    },
    opts=shop_opts,
)

k8s.batch.v1.CronJob(
    "nightly-report",
    metadata={"namespace": "shop"},
    spec={
        "schedule": "0 2 * * *",
        "job_template": {
            "spec": {
                "template": {
                    "spec": {
                        "restart_policy": "OnFailure",
                        "containers": [{"name": "report", "image": "python:latest", "args": ["report.py"]}],
                    }
                }
            }
        },
    },
    opts=shop_opts,
)

# The storefront, exposed the quick way: a public load balancer open to everyone, a node port for debugging, an
# Ingress without TLS, and unencrypted volumes.
k8s.core.v1.Service(
    "storefront",
    metadata={"namespace": "shop"},
    spec={"type": "LoadBalancer", "selector": {"app": "api"}, "ports": [{"port": 80, "target_port": 3000}]},
    opts=shop_opts,
)
k8s.core.v1.Service(
    "storefront-debug",
    metadata={"namespace": "shop"},
    spec={"type": "NodePort", "selector": {"app": "api"}, "ports": [{"port": 9229, "node_port": 30229}]},
    opts=shop_opts,
)
k8s.networking.v1.Ingress(
    "storefront",
    metadata={"namespace": "shop"},
    spec={
        "rules": [
            {
                "host": "shop.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "path_type": "Prefix",
                            "backend": {"service": {"name": "storefront", "port": {"number": 80}}},
                        }
                    ]
                },
            }
        ]
    },
    opts=shop_opts,
)
k8s.storage.v1.StorageClass(
    "gp3", metadata={"name": "gp3"}, provisioner="ebs.csi.aws.com", parameters={"type": "gp3"}, opts=opts
)

# Legacy bits: a node exporter on a host port, a Windows log agent as a HostProcess container, a worker with its
# database password and AWS keys written into the spec, cluster-wide "edit" for the dev team, and a CSR approver.
k8s.apps.v1.DaemonSet(
    "legacy-agents",
    metadata={"namespace": "shop"},
    spec={
        "selector": {"match_labels": {"app": "agents"}},
        "template": {
            "metadata": {"labels": {"app": "agents"}},
            "spec": {
                "os": {"name": "windows"},
                "security_context": {"windows_options": {"host_process": True}},
                "host_network": True,
                "containers": [
                    {
                        "name": "exporter",
                        "image": "prom/node-exporter:v1.8.2",
                        "ports": [{"container_port": 9100, "host_port": 9100}],
                        "env": [{"name": "DB_PASSWORD", "value": "changeme"}],
                        "args": ["--aws-secret-access-key=not-a-real-key"],
                    }
                ],
            },
        },
    },
    opts=shop_opts,
)
k8s.rbac.v1.ClusterRoleBinding(
    "devs-edit",
    role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
    subjects=[{"api_group": "rbac.authorization.k8s.io", "kind": "Group", "name": "developers"}],
    opts=opts,
)
k8s.rbac.v1.ClusterRole(
    "csr-approver",
    rules=[
        {
            "api_groups": ["certificates.k8s.io"],
            "resources": ["certificatesigningrequests/approval"],
            "verbs": ["update"],
        },
        {"api_groups": ["certificates.k8s.io"], "resources": ["signers"], "verbs": ["approve"]},
    ],
    opts=opts,
)
