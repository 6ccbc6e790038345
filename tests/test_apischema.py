"""The read API's attributes are declared from the format's fields, so their schemas cannot drift apart."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator

from podops.load.apischema import API_COLLECTIONS, API_RESOURCES, Attribute, attribute_schema, attributes_schema
from podops.load.schema import EPISODE, GUID_PATTERN, NAME_PATTERN, SHOW, field_at

# JSON:API 1.0 §9.2 member names: allowed characters; §7.2.2.1: no attribute may be named type or id
MEMBER = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9_-]*[a-zA-Z0-9])?$")


@pytest.mark.parametrize("kind", sorted(API_RESOURCES))
def test_every_resource_type_is_a_valid_schema_with_every_attribute_required(kind: str) -> None:
    schema = attributes_schema(kind)
    Draft202012Validator.check_schema(schema)
    assert schema["required"] == sorted(API_RESOURCES[kind]) == sorted(schema["properties"])
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("kind", sorted(API_RESOURCES))
def test_attribute_names_are_json_api_member_names_and_never_type_or_id(kind: str) -> None:
    for name, attribute in API_RESOURCES[kind].items():
        assert MEMBER.match(name) and name not in ("type", "id"), name
        assert attribute.doc or (attribute.source and attribute.source.doc), f"{kind}.{name} is undocumented"


def test_an_attribute_takes_doc_choices_and_pattern_from_its_field() -> None:
    shown = attribute_schema(API_RESOURCES["show"]["show_type"])
    assert shown["description"] == field_at(SHOW, "metadata.labels.type").doc
    assert shown["enum"] == list(field_at(SHOW, "metadata.labels.type").choices)
    assert attribute_schema(API_RESOURCES["show"]["slug"])["pattern"] == NAME_PATTERN
    parent = Attribute("string", source=field_at(EPISODE, "metadata.parent"))
    assert attribute_schema(parent)["pattern"] == GUID_PATTERN


def test_a_nullable_attribute_admits_null_in_its_type_and_its_choices() -> None:
    schema = attribute_schema(Attribute("string", "A choice.", True, choices=("a", "b")))
    assert schema == {"description": "A choice.", "type": ["string", "null"], "enum": ["a", "b", None]}
    Draft202012Validator(schema).validate(None)
    with pytest.raises(Exception, match="'c' is not one of"):
        Draft202012Validator(schema).validate("c")


def test_every_collection_lists_a_declared_resource_type() -> None:
    assert set(API_COLLECTIONS.values()) <= set(API_RESOURCES)
    assert "catalog" in API_RESOURCES and "catalog" not in API_COLLECTIONS.values()  # the entry point, not listed
