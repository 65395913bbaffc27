"""Shared reading of EC2 networking values for the nodes, security group and network ACL rules.

Wire numbers are floats (``22.0``), protocols come as names or IANA numbers (``"tcp"``, ``"6"``, ``"-1"``,
``"all"``), and CIDRs may be malformed. These helpers normalise them without ever raising, and
:class:`Verdict` lets a rule report every definite violation even when some other value is unknown.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .. import values

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALL_TRAFFIC = "all"
_PROTOCOL_NUMBERS = {"-1": ALL_TRAFFIC, "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
PORTED_PROTOCOLS = ("tcp", "udp")
ALL_PORTS = (0, 65535)


class Verdict:
    """Collects violation messages; an unknown value only matters when no definite violation was found."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self._unknown: UnknownValueError | None = None

    @contextmanager
    def checking(self) -> Iterator[None]:
        """Run one independent check; an unknown value inside it is remembered, not raised."""
        try:
            yield
        except UnknownValueError as exc:
            self.note(exc)

    def note(self, exc: UnknownValueError) -> None:
        """Remember an unknown value met outside :meth:`checking`."""
        if self._unknown is None:
            self._unknown = exc

    def add(self, message: Any) -> None:
        self.messages.append(message)

    def done(self) -> list[Any]:
        """The messages; with none, the verdict depends on the unknown value (if any), so raise it."""
        if not self.messages and self._unknown is not None:
            raise self._unknown
        return self.messages


def as_int(value: Any) -> int | None:
    """An integral wire number (``22.0``) or numeric string as int; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return int(number) if number.is_integer() else None
    return None


def show(value: Any) -> str:
    """A value as a message shows it: integral floats as ints, strings quoted."""
    if isinstance(value, bool):
        return str(value).lower()
    number = as_int(value) if isinstance(value, float) else None
    if number is not None:
        return str(number)
    return values.show(value)


def protocol_name(value: Any) -> str | None:
    """``"all"``, ``"tcp"``, ``"udp"``, ``"icmp"``... from a name or number; None when missing or odd."""
    number = as_int(value)
    if number is not None:
        return _PROTOCOL_NUMBERS.get(str(number), str(number))
    if not isinstance(value, str) or not value.strip():
        return None
    name = value.strip().lower()
    return ALL_TRAFFIC if name == "all" else name


def port_span(protocol: str | None, from_port: Any, to_port: Any) -> tuple[int, int] | None:
    """The port range a rule opens: every port for all traffic; None for protocols without ports.
    A missing bound of a tcp/udp rule is read as the widest range (AWS rejects such a rule anyway)."""
    if protocol == ALL_TRAFFIC:
        return ALL_PORTS
    if protocol not in PORTED_PROTOCOLS:
        return None
    low, high = as_int(from_port), as_int(to_port)
    low = ALL_PORTS[0] if low is None or low < 0 else low
    high = ALL_PORTS[1] if high is None or high < 0 else high
    return (low, high)


def traffic_text(protocol: str | None, span: tuple[int, int] | None) -> str:
    if protocol == ALL_TRAFFIC:
        return "all traffic"
    if span is None:
        return protocol or "unknown protocol"
    low, high = span
    return f"{protocol} {low}" if low == high else f"{protocol} {low}-{high}"


def covers_tcp_port(protocol: str | None, span: tuple[int, int] | None, port: int) -> bool:
    if protocol == ALL_TRAFFIC:
        return True
    return protocol == "tcp" and span is not None and span[0] <= port <= span[1]


def network(value: Any) -> IpNetwork | None:
    """A CIDR string as a network (host bits allowed); None when not a CIDR."""
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


def is_internet(net: IpNetwork | None) -> bool:
    """0.0.0.0/0 or ::/0 (in any spelling): every address of the family."""
    return net is not None and net.prefixlen == 0


def within(net: IpNetwork, trusted: Iterable[IpNetwork]) -> bool:
    return any(net.version == t.version and net.subnet_of(t) for t in trusted)  # type: ignore[arg-type]


def networks(values: Any) -> list[IpNetwork]:
    """The valid CIDRs of a config list (others skipped)."""
    if not isinstance(values, list | tuple):
        return []
    return list(_networks(tuple(v if isinstance(v, str) else None for v in values)))


@functools.lru_cache(maxsize=64)
def _networks(values: tuple[str | None, ...]) -> tuple[IpNetwork, ...]:
    # parsed once per config value (a rule reads its config list for every security group rule)
    return tuple(net for net in (network(v) for v in values) if net is not None)


def port_set(values: Any) -> frozenset[int]:
    if not isinstance(values, list | tuple):
        return frozenset()
    return frozenset(p for p in (as_int(v) for v in values) if p is not None)
