"""The remediation pass of ``check``: policies at level ``remediate`` rewrite a resource's properties before
it is analyzed, and each rewrite is recorded property by property for the report."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from eksguard.engine import RecordedResource
from eksguard.protocol.analyzer import PolicyPackProcess
from eksguard.protocol.wire import to_wire
from eksguard.reporters.model import SourceLocation


@dataclass(frozen=True)
class PropertyChange:
    """One leaf property a remediation changed; ``path`` is dotted, ``(all)`` for the whole map."""

    path: str
    before: Any
    after: Any


@dataclass
class RemediationRecord:
    """What one policy's remediation changed on one resource."""

    urn: str
    policy: str
    pack: str
    changes: list[PropertyChange]
    location: SourceLocation | None = None


def remediate_resource(recorded: RecordedResource, process: PolicyPackProcess, pack: str) -> list[RemediationRecord]:
    """Apply each remediation the pack returns to ``recorded`` in turn (later analyses see the result)."""
    records: list[RemediationRecord] = []
    for remediation in process.remediate(recorded.resource):
        if remediation.properties is None:
            continue
        before = dict(recorded.resource.properties)
        after = to_wire(remediation.properties)
        recorded.resource = replace(recorded.resource, properties=after)
        records.append(
            RemediationRecord(
                urn=recorded.resource.urn,
                policy=remediation.policy,
                pack=pack,
                changes=list(_flatten_diff(before, after)),
                location=recorded.location,
            )
        )
    return records


def _flatten_diff(before: Any, after: Any, path: str = "") -> Iterator[PropertyChange]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            yield from _flatten_diff(before.get(key), after.get(key), f"{path}.{key}" if path else key)
    elif before != after:
        yield PropertyChange(path or "(all)", before, after)


def remediation_json(record: RemediationRecord) -> dict[str, Any]:
    """The record as the report's ``extra.remediations`` entry."""
    return {
        "resource": record.urn,
        "policy": record.policy,
        "pack": record.pack,
        "location": {"file": record.location.file, "line": record.location.line} if record.location else None,
        "changes": [{"path": c.path, "before": c.before, "after": c.after} for c in record.changes],
    }
