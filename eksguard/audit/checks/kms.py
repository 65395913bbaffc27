"""Customer managed KMS keys: automatic rotation."""

from __future__ import annotations

from eksguard.audit import controls as c
from eksguard.audit.checks.model import Evaluation, RawFinding
from eksguard.audit.collect import RegionInventory


def check_kms(ev: Evaluation, inv: RegionInventory) -> None:
    """Automatic rotation of every rotatable key in the region."""
    for key, record in inv.kms_keys.items():
        if record["KeyRotationEnabled"] is None:  # AWS managed, asymmetric or custom key store: not rotatable
            continue
        ev.count(c.KMS_ROTATION)
        if not record["KeyRotationEnabled"]:
            key_id = key.rsplit("/", 1)[-1]
            args = {"kms_key_arn": key}
            message = "automatic key rotation is disabled"
            ev.add(RawFinding(c.KMS_ROTATION, key, message, inv.region, "kms_key", key_id, key_id, args))
