"""The remediation plan of a finding: the eksguard component that fixes it, the ``pulumi import`` command
that brings the existing AWS resource under the stack's management, and a component call with the
observed values.

Argument names are checked against the component's args dataclass, read from its source with ``ast``
(importing the components would load the Pulumi SDKs into the audit); unknown names become comments.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path
from typing import Any

from eksguard.audit.checks import RawFinding
from eksguard.audit.controls import IMPORT_TYPES

COMPONENTS_DIR = Path(__file__).resolve().parents[2] / "components"
COMPONENT_MODULES = {
    "Cluster": "cluster",
    "DataPlaneSecurityGroups": "security_groups",
    "NetworkControls": "network",
    "NodeGroup": "nodegroup",
    "AccessControl": "access",
    "AuditTrail": "audit_trail",
    "Baseline": "baseline",
}


@functools.cache
def component_arguments(class_name: str, components_dir: Path = COMPONENTS_DIR) -> frozenset[str] | None:
    """Field names of ``<class_name>Args`` in its component module; None when the module is not there."""
    module = COMPONENT_MODULES.get(class_name)
    path = components_dir / f"{module}.py" if module else None
    if path is None or not path.is_file():
        return None
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == f"{class_name}Args":
            return frozenset(
                item.target.id
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            )
    return None


def pulumi_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-").lower() or "imported"


def import_command(finding: RawFinding) -> str:
    type_token = IMPORT_TYPES.get(finding.kind, "")
    if not type_token or not finding.import_id:
        return ""
    return f"pulumi import {type_token} {pulumi_name(finding.name)} {finding.import_id}"


def component_snippet(component_token: str, finding: RawFinding) -> str:
    class_name = component_token.rsplit(":", 1)[-1]
    module = COMPONENT_MODULES.get(class_name, class_name.lower())
    known = component_arguments(class_name)
    lines = [f"from components.{module} import {class_name}, {class_name}Args", ""]
    arguments, comments = [], []
    for key, value in finding.observed.items():
        if value in (None, "", [], {}):
            continue
        if known is None or key in known:
            arguments.append(f"        {key}={value!r},")
        else:
            comments.append(f"# observed {key}={value!r} ({class_name}Args has no such argument)")
    if known is None:
        comments.insert(0, f"# components/{module}.py not found: argument names not verified")
    variable = re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()
    lines += comments
    name = pulumi_name(finding.component_name or finding.name)
    lines.append(f'{variable} = {class_name}(\n    "{name}",\n    {class_name}Args(')
    lines += arguments
    lines.append("    ),\n)")
    return "\n".join(lines)


def plan(component_token: str, finding: RawFinding) -> dict[str, Any]:
    return {
        "component": component_token,
        "import_type": IMPORT_TYPES.get(finding.kind, ""),
        "import_id": finding.import_id,
        "import_command": import_command(finding),
        "snippet": component_snippet(component_token, finding),
    }
