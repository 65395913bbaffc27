"""Read-only AWS clients for the few rules that may ask the account (boto3 loads only when one is made).

The clients use the environment's credentials, region and endpoint settings (``AWS_ENDPOINT_URL`` and
``AWS_ENDPOINT_URL_<SERVICE>`` are honoured by botocore), short timeouts and two attempts: a policy must answer
within a preview, and an unreachable account is "not checkable offline", never a crash.
"""

from __future__ import annotations

from typing import Any


def aws_client(service: str, region: str, purpose: str) -> tuple[Any, str]:
    """(client, "") for ``service`` in ``region`` (empty: the environment's), or (None, why not) where the
    reason ends with ``purpose`` (e.g. "to look up image 'ami-0abc'")."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        return None, "boto3 is not installed in the policy pack's environment (policies/requirements.txt)"
    session = boto3.session.Session(region_name=region or None)
    if session.get_credentials() is None:
        return None, f"no AWS credentials {purpose}"
    if not session.region_name:
        return None, f"no AWS region {purpose} (set awsRegion)"
    config = Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2})
    return session.client(service, config=config), ""


def aws_errors() -> tuple[type[Exception], ...]:
    """The exceptions a failed AWS call raises (botocore's client and transport errors)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)
