"""Storage encryption (rules/storage.py) over the real protocol: EBS StorageClasses and EFS file systems."""

from __future__ import annotations

from typing import Any

import pytest

from eksguard.protocol.wire import UNKNOWN

from .cases import Case, case, run_case

STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
EFS = "aws:efs/fileSystem:FileSystem"
ENCRYPTED = "storage-encrypted"


def storage_class(provisioner: Any = "ebs.csi.aws.com", **parameters: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "gp3"},
        "provisioner": provisioner,
        "parameters": {"type": "gp3", **parameters},
        "volumeBindingMode": "WaitForFirstConsumer",
    }


CASES: list[Case] = [
    case("sc-encrypted", STORAGE_CLASS, storage_class(encrypted="true")),
    case("sc-encrypted-upper", STORAGE_CLASS, storage_class(encrypted="True", kmsKeyId="arn:aws:kms:x:1:key/k")),
    case("sc-missing", STORAGE_CLASS, storage_class(), {ENCRYPTED}),
    case("sc-false", STORAGE_CLASS, storage_class(encrypted="false"), {ENCRYPTED}),
    case("sc-in-tree", STORAGE_CLASS, storage_class("kubernetes.io/aws-ebs"), {ENCRYPTED}),
    case("sc-auto-mode", STORAGE_CLASS, storage_class("ebs.csi.eks.amazonaws.com", encrypted="true")),
    case("sc-efs-provisioner", STORAGE_CLASS, storage_class("efs.csi.aws.com")),
    case("sc-parameters-unknown", STORAGE_CLASS, {**storage_class(), "parameters": UNKNOWN}, not_checkable={ENCRYPTED}),
    case("sc-parameters-string", STORAGE_CLASS, {**storage_class(), "parameters": "encrypted=true"}, {ENCRYPTED}),
    case("efs-encrypted", EFS, {"encrypted": True, "kmsKeyId": UNKNOWN}),
    case("efs-default", EFS, {"performanceMode": "generalPurpose"}, {ENCRYPTED}),
    case("efs-false", EFS, {"encrypted": False}, {ENCRYPTED}),
    case("efs-unknown", EFS, {"encrypted": UNKNOWN}, not_checkable={ENCRYPTED}),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_storage_case(pack, c: Case) -> None:
    run_case(pack, c)


def test_remediation_encrypts_an_ebs_class_only_when_unset(pack) -> None:
    with pack.configured({ENCRYPTED: "remediate"}):
        fixed = pack.remediate(STORAGE_CLASS, storage_class())
        explicit = pack.remediate(STORAGE_CLASS, storage_class(encrypted="false"))
        efs = pack.remediate(EFS, {"encrypted": False})
    assert fixed["parameters"] == {"type": "gp3", "encrypted": "true"}
    assert explicit is None and efs is None


def test_other_provisioners_are_not_applicable(pack) -> None:
    reasons = pack.not_applicable(STORAGE_CLASS, storage_class("efs.csi.aws.com"))
    assert reasons[ENCRYPTED] == "provisioner 'efs.csi.aws.com' is not an EBS provisioner: its backing store decides"
