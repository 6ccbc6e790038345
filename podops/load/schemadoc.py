"""The editor's JSON Schema and docs/format.md's tables, generated from the one declaration of the format."""

from __future__ import annotations

from typing import Any

from podops.load.apischema import API_RESOURCES, attribute_schema
from podops.load.schema import (
    EMAIL_PATTERN,
    GUID_PATTERN,
    MAX_TEXT,
    MAX_URL,
    NAME_PATTERN,
    RESOURCES,
    SCHEMA_ID,
    SECRET_FIELDS,
    Field,
)
from podops.load.vocabulary import LANGUAGES


def _case_pattern(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else _escape(c) for c in word)


def _escape(c: str) -> str:
    return "\\" + c if c in ".^$*+?()[]{}|\\/-" else c


def json_schema_of(spec: Field) -> dict[str, Any]:
    """Translate one field into JSON Schema (draft 2020-12)."""
    out: dict[str, Any] = {"description": spec.doc} if spec.doc else {}
    kind = spec.kind
    if kind == "struct":
        out |= {
            "type": "object",
            "properties": {k: json_schema_of(v) for k, v in spec.fields.items()},
            "additionalProperties": False,
        }
        required = [k for k, v in spec.fields.items() if v.required]
        if required:
            out["required"] = required
    elif kind == "list":
        out |= {"type": "array", "items": json_schema_of(spec.item) if spec.item else {}}
        if spec.required:
            out["minItems"] = 1
    elif kind == "text":
        out |= {"type": "string", "maxLength": spec.max or MAX_TEXT}
        if spec.required:
            out["pattern"] = r"\S"
    elif kind == "name":
        out |= {"type": "string", "pattern": NAME_PATTERN}
    elif kind == "guid":
        out |= {"type": "string", "pattern": GUID_PATTERN}
    elif kind == "date":
        out |= {"type": "string", "pattern": r"(?:[+-]\d\d:?\d\d|Z|GMT|UT|UTC)$"}
    elif kind == "url":
        out |= {"type": "string", "pattern": r"^[hH][tT][tT][pP][sS]?://[^\s\"<>]+$",
                "maxLength": MAX_URL}
    elif kind == "uuid":
        out |= {"type": "string",
                "pattern": r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"}
    elif kind == "email":
        out |= {"type": "string", "pattern": r"^\s*" + EMAIL_PATTERN[1:-1] + r"\s*$"}
    elif kind == "flag":
        words = "|".join(_case_pattern(w) for w in ("yes", "no", "true", "false"))
        out["anyOf"] = [{"type": "boolean"}, {"type": "string", "pattern": f"^(?:{words})$"}]
    elif kind == "choice":
        alternatives = "|".join(_case_pattern(c) for c in spec.choices)
        out |= {"type": "string", "pattern": f"^(?:{alternatives})$"}
    elif kind == "int":
        minimum = spec.minimum if spec.minimum is not None else 0
        out["anyOf"] = [{"type": "integer", "minimum": minimum, **({"maximum": spec.max} if spec.max else {})},
                        {"type": "string", "pattern": r"^\s*\+?[1-9][0-9]*\s*$" if minimum
                         else r"^\s*\+?[0-9]+\s*$"}]
    elif kind == "duration":
        out["anyOf"] = [{"type": "number", "minimum": 0},
                        {"type": "string", "pattern": r"^\s*(?:\d+:){0,2}\d+(?:\.\d+)?\s*$"}]
    elif kind == "language":
        codes = "|".join(_case_pattern(code) for code in sorted(LANGUAGES))
        out |= {"type": "string", "pattern": f"^(?:{codes})(?:[-_][A-Za-z]{{2}}|[-_][0-9]{{3}})?$"}
    return out


def json_schema() -> dict[str, Any]:
    """The whole JSON Schema for show, episode, subscribers and channel resources, for YAML language servers."""
    defs = {kind: json_schema_of(spec) for kind, spec in RESOURCES.items()}
    defs["show"]["properties"]["kind"]["pattern"] = "^(?:[sS][hH][oO][wW][sS]?)$"
    defs["episode"]["properties"]["kind"]["pattern"] = "^(?:[eE][pP][iI][sS][oO][dD][eE][sS]?)$"
    defs["channel"]["properties"]["kind"]["pattern"] = "^(?:[cC][hH][aA][nN][nN][eE][lL][sS]?)$"
    for resource in defs.values():
        resource["required"] = sorted({"apiVersion", "kind", *resource.get("required", [])})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "podops resource (PodOps v1 show or episode, or a podops subscribers list or channel)",
        "oneOf": [{"$ref": f"#/$defs/{kind}"} for kind in defs],
        "$defs": defs,
    }


def _rows(spec: Field, path: str) -> list[str]:
    rows = []
    for key, sub in spec.fields.items():
        name = f"{path}.{key}" if path else key
        kind = sub.kind
        if kind == "list" and sub.item is not None:
            kind = f"list of {sub.item.kind}"
        if kind.endswith("choice") and sub.choices and len(sub.choices) <= 8:
            kind = " \\| ".join(sub.choices)
        elif sub.max and sub.kind == "text":
            kind = f"text ≤ {sub.max}"
        rows.append(f"| `{name}` | {kind} | {'yes' if sub.required else ''} | {sub.doc} |")
        child = sub.item if sub.kind == "list" else sub
        if child is not None and child.kind == "struct" and child.fields:
            rows.extend(_rows(child, name + ("[]" if sub.kind == "list" else "")))
    return rows


def markdown() -> str:
    """Reference tables of every field, generated from the same declaration as the validator."""
    parts = []
    for kind, spec in RESOURCES.items():
        parts += [f"### `kind: {kind}`", "", "| field | kind | required | meaning |", "|---|---|---|---|",
                  *_rows(spec, ""), ""]
        if kind == "channel":
            names = ", ".join(f"`{name}`" for name in SECRET_FIELDS)
            parts += [f"Secrets never enter a production: a field named {names} (or like them), anywhere "
                      "in a resource, is an error.", ""]
    for kind in API_RESOURCES:
        parts += [f"### API resource `{kind}`", "", "| attribute | type | meaning |", "|---|---|---|"]
        for name, attribute in API_RESOURCES[kind].items():
            schema = attribute_schema(attribute)
            kinds = " or ".join(schema["type"]) if isinstance(schema["type"], list) else schema["type"]
            meaning = schema.get("description", "").replace("|", "\\|")
            parts.append(f"| `{name}` | {kinds} | {meaning} |")
        parts.append("")
    return "\n".join(parts)
