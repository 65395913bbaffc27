"""ThreatDetection: the account's managed threat detection and vulnerability scanning for EKS.

GuardDuty: one detector per account and region, with EKS audit log monitoring (the clusters' Kubernetes audit logs:
anonymous access, RBAC privilege escalation, known-malicious callers) and Runtime Monitoring with EKS add-on
management, so GuardDuty deploys and updates its security agent on every cluster's nodes
(https://docs.aws.amazon.com/guardduty/latest/ug/runtime-monitoring-configuration.html). The unified
RUNTIME_MONITORING feature is used (EKS_RUNTIME_MONITORING is its EKS-only predecessor; the two are exclusive).

Amazon Inspector: EC2 scanning (the nodes' operating system packages) and ECR scanning (the images), continuous
as new vulnerabilities are published (https://docs.aws.amazon.com/inspector/latest/user/scanning-resources.html).

Both are account-level and often run by an organization's delegated administrator: where they are, leave the part
that is managed there off (guardduty=False, inspector=False).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
import pulumi_aws as aws
from eksguard_policies import facts

from components._common import InvalidArgumentError, coerce_args, require_choice, type_token
from components.iam import aws_account

_C = "ThreatDetection"
FINDING_FREQUENCIES = ("FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS")
INSPECTOR_SCANS = facts.INSPECTOR_EKS_SCANS
OPTIONAL_INSPECTOR_SCANS = ("LAMBDA", "LAMBDA_CODE")
# Detector features this component turns on, with their additional configurations
# (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_DetectorFeatureConfiguration.html).
RUNTIME_MONITORING, _ = facts.GUARDDUTY_RUNTIME_MONITORING  # the unified feature, not the EKS-only predecessor
GUARDDUTY_FEATURES: dict[str, tuple[str, ...]] = {
    facts.GUARDDUTY_EKS_AUDIT_LOGS: (),
    RUNTIME_MONITORING: (facts.GUARDDUTY_AGENT_MANAGEMENT,),
}


@dataclass
class ThreatDetectionArgs:
    guardduty: bool = True
    """Create the account's GuardDuty detector (one per account and region) with EKS audit log monitoring and
    Runtime Monitoring with EKS add-on management. False where another stack or the organization manages it."""
    finding_publishing_frequency: str = "FIFTEEN_MINUTES"
    """How often GuardDuty publishes updates of findings: FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS."""
    inspector: bool = True
    """Enable Amazon Inspector EC2 and ECR scanning for this account. False where another stack or the organization
    manages it."""
    additional_inspector_scans: list[str] = field(default_factory=list)
    """Opt-in: also scan LAMBDA functions and/or LAMBDA_CODE."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags for the GuardDuty detector."""


class ThreatDetection(pulumi.ComponentResource):
    """GuardDuty with EKS audit log and runtime monitoring, and Amazon Inspector scanning of nodes and images."""

    detector_id: pulumi.Output[Optional[str]]  # noqa: UP045 (the schema analyzer reads Optional)
    """The GuardDuty detector (none when guardduty is off)."""
    inspector_scans: pulumi.Output[list[str]]
    """The resource types Inspector scans (none when inspector is off)."""

    def __init__(
        self, name: str, args: ThreatDetectionArgs | None = None, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args = coerce_args(ThreatDetectionArgs, args)
        validate(name, args)
        super().__init__(type_token(ThreatDetection), name, None, opts)
        self._name = name
        self._args = args

        detector = self._create_guardduty() if args.guardduty else None
        scans = [*INSPECTOR_SCANS, *args.additional_inspector_scans] if args.inspector else []
        if scans:
            self._create_inspector(scans)

        self.detector_id = detector.id if detector else pulumi.Output.from_input(None)
        self.inspector_scans = pulumi.Output.from_input(scans)
        self.register_outputs({"detector_id": self.detector_id, "inspector_scans": self.inspector_scans})

    def _opts(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _create_guardduty(self) -> aws.guardduty.Detector:
        detector = aws.guardduty.Detector(
            f"{self._name}-detector",
            enable=True,
            finding_publishing_frequency=self._args.finding_publishing_frequency,
            tags=self._args.tags,
            opts=self._opts(),
        )
        for feature, additional in GUARDDUTY_FEATURES.items():
            aws.guardduty.DetectorFeature(
                f"{self._name}-{feature.lower().replace('_', '-')}",
                detector_id=detector.id,
                name=feature,
                status="ENABLED",
                additional_configurations=[
                    aws.guardduty.DetectorFeatureAdditionalConfigurationArgs(name=extra, status="ENABLED")
                    for extra in additional
                ]
                or None,
                opts=self._opts(),
            )
        return detector

    def _create_inspector(self, scans: list[str]) -> aws.inspector2.Enabler:
        return aws.inspector2.Enabler(
            f"{self._name}-inspector",
            account_ids=[aws_account(self).apply(lambda a: a.id)],
            resource_types=scans,
            opts=self._opts(),
        )


def validate(name: str, args: ThreatDetectionArgs) -> None:
    """Raise the InvalidArgumentError that ``ThreatDetection(name, args)`` would raise, registering nothing."""
    for flag in ("guardduty", "inspector"):
        if not isinstance(getattr(args, flag), bool):
            raise InvalidArgumentError(_C, flag, f"is {getattr(args, flag)!r}", (True, False))
    if not args.guardduty and not args.inspector:
        raise InvalidArgumentError(
            _C, [("guardduty", "inspector")], "are both false: nothing to create", "at least one true"
        )
    require_choice(_C, "finding_publishing_frequency", args.finding_publishing_frequency, FINDING_FREQUENCIES)
    extra = args.additional_inspector_scans
    if not isinstance(extra, list):
        raise InvalidArgumentError(_C, "additional_inspector_scans", f"is {extra!r}", OPTIONAL_INSPECTOR_SCANS)
    for i, scan in enumerate(extra):
        require_choice(_C, ("additional_inspector_scans", i), scan, OPTIONAL_INSPECTOR_SCANS)
        if extra.index(scan) != i:
            raise InvalidArgumentError(_C, ("additional_inspector_scans", i), f"repeats {scan!r}", "each at most once")
    if extra and not args.inspector:
        raise InvalidArgumentError(
            _C, "additional_inspector_scans", "is set but inspector is false", "unset, or inspector true"
        )
