"""A moto server on 127.0.0.1 (real HTTP), fake credentials, and helpers to reach the server as an account.

Only 127.0.0.1 is ever contacted: every client gets the server's endpoint, and the credentials are fake.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import boto3
import pytest

from tests.moto_server import moto_server

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",  # AdministratorAccess and the EKS node policies
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",  # the audit reads no AMI; loading them costs seconds per region
}


@pytest.fixture(scope="package", autouse=True)
def fake_aws_environment() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        for name, value in FAKE_AWS_ENV.items():
            patch.setenv(name, value)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        yield


@pytest.fixture(scope="module")
def endpoint(fake_aws_environment: None) -> Iterator[str]:
    with moto_server() as url:
        yield url


def account_session(endpoint: str, account_id: str) -> boto3.Session:
    """A boto3 session whose credentials moto maps to ``account_id`` (moto keys STS credentials by account)."""
    sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1")
    role = f"arn:aws:iam::{account_id}:role/auditor"
    creds = sts.assume_role(RoleArn=role, RoleSessionName="eksguard-test")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


@pytest.fixture(scope="session")
def pack():
    """One eksguard pack per test worker, started as the Pulumi CLI starts it and configured as the audit does."""
    from tests.audit.helpers import started_pack

    with started_pack() as run:
        yield run
