"""AMI release lag against the public parameters' history."""

from __future__ import annotations

import datetime as dt

import pytest

from eksguard.audit.aws.amis import ami_parameter, release_lag

TODAY = dt.date(2026, 11, 28)


def _history(*values: tuple[str, str]) -> list[dict]:
    return [{"Value": v, "LastModifiedDate": dt.datetime.fromisoformat(d).replace(tzinfo=dt.UTC)} for v, d in values]


AL2023 = _history(
    ("1.35.0-20261001", "2026-10-02"), ("1.35.1-20261101", "2026-11-02"), ("1.35.2-20261120", "2026-11-21")
)
BOTTLEROCKET = _history(
    ("1.49.0-5f7c6ac5", "2026-10-01"), ("1.50.0-1a2b3c4d", "2026-10-20"), ("1.51.0-9e8d7c6b", "2026-11-10")
)


@pytest.mark.parametrize(
    ("current", "history", "expected"),
    [
        ("1.35.2-20261120", AL2023, None),
        ("1.35.1-20261101", AL2023, (1, 19)),
        ("1.35.0-20261001", AL2023, (2, 50)),
        ("1.34.9-20260801", AL2023, (3, 111)),  # older than anything in the history
        ("1.51.0-9e8d7c6b", BOTTLEROCKET, None),
        ("1.50.0-1a2b3c4d", BOTTLEROCKET, (1, 18)),  # days since the first newer release was published
        ("1.49.0-5f7c6ac5", BOTTLEROCKET, (2, 39)),
        ("1.35.2-20261120", [], None),
    ],
)
def test_release_lag(current, history, expected):
    lag = release_lag(current, history, TODAY)
    assert (None if lag is None else (lag.releases_behind, lag.days_behind)) == expected


@pytest.mark.parametrize(
    ("ami_type", "version", "expected"),
    [
        (
            "AL2023_x86_64_STANDARD",
            "1.35",
            "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/release_version",
        ),
        (
            "AL2023_ARM_64_STANDARD",
            "1.34",
            "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/arm64/standard/recommended/release_version",
        ),
        ("BOTTLEROCKET_x86_64", "1.35", "/aws/service/bottlerocket/aws-k8s-1.35/x86_64/latest/image_version"),
        ("BOTTLEROCKET_ARM_64", "1.35", "/aws/service/bottlerocket/aws-k8s-1.35/arm64/latest/image_version"),
        ("AL2_x86_64", "1.32", None),
        ("CUSTOM", "1.35", None),
        ("AL2023_x86_64_STANDARD", "", None),
    ],
)
def test_ami_parameter(ami_type, version, expected):
    assert ami_parameter(ami_type, version) == expected
