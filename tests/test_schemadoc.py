"""What the declaration generates is current and valid: the editor's JSON Schema and docs/format.md."""

from __future__ import annotations

import json

import jsonschema
from conftest import invoke

from podops.load.schemadoc import json_schema


def test_schema_command_prints_draft_2020_12() -> None:
    result = invoke("schema")
    data = json.loads(result.stdout)
    assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(data)
    assert set(data["$defs"]) == {"show", "episode", "subscribers", "channel"}


def test_committed_example_schema_is_current() -> None:
    from conftest import EXAMPLE

    assert json.loads((EXAMPLE / "podops-schema.json").read_text()) == json_schema()


def test_format_reference_in_docs_is_current() -> None:
    from conftest import ROOT

    from podops.load.schemadoc import markdown

    text = (ROOT / "docs" / "format.md").read_text()
    marker = "<!-- generated: podops schema --format markdown -->\n"
    assert text.split(marker, 1)[1] == markdown()
