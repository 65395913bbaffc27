"""The reference stack's configuration (``eksguard:*`` keys in stacks/Pulumi.<stack>.yaml), parsed and validated
into :class:`BaselineArgs` before any resource is registered.

A missing or invalid key raises one :class:`StackConfigError` naming the key and the accepted values. The
Pulumi engine hands every value to the program as a string (lists and objects as JSON), so that is what is
parsed here.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.runtime.config as runtime_config
from eksguard_policies import versions

from components import access, baseline, nodegroup
from components._common import InvalidArgumentError
from components.access import AccessControlArgs, AccessMapping, ClusterAdmin, ManagedNamespace
from components.audit_trail import AuditTrailArgs
from components.baseline import BaselineArgs, BaselineNodeGroup
from components.cluster import ClusterArgs
from components.iam import CLOUDWATCH_RETENTION_DAYS
from components.network import validate_cidrs
from components.nodegroup import NodeGroupArgs

NAMESPACE = "eksguard"


class StackConfigError(pulumi.RunError, ValueError):
    """The stack configuration is missing a key or holds an invalid value (reported without a stack trace)."""

    def __init__(self, key: str, problem: str, accepted: str) -> None:
        super().__init__(f"stack config {NAMESPACE}:{key} {problem}; accepted values: {accepted}")
        self.key = key


# --- typed readers: each takes (key, value) and returns the parsed value or raises StackConfigError -------
Reader = Callable[[str, Any], Any]


def text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise StackConfigError(key, f"is {value!r}", "a non-empty string")
    return value


def flag(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise StackConfigError(key, f"is {value!r}", "true, false")


def integer(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise StackConfigError(key, f"is {value!r}", "a whole number")
    try:
        return int(value)
    except ValueError:
        raise StackConfigError(key, f"is {value!r}", "a whole number") from None


def choice(*accepted: Any, parse: Reader = text) -> Reader:
    def read(key: str, value: Any) -> Any:
        parsed = parse(key, value)
        if parsed not in accepted:
            raise StackConfigError(key, f"is {value!r}", ", ".join(str(a) for a in accepted))
        return parsed

    return read


def list_of(item: Reader, *, min_items: int = 0) -> Reader:
    def read(key: str, value: Any) -> list:
        value = _json(key, value, list, "a list")
        if len(value) < min_items:
            raise StackConfigError(key, f"has {len(value)} items", f"a list of at least {min_items}")
        return [item(f"{key}[{i}]", v) for i, v in enumerate(value)]

    return read


def string_map(key: str, value: Any) -> dict[str, str]:
    value = _json(key, value, dict, "an object of strings")
    for k, v in value.items():
        text(f"{key}.{k}", v)
    return value


def cidrs(key: str, value: Any) -> list[str]:
    blocks = list_of(text, min_items=1)(key, value)
    try:
        return validate_cidrs("stack config", key, blocks, allow_internet=False)
    except InvalidArgumentError:
        raise StackConfigError(
            key, f"is {value!r}", "CIDR blocks such as 10.0.0.0/16 (not 0.0.0.0/0 or ::/0)"
        ) from None


def kubernetes_version(key: str, value: Any) -> str:
    return choice(*versions.standard_support_versions())(key, value)


def obj(fields: Mapping[str, tuple[str, Reader, bool]], build: Callable[..., Any]) -> Reader:
    """An object whose camelCase ``fields`` map to (python name, reader, required); unknown keys are refused."""

    def read(key: str, value: Any) -> Any:
        value = _json(key, value, dict, "an object")
        unknown = sorted(set(value) - set(fields))
        if unknown:
            raise StackConfigError(f"{key}.{unknown[0]}", "is not a setting", ", ".join(fields))
        kwargs = {}
        for camel, (python, reader, required) in fields.items():
            if camel in value:
                kwargs[python] = reader(f"{key}.{camel}", value[camel])
            elif required:
                raise StackConfigError(f"{key}.{camel}", "is missing", _describe(reader))
        return build(**kwargs)

    return read


def _json(key: str, value: Any, kind: type, described: str) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise StackConfigError(key, f"is {value!r}, not {described}", described) from None
    if not isinstance(value, kind):
        raise StackConfigError(key, f"is {value!r}, not {described}", described)
    return value


def _describe(reader: Reader) -> str:
    return {text: "a non-empty string", flag: "true, false", integer: "a whole number"}.get(reader, "see the docs")


# --- the schema -------------------------------------------------------------------------------------------
NODE_GROUP = obj(
    {
        "name": ("name", text, True),
        "amiFamily": ("ami_family", choice(*nodegroup.AMI_FAMILIES), False),
        "architecture": ("architecture", choice(*nodegroup.ARCHITECTURES), False),
        "instanceTypes": ("instance_types", list_of(text, min_items=1), False),
        "capacityType": ("capacity_type", choice(*nodegroup.CAPACITY_TYPES), False),
        "minSize": ("min_size", integer, False),
        "desiredSize": ("desired_size", integer, False),
        "maxSize": ("max_size", integer, False),
        "diskSizeGib": ("disk_size_gib", integer, False),
        "labels": ("labels", string_map, False),
        "cniIdentity": ("cni_identity", choice(*nodegroup.CNI_IDENTITIES), False),
        "manageCniAddon": ("manage_cni_addon", flag, False),
    },
    lambda name, **kw: BaselineNodeGroup(name=name, args=NodeGroupArgs(**kw)),
)
NAMESPACE_SETTINGS = obj(
    {
        "name": ("name", text, True),
        "podSecurityLevel": ("pod_security_level", choice(*access.POD_SECURITY_LEVELS), False),
        "secretsAccessRoles": ("secrets_access_roles", list_of(choice(*access.ROLES)), False),
    },
    ManagedNamespace,
)
ACCESS_MAPPING = obj(
    {
        "name": ("name", text, True),
        "principalArn": ("principal_arn", text, True),
        "role": ("role", choice(*access.ROLES), False),
        "namespaces": ("namespaces", list_of(text, min_items=1), True),
        "accessPolicy": ("access_policy", choice(*access.ACCESS_POLICIES), False),
        "allowSecretsAccess": ("allow_secrets_access", flag, False),
    },
    AccessMapping,
)
CLUSTER_ADMIN = obj({"name": ("name", text, True), "principalArn": ("principal_arn", text, True)}, ClusterAdmin)
AUDIT_TRAIL = obj(
    {
        "trailName": ("trail_name", text, False),
        "logRetentionDays": ("log_retention_days", choice(*CLOUDWATCH_RETENTION_DAYS, parse=integer), False),
        "logS3DataEvents": ("log_s3_data_events", flag, False),
        "logLambdaDataEvents": ("log_lambda_data_events", flag, False),
    },
    AuditTrailArgs,
)

# Top-level keys: camelCase key -> (reader, required, default).
KEYS: dict[str, tuple[Reader, bool, Any]] = {
    "clusterName": (text, True, None),
    "createCluster": (flag, False, True),
    "kubernetesVersion": (kubernetes_version, False, None),
    "publicEndpointCidrs": (list_of(text), False, []),
    "vpcId": (text, False, None),
    "vpcCidrBlocks": (cidrs, True, None),
    "privateSubnetIds": (list_of(text, min_items=2), True, None),
    "nodeGroups": (list_of(NODE_GROUP, min_items=1), True, None),
    "namespaces": (list_of(NAMESPACE_SETTINGS), False, []),
    "accessMappings": (list_of(ACCESS_MAPPING), False, []),
    "clusterAdmins": (list_of(CLUSTER_ADMIN), False, []),
    "auditTrail": (AUDIT_TRAIL, False, None),
    "tags": (string_map, False, {}),
}


@dataclass(frozen=True)
class Settings:
    """The parsed stack configuration: the Baseline's name and arguments."""

    name: str
    args: BaselineArgs


def load_settings(config: pulumi.Config | None = None) -> Settings:
    """Read and validate every ``eksguard:*`` key; raises one StackConfigError for the first problem."""
    config = config or pulumi.Config(NAMESPACE)
    _refuse_unknown_keys()
    values: dict[str, Any] = {}
    for key, (reader, required, default) in KEYS.items():
        raw = config.get(key)
        if raw is None:
            if required:
                raise StackConfigError(key, "is missing", _describe(reader) if reader in (text, flag) else _hint(key))
            values[key] = default
        else:
            values[key] = reader(key, raw)
    if values["createCluster"] and values["vpcId"] is None:
        raise StackConfigError("vpcId", "is missing but createCluster is true", "the id of the cluster's VPC")
    if not values["createCluster"] and values["kubernetesVersion"] is not None:
        raise StackConfigError(
            "kubernetesVersion", "is set but createCluster is false", "unset (an existing cluster keeps its version)"
        )
    settings = Settings(name=values["clusterName"], args=_baseline_args(values))
    _check_consistency(settings)
    return settings


def _refuse_unknown_keys() -> None:
    """A misspelt key would otherwise be ignored silently, leaving its default in place."""
    present = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    for full_key in sorted(present):
        namespace, _, key = full_key.partition(":")
        if namespace == NAMESPACE and key not in KEYS:
            raise StackConfigError(key, "is not a setting", ", ".join(KEYS))


def _hint(key: str) -> str:
    return {
        "vpcCidrBlocks": "a list of the VPC's CIDR blocks, e.g. [10.0.0.0/16]",
        "privateSubnetIds": "a list of at least two private subnet ids",
        "nodeGroups": "a list of at least one node group object with a name",
    }.get(key, "see stacks/Pulumi.dev.yaml")


def _baseline_args(v: dict[str, Any]) -> BaselineArgs:
    cluster = None
    if v["createCluster"]:
        cluster = ClusterArgs(
            cluster_name=v["clusterName"],
            version=v["kubernetesVersion"],
            allow_public_endpoint_cidrs=v["publicEndpointCidrs"],
        )
    return BaselineArgs(
        vpc_id=v["vpcId"],
        vpc_cidr_blocks=v["vpcCidrBlocks"],
        subnet_ids=v["privateSubnetIds"],
        cluster=cluster,
        existing_cluster_name=None if v["createCluster"] else v["clusterName"],
        node_groups=v["nodeGroups"],
        access=AccessControlArgs(
            namespaces=v["namespaces"], access_mappings=v["accessMappings"], cluster_admins=v["clusterAdmins"]
        ),
        audit_trail=v["auditTrail"] or AuditTrailArgs(),
        tags=v["tags"],
    )


# Component arguments back to the config keys they come from, for problems only the components detect.
_ARGUMENT_KEYS = {
    "cluster_name": "clusterName",
    "version": "kubernetesVersion",
    "allow_public_endpoint_cidrs": "publicEndpointCidrs",
    "subnet_ids": "privateSubnetIds",
    "vpc_id": "vpcId",
    "vpc_cidr_blocks": "vpcCidrBlocks",
    "node_groups": "nodeGroups",
}


def _config_key(exc: InvalidArgumentError, settings: Settings) -> str:
    root = exc.argument.split(".")[0]
    if root in _ARGUMENT_KEYS:
        return _ARGUMENT_KEYS[root]
    if exc.component == "NodeGroup":
        return f"nodeGroups[{_failing_node_group(settings)}].{_camel(exc.argument)}"
    if exc.component == "AuditTrail":
        return "auditTrail.trailName" if exc.argument == "name" else f"auditTrail.{_camel(exc.argument)}"
    return ".".join(_camel(part) for part in exc.argument.split("."))


def _check_consistency(settings: Settings) -> None:
    """What only the components can tell (e.g. a mapping naming an unmanaged namespace), in config terms."""
    try:
        baseline.validate(settings.name, settings.args)
    except InvalidArgumentError as exc:
        key = _config_key(exc, settings)
        problem, _, accepted = str(exc).partition("; accepted values: ")
        raise StackConfigError(key, f"is rejected ({problem})", accepted or "see the message") from None


def _failing_node_group(settings: Settings) -> int:
    """Index of the first node group the components reject on its own."""
    for i, node_group in enumerate(settings.args.node_groups):
        try:
            baseline.validate(settings.name, dataclasses.replace(settings.args, node_groups=[node_group]))
        except InvalidArgumentError:
            return i
    return 0


def _camel(argument: str) -> str:
    head, *rest = argument.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
