"""Recognising literal credentials in a container's environment and arguments, without ever showing them.

A credential is named (an environment variable or a command-line flag whose words say password, secret, token,
API key, access key, private key or credentials, and whose last word does not say it only points at one, like
DB_PASSWORD_FILE or TOKEN_URL) or shaped (an AWS access key id, a PEM private key, a GitHub token). Callers report
where it is and which kind, never the value.
"""

from __future__ import annotations

import itertools
import re

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
CREDENTIAL_WORDS = frozenset(
    {"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "TOKENS", "APIKEY", "CREDENTIAL", "CREDENTIALS"}
)
CREDENTIAL_PAIRS = frozenset({("API", "KEY"), ("ACCESS", "KEY"), ("PRIVATE", "KEY"), ("SIGNING", "KEY")})
POINTER_WORDS = frozenset(
    {
        "FILE",
        "PATH",
        "DIR",
        "URL",
        "URI",
        "ENDPOINT",
        "HOST",
        "ARN",
        "NAME",
        "ID",
        "REF",
        "KIND",
        "TYPE",
        "LENGTH",
        "TTL",
        "TIMEOUT",
        "EXPIRY",
        "EXPIRATION",
        "ENABLED",
        "HEADER",
        "ISSUER",
        "AUDIENCE",
        "VERSION",
        "COUNT",
    }
)
VALUE_SHAPES = (
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,})\b")),
)
_REFERENCE = re.compile(r"^\$\([A-Za-z_][A-Za-z0-9_]*\)$")


def words(name: str) -> list[str]:
    return [w.upper() for w in _WORDS.findall(name)]


def is_credential_name(name: str) -> bool:
    parts = words(name)
    if not parts or parts[-1] in POINTER_WORDS:
        return False
    pairs = itertools.pairwise(parts)
    return any(p in CREDENTIAL_WORDS for p in parts) or any(pair in CREDENTIAL_PAIRS for pair in pairs)


def value_shape(value: str) -> str | None:
    """Which kind of credential ``value`` contains, or None."""
    return next((kind for kind, pattern in VALUE_SHAPES if pattern.search(value)), None)


def is_literal(value: str) -> bool:
    """A value that holds data, not nothing or a reference to another variable ($(VAR))."""
    return bool(value.strip()) and not _REFERENCE.match(value.strip())


def flag_credential(args: list[str], i: int) -> str | None:
    """The credential-named flag that ``args[i]`` gives a value to (``--password=x``, or ``--password x``)."""
    item = args[i]
    if item.startswith("-") and "=" in item:
        flag, _, value = item.partition("=")
        return flag if is_credential_name(flag) and is_literal(value) else None
    if i > 0 and args[i - 1].startswith("-") and "=" not in args[i - 1] and not item.startswith("-"):
        return args[i - 1] if is_credential_name(args[i - 1]) and is_literal(item) else None
    return None
