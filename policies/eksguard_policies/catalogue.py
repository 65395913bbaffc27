"""The control catalogue: the single source of truth for every eksguard control.

Controls live as data in ``controls/*.toml`` (one file per domain). The policy pack, the ``check``
reports and the live ``audit`` all read them through :func:`load_catalogue`; nothing restates them.
"""

from __future__ import annotations

import functools
import json
import string
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import facts

CONTROLS_DIR = Path(__file__).parent / "controls"

# The customer's six responsibility areas of the EKS shared responsibility model, in report order.
AREAS: Mapping[str, str] = {
    "data-plane-security-groups": "Data-plane security groups",
    "worker-nodes-containers": "Worker nodes and containers",
    "guest-os-patching": "Guest OS and patching",
    "network-controls": "Network controls",
    "platform-iam-rbac": "Platform IAM and RBAC",
    "audit-logging": "Audit logging",
}
SEVERITIES = ("critical", "high", "medium", "low")
TEXT_FIELDS = ("title", "description", "remediation")


class CatalogueError(ValueError):
    """The catalogue data is malformed."""


@dataclass(frozen=True)
class References:
    cis: tuple[str, ...] = ()
    """CIS Amazon EKS Benchmark v1.8.0 recommendation ids."""
    checkov: tuple[str, ...] = ()
    security_hub: tuple[str, ...] = ()
    prowler: tuple[str, ...] = ()
    """Prowler check ids, e.g. ``eks_cluster_not_publicly_accessible``."""
    kubescape: tuple[str, ...] = ()
    """Kubescape control ids, e.g. ``C-0017``."""


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    area: str
    severity: str
    description: str
    """The risk: what goes wrong when the control is not met."""
    remediation: str
    component: str
    """Type token (facts.component_token) of the eksguard component that implements the fix; the catalogue files
    name its class, ``component = "Cluster"``."""
    references: References = field(default_factory=References)
    remediable: bool = False
    """True when the policy pack can fix a violation automatically (level ``remediate``)."""
    account_level: bool = False
    """The control requires an account-level service (a trail, GuardDuty, Inspector) that is often declared in
    another stack: its policy is advisory whatever the severity and asks the account only when configured to
    (the live audit, which asks the account anyway, keeps the severity's level)."""

    @property
    def area_title(self) -> str:
        return AREAS[self.area]

    @property
    def mandatory_by_default(self) -> bool:
        return self.severity in ("critical", "high")


class Catalogue(Mapping[str, Control]):
    """Controls by id, in file then declaration order."""

    def __init__(self, controls: list[Control]) -> None:
        self._controls: dict[str, Control] = {}
        for control in controls:
            if control.id in self._controls:
                raise CatalogueError(f"control id {control.id!r} is declared twice")
            self._controls[control.id] = control

    def __getitem__(self, control_id: str) -> Control:
        return self._controls[control_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._controls)

    def __len__(self) -> int:
        return len(self._controls)

    def by_area(self) -> dict[str, list[Control]]:
        grouped: dict[str, list[Control]] = {area: [] for area in AREAS}
        for control in self._controls.values():
            grouped[control.area].append(control)
        return grouped


def fact_texts() -> dict[str, str]:
    """The facts a control's title, description and remediation may name as ``${name}``, written for people:
    ``${<admin port id>_port}`` (``${ssh_port}``, ``${kubelet_port}``, ...) and the ones below."""
    ports = {
        name: str(first) if first == last else f"{first}-{last}" for name, (first, last) in facts.ADMIN_PORTS.items()
    }
    return {
        **{f"{name}_port": shown for name, shown in ports.items()},
        "admin_ports": ", ".join(f"{name} {shown}" for name, shown in ports.items()),
        "al2_end_of_support": facts.AL2_END_OF_SUPPORT.isoformat(),
        "control_plane_log_types": ", ".join(facts.CONTROL_PLANE_LOG_TYPES),
        "al2023_release_parameter": facts.PATCHED_AMI_PARAMETERS["AL2023"].release("<k8s>", "<arch>"),
        "pod_security_enforce_label": facts.pod_security_label("enforce"),
        "vpc_cni_network_policy": json.dumps(facts.VPC_CNI_NETWORK_POLICY),
        "kubelet_max_minor_skew": str(facts.KUBELET_MAX_MINOR_SKEW),
    }


def _component_token(named: object, where: str) -> str:
    """The type token of the component a catalogue entry names by class (or by its full type token)."""
    name = named.removeprefix(facts.TYPE_TOKEN_PREFIX) if isinstance(named, str) else named
    if name not in facts.COMPONENTS:
        raise CatalogueError(f"{where}: component {named!r} is not one of {', '.join(facts.COMPONENTS)}")
    return facts.component_token(name)


def _parse_control(raw: dict, source: Path) -> Control:
    where = f"{source.name}: control {raw.get('id', '?')!r}"
    refs = raw.pop("references", {})
    try:
        for name in TEXT_FIELDS:
            if isinstance(raw.get(name), str):
                raw[name] = string.Template(raw[name]).substitute(fact_texts())
    except (KeyError, ValueError) as exc:
        raise CatalogueError(f"{where}: the text names no fact {exc} (see catalogue.fact_texts)") from None
    raw["component"] = _component_token(raw.get("component"), where)
    try:
        control = Control(**raw, references=References(**{k: tuple(v) for k, v in refs.items()}))
    except TypeError as exc:
        raise CatalogueError(f"{where}: {exc}") from None
    if control.area not in AREAS:
        raise CatalogueError(f"{where}: area {control.area!r} is not one of {', '.join(AREAS)}")
    if control.severity not in SEVERITIES:
        raise CatalogueError(f"{where}: severity {control.severity!r} is not one of {', '.join(SEVERITIES)}")
    return control


def load_catalogue(directory: Path = CONTROLS_DIR) -> Catalogue:
    """Read every ``*.toml`` file of the catalogue (each holds ``[[control]]`` tables)."""
    controls: list[Control] = []
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        controls.extend(_parse_control(dict(raw), path) for raw in data.get("control", []))
    return Catalogue(controls)


@functools.cache
def default_catalogue() -> Catalogue:
    """The packaged catalogue, read once per process on first use (not at import)."""
    return load_catalogue()
