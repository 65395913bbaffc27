"""The remediation plan of a finding: the eksguard component that fixes it, the ``pulumi import`` command that
brings the live resource under a stack (its type token and import id), and a component call with the observed
values.

Argument names are checked against the component's args dataclass, read from its source with ``ast``
(importing the components would load the Pulumi SDKs into the audit); only known arguments are written.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path
from typing import Any

from eksguard_policies import facts

from eksguard.audit.live import LiveResource

COMPONENTS_DIR = Path(__file__).resolve().parents[2] / "components"


@functools.cache
def component_arguments(class_name: str, components_dir: Path = COMPONENTS_DIR) -> frozenset[str] | None:
    """Field names of ``<class_name>Args`` in its component module; None when the module is not there."""
    module = facts.COMPONENTS.get(class_name)
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


def import_command(live: LiveResource) -> str:
    import_id = live.import_id or live.name
    return f"pulumi import {live.type} {pulumi_name(live.name)} {import_id}"


def component_snippet(component_token: str, live: LiveResource) -> str:
    class_name = component_token.rsplit(":", 1)[-1]
    module = facts.COMPONENTS.get(class_name, class_name.lower())
    known = component_arguments(class_name)
    lines = [f"from components.{module} import {class_name}, {class_name}Args", ""]
    if known is None:
        lines.append(f"# components/{module}.py not found: argument names not verified")
    arguments = [
        f"        {key}={value!r},"
        for key, value in live.observed.items()
        if value not in (None, "", [], {}) and (known is None or key in known)
    ]
    variable = re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()
    name = pulumi_name(str(live.observed.get("cluster_name") or live.name))
    lines.append(f'{variable} = {class_name}(\n    "{name}",\n    {class_name}Args(')
    lines += arguments
    lines.append("    ),\n)")
    return "\n".join(lines)


def plan(component_token: str, live: LiveResource) -> dict[str, Any]:
    return {
        "component": component_token,
        "import_type": live.type,
        "import_id": live.import_id or live.name,
        "import_command": import_command(live),
        "snippet": component_snippet(component_token, live) if component_token else "",
        **live.fix_notes,
    }
