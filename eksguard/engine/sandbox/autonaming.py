"""The names pulumi-aws and pulumi-kubernetes assign in their Check step, before the engine shows a resource's
inputs to a policy pack. A real preview knows them; so does ``eksguard check``.

The suffix is random in the providers (seeded by the engine per resource); here it is derived from the
resource's URN, so runs are reproducible and a program sees the same name in every run.

pulumi-aws (pulumi-terraform-bridge ``pkg/tfbridge/info/autonaming.go``, ``AutoName`` and
``ComputeAutoNameDefault``): ``<name><separator><7 random hex characters>``, refused when longer than the
field's maximum (``resource.NewUniqueName``, pulumi ``sdk/go/common/resource/resource_id.go``). pulumi-aws
``provider/autonaming.go`` (``setAutonaming``) gives every resource with an input property ``name`` that rule
with a maximum of 255 characters; ``provider/resource_overrides.go`` sets other fields and maximums per
resource (:data:`AWS_RULES`). A default is never applied next to a property it conflicts with
(``pkg/tfbridge/schema.go``, ``buildConflictsWith``): a ``namePrefix`` set by the program keeps ``name`` empty.

pulumi-kubernetes (``provider/pkg/metadata/naming.go``, ``AssignNameIfAutonamable``): an object without
``metadata.name`` (or ``generateName``) gets ``<name>-<8 random hex characters>``
(``resource.NewUniqueName(seed, prefix, 0, 0, nil)``: 8 characters from ``0123456789abcdef``) and the
annotation ``pulumi.com/autonamed: "true"``; patch resources are never auto-named. A Helm ``Release`` names
its release the same way (``provider/pkg/provider/helm_release.go``, ``assignNameIfAutonameable``).
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

HEX = "0123456789abcdef"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
AUTONAMED_ANNOTATION = "pulumi.com/autonamed"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


class AutonameError(ValueError):
    """The provider's Check refuses the resource: its name plus the random suffix is too long."""


@dataclass(frozen=True)
class AwsRule:
    """How pulumi-aws names one resource type (the arguments of ``tfbridge.AutoName*``)."""

    field: str = "name"
    maxlen: int = 255
    randlen: int = 7
    separator: str = "-"
    lower: bool = False
    prefix: str = ""
    """Prepended after naming when missing (KMS aliases must start with ``alias/``)."""
    fifo_suffix: bool = False
    """``.fifo`` appended when ``fifoQueue`` (queues) or ``fifoTopic`` (topics) is true."""


# provider/resource_overrides.go, for the types an EKS program declares; every other type with an input
# `name` gets AwsRule() (provider/autonaming.go).
AWS_RULES: dict[str, AwsRule] = {
    "aws:iam/role:Role": AwsRule(maxlen=64),
    "aws:s3/bucket:Bucket": AwsRule(field="bucket", maxlen=63, lower=True),
    "aws:eks/nodeGroup:NodeGroup": AwsRule(field="nodeGroupName"),
    "aws:eks/fargateProfile:FargateProfile": AwsRule(field="fargateProfileName"),
    "aws:ec2/keyPair:KeyPair": AwsRule(field="keyName"),
    "aws:efs/fileSystem:FileSystem": AwsRule(field="creationToken"),
    "aws:cloudwatch/eventRule:EventRule": AwsRule(maxlen=64),
    "aws:cloudwatch/eventTarget:EventTarget": AwsRule(field="targetId"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": AwsRule(field="name"),
    "aws:lambda/function:Function": AwsRule(maxlen=64),
    "aws:lambda/permission:Permission": AwsRule(field="statementId", maxlen=100),
    "aws:kms/alias:Alias": AwsRule(maxlen=238, prefix="alias/"),
    "aws:sqs/queue:Queue": AwsRule(maxlen=80, fifo_suffix=True),
    "aws:sns/topic:Topic": AwsRule(maxlen=80, fifo_suffix=True),
    "aws:opensearch/domain:Domain": AwsRule(field="domainName"),
    "aws:elasticache/cluster:Cluster": AwsRule(field="clusterId", maxlen=50, lower=True),
    "aws:elasticache/replicationGroup:ReplicationGroup": AwsRule(field="replicationGroupId", maxlen=40, lower=True),
    "aws:mq/broker:Broker": AwsRule(field="brokerName", maxlen=55),
}
AWS_NOT_AUTONAMED = frozenset({"aws:route53/record:Record", "aws:directoryservice/directory:Directory"})
"""Types whose ``name`` is data (a DNS name, a directory's domain), not a name pulumi-aws may invent."""


def unique_name(urn: str, prefix: str, randlen: int = 8, maxlen: int = 0, charset: str = HEX) -> str:
    """``resource.NewUniqueName`` with the randomness drawn from the URN."""
    if maxlen > 0 and len(prefix) + randlen > maxlen:
        raise AutonameError(f"name '{prefix}' plus {randlen} random chars is longer than maximum length {maxlen}")
    digest = hashlib.sha256(urn.encode()).digest()
    return prefix + "".join(charset[b % len(charset)] for b in digest[:randlen])


def _urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _absent(value: Any) -> bool:
    return value is None or value == ""


def aws_autoname(type_: str, urn: str, props: dict[str, Any], has_input: Callable[[str, str], bool]) -> dict | None:
    """The property pulumi-aws would fill in, as ``{field: name}``, or None."""
    if type_ in AWS_NOT_AUTONAMED:
        return None
    rule = AWS_RULES.get(type_)
    if rule is None:
        if not has_input(type_, "name"):
            return None
        rule = AwsRule()
    if not _absent(props.get(rule.field)) or not _absent(props.get(f"{rule.field}Prefix")):
        return None
    base = _urn_name(urn)
    if rule.lower:
        base = base.lower()
    try:
        name = unique_name(urn, base + rule.separator, rule.randlen, rule.maxlen)
    except AutonameError as exc:
        raise AutonameError(f"could not make instance of '{type_}': {exc}") from None
    if rule.prefix and not name.startswith(rule.prefix):
        name = rule.prefix + name
    if rule.fifo_suffix and (props.get("fifoQueue") is True or props.get("fifoTopic") is True):
        name += ".fifo"
    return {rule.field: name}


def kubernetes_autoname(type_: str, urn: str, props: dict[str, Any]) -> dict | None:
    """The properties pulumi-kubernetes would fill in (a whole new ``metadata`` or ``name``), or None."""
    if type_ == HELM_RELEASE:
        return None if not _absent(props.get("name")) else {"name": unique_name(urn, _urn_name(urn) + "-")}
    if type_.endswith("Patch") or type_.startswith(("kubernetes:helm.sh/", "kubernetes:yaml", "kubernetes:kustomize")):
        return None
    metadata = props.get("metadata")
    if metadata == UNKNOWN:
        return None
    metadata = dict(metadata) if isinstance(metadata, dict) else {}
    if not _absent(metadata.get("name")) or not _absent(metadata.get("generateName")):
        return None
    metadata["name"] = unique_name(urn, _urn_name(urn) + "-")
    annotations = metadata.get("annotations")
    if annotations != UNKNOWN:
        metadata["annotations"] = {
            **(annotations if isinstance(annotations, dict) else {}),
            AUTONAMED_ANNOTATION: "true",
        }
    return {"metadata": metadata}


class SdkInputs:
    """Whether a resource type takes an input, read from the program's own provider SDK (the class the
    program constructed), so the rule follows the pulumi-aws version the program uses."""

    def __init__(self) -> None:
        self._params: dict[str, frozenset[str]] = {}

    def __call__(self, type_: str, name: str) -> bool:
        if type_ not in self._params:
            self._params[type_] = self._lookup(type_)
        return name in self._params[type_]

    @staticmethod
    def _lookup(type_: str) -> frozenset[str]:
        import importlib

        from pulumi.runtime import rpc

        package, module, _ = type_.split(":", 2)
        for registered in rpc._RESOURCE_MODULES.get(f"{package}:{module}", []):
            info = getattr(registered, "mod_info", None)
            if not isinstance(info, dict) or type_ not in info.get("classes", {}):
                continue
            cls = getattr(importlib.import_module(info["fqn"]), info["classes"][type_], None)
            init = getattr(cls, "_internal_init", None)
            if init is not None:
                return frozenset(inspect.signature(init).parameters)
        return frozenset()


def autoname(type_: str, urn: str, props: dict[str, Any], has_input: Callable[[str, str], bool]) -> dict | None:
    """The top-level properties the resource's provider adds in Check, or None."""
    if type_.startswith("aws:"):
        return aws_autoname(type_, urn, props, has_input)
    if type_.startswith("kubernetes:"):
        return kubernetes_autoname(type_, urn, props)
    return None
