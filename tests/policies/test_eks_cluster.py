"""aws:eks/cluster:Cluster controls over the real protocol: a compliant baseline, one change per case."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from eksguard.protocol.analyzer import Resource
from eksguard.protocol.wire import UNKNOWN, Secret

from .cases import Case, StackCase, case, run_case, run_stack_case, stack_case
from .pack_driver import resource, urn_for

CLUSTER = "aws:eks/cluster:Cluster"
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/0d9b5b2c-1111-2222-3333-444455556666"
AS_OF = {"eks-version-standard-support": {"asOf": "2026-11-28"}}
LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

BASELINE: dict[str, Any] = {
    "name": "prod",
    "roleArn": "arn:aws:iam::111122223333:role/prod-cluster",
    "version": "1.35",
    "vpcConfig": {
        "subnetIds": ["subnet-a", "subnet-b"],
        "endpointPrivateAccess": True,
        "endpointPublicAccess": False,
    },
    "enabledClusterLogTypes": LOG_TYPES,
    "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY_ARN}},
    "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
    "deletionProtection": True,
}


def cluster(**changes: Any) -> dict[str, Any]:
    """The baseline with top-level fields replaced (None removes the field); ``vpc`` / ``access`` patch nested maps."""
    props = copy.deepcopy(BASELINE)
    for key, value in changes.items():
        if key in ("vpc", "access"):
            field = "vpcConfig" if key == "vpc" else "accessConfig"
            for k, v in value.items():
                if v is None:
                    props[field].pop(k, None)
                else:
                    props[field][k] = v
        elif value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return props


def c(id: str, props: dict[str, Any], violations: set[str] = frozenset(), **kw: Any) -> Case:
    kw.setdefault("config", AS_OF)
    return case(id, CLUSTER, props, violations, **kw)


PUBLIC = "eks-endpoint-public-access"
OPEN = "eks-public-access-cidrs-open"
LOGS = "eks-control-plane-logging"
SECRETS = "eks-secrets-encryption"
VERSION = "eks-version-standard-support"
AUTH = "eks-authentication-mode"
BOOTSTRAP = "eks-bootstrap-cluster-creator-admin"
PRIVATE = "eks-endpoint-private-access"
DELETION = "eks-deletion-protection"

CASES = [
    c("cluster-baseline", cluster()),
    # endpoint
    c("cluster-public-default", cluster(vpc={"endpointPublicAccess": None}), {PUBLIC, OPEN}),
    c("cluster-public-no-cidrs", cluster(vpc={"endpointPublicAccess": True}), {PUBLIC, OPEN}),
    c(
        "cluster-public-restricted",
        cluster(vpc={"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]}),
        {PUBLIC},
    ),
    c(
        "cluster-public-open-v4",
        cluster(vpc={"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24", "0.0.0.0/0"]}),
        {PUBLIC, OPEN},
    ),
    c(
        "cluster-public-open-v6",
        cluster(vpc={"endpointPublicAccess": True, "publicAccessCidrs": ["::/0"]}),
        {PUBLIC, OPEN},
    ),
    c(
        "cluster-public-cidrs-string",
        cluster(vpc={"endpointPublicAccess": True, "publicAccessCidrs": "0.0.0.0/0"}),
        {PUBLIC, OPEN},
    ),
    c("cluster-private-open-cidrs-ignored", cluster(vpc={"publicAccessCidrs": ["0.0.0.0/0"]})),
    c("cluster-public-flag-string", cluster(vpc={"endpointPublicAccess": "maybe"}), {PUBLIC, OPEN}),
    c("cluster-no-vpc-config", cluster(vpcConfig=None), {PUBLIC, OPEN, PRIVATE}),
    # private endpoint
    c("cluster-private-default", cluster(vpc={"endpointPrivateAccess": None}), {PRIVATE}),
    c(
        "cluster-private-off-public-restricted",
        cluster(
            vpc={"endpointPrivateAccess": False, "endpointPublicAccess": True, "publicAccessCidrs": ["10.0.0.0/8"]}
        ),
        {PUBLIC, PRIVATE},
    ),
    c("cluster-private-flag-string", cluster(vpc={"endpointPrivateAccess": "true"})),
    c("cluster-private-flag-garbage", cluster(vpc={"endpointPrivateAccess": 1.0}), {PRIVATE}),
    c("cluster-private-unknown", cluster(vpc={"endpointPrivateAccess": UNKNOWN}), not_checkable={PRIVATE}),
    # deletion protection
    c("cluster-deletion-protection-default", cluster(deletionProtection=None), {DELETION}),
    c("cluster-deletion-protection-off", cluster(deletionProtection=False), {DELETION}),
    c("cluster-deletion-protection-garbage", cluster(deletionProtection="sure"), {DELETION}),
    c("cluster-deletion-protection-unknown", cluster(deletionProtection=UNKNOWN), not_checkable={DELETION}),
    c("cluster-public-unknown", cluster(vpc={"endpointPublicAccess": UNKNOWN}), not_checkable={PUBLIC, OPEN}),
    c(
        "cluster-public-cidrs-unknown",
        cluster(vpc={"endpointPublicAccess": True, "publicAccessCidrs": UNKNOWN}),
        {PUBLIC},
        not_checkable={OPEN},
    ),
    c(
        "cluster-public-cidrs-open-and-unknown",
        cluster(vpc={"endpointPublicAccess": True, "publicAccessCidrs": [UNKNOWN, "0.0.0.0/0"]}),
        {PUBLIC, OPEN},
    ),
    c(
        "cluster-public-cidrs-private-and-unknown",
        cluster(vpc={"endpointPublicAccess": True, "publicAccessCidrs": ["10.0.0.0/8", UNKNOWN]}),
        {PUBLIC},
        not_checkable={OPEN},
    ),
    # control-plane logs
    c("cluster-logs-all-and-unknown", cluster(enabledClusterLogTypes=[*LOG_TYPES, UNKNOWN])),
    c("cluster-logs-some-unknown", cluster(enabledClusterLogTypes=["api", UNKNOWN]), not_checkable={LOGS}),
    c("cluster-logs-missing", cluster(enabledClusterLogTypes=None), {LOGS}),
    c("cluster-logs-partial", cluster(enabledClusterLogTypes=["api", "audit"]), {LOGS}),
    c("cluster-logs-not-list", cluster(enabledClusterLogTypes="api"), {LOGS}),
    c("cluster-logs-unknown", cluster(enabledClusterLogTypes=UNKNOWN), not_checkable={LOGS}),
    c("cluster-logs-extra-order", cluster(enabledClusterLogTypes=[*reversed(LOG_TYPES), 42.0])),
    # secrets encryption
    c("cluster-no-encryption", cluster(encryptionConfig=None), {SECRETS}),
    c(
        "cluster-encryption-no-secrets",
        cluster(encryptionConfig={"resources": [], "provider": {"keyArn": KEY_ARN}}),
        {SECRETS},
    ),
    c("cluster-encryption-no-key", cluster(encryptionConfig={"resources": ["secrets"], "provider": {}}), {SECRETS}),
    c(
        "cluster-encryption-empty-key",
        cluster(encryptionConfig={"resources": ["secrets"], "provider": {"keyArn": ""}}),
        {SECRETS},
    ),
    c("cluster-encryption-garbage", cluster(encryptionConfig="yes"), {SECRETS}),
    c(
        "cluster-encryption-key-unknown",
        cluster(encryptionConfig={"resources": ["secrets"], "provider": {"keyArn": UNKNOWN}}),
    ),
    c(
        "cluster-encryption-key-secret",
        cluster(encryptionConfig={"resources": ["secrets"], "provider": {"keyArn": Secret(KEY_ARN)}}),
    ),
    c(
        "cluster-encryption-list-form",
        cluster(encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": KEY_ARN}}]),
    ),
    c(
        "cluster-encryption-resources-unknown",
        cluster(encryptionConfig={"resources": UNKNOWN, "provider": {"keyArn": KEY_ARN}}),
        not_checkable={SECRETS},
    ),
    # version
    c("cluster-version-default", cluster(version=None)),
    c("cluster-version-old", cluster(version="1.31"), {VERSION}),
    c("cluster-version-float", cluster(version=1.34)),
    c("cluster-version-unknown-to-eksguard", cluster(version="1.99"), {VERSION}),
    c("cluster-version-garbage", cluster(version=["1.35"]), {VERSION}),
    c("cluster-version-as-of-later", cluster(version="1.34"), {VERSION}, config={VERSION: {"asOf": "2026-12-02"}}),
    c("cluster-version-as-of-invalid", cluster(version="1.31"), config={VERSION: {"asOf": "not-a-date"}}),
    c("cluster-version-unknown", cluster(version=UNKNOWN), not_checkable={VERSION}),
    # authentication mode
    c("cluster-auth-default", cluster(accessConfig=None), {AUTH, BOOTSTRAP}),
    c("cluster-auth-config-map", cluster(access={"authenticationMode": "CONFIG_MAP"}), {AUTH}),
    c("cluster-auth-mixed", cluster(access={"authenticationMode": "API_AND_CONFIG_MAP"}), {AUTH}),
    c(
        "cluster-auth-mixed-allowed",
        cluster(access={"authenticationMode": "API_AND_CONFIG_MAP"}),
        config={**AS_OF, AUTH: {"allowApiAndConfigMap": True}},
    ),
    c("cluster-auth-bogus", cluster(access={"authenticationMode": "LDAP"}), {AUTH}),
    c("cluster-auth-unknown", cluster(access={"authenticationMode": UNKNOWN}), not_checkable={AUTH}),
    # creator bootstrap
    c("cluster-bootstrap-default", cluster(access={"bootstrapClusterCreatorAdminPermissions": None}), {BOOTSTRAP}),
    c("cluster-bootstrap-true", cluster(access={"bootstrapClusterCreatorAdminPermissions": True}), {BOOTSTRAP}),
    c("cluster-bootstrap-garbage", cluster(access={"bootstrapClusterCreatorAdminPermissions": 1.0}), {BOOTSTRAP}),
    # everything wrong at once
    c("cluster-empty", {}, {PUBLIC, OPEN, LOGS, SECRETS, AUTH, BOOTSTRAP, PRIVATE, DELETION}),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_cluster_case(pack, c: Case) -> None:
    run_case(pack, c)


def test_messages_name_field_and_value(pack) -> None:
    props = cluster(vpc={"endpointPublicAccess": True, "publicAccessCidrs": ["10.0.0.0/8", "0.0.0.0/0"]})
    props["enabledClusterLogTypes"] = ["api"]
    with pack.configured(AS_OF):
        messages = {d.policy: d.message.splitlines()[-1] for d in pack.analyze(CLUSTER, props)}
    assert (
        messages[OPEN] == "vpcConfig.publicAccessCidrs contains 0.0.0.0/0: the public endpoint is open to the internet"
    )
    assert messages[LOGS] == "enabledClusterLogTypes lacks audit, authenticator, controllerManager, scheduler"


def test_logging_remediation_adds_missing_types_and_keeps_the_rest(pack) -> None:
    props = cluster(enabledClusterLogTypes=["audit"])
    props["tags"] = {"team": "platform"}
    with pack.configured({**AS_OF, LOGS: "remediate"}):
        fixed = pack.remediate(CLUSTER, props)
        assert pack.remediate(CLUSTER, cluster()) is None  # already compliant: nothing to change
    assert fixed == {
        **props,
        "enabledClusterLogTypes": ["audit", "api", "authenticator", "controllerManager", "scheduler"],
    }
    assert LOGS not in pack.violations(CLUSTER, fixed)


def test_private_access_and_deletion_protection_messages(pack) -> None:
    props = cluster(vpc={"endpointPrivateAccess": None}, deletionProtection=False)
    with pack.configured(AS_OF):
        messages = {d.policy: d.message.splitlines()[-1] for d in pack.analyze(CLUSTER, props)}
    assert messages == {
        PRIVATE: "vpcConfig.endpointPrivateAccess is not set (AWS default false): nodes and in-VPC clients reach the "
        "API server only through its public endpoint, over the internet",
        DELETION: "deletionProtection is false: one DeleteCluster call (or pulumi destroy) removes the cluster",
    }


def test_deletion_protection_remediation_turns_it_on_and_nothing_else(pack) -> None:
    props = cluster(deletionProtection=None)
    with pack.configured({**AS_OF, DELETION: "remediate"}):
        fixed = pack.remediate(CLUSTER, props)
        assert pack.remediate(CLUSTER, cluster()) is None
    assert fixed == {**props, "deletionProtection": True}
    assert DELETION not in pack.violations(CLUSTER, fixed)


# --- the control-plane log group: a stack fact (the cluster and its log group) --------------------------------
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_GROUP_CONTROL = "eks-control-plane-log-group"
GROUP_OK = {"name": "/aws/eks/prod/cluster", "retentionInDays": 365, "kmsKeyId": KEY_ARN}


def log_group(group: Any = "/aws/eks/prod/cluster", deps: list[str] | None = None, **changes: Any) -> Resource:
    """A log group named ``group`` (its ``name``), with GROUP_OK's settings changed (None removes one)."""
    props = {k: v for k, v in {**GROUP_OK, "name": group, **changes}.items() if v is not None}
    return resource(LOG_GROUP, props, "logs", property_dependencies={"name": deps} if deps else {})


PROD = resource(CLUSTER, cluster(), "prod-eks")
LOGS_URN = urn_for(LOG_GROUP, "logs")
# aws-node with its own identity, so these stacks break nothing but what each case changes (eks-addon-identity)
CNI = resource(
    "aws:eks/addon:Addon",
    {
        "clusterName": UNKNOWN,
        "addonName": "vpc-cni",
        "podIdentityAssociations": [{"roleArn": UNKNOWN, "serviceAccount": "aws-node"}],
    },
    "prod-vpc-cni",
    property_dependencies={"clusterName": [PROD.urn]},
)


# a cluster in a stack that declares no trail, GuardDuty or Inspector: account-level, not checkable offline
ACCOUNT_SERVICES = {"stack-multi-region-trail", "stack-guardduty-eks-protection", "stack-inspector-scanning"}


def lg(id: str, resources: list[Resource], violations: set[tuple[str, str]] = frozenset(), **kw: Any) -> StackCase:
    has_cluster = any(r.type == CLUSTER for r in resources)
    kw.setdefault("offline", ACCOUNT_SERVICES if has_cluster else set())
    return stack_case(id, [*resources, CNI] if has_cluster else resources, violations, **kw)


STACK_CASES = [
    lg("log-group-declared", [log_group(), PROD]),
    lg("log-group-missing", [PROD], {(LOG_GROUP_CONTROL, PROD.urn)}),
    lg("log-group-other-cluster", [log_group("/aws/eks/dev/cluster"), PROD], {(LOG_GROUP_CONTROL, PROD.urn)}),
    lg("log-group-no-retention", [log_group(retentionInDays=None), PROD], {(LOG_GROUP_CONTROL, LOGS_URN)}),
    lg("log-group-never-expires", [log_group(retentionInDays=0), PROD], {(LOG_GROUP_CONTROL, LOGS_URN)}),
    lg("log-group-short-retention", [log_group(retentionInDays=30), PROD], {(LOG_GROUP_CONTROL, LOGS_URN)}),
    lg(
        "log-group-short-retention-allowed",
        [log_group(retentionInDays=30), PROD],
        config={LOG_GROUP_CONTROL: {"minRetentionDays": 30}},
    ),
    lg("log-group-no-key", [log_group(kmsKeyId=None), PROD], {(LOG_GROUP_CONTROL, LOGS_URN)}),
    lg("log-group-key-unknown", [log_group(kmsKeyId=UNKNOWN), PROD]),
    lg(
        "log-group-named-from-the-cluster",
        [resource(CLUSTER, cluster(name=UNKNOWN), "prod-eks"), log_group(UNKNOWN, deps=[PROD.urn])],
    ),
    lg("log-group-name-unknown-elsewhere", [PROD, log_group(UNKNOWN)], not_checkable={LOG_GROUP_CONTROL}),
    lg("log-group-cluster-sends-no-logs", [resource(CLUSTER, cluster(enabledClusterLogTypes=None), "prod-eks")]),
    lg("log-group-no-cluster", [log_group()]),
]


@pytest.mark.parametrize("c", STACK_CASES, ids=lambda c: c.id)
def test_log_group_stack_case(pack, c: StackCase) -> None:
    reasons = run_stack_case(pack, c)
    if c.id == "log-group-cluster-sends-no-logs":
        assert (
            reasons[LOG_GROUP_CONTROL] == "the stack's clusters send no control-plane logs (eks-control-plane-logging)"
        )


def test_log_group_messages(pack) -> None:
    found = pack.process.analyze_stack([PROD]).diagnostics
    assert [d.message.splitlines()[-1] for d in found if d.policy == LOG_GROUP_CONTROL] == [
        "cluster prod-eks sends control-plane logs, but the stack declares no log group /aws/eks/prod/cluster: EKS "
        "creates it itself, never expiring and without a KMS key of yours; declare it before the cluster with "
        "retentionInDays and kmsKeyId"
    ]
