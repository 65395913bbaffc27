"""The live cluster: the audit reads Kubernetes objects through the official client from a read-only API
stand-in on 127.0.0.1 (tests/audit/kube_api.py), authenticated with an EKS token, and the pack judges them.

The RBAC and workload cases of the pack's own tests (tests/policies/test_rbac.py, test_workloads.py) are
served as live objects: the audit's findings on each equal the pack's on the case (same controls, same
messages). Cases the API server could not hold are left out: unknown or secret values (a live object has
neither), odd metadata, kinds the audit does not list, resource names in exemptions (the audit names objects
``<cluster>/<namespace>/<name>``) and providers (live objects carry their namespace).
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from eksguard_policies.catalogue import default_catalogue
from kubernetes import client as k8s
from pulumi.runtime.proto import analyzer_pb2

from eksguard.audit import kubernetes as live_kubernetes
from eksguard.audit.judging import judge
from eksguard.audit.kubernetes.client import KubernetesRefusedError, ReadOnlyApiClient, eks_client
from eksguard.audit.kubernetes.kinds import CONFIG_MAPS, CUSTOM, LISTED, TYPES
from eksguard.audit.kubernetes.token import eks_token
from eksguard.audit.live import Inventory
from eksguard.judge.packs import PackRun
from eksguard.protocol.analyzer import Resource, config_with_defaults
from eksguard.protocol.wire import UNKNOWN, Secret
from tests.audit.conftest import account_session
from tests.audit.helpers import AS_OF, audit, audit_session
from tests.audit.kube_api import KubeApi, closed_port_url, list_requests, serving
from tests.audit.parity import fresh_account
from tests.audit.seed import ASSUME_EKS, REGION, clients, network, role, set_endpoint
from tests.policies import test_exposure, test_rbac, test_storage, test_workloads
from tests.policies.cases import Case

READ_TYPES = {k.type_token: k for k in LISTED}
PREVIEW_MARKER = "during preview"


# --- the pack's cases as live objects -----------------------------------------------------------------------


def _holds_unknowns(value: Any) -> bool:
    if value is UNKNOWN or isinstance(value, Secret):
        return True
    if isinstance(value, Mapping):
        return any(_holds_unknowns(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_unknowns(v) for v in value)
    return False


def _servable(c: Case) -> bool:
    metadata = c.props.get("metadata", {})
    return (
        c.resource_type in READ_TYPES
        and not _holds_unknowns(c.props)
        and c.provider is None
        and not any("exemptions" in entry for entry in c.config.values())
        and isinstance(metadata, dict)
        and isinstance(metadata.get("name", ""), str)
        and isinstance(metadata.get("namespace", ""), str)
        and all(isinstance(metadata.get(k, {}), dict) for k in ("labels", "annotations"))
        and not metadata.get("ownerReferences")
    )


CASES = [c for c in test_rbac.CASES + test_workloads.CASES + test_exposure.CASES + test_storage.CASES if _servable(c)]


def live_object(index: int, c: Case) -> dict[str, Any]:
    """The case's object as an API server holds it: apiVersion and kind; a name unique in the cluster (its own
    for a ServiceAccount, whose rule reads it, in a namespace of its own); the namespace the API server gives:
    none for a cluster-scoped kind, "default" for a namespaced one that names none."""
    kind = READ_TYPES[c.resource_type]
    obj = copy.deepcopy(dict(c.props))
    obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
    metadata = obj.setdefault("metadata", {})
    if kind.kind == "ServiceAccount" and metadata.get("name"):
        metadata["namespace"] = f"case-{index}"
    else:
        metadata["name"] = f"case-{index}"
    if not kind.namespaced:
        metadata.pop("namespace", None)
    elif not metadata.get("namespace"):
        metadata["namespace"] = "default"
    return obj


def audit_name(cluster: str, obj: dict[str, Any]) -> str:
    metadata = obj["metadata"]
    local = f"{metadata['namespace']}/{metadata['name']}" if "namespace" in metadata else metadata["name"]
    return f"{cluster}/{local}"


def pack_findings(pack: PackRun, c: Case, obj: dict[str, Any], config: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(policy, message) the pack reports on the object, as for a declaration (Analyze, the case's config)."""
    pack.process.configure(config_with_defaults(pack.info, {**AS_OF, **config}))
    try:
        resource = Resource(
            type=c.resource_type, name="r", urn=f"urn:pulumi:dev::p::{c.resource_type}::r", properties=obj
        )
        answer = pack.process.analyze(resource)
    finally:
        pack.process.configure(pack.config)
    return {(d.policy, d.message.splitlines()[-1]) for d in answer.diagnostics if PREVIEW_MARKER not in d.message}


def kube_account(endpoint: str, clusters: Mapping[str, str]) -> str:
    """A fresh moto account whose clusters (name -> API endpoint URL) serve their Kubernetes API there."""
    account = fresh_account()
    make = clients(account_session(endpoint, account), endpoint, REGION)
    _, subnets = network(make("ec2"))
    cluster_role = role(make("iam"), "cluster", ASSUME_EKS, ["AmazonEKSClusterPolicy"])
    for name, url in clusters.items():
        make("eks").create_cluster(
            name=name, version="1.35", roleArn=cluster_role, resourcesVpcConfig={"subnetIds": subnets}
        )
        set_endpoint(account, REGION, name, url)
    return account


def _config_key(c: Case) -> str:
    return repr(sorted((k, repr(v)) for k, v in c.config.items()))


@pytest.fixture(scope="module")
def judged_cases(endpoint, pack) -> Iterator[list[tuple[Case, dict[str, Any], set, set]]]:
    """Each case served as a live object, read by the audit's Kubernetes reader and judged by the pack (one
    cluster per distinct case config): (case, object, audit findings, pack findings)."""
    groups: dict[str, list[tuple[int, Case]]] = {}
    for index, c in enumerate(CASES):
        groups.setdefault(_config_key(c), []).append((index, c))
    session = _session(endpoint)
    resource_policies = {p.name for p in pack.info.policies if p.policy_type != analyzer_pb2.POLICY_TYPE_STACK}
    out = []
    for members in groups.values():
        api = KubeApi()
        objects = [(c, live_object(i, c)) for i, c in members]
        api.add(*(obj for _, obj in objects))
        config = {**AS_OF, **members[0][1].config}
        inventory = Inventory("111111111111")
        with serving(api) as url:
            cluster = live_kubernetes.ClusterEndpoint(
                "k8s", REGION, "arn:aws:eks:eu-west-1:111111111111:cluster/k8s", url
            )
            assert live_kubernetes.read_cluster(session, cluster, inventory)
        run = PackRun(pack.process, pack.info, config_with_defaults(pack.info, config))
        results, _ = judge(inventory, run, config, default_catalogue())
        pack.process.configure(pack.config)
        for c, obj in objects:
            name = audit_name("k8s", obj)
            found = {
                (f.control_id, f.message)
                for r in results
                if r.status == "violated" and r.control.id in resource_policies
                for f in r.findings
                if f.resource_name == name
            }
            out.append((c, obj, found, pack_findings(pack, c, obj, members[0][1].config)))
    yield out


def test_the_pack_cases_are_served(judged_cases):
    kinds = {c.resource_type for c, *_ in judged_cases}
    # NetworkPolicies and LimitRanges are read by stack rules only (their tests are below)
    assert kinds == set(READ_TYPES) - {
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "kubernetes:core/v1:LimitRange",
    }
    assert len(judged_cases) > 150


def test_live_objects_get_the_findings_the_pack_gives_their_declarations(judged_cases):
    mismatched = [
        (c.id, sorted(found), sorted(expected)) for c, _, found, expected in judged_cases if found != expected
    ]
    assert mismatched == []


def test_serving_them_kept_each_case_verdict(judged_cases):
    """The names and namespaces given to serve the cases change no verdict: the pack's is the case's own."""
    changed = [
        (c.id, sorted(c.violations)) for c, _, _, expected in judged_cases if {p for p, _ in expected} != c.violations
    ]
    assert changed == []


# --- a small cluster: what is read, how, and what is left out ------------------------------------------------

NAMESPACE = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {"name": "shop", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}},
}
ADMIN_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "everything", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
    "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
}
AWS_AUTH = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "aws-auth", "namespace": "kube-system"},
    "data": {
        "mapRoles": "- rolearn: arn:aws:iam::111122223333:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n"
    },
}


def pod(name: str, namespace: str = "shop", owner: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if owner:
        metadata["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner, "uid": "u", "controller": True}
        ]
    image = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/api@sha256:" + "ab" * 32
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"containers": [{"name": "api", "image": image}]},
    }


@pytest.fixture
def small_cluster() -> KubeApi:
    api = KubeApi()
    api.add(NAMESPACE, ADMIN_ROLE, AWS_AUTH, *(pod(f"bare-{i}") for i in range(5)), pod("managed", owner="api-7d9"))
    return api


def _session(endpoint: str):
    return audit_session(endpoint, fresh_account())


def test_lists_page_with_limit_and_continue_and_read_everything(endpoint, small_cluster):
    inventory = Inventory("1")
    with serving(small_cluster) as url:
        cluster = live_kubernetes.ClusterEndpoint("k8s", REGION, "arn:aws:eks:eu-west-1:1:cluster/k8s", url)
        assert live_kubernetes.read_cluster(_session(endpoint), cluster, inventory, limit=2)
    pods = [r for r in list_requests(small_cluster) if r.path == "/api/v1/pods"]
    assert [(r.query.get("limit"), "continue" in r.query) for r in pods] == [
        (["2"], False),
        (["2"], True),
        (["2"], True),
    ]
    names = sorted(r.name for r in inventory.resources.values() if r.type == "kubernetes:core/v1:Pod")
    assert names == [f"k8s/shop/bare-{i}" for i in range(5)]  # the ReplicaSet's pod is judged through its owner
    assert inventory.gaps == []
    calls = [r.path for r in small_cluster.requests]
    # /version, a list per kind (pods in 3 pages), each version of the custom resources (no CRD: 404), the two gets
    assert len(calls) == 1 + len(LISTED) + 2 + sum(len(versions) for versions in CUSTOM) + len(CONFIG_MAPS)


def test_server_fields_are_dropped_and_kind_restored(endpoint, small_cluster):
    inventory = Inventory("1")
    with serving(small_cluster) as url:
        cluster = live_kubernetes.ClusterEndpoint("k8s", REGION, "arn:c", url)
        live_kubernetes.read_cluster(_session(endpoint), cluster, inventory)
    role_props = next(r.props for r in inventory.resources.values() if r.name == "k8s/everything")
    assert role_props == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "everything"},
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
    }
    aws_auth = next(r for r in inventory.resources.values() if r.type == "kubernetes:core/v1:ConfigMap")
    assert aws_auth.name == "k8s/kube-system/aws-auth" and aws_auth.props["data"] == AWS_AUTH["data"]


def test_an_expired_continue_token_starts_the_list_over(endpoint, small_cluster):
    small_cluster.expire_next_continue = True
    inventory = Inventory("1")
    with serving(small_cluster) as url:
        cluster = live_kubernetes.ClusterEndpoint("k8s", REGION, "arn:c", url)
        assert live_kubernetes.read_cluster(_session(endpoint), cluster, inventory, limit=1)
    pods = [r for r in list_requests(small_cluster) if r.path == "/api/v1/pods"]
    # page 1, page 2 refused (410 Expired), then the whole list again: 6 pages of 1 (5 bare pods and 1 owned)
    assert ["continue" in r.query for r in pods] == [False, True, False, True, True, True, True, True]
    assert sum(r.type == "kubernetes:core/v1:Pod" for r in inventory.resources.values()) == 5
    assert inventory.gaps == []


def test_a_forbidden_kind_is_not_assessed_and_the_rest_is_judged(endpoint, pack, small_cluster):
    small_cluster.forbidden.add("roles")
    small_cluster.add(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "r", "namespace": "shop"},
            "rules": [],
        }
    )
    with serving(small_cluster) as url:
        account = kube_account(endpoint, {"k8s": url})
        _, report = audit(audit_session(endpoint, account), pack, [REGION], kubernetes=True)
    results = {r.control.id: r for r in report.results}
    why = (
        f"cluster k8s ({REGION}): list roles: 403 Forbidden: roles.rbac.authorization.k8s.io is forbidden: User "
        '"arn:aws:sts::111111111111:assumed-role/auditor/eksguard" cannot list resource "roles" in API group '
        '"rbac.authorization.k8s.io" at the cluster scope'
    )
    wildcards = results["rbac-wildcards"]
    assert wildcards.status == "violated" and wildcards.reason == f"not assessed in {why}"  # the ClusterRole's
    assert {f.resource_name for f in wildcards.findings} == {"k8s/everything"}
    assert (results["workload-privileged"].status, results["workload-privileged"].resources_evaluated) == ("passed", 5)
    binding = results["rbac-cluster-admin-binding"]
    assert binding.status == "not_applicable" and binding.reason.startswith("the audit found no live kubernetes:")
    assert results["namespace-pod-security-enforce"].status == "passed"
    assert report.extra["kubernetes_clusters"] == [f"cluster k8s ({REGION})"]


EC2_NODE_CLASS = {
    "apiVersion": "karpenter.k8s.aws/v1",
    "kind": "EC2NodeClass",
    "metadata": {"name": "default"},
    "spec": {"amiSelectorTerms": [{"alias": "al2023@latest"}], "metadataOptions": {"httpPutResponseHopLimit": 2}},
}
AUTO_MODE_NODE_CLASS = {
    "apiVersion": "eks.amazonaws.com/v1",
    "kind": "NodeClass",
    "metadata": {"name": "private"},
    "spec": {"role": "auto-nodes", "subnetSelectorTerms": [{"tags": {"tier": "private"}}]},
}
VPC_CNI_CONFIG = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "amazon-vpc-cni", "namespace": "kube-system"},
    "data": {"enable-network-policy-controller": "true"},
}


def test_node_classes_are_read_where_their_crd_is_installed(endpoint, pack):
    """Karpenter's EC2NodeClass and Auto Mode's NodeClass are listed like any kind and judged by the node controls;
    where the CRD is absent (404, in every version) the cluster has none and nothing is missing; a class the
    identity may not list makes the node controls not assessed there."""
    karpenter = KubeApi()
    karpenter.add(NAMESPACE, EC2_NODE_CLASS, AUTO_MODE_NODE_CLASS, VPC_CNI_CONFIG)
    plain = KubeApi()
    plain.add(NAMESPACE)
    locked = KubeApi(crds={"karpenter.k8s.aws"}, forbidden={"ec2nodeclasses"})
    locked.add(NAMESPACE)
    with serving(karpenter) as one, serving(plain) as two, serving(locked) as three:
        account = kube_account(endpoint, {"karp": one, "plain": two, "locked": three})
        inventory, report = audit(audit_session(endpoint, account), pack, [REGION], kubernetes=True)
    names = {(r.type.rsplit(":", 1)[-1], r.name) for r in inventory.resources.values() if r.scope != "aws"}
    assert {("EC2NodeClass", "karp/default"), ("NodeClass", "karp/private")} <= names
    assert ("ConfigMap", "karp/kube-system/amazon-vpc-cni") in names
    imds = next(r for r in report.results if r.control.id == "node-imdsv2-required")
    assert [(f.resource_name, f.message) for f in imds.findings] == [
        (
            "karp/default",
            "spec.metadataOptions.httpPutResponseHopLimit is 2: pods can reach the node's IMDS credentials",
        )
    ]
    assert imds.reason == (
        f"not assessed in cluster locked ({REGION}): list ec2nodeclasses: 403 Forbidden: ec2nodeclasses.karpenter"
        '.k8s.aws is forbidden: User "arn:aws:sts::111111111111:assumed-role/auditor/eksguard" cannot list resource '
        '"ec2nodeclasses" in API group "karpenter.k8s.aws" at the cluster scope'
    )
    absent = [(r.path, r.method) for r in plain.requests if "nodeclasses" in r.path]
    assert absent == [
        ("/apis/karpenter.k8s.aws/v1/ec2nodeclasses", "GET"),
        ("/apis/karpenter.k8s.aws/v1beta1/ec2nodeclasses", "GET"),
        ("/apis/eks.amazonaws.com/v1/nodeclasses", "GET"),
    ]
    assert [g["where"] for g in report.extra["not_read"] if "nodeclasses" in g["reason"]] == [
        f"cluster locked ({REGION})"
    ]
    (gap,) = [g for g in report.extra["not_read"] if "nodeclasses" in g["reason"]]
    assert gap["types"] == [
        "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
        "kubernetes:karpenter.k8s.aws/v1beta1:EC2NodeClass",
    ]


def test_an_unreachable_or_unauthorised_cluster_is_not_assessed_and_the_run_goes_on(endpoint, pack, small_cluster):
    locked = KubeApi(accept_eks_tokens=False)
    locked.add(NAMESPACE)
    with serving(small_cluster) as reachable, serving(locked) as unauthorised:
        clusters = {"reach": reachable, "gone": closed_port_url(), "locked": unauthorised}
        account = kube_account(endpoint, clusters)
        _, report = audit(audit_session(endpoint, account), pack, [REGION], kubernetes=True)
    results = {r.control.id: r for r in report.results}
    reason = results["namespace-pod-security-enforce"].reason
    assert results["namespace-pod-security-enforce"].status == "not_assessed"
    assert f"cluster gone ({REGION}): API endpoint {clusters['gone']} not reachable from here" in reason
    assert f"cluster locked ({REGION}): not authorised: 401 Unauthorized: Unauthorized" in reason
    assert report.extra["kubernetes_clusters"] == [f"cluster reach ({REGION})"]
    assert results["rbac-wildcards"].status == "violated"  # the reachable cluster was judged
    assert [r.path for r in locked.requests] == ["/version"]  # refused at the first call: nothing else asked


def test_the_token_is_the_one_aws_eks_get_token_makes(endpoint):
    """k8s-aws-v1. + base64url (no padding) of a presigned STS GetCallerIdentity URL, 60 s, signing x-k8s-aws-id;
    the header's value (the cluster name) travels in the request the API server replays to STS."""
    token = eks_token(_session(endpoint), REGION, "prod")
    assert token.startswith("k8s-aws-v1.") and not token.endswith("=")
    body = token[len("k8s-aws-v1.") :]
    url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    query = parse_qs(urlsplit(url).query)
    assert query["Action"] == ["GetCallerIdentity"] and query["Version"] == ["2011-06-15"]
    assert query["X-Amz-Expires"] == ["60"]
    assert query["X-Amz-SignedHeaders"][0].split(";") == ["host", "x-k8s-aws-id"]
    assert "x-k8s-aws-id" not in query  # a header, not a query parameter


def test_a_kubeconfig_context_is_used_when_given(endpoint, pack, small_cluster, tmp_path):
    import yaml

    small_cluster.accept_eks_tokens = False
    small_cluster.static_tokens.add("kubeconfig-token")
    with serving(small_cluster) as url:
        kubeconfig = tmp_path / "config"
        kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "prod", "cluster": {"server": url}}],
                    "users": [{"name": "auditor", "user": {"token": "kubeconfig-token"}}],
                    "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "auditor"}}],
                    "current-context": "prod",
                }
            )
        )
        account = kube_account(endpoint, {"k8s": url, "elsewhere": closed_port_url()})
        _, report = audit(audit_session(endpoint, account), pack, [REGION], kubernetes=True, kubeconfig=kubeconfig)
    assert report.extra["kubernetes_clusters"] == [f"cluster k8s ({REGION})"]
    assert {r.authorization for r in small_cluster.requests} == {"Bearer kubeconfig-token"}
    results = {r.control.id: r for r in report.results}
    assert (
        f"cluster elsewhere ({REGION}): no context in {kubeconfig} for its endpoint" in results["rbac-wildcards"].reason
    )


DENY_ALL = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "deny-all", "namespace": "shop"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
}
MEMORY_DEFAULTS = {
    "apiVersion": "v1",
    "kind": "LimitRange",
    "metadata": {"name": "defaults", "namespace": "shop"},
    "spec": {"limits": [{"type": "Container", "default": {"memory": "256Mi"}}]},
}


def _declared(*objects: dict[str, Any]) -> list[Resource]:
    """The objects as a program declares them (type token from apiVersion and kind)."""
    out = []
    for obj in objects:
        group_version = obj["apiVersion"] if "/" in obj["apiVersion"] else f"core/{obj['apiVersion']}"
        token, name = f"kubernetes:{group_version}:{obj['kind']}", obj["metadata"]["name"]
        out.append(Resource(type=token, name=name, urn=f"urn:pulumi:dev::p::{token}::{name}", properties=obj))
    return out


@pytest.mark.parametrize(
    ("control", "settling", "finding"),
    [
        # a NetworkPolicy in one cluster's namespace does not cover the namespace of the same name in another
        ("stack-namespace-network-policy", DENY_ALL, ("two/shop", "shop")),
        # a LimitRange gives the namespace's containers a default memory limit
        ("workload-resource-limits", MEMORY_DEFAULTS, ("two/shop/api", "api")),
    ],
    ids=["network-policy", "limit-range"],
)
def test_stack_rules_read_one_cluster_at_a_time(endpoint, pack, control, settling, finding):
    """Each cluster's objects are their own stack: the object that settles the control in cluster "one" does not
    settle it for the same namespace in cluster "two"; the pack says the same of the declarations."""
    settled, bare = KubeApi(), KubeApi()
    settled.add(NAMESPACE, pod("api"), settling)
    bare.add(NAMESPACE, pod("api"))
    with serving(settled) as one, serving(bare) as two:
        account = kube_account(endpoint, {"one": one, "two": two})
        _, report = audit(audit_session(endpoint, account), pack, [REGION], kubernetes=True)
    (result,) = [r for r in report.results if r.control.id == control]
    assert {(f.resource_name, f.region) for f in result.findings} == {(finding[0], REGION)}
    verdicts = [
        [d.urn.rsplit("::", 1)[-1] for d in pack.process.analyze_stack(stack).diagnostics if d.policy == control]
        for stack in (_declared(NAMESPACE, pod("api"), settling), _declared(NAMESPACE, pod("api")))
    ]
    assert verdicts == [[], [finding[1]]]


# --- read-only by construction ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "why"),
    [
        (lambda api: k8s.CoreV1Api(api).create_namespace({"metadata": {"name": "x"}}), "only GET"),
        (lambda api: k8s.CoreV1Api(api).delete_namespace("shop"), "only GET"),
        (lambda api: k8s.AppsV1Api(api).patch_namespaced_deployment("a", "shop", {}), "only GET"),
        (lambda api: k8s.CoreV1Api(api).list_namespace(watch=True), "no watch"),
        (lambda api: k8s.CoreV1Api(api).list_secret_for_all_namespaces(), "only the lists and objects the audit reads"),
        (
            lambda api: k8s.CoreV1Api(api).read_namespaced_secret("s", "shop"),
            "only the lists and objects the audit reads",
        ),
        (
            lambda api: k8s.CoreV1Api(api).connect_get_namespaced_pod_exec("p", "shop"),
            "only the lists and objects the audit reads",
        ),
    ],
)
def test_a_write_watch_or_other_read_is_refused_before_any_request_is_sent(endpoint, small_cluster, call, why):
    with serving(small_cluster) as url, eks_client(_session(endpoint), REGION, "k8s", url, None) as api:
        assert isinstance(api, ReadOnlyApiClient)
        with pytest.raises(KubernetesRefusedError, match=why):
            call(api)
        k8s.CoreV1Api(api).list_namespace()  # a read goes through
    assert [(r.method, r.path) for r in small_cluster.requests] == [("GET", "/api/v1/namespaces")]


def test_every_type_read_has_the_pulumi_kubernetes_token():
    import pulumi_kubernetes

    custom = {k.type_token: k for versions in CUSTOM for k in versions}
    for token in TYPES - set(custom):
        _, module, kind = token.split(":")
        group, version = module.rsplit("/", 1)
        package = group.removesuffix(".k8s.io").removesuffix(".authorization")
        assert hasattr(getattr(getattr(pulumi_kubernetes, package), version), kind), token
    # a custom resource is declared with apiextensions.CustomResource, whose type is kubernetes:<apiVersion>:<kind>
    assert all(token == f"kubernetes:{k.api_version}:{k.kind}" for token, k in custom.items())
