"""The policy configuration the audit judges with: the same file, in Pulumi's ``--policy-pack-config`` format,
that ``check`` takes.

The file is validated against the config schemas the pack publishes (its GetAnalyzerInfo answer, built here
in-process) and filled in with the schema defaults exactly as ``check`` does, so both commands apply the same
enforcement levels, thresholds and exemptions.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eksguard_policies.catalogue import default_catalogue
from eksguard_policies.pack import PACK_NAME, build
from eksguard_policies.servicer import TypeDispatchingServicer
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel

from eksguard.judge.policy_config import read_policy_config, validate_policy_config
from eksguard.protocol.analyzer import config_with_defaults

PackConfig = dict[str, dict[str, Any]]
"""Policy name -> ``{"enforcementLevel": ..., <setting>: ..., "exemptions": [...]}``."""
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def pack_info() -> analyzer_pb2.AnalyzerInfo:
    servicer = TypeDispatchingServicer(PACK_NAME, "0.0.0", build(), EnforcementLevel.ADVISORY)
    return servicer.GetAnalyzerInfo(empty_pb2.Empty(), None)


def load_pack_config(path: Path | None = None) -> PackConfig:
    """Every policy's settings: schema defaults, overlaid with ``path`` (UsageError when it is invalid)."""
    user = read_policy_config(path) if path is not None else {}
    if user:
        validate_policy_config(user, pack_info(), path)  # type: ignore[arg-type]
    config = config_with_defaults(pack_info(), user)
    # Account-level controls are advisory in the pack because a stack may rely on a service declared elsewhere;
    # the audit asks the account itself, so unless configured otherwise they keep their severity's level.
    for cid, control in default_catalogue().items():
        given = user.get(cid) or user.get("all")
        if control.account_level and control.mandatory_by_default and given is None:
            config[cid]["enforcementLevel"] = "mandatory"
    return config


@dataclass(frozen=True)
class Thresholds:
    """The pack settings the audit's checks judge with (names as in the pack's config schemas; the wire
    carries numbers as floats)."""

    allowed_public_ports: frozenset[int]
    trusted_networks: tuple[Network, ...]
    admin_ports: tuple[int, ...]
    max_ami_age_days: int
    allow_api_and_config_map: bool
    broad_principals: tuple[str, ...]

    @classmethod
    def from_config(cls, config: Mapping[str, Mapping[str, Any]]) -> Thresholds:
        return cls(
            allowed_public_ports=frozenset(int(p) for p in config["sg-open-ingress"]["allowedPublicPorts"]),
            trusted_networks=tuple(
                ipaddress.ip_network(cidr, strict=False) for cidr in config["sg-kubelet-exposed"]["trustedCidrs"]
            ),
            admin_ports=tuple(int(p) for p in config["nacl-admin-ports-open"]["adminPorts"]),
            max_ami_age_days=int(config["nodegroup-ami-age"]["maxAmiAgeDays"]),
            allow_api_and_config_map=bool(config["eks-authentication-mode"]["allowApiAndConfigMap"]),
            broad_principals=tuple(config["access-policy-cluster-admin-broad"]["broadPrincipals"]),
        )

    @classmethod
    def defaults(cls) -> Thresholds:
        return cls.from_config(load_pack_config())
