"""A boto3 session that can only make the reads the audit needs.

Every API call passes botocore's ``before-call`` event, which fires after the parameters are built and
before the request is signed or sent. The hook refuses any operation outside :data:`ALLOWED_OPERATIONS`,
so a write can never leave the process, whatever the credentials allow. The allow-list is exact rather
than a name prefix: some ``Get*`` operations are not reads (``sts:GetSessionToken`` mints credentials,
``kms:GetParametersForImport`` issues an import token, ``ec2:GetPasswordData`` reveals a password).
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

READ_PREFIXES = ("BatchGet", "Describe", "Get", "List", "Lookup")
"""Every allowed operation starts with one of these (tests/audit/test_session.py asserts it)."""

ALLOWED_OPERATIONS: dict[str, frozenset[str]] = {
    "eks": frozenset(
        {
            "ListClusters",
            "DescribeCluster",
            "ListNodegroups",
            "DescribeNodegroup",
            "ListAccessEntries",
            "ListAssociatedAccessPolicies",
            "ListAddons",
            "DescribeAddon",
            "DescribeAddonVersions",
            "ListFargateProfiles",
            "DescribeFargateProfile",
            "ListPodIdentityAssociations",
            "DescribePodIdentityAssociation",
        }
    ),
    "ec2": frozenset(
        {
            "DescribeRegions",
            "DescribeLaunchTemplateVersions",
            "DescribeSecurityGroups",
            "DescribeSubnets",
            "DescribeNetworkAcls",
            "GetEbsEncryptionByDefault",
            "GetInstanceMetadataDefaults",
        }
    ),
    "autoscaling": frozenset({"DescribeAutoScalingGroups"}),
    "ecr": frozenset(
        {
            "DescribeRepositories",
            "GetRepositoryPolicy",
            "GetLifecyclePolicy",
            "GetRegistryPolicy",
            "GetRegistryScanningConfiguration",
        }
    ),
    "guardduty": frozenset({"ListDetectors", "GetDetector"}),
    "inspector2": frozenset({"BatchGetAccountStatus"}),
    "efs": frozenset({"DescribeFileSystems"}),
    "logs": frozenset({"DescribeLogGroups"}),
    "ssm": frozenset({"GetParameterHistory"}),
    "cloudtrail": frozenset({"DescribeTrails", "GetTrailStatus"}),
    "s3": frozenset({"GetPublicAccessBlock"}),
    "s3control": frozenset({"GetPublicAccessBlock"}),
    "kms": frozenset({"DescribeKey", "GetKeyRotationStatus"}),
    "sts": frozenset({"GetCallerIdentity"}),
    "iam": frozenset(
        {"GetRole", "ListAttachedRolePolicies", "ListRolePolicies", "GetRolePolicy", "GetPolicy", "GetPolicyVersion"}
    ),
}
RETRY_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 8}, connect_timeout=10, read_timeout=30)


class WriteRefusedError(PermissionError):
    """The audit tried an operation outside its read allow-list; it was refused before signing."""

    def __init__(self, service: str, operation: str) -> None:
        allowed = ", ".join(sorted(ALLOWED_OPERATIONS.get(service, ()))) or "none"
        super().__init__(
            f"eksguard audit is read-only: {service}:{operation} refused before signing "
            f"(allowed {service} operations: {allowed})"
        )
        self.service = service
        self.operation = operation


def is_allowed(service: str, operation: str) -> bool:
    return operation in ALLOWED_OPERATIONS.get(service, frozenset())


def _refuse_writes(model: Any, **_: Any) -> None:
    service = model.service_model.service_name
    if not is_allowed(service, model.name):
        raise WriteRefusedError(service, model.name)


class ReadOnlySession:
    """Creates read-only clients, with adaptive retries, for one credential source and endpoint."""

    def __init__(
        self,
        profile: str | None = None,
        endpoint_url: str | None = None,
        boto_session: boto3.Session | None = None,
        config: Config | None = None,
    ) -> None:
        self.boto_session = boto_session or boto3.Session(profile_name=profile)
        self.boto_session.events.register("before-call.*.*", _refuse_writes, unique_id="eksguard-read-only")
        self.endpoint_url = endpoint_url
        self.config = RETRY_CONFIG.merge(config) if config else RETRY_CONFIG
        self._lock = threading.Lock()  # boto3 sessions are not thread-safe; the clients they make are
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        """The session's client for ``service`` in ``region`` (made once: making one costs tens of ms)."""
        with self._lock:
            if (service, region) not in self._clients:
                self._clients[service, region] = self.boto_session.client(
                    service, region_name=region, endpoint_url=self.endpoint_url, config=self.config
                )
            return self._clients[service, region]
