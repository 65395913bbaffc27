"""The customer managed KMS keys the clusters (Secrets encryption) and trails use, as aws:kms/key:Key.

AWS managed keys are left out: no declaration can manage them. Rotation is read only for keys that can
rotate automatically (symmetric encryption keys outside custom key stores,
docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eksguard.audit.aws.reads import guarded
from eksguard.audit.aws.types import KMS_KEY
from eksguard.audit.live import Inventory, LiveResource, pruned
from eksguard.audit.session import ReadOnlySession


def key_region(key: str, default: str) -> str:
    parts = key.split(":")
    return parts[3] if key.startswith("arn:") and len(parts) > 3 and parts[3] else default


def read_keys(session: ReadOnlySession, region: str, inventory: Inventory, keys: Mapping[str, dict[str, Any]]) -> None:
    """``keys``: key ARN (or id) -> observed component arguments."""
    for key, observed in sorted(keys.items()):
        home = key_region(key, region)
        kms = session.client("kms", home)
        guarded(inventory, home, {KMS_KEY}, lambda k=key, c=kms, h=home, o=observed: _read_key(c, inventory, k, h, o))


def _read_key(kms: Any, inventory: Inventory, key: str, region: str, observed: dict[str, Any]) -> None:
    meta = kms.describe_key(KeyId=key)["KeyMetadata"]
    if meta.get("KeyManager", "CUSTOMER") != "CUSTOMER":
        return
    spec, usage = meta.get("KeySpec", "SYMMETRIC_DEFAULT"), meta.get("KeyUsage", "ENCRYPT_DECRYPT")
    rotation: dict[str, Any] = {}
    if spec == "SYMMETRIC_DEFAULT" and usage == "ENCRYPT_DECRYPT" and not meta.get("CustomKeyStoreId"):
        rotation = kms.get_key_rotation_status(KeyId=meta["KeyId"])
    props = pruned(
        {
            "description": meta.get("Description"),
            "keyUsage": usage,
            "customerMasterKeySpec": spec,
            "customKeyStoreId": meta.get("CustomKeyStoreId"),
            "enableKeyRotation": rotation.get("KeyRotationEnabled"),
            "rotationPeriodInDays": rotation.get("RotationPeriodInDays"),
            "isEnabled": meta.get("Enabled"),
            "multiRegion": meta.get("MultiRegion"),
            "region": region,
        }
    )
    arn = meta.get("Arn", key)
    inventory.add(
        LiveResource(KMS_KEY, meta["KeyId"], region, props, arn=arn, observed={"kms_key_arn": arn, **observed})
    )
