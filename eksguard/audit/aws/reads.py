"""Guarded, paginated reads: an AWS error becomes a gap (the resource types it would have produced are not
assessed there) and the other reads go on."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from eksguard.audit.live import Inventory

FILTER_CHUNK = 200  # EC2 accepts up to 200 values per filter
MAX_REASON = 160
T = TypeVar("T")


def describe_error(exc: Exception) -> str:
    """``<operation>: <code>: <message>`` of an AWS error (HTML error pages reduced to their text)."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code") or str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?"))
        return f"{exc.operation_name}: {code}: {_text(err.get('Message', ''))}".strip()
    return f"{type(exc).__name__}: {_text(exc)}"


def _text(message: object) -> str:
    text = " ".join(re.sub(r"<[^>]*>", " ", str(message)).split())
    return text[: MAX_REASON - 3] + "..." if len(text) > MAX_REASON else text


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def guarded(
    inventory: Inventory,
    where: str,
    types: Iterable[str],
    action: Callable[[], T],
    cluster: tuple[str, str] | None = None,
) -> T | None:
    """``action()``, or None with a gap for ``types`` in ``where`` (of ``cluster``, see ``Gap.cluster``) when AWS
    refuses or fails (an answer botocore cannot parse, such as an HTML error page from a proxy or an emulator, is a
    failure too)."""
    try:
        return action()
    except (ClientError, BotoCoreError, ResponseParserError) as exc:
        inventory.gap(where, describe_error(exc), types, cluster)
        return None


def paginate(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, [])


def chunks(items: Iterable[str], size: int = FILTER_CHUNK) -> Iterator[list[str]]:
    ordered = sorted(set(items))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def tags(entries: Any) -> dict[str, str]:
    """EC2's ``[{"Key", "Value"}]`` tags as the map a declaration gives."""
    return {t["Key"]: t.get("Value", "") for t in entries or [] if isinstance(t, dict) and "Key" in t}
