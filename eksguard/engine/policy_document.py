"""``aws:iam/getPolicyDocument:getPolicyDocument`` computed as the provider computes it: a pure function of its
arguments, so the IAM rules judge the document a program builds with ``aws.iam.get_policy_document``.

Follows terraform-provider-aws ``internal/service/iam/policy_document_data_source.go``
(``dataSourcePolicyDocumentRead``) and ``policy_model.go`` (the document model and its JSON marshalling):
version ``2012-10-17`` unless given; a statement's effect defaults to ``Allow``; a set of strings with one
element becomes that string, several become a list sorted in reverse; ``&{`` in resources, principals and
condition values becomes ``${``; principals are grouped by type (a lone ``{"*": ["*"]}`` is ``"*"``); condition
values keep their order, one value becomes a string; ``source_policy_documents`` are merged before the
statements and ``override_policy_documents`` after them, a statement replacing an earlier one with the same
Sid. ``json`` is Go's ``json.MarshalIndent(doc, "", "  ")``, ``minifiedJson`` its ``json.Marshal``, and ``id``
the CRC-32 of ``json`` (``create.StringHashcode``).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

TOKEN = "aws:iam/getPolicyDocument:getPolicyDocument"
DEFAULT_VERSION = "2012-10-17"
_STATEMENT_KEYS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal")


class PolicyDocumentError(ValueError):
    """The provider would refuse these arguments (the message is the provider's)."""


def _strings(value: Any, version: str, replace_vars: bool = True) -> Any:
    """A configured set of strings as the provider decodes it (``policyDecodeConfigStringList``)."""
    items = sorted({str(v) for v in value or ()}, reverse=True)
    if replace_vars:
        for item in items:
            if version == "2008-10-17" and "&{" in item:
                raise PolicyDocumentError(
                    f"found &{{ sequence in ({item}), which is not supported in document version 2008-10-17"
                )
        items = [item.replace("&{", "${") for item in items]
    if not items:
        return None
    return items[0] if len(items) == 1 else items


def _principals(blocks: Sequence[Mapping[str, Any]], version: str) -> Any:
    """``iamPolicyStatementPrincipalSet.MarshalJSON``."""
    if not blocks:
        return None
    decoded = [(str(b.get("type", "")), _strings(b.get("identifiers"), version)) for b in blocks]
    if len(decoded) == 1 and decoded[0][0] == "*" and decoded[0][1] in ("*", ["*"]):
        return "*"
    raw: dict[str, Any] = {}
    for kind, identifiers in decoded:
        existing = raw.get(kind)
        if isinstance(identifiers, list):
            merged = [] if existing is None else ([existing] if isinstance(existing, str) else existing)
            raw[kind] = merged + sorted(identifiers, reverse=True)
        elif existing is None:
            raw[kind] = identifiers
        else:
            raw[kind] = ([existing] if isinstance(existing, str) else existing) + [identifiers]
    return dict(sorted(raw.items()))


def _conditions(blocks: Sequence[Mapping[str, Any]], version: str) -> Any:
    """``iamPolicyStatementConditionSet.MarshalJSON``: values keep their order; one value is a string."""
    if not blocks:
        return None
    raw: dict[str, dict[str, list[str]]] = {}
    for block in blocks:
        values = [str(v) for v in block.get("values") or ()]
        for value in values:
            if version == "2008-10-17" and "&{" in value:
                raise PolicyDocumentError(
                    f"found &{{ sequence in ({value}), which is not supported in document version 2008-10-17"
                )
        raw.setdefault(str(block.get("test", "")), {}).setdefault(str(block.get("variable", "")), []).extend(
            v.replace("&{", "${") for v in values
        )
    return {
        test: {var: items[0] if len(items) == 1 else items for var, items in sorted(variables.items())}
        for test, variables in sorted(raw.items())
    }


def _statement(stmt: Mapping[str, Any], version: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Sid": stmt.get("sid") or None,
        "Effect": stmt.get("effect") or "Allow",
        "Action": _strings(stmt.get("actions"), version, replace_vars=False),
        "NotAction": _strings(stmt.get("notActions"), version, replace_vars=False),
        "Resource": _strings(stmt.get("resources"), version),
        "NotResource": _strings(stmt.get("notResources"), version),
        "Principal": _principals(stmt.get("principals") or (), version),
        "NotPrincipal": _principals(stmt.get("notPrincipals") or (), version),
        "Condition": _conditions(stmt.get("conditions") or (), version),
    }
    return {k: v for k, v in out.items() if v is not None}


def _parsed_document(text: str, what: str) -> dict[str, Any]:
    """A source or override document as the provider's model reads and writes it back."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyDocumentError(f"writing IAM Policy Document: merging {what}: {exc}") from None
    if not isinstance(doc, dict):
        raise PolicyDocumentError(f"writing IAM Policy Document: merging {what}: not a JSON object")
    statements = doc.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    return {
        "Version": doc.get("Version", ""),
        "Id": doc.get("Id", ""),
        "Statement": [_reparsed_statement(s) for s in statements if isinstance(s, dict)],
    }


def _reparsed_statement(stmt: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: stmt[k] for k in _STATEMENT_KEYS if stmt.get(k) not in (None, "", [], {})}
    for key in ("Principal", "NotPrincipal"):
        principal = out.get(key)
        if isinstance(principal, dict):
            # UnmarshalJSON sorts a list of identifiers; MarshalJSON writes it back in reverse order.
            out[key] = {k: sorted(v, reverse=True) if isinstance(v, list) else v for k, v in sorted(principal.items())}
        elif isinstance(principal, str):
            out[key] = "*"
    if isinstance(stmt.get("Condition"), dict) and stmt["Condition"]:
        out["Condition"] = {
            test: {var: _condition_value(v) for var, v in sorted(variables.items())}
            for test, variables in sorted(stmt["Condition"].items())
            if isinstance(variables, dict)
        }
    return out


def _condition_value(value: Any) -> Any:
    """A condition value read back by ``iamPolicyStatementConditionSet.UnmarshalJSON`` and written again."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _merge(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    """``iamPolicyDoc.Merge``."""
    if new.get("Id"):
        into["Id"] = new["Id"]
    if str(new.get("Version", "")) > str(into.get("Version", "")):
        into["Version"] = new["Version"]
    for statement in new.get("Statement", []):
        sid = statement.get("Sid")
        if sid:
            for i, existing in enumerate(into["Statement"]):
                if existing.get("Sid") == sid:
                    into["Statement"][i] = statement
                    break
            else:
                into["Statement"].append(statement)
        else:
            into["Statement"].append(statement)


def _go_json(value: Any, indent: str | None) -> str:
    """Go's encoding/json output: UTF-8 as is, but <, > and & escaped (HTML-safe), as json.Marshal writes them."""
    separators = (",", ": ") if indent is not None else (",", ":")
    text = json.dumps(value, indent=indent, ensure_ascii=False, separators=separators)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def policy_document(args: Mapping[str, Any]) -> dict[str, Any]:
    """The invoke's result for ``args`` (wire names, as the SDK sends them)."""
    version = str(args.get("version") or DEFAULT_VERSION)
    if version not in ("2008-10-17", "2012-10-17"):
        raise PolicyDocumentError(f'expected version to be one of ["2008-10-17" "2012-10-17"], got {version}')
    merged: dict[str, Any] = {"Version": "", "Id": "", "Statement": []}
    seen_sids: set[str] = set()
    for i, source in enumerate(args.get("sourcePolicyDocuments") or ()):
        if source is None:
            continue
        doc = _parsed_document(str(source), f"source document {i}")
        for j, stmt in enumerate(doc["Statement"]):
            sid = stmt.get("Sid")
            if sid and sid in seen_sids:
                raise PolicyDocumentError(
                    f"writing IAM Policy Document: merging source document {i}: duplicate Sid ({sid}) in "
                    f"source_policy_documents (statement {j}). Remove the Sid or ensure Sids are unique."
                )
            if sid:
                seen_sids.add(sid)
        _merge(merged, doc)
    statements = []
    sids: set[str] = set()
    for stmt in args.get("statements") or ():
        sid = stmt.get("sid") or ""
        if sid and sid in sids:
            raise PolicyDocumentError(
                f"writing IAM Policy Document: duplicate Sid ({sid}). Remove the Sid or ensure the Sid is unique."
            )
        sids.add(sid)
        statements.append(_statement(stmt, version))
    _merge(merged, {"Version": version, "Id": args.get("policyId") or "", "Statement": statements})
    for i, override in enumerate(args.get("overridePolicyDocuments") or ()):
        if override is not None:
            _merge(merged, _parsed_document(str(override), f"override document {i}"))
    document = {k: v for k, v in merged.items() if v}
    pretty = _go_json(document, "  ")
    return {
        **{k: v for k, v in args.items() if v is not None},
        "id": str(zlib.crc32(pretty.encode())),
        "json": pretty,
        "minifiedJson": _go_json(document, None),
    }
