"""Run a Pulumi program under the mock engine and return what it registered.

    result = run(lambda: Cluster("c", ClusterArgs(...)))
    eks = result.one("aws:eks/cluster:Cluster")
    eks.inputs["vpcConfig"]["endpointPublicAccess"]          # wire names (camelCase), as the mocks see them
    result.invokes("aws:ssm/getParameter:getParameter")      # [args, ...] in call order

Exceptions raised by the program (or inside an apply) propagate out of ``run``; ``attempt`` returns them on
``result.error`` together with whatever was registered before, so a test can assert that nothing was.
Each call builds a fresh monitor and stack, so many programs run in one pytest process.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"

AL2023_RELEASE = "1.35.2-20261120"
BOTTLEROCKET_VERSION = "1.50.0-abcdef12"

SSM_GET_PARAMETER = "aws:ssm/getParameter:getParameter"
EKS_GET_CLUSTER = "aws:eks/getCluster:getCluster"

InvokeAnswer = Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any]]


def existing_cluster(
    name: str = "existing",
    *,
    version: str = "1.35",
    cluster_security_group_id: str = "sg-0cluster0000000001",
    vpc_id: str = "vpc-0existing00000001",
    oidc_issuer: str | None = None,
    authentication_mode: str = "API",
) -> dict[str, Any]:
    """The ``getCluster`` answer (wire names) for an EKS cluster that exists outside the program."""
    issuer = oidc_issuer or f"https://oidc.eks.{REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
    return {
        "id": name,
        "name": name,
        "arn": f"arn:{PARTITION}:eks:{REGION}:{ACCOUNT_ID}:cluster/{name}",
        "version": version,
        "platformVersion": "eks.1",
        "status": "ACTIVE",
        "endpoint": f"https://{name.upper()}.gr7.{REGION}.eks.amazonaws.com",
        "roleArn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{name}-cluster",
        "certificateAuthorities": [{"data": "LS0tLS1CRUdJTi1DRVJUSUZJQ0FURS0tLS0t"}],
        "identities": [{"oidcs": [{"issuer": issuer}]}],
        "accessConfigs": [
            {"authenticationMode": authentication_mode, "bootstrapClusterCreatorAdminPermissions": False}
        ],
        "vpcConfig": {
            "clusterSecurityGroupId": cluster_security_group_id,
            "vpcId": vpc_id,
            "subnetIds": ["subnet-0aaa", "subnet-0bbb"],
            "securityGroupIds": [],
            "endpointPrivateAccess": True,
            "endpointPublicAccess": False,
            "publicAccessCidrs": [],
        },
        "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
        "kubernetesNetworkConfigs": [{"ipFamily": "ipv4", "serviceIpv4Cidr": "172.20.0.0/16"}],
        "tags": {},
    }


def default_ssm_parameter(path: str) -> str:
    """Public AMI parameters: AL2023 release versions carry a build date, Bottlerocket's do not."""
    if path.startswith("/aws/service/bottlerocket/"):
        return BOTTLEROCKET_VERSION
    if path.startswith("/aws/service/eks/optimized-ami/"):
        return AL2023_RELEASE
    raise KeyError(f"no SSM parameter {path!r} in the harness; pass ssm={{path: value}}")


@dataclass(frozen=True)
class Registered:
    """One resource registration as the engine saw it."""

    type: str
    name: str
    urn: str
    parent: str
    inputs: dict[str, Any]
    dependencies: tuple[str, ...]
    custom: bool


@dataclass
class Result:
    all: list[Registered] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    value: Any = None
    error: BaseException | None = None

    @property
    def resources(self) -> list[Registered]:
        """Everything registered except providers (the Stack itself is never recorded)."""
        return [r for r in self.all if not r.type.startswith("pulumi:providers:")]

    def of_type(self, type_token: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> Registered:
        found = [r for r in self.of_type(type_token) if name is None or r.name == name]
        if len(found) != 1:
            names = sorted(r.name for r in self.of_type(type_token))
            raise AssertionError(f"expected one {type_token} named {name!r}, found {len(found)} among {names}")
        return found[0]

    def by_urn(self, urn: str) -> Registered:
        return next(r for r in self.all if r.urn == urn)

    def children_of(self, parent: Registered) -> list[Registered]:
        return [r for r in self.resources if r.parent == parent.urn]

    def names(self, type_token: str | None = None) -> set[str]:
        return {r.name for r in self.resources if type_token is None or r.type == type_token}

    def invokes(self, token: str) -> list[dict[str, Any]]:
        return [args for tok, args in self.calls if tok == token]

    def output(self, value: Any) -> Any:
        """The resolved value of an Output (or plain value) produced by the program."""
        return _sync_await(pulumi.Output.from_input(value).future())


class _Mocks(pulumi_mocks.Mocks):
    def __init__(self, result: Result, answers: Mapping[str, InvokeAnswer], preview: bool) -> None:
        self.result = result
        self.answers = answers
        self.preview = preview

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict:
        self.result.calls.append((args.token, copy.deepcopy(dict(args.args))))
        answer = self.answers.get(args.token)
        if answer is None:
            raise NotImplementedError(f"the harness does not answer invoke {args.token}")
        out = answer(dict(args.args)) if callable(answer) else answer
        return dict(out)

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        if self.preview:  # as a preview of a create: only the inputs are known, ids and computed values are not
            return "", dict(args.inputs)
        computed = _computed(args.typ, args.name, args.inputs)
        state = {**computed, **args.inputs}
        if "vpcConfig" in computed:  # inputs plus the EKS-managed cluster security group
            state["vpcConfig"] = computed["vpcConfig"]
        return f"{args.name}-id", state


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """Keeps parent and dependencies, which MockResourceArgs does not carry."""

    def __init__(self, mocks: _Mocks, result: Result) -> None:
        super().__init__(mocks)
        self.result = result

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs = pulumi_mocks.rpc.deserialize_properties(request.object)
            self.result.all.append(
                Registered(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    inputs=_plain(inputs),
                    dependencies=tuple(request.dependencies),
                    custom=bool(request.custom),
                )
            )
        return response


def _computed(type_token: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Plausible provider-computed outputs, enough for components to wire resources together."""
    service = type_token.split(":")[1].split("/")[0]
    physical = inputs.get("name") or name
    out: dict[str, Any] = {
        "arn": f"arn:{PARTITION}:{service}:{REGION}:{ACCOUNT_ID}:{name}",
        "name": physical,
    }
    if type_token == "aws:iam/role:Role":
        out["arn"] = f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{physical}"
    elif type_token == "aws:kms/key:Key":
        out["keyId"] = f"{name}-key-id"
        out["arn"] = f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT_ID}:key/{name}-key-id"
    elif type_token == "aws:cloudwatch/logGroup:LogGroup":
        out["arn"] = f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT_ID}:log-group:{physical}"
    elif type_token == "aws:ecr/repository:Repository":
        out["repositoryUrl"] = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{physical}"
    elif type_token == "aws:ec2/launchTemplate:LaunchTemplate":
        out["latestVersion"] = 1
    elif type_token == "aws:eks/cluster:Cluster":
        out.update(
            endpoint=f"https://{physical.upper()}.gr7.{REGION}.eks.amazonaws.com",
            certificateAuthority={"data": "LS0tLS1CRUdJTi1DRVJUSUZJQ0FURS0tLS0t"},
            identities=[{"oidcs": [{"issuer": f"https://oidc.eks.{REGION}.amazonaws.com/id/{name.upper()}"}]}],
            vpcConfig={**(inputs.get("vpcConfig") or {}), "clusterSecurityGroupId": f"sg-{name}-eks-managed"},
        )
    return out


def _plain(value: Any) -> Any:
    """Deserialized inputs, with resource references (from Output-typed inputs) left as given."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def cluster_from_inputs(cluster: Registered) -> dict[str, Any]:
    """The ``getCluster`` answer for a cluster the program itself registered (as EKS would report it)."""
    inputs = cluster.inputs
    answer = existing_cluster(
        inputs.get("name", cluster.name),
        version=inputs.get("version", "1.35"),
        cluster_security_group_id=f"sg-{cluster.name}-eks-managed",
    )
    vpc = inputs.get("vpcConfig", {})
    answer["vpcConfig"].update(
        subnetIds=vpc.get("subnetIds", []),
        securityGroupIds=vpc.get("securityGroupIds", []),
        endpointPrivateAccess=vpc.get("endpointPrivateAccess", False),
        endpointPublicAccess=vpc.get("endpointPublicAccess", True),
        publicAccessCidrs=vpc.get("publicAccessCidrs", []),
    )
    answer["enabledClusterLogTypes"] = inputs.get("enabledClusterLogTypes", [])
    return answer


def default_answers(
    clusters: Mapping[str, Mapping[str, Any]] | None = None,
    ssm: Mapping[str, str] | None = None,
    registered: Result | None = None,
) -> dict[str, InvokeAnswer]:
    """Invoke answers by token. ``getCluster`` knows "existing", the given ``clusters``, and any EKS cluster
    the program registered before the lookup (``registered``)."""
    clusters = {"existing": existing_cluster("existing"), **(clusters or {})}
    ssm = dict(ssm or {})

    def get_parameter(args: dict[str, Any]) -> dict[str, Any]:
        path = args["name"]
        value = ssm[path] if path in ssm else default_ssm_parameter(path)
        return {
            "id": path,
            "name": path,
            "value": value,
            "insecureValue": value,
            "type": "String",
            "arn": f"arn:{PARTITION}:ssm:{REGION}::parameter{path}",
            "version": 1,
            "withDecryption": args.get("withDecryption", True),
        }

    def get_cluster(args: dict[str, Any]) -> Mapping[str, Any]:
        eks_clusters = registered.of_type("aws:eks/cluster:Cluster") if registered else []
        in_program = {r.inputs.get("name", r.name): r for r in eks_clusters}
        if args["name"] in in_program and args["name"] not in clusters:
            return cluster_from_inputs(in_program[args["name"]])
        if args["name"] not in clusters:
            raise KeyError(f"no EKS cluster {args['name']!r} in the harness; pass clusters={{name: ...}}")
        return clusters[args["name"]]

    def get_policy_document(args: dict[str, Any]) -> dict[str, Any]:
        import json

        statements = [{k[0].upper() + k[1:]: v for k, v in s.items()} for s in args.get("statements", [])]
        return {"id": "policy", "json": json.dumps({"Version": "2012-10-17", "Statement": statements})}

    return {
        SSM_GET_PARAMETER: get_parameter,
        EKS_GET_CLUSTER: get_cluster,
        "aws:index/getCallerIdentity:getCallerIdentity": {
            "id": ACCOUNT_ID,
            "accountId": ACCOUNT_ID,
            "userId": "AIDAEXAMPLE",
            "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/eksguard-test",
        },
        "aws:index/getRegion:getRegion": {
            "id": REGION,
            "name": REGION,
            "region": REGION,
            "endpoint": f"ec2.{REGION}.amazonaws.com",
            "description": "US East (N. Virginia)",
        },
        "aws:index/getPartition:getPartition": {
            "id": PARTITION,
            "partition": PARTITION,
            "dnsSuffix": "amazonaws.com",
            "reverseDnsPrefix": "com.amazonaws",
        },
        "aws:iam/getPolicyDocument:getPolicyDocument": get_policy_document,
    }


def attempt(
    program: Callable[[], Any],
    *,
    clusters: Mapping[str, Mapping[str, Any]] | None = None,
    ssm: Mapping[str, str] | None = None,
    invokes: Mapping[str, InvokeAnswer] | None = None,
    config: Mapping[str, str] | None = None,
    preview: bool = False,
    project: str = "eksguard-test",
    stack: str = "test",
) -> Result:
    """Run ``program`` under mocks; never raises for the program's errors (see ``result.error``).

    ``clusters``: extra ``getCluster`` answers by name (see ``existing_cluster``; "existing" is always there).
    ``ssm``: SSM parameter values by path (defaults: see ``default_ssm_parameter``).
    ``invokes``: answers by token, overriding the defaults (a dict, or a function of the invoke's args).
    ``config``: stack config as ``{"project:key": "value"}``.
    ``preview``: run as a preview of creating everything: resource ids and provider-computed outputs are unknown.
    """
    result = Result()
    answers = {**default_answers(clusters, ssm, result), **(invokes or {})}
    mocks = _Mocks(result, answers, preview)
    pulumi.runtime.set_all_config(dict(config or {}))
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=stack, preview=preview, monitor=_RecordingMonitor(mocks, result)
    )
    pulumi_settings.SETTINGS.rpc_manager.clear()
    pulumi_settings.SETTINGS.outputs.clear()

    def body() -> None:
        result.value = program()

    try:
        _sync_await(run_pulumi_func(body))
    except Exception as exc:  # the program's own error, surfaced to the test
        result.error = exc
    return result


def run(program: Callable[[], Any], **kwargs: Any) -> Result:
    """Like ``attempt`` but re-raises the program's error (use ``pytest.raises`` around it)."""
    result = attempt(program, **kwargs)
    if result.error is not None:
        raise result.error
    return result
