"""Reading what a node's user data tells its kubelet, and the credentials it carries.

EKS nodes are configured at boot from EC2 user data, in the form their AMI family reads
(https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html#launch-template-user-data):

- Amazon Linux 2023: nodeadm ``NodeConfig`` documents (``node.eks.aws/v1alpha1``), in MIME multi-part sections of
  type ``application/node.eks.aws`` or as the whole user data; ``spec.kubelet.config`` is a KubeletConfiguration,
  ``spec.kubelet.flags`` kubelet command-line flags (https://awslabs.github.io/amazon-eks-ami/nodeadm/);
- Bottlerocket: TOML settings, ``[settings.kubernetes]`` (https://bottlerocket.dev/en/os/latest/api/settings/kubernetes/);
- Amazon Linux 2: a shell script calling ``/etc/eks/bootstrap.sh ... --kubelet-extra-args '<flags>'``.

Only what the user data sets is read: whatever it leaves unset keeps the EKS AMI's kubelet configuration
(anonymous auth off, Webhook authorization, no read-only port, certificate rotation on). The settings come out
under one name per concern (:data:`ANONYMOUS`, ...) with where they were found, for the rules to judge.
Credentials are found by name and by shape (rules/_credentials.py) and described by where they are, never by value.
"""

from __future__ import annotations

import base64
import binascii
import email
import functools
import gzip
import re
import shlex
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from ._credentials import is_credential_name, is_literal, value_shape

ANONYMOUS = "anonymous-auth"
AUTHORIZATION = "authorization-mode"
READ_ONLY_PORT = "read-only-port"
ROTATE_CLIENT = "rotate-certificates"
ROTATE_SERVER = "rotate-server-certificates"
SERVER_CERT_GATE = "RotateKubeletServerCertificate"
EVENT_QPS = "event-qps"
STANDALONE = "standalone-mode"
"""Bottlerocket's standalone mode: a kubelet without an API server, with anonymous auth and AlwaysAllow
(the aws-k8s variants' kubelet-config template)."""

_BOOLEAN_FLAGS = frozenset({ANONYMOUS, ROTATE_CLIENT, ROTATE_SERVER})
_FLAG_NAMES = {
    ANONYMOUS: ANONYMOUS,
    AUTHORIZATION: AUTHORIZATION,
    READ_ONLY_PORT: READ_ONLY_PORT,
    ROTATE_CLIENT: ROTATE_CLIENT,
    ROTATE_SERVER: ROTATE_SERVER,
    EVENT_QPS: EVENT_QPS,
}
# KubeletConfiguration (kubelet.config.k8s.io/v1beta1) paths of the same settings.
_CONFIG_PATHS = {
    ("authentication", "anonymous", "enabled"): ANONYMOUS,
    ("authorization", "mode"): AUTHORIZATION,
    ("readOnlyPort",): READ_ONLY_PORT,
    ("rotateCertificates",): ROTATE_CLIENT,
    ("serverTLSBootstrap",): ROTATE_SERVER,
    ("featureGates", SERVER_CERT_GATE): SERVER_CERT_GATE,
    ("eventRecordQPS",): EVENT_QPS,
}
# Bottlerocket settings.kubernetes keys of the same settings (settings.kubernetes.server-tls-bootstrap: the kubelet
# requests its serving certificate from the API server, and renews it).
_BOTTLEROCKET_KEYS = {"server-tls-bootstrap": ROTATE_SERVER, "event-qps": EVENT_QPS, STANDALONE: STANDALONE}

NODEADM_CONTENT_TYPE = "application/node.eks.aws"
_KUBELET_EXTRA_ARGS = "--kubelet-extra-args"
_ASSIGNMENT = re.compile(
    r"""^\s*(?:export\s+|-\s+)?["']?(?P<name>[A-Za-z_][\w.-]*)["']?\s*(?P<op>=|:)\s*(?P<value>.*?)\s*$"""
)


@dataclass(frozen=True)
class Setting:
    key: str
    """One of the names above."""
    value: Any
    where: str
    """Where it was found, for messages (never a credential)."""


@dataclass(frozen=True)
class Boot:
    """What a node's boot configuration says: kubelet settings and where credentials sit."""

    settings: tuple[Setting, ...] = ()
    credentials: tuple[str, ...] = ()

    def __add__(self, other: Boot) -> Boot:
        return Boot(self.settings + other.settings, self.credentials + other.credentials)

    def of(self, *keys: str) -> list[Setting]:
        return [s for s in self.settings if s.key in keys]


# --- decoding ---------------------------------------------------------------------------------------------
def decoded(value: str) -> str:
    """User data as text: base64 decoded when it is base64 (launch templates require it), gunzipped when
    compressed; otherwise the text itself."""
    raw: bytes | None = None
    compact = "".join(value.split())
    if compact and len(compact) % 4 == 0:
        try:
            raw = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None:
        return value
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError):
            return value
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return value


# --- the three forms -----------------------------------------------------------------------------------------
def flags(text: Any, where: str) -> list[Setting]:
    """Kubelet command-line flags (a string or a list of strings): ``--flag=value``, ``--flag value``, and the
    boolean flags alone (``--anonymous-auth`` means true)."""
    if isinstance(text, str):
        try:
            tokens = shlex.split(text)
        except ValueError:
            tokens = text.split()
    elif isinstance(text, list | tuple):
        tokens = [t for item in text if isinstance(item, str) for t in (shlex.split(item) if item else [])]
    else:
        return []
    found: list[Setting] = []
    for i, token in enumerate(tokens):
        if not token.startswith("--"):
            continue
        name, has_value, value = token[2:].partition("=")
        if name == "feature-gates":
            value = value if has_value else (tokens[i + 1] if i + 1 < len(tokens) else "")
            found.extend(_feature_gates(value, f"{where} --feature-gates"))
            continue
        key = _FLAG_NAMES.get(name)
        if key is None:
            continue
        if not has_value:
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            if key in _BOOLEAN_FLAGS or following is None or following.startswith("--"):
                value = "true" if key in _BOOLEAN_FLAGS else ""
            else:
                value = following
        found.append(Setting(key, value, f"{where} --{name}"))
    return found


def _feature_gates(value: str, where: str) -> list[Setting]:
    found = []
    for gate in value.split(","):
        name, _, enabled = gate.strip().partition("=")
        if name == SERVER_CERT_GATE:
            found.append(Setting(SERVER_CERT_GATE, enabled, f"{where} {SERVER_CERT_GATE}"))
    return found


def kubelet_config(config: Any, where: str) -> list[Setting]:
    """The settings a KubeletConfiguration object sets."""
    found = []
    for path, key in _CONFIG_PATHS.items():
        value: Any = config
        for step in path:
            value = value.get(step) if isinstance(value, Mapping) else None
        if value is not None:
            found.append(Setting(key, value, f"{where} {'.'.join(path)}"))
    return found


def node_config(document: Any, where: str) -> list[Setting]:
    """A nodeadm NodeConfig: its kubelet config and flags."""
    kubelet = document.get("spec", {}).get("kubelet") if isinstance(document, Mapping) else None
    if not isinstance(kubelet, Mapping):
        return []
    found = kubelet_config(kubelet.get("config"), f"{where} spec.kubelet.config")
    return found + flags(kubelet.get("flags"), f"{where} spec.kubelet.flags")


def bottlerocket(settings: Any, where: str) -> list[Setting]:
    """Bottlerocket settings, with or without the top-level ``settings`` table."""
    if isinstance(settings, Mapping) and isinstance(settings.get("settings"), Mapping):
        settings = settings["settings"]
    kubernetes = settings.get("kubernetes") if isinstance(settings, Mapping) else None
    if not isinstance(kubernetes, Mapping):
        return []
    return [
        Setting(key, kubernetes[name], f"{where} settings.kubernetes.{name}")
        for name, key in _BOTTLEROCKET_KEYS.items()
        if kubernetes.get(name) is not None
    ]


def shell(text: str, where: str) -> list[Setting]:
    """The kubelet flags a shell script hands bootstrap.sh in ``--kubelet-extra-args``."""
    found: list[Setting] = []
    for line in text.replace("\\\n", " ").splitlines():
        if _KUBELET_EXTRA_ARGS not in line:
            continue
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            continue
        for i, token in enumerate(tokens):
            if token == _KUBELET_EXTRA_ARGS and i + 1 < len(tokens):
                found += flags(tokens[i + 1], f"{where} bootstrap.sh {_KUBELET_EXTRA_ARGS}")
            elif token.startswith(f"{_KUBELET_EXTRA_ARGS}="):
                found += flags(token.partition("=")[2], f"{where} bootstrap.sh {_KUBELET_EXTRA_ARGS}")
    return found


# --- credentials ---------------------------------------------------------------------------------------------
def _reference(value: str) -> bool:
    """A value that is not the credential itself: a variable, a command's output, nothing."""
    stripped = value.strip().strip("\"'")
    return not is_literal(stripped) or stripped.startswith("$") or "$(" in stripped or "${" in stripped


def credentials(text: str, where: str) -> list[str]:
    """Where ``text`` holds a credential: an assignment (shell, YAML, TOML) or flag whose name says credential and
    whose value is a literal, or a value shaped like one. Never the value."""
    found: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        shape = value_shape(line)
        named = _named_credential(line)
        if named:
            found.append(f"{named} ({where} line {number})")
        elif shape:
            found.append(f"{shape} ({where} line {number})")
    return found


def _named_credential(line: str) -> str | None:
    match = _ASSIGNMENT.match(line)
    if match and is_credential_name(match["name"].rsplit(".", 1)[-1]) and not _reference(match["value"]):
        return match["name"]
    if "--" in line:
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            tokens = line.split()
        for i, token in enumerate(tokens):
            if not token.startswith("--"):
                continue
            flag, has_value, value = token.partition("=")
            if not has_value and i + 1 < len(tokens) and not tokens[i + 1].startswith("-"):
                value, has_value = tokens[i + 1], True
            if has_value and is_credential_name(flag.lstrip("-")) and not _reference(value):
                return flag
    return None


def mapping_credentials(value: Any, where: str, path: str = "") -> list[str]:
    """Credential-named keys with literal string values in a settings object (Bottlerocket settings)."""
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(item, str) and is_credential_name(str(key)) and not _reference(item):
                found.append(f"{here} ({where})")
            elif isinstance(item, str) and value_shape(item):
                found.append(f"{value_shape(item)} in {here} ({where})")
            else:
                found += mapping_credentials(item, where, here)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found += mapping_credentials(item, where, f"{path}[{i}]")
    return found


# --- whole user data -----------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def user_data(value: str, where: str) -> Boot:
    """Everything ``value`` (user data as EC2 takes it: base64 or text) tells the kubelet, and its credentials."""
    text = decoded(value)
    parts = list(_mime_parts(text)) if _is_mime(text) else [("", text)]
    boot = Boot()
    for number, (content_type, body) in enumerate(parts, start=1):
        label = f"{where} part {number}" if len(parts) > 1 else where
        boot += section(content_type, body, label)
    return boot


def section(content_type: str, body: str, where: str) -> Boot:
    """One piece of user data, read as its content type says (or as its content looks when untyped)."""
    settings: list[Setting] = []
    document = _yaml(body) if content_type == NODEADM_CONTENT_TYPE or not content_type else None
    if isinstance(document, Mapping) and document.get("kind") == "NodeConfig":
        settings = node_config(document, f"{where} (NodeConfig)")
    elif not content_type and not body.lstrip().startswith("#!") and (toml := _toml(body)) is not None:
        settings = bottlerocket(toml, f"{where} (Bottlerocket)")
    else:
        settings = shell(body, where)
    return Boot(tuple(settings), tuple(credentials(body, where)))


def _is_mime(text: str) -> bool:
    head = text.lstrip()[:300].lower()
    return head.startswith("mime-version:") or head.startswith("content-type: multipart/")


def _mime_parts(text: str) -> Iterator[tuple[str, str]]:
    message = email.message_from_string(text.lstrip())
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        body = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(part.get_payload())
        yield part.get_content_type(), body


def _yaml(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _toml(text: str) -> Mapping[str, Any] | None:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    return document if isinstance(document.get("settings"), Mapping) else None
