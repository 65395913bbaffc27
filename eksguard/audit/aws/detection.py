"""GuardDuty detectors with their features and the account's Amazon Inspector scanning, as the declarations that
would manage them: aws:guardduty/detector:Detector, aws:guardduty/detectorFeature:DetectorFeature (one per feature
GetDetector reports; the detector's deprecated ``datasources`` are left out, the features say the same) and an
aws:inspector2/enabler:Enabler for the resource types Inspector scans in the region (none when it scans nothing).

ListDetectors, GetDetector (a region has at most one detector) and BatchGetAccountStatus per region.
"""

from __future__ import annotations

from typing import Any

from eksguard.audit.aws.context import RegionRead
from eksguard.audit.aws.reads import guarded, paginate
from eksguard.audit.aws.types import DETECTOR, DETECTOR_FEATURE, INSPECTOR_ENABLER
from eksguard.audit.live import LiveResource, pruned

ENABLED = "ENABLED"
INSPECTOR_RESOURCE_TYPES = {"ec2": "EC2", "ecr": "ECR", "lambda": "LAMBDA", "lambdaCode": "LAMBDA_CODE"}
"""BatchGetAccountStatus resourceState keys -> the Enabler's resourceTypes."""


def read_detectors(ctx: RegionRead) -> None:
    guardduty = ctx.client("guardduty")
    for detector_id in paginate(guardduty, "list_detectors", "DetectorIds"):
        detector = guardduty.get_detector(DetectorId=detector_id)
        props = pruned(
            {
                "enable": detector.get("Status") == ENABLED,
                "findingPublishingFrequency": detector.get("FindingPublishingFrequency"),
                "tags": detector.get("Tags"),
                "region": ctx.region,
            }
        )
        ctx.inventory.add(LiveResource(DETECTOR, detector_id, ctx.region, props))
        for feature in detector.get("Features") or []:
            name = feature.get("Name")
            if not name:
                continue
            live = LiveResource(
                DETECTOR_FEATURE,
                f"{detector_id}/{name}",
                ctx.region,
                pruned(
                    {
                        "detectorId": detector_id,
                        "name": name,
                        "status": feature.get("Status"),
                        "additionalConfigurations": [
                            {"name": extra.get("Name"), "status": extra.get("Status")}
                            for extra in feature.get("AdditionalConfiguration") or []
                        ],
                        "region": ctx.region,
                    }
                ),
            )
            live.refer("detectorId", DETECTOR, ctx.region, detector_id)
            ctx.inventory.add(live)


def read_inspector(ctx: RegionRead) -> None:
    account = ctx.inventory.account
    answer = guarded(
        ctx.inventory,
        ctx.region,
        {INSPECTOR_ENABLER},
        lambda: ctx.client("inspector2").batch_get_account_status(accountIds=[account]),
    )
    state: dict[str, Any] = next(
        (a.get("resourceState") or {} for a in (answer or {}).get("accounts") or [] if a.get("accountId") == account),
        {},
    )
    scanned = [t for key, t in INSPECTOR_RESOURCE_TYPES.items() if (state.get(key) or {}).get("status") == ENABLED]
    if scanned:
        props = {"accountIds": [account], "resourceTypes": scanned, "region": ctx.region}
        ctx.inventory.add(LiveResource(INSPECTOR_ENABLER, account, ctx.region, props, arn=account))
