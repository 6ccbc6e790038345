"""OpenAPI 3.1 for the read API (``api/v1/openapi.json``), generated from :mod:`podops.load.schema`.

Each resource type's attributes come from :data:`podops.load.schema.API_RESOURCES`, whose entries
name the resource fields they are made from, so the API description, the validator and the
editor schema share one declaration. OpenAPI 3.1 schemas are JSON Schema draft 2020-12; the
documents themselves follow JSON:API 1.0.
"""

from __future__ import annotations

import json
from typing import Any

from podops import urls
from podops.load.apischema import API_COLLECTIONS, API_RESOURCES, attributes_schema
from podops.load.schema import GUID_PATTERN, MAX_PAGE_SIZE
from podops.render.api import API_DIR, MEDIA_TYPE

OPENAPI_VERSION = "3.1.0"
TITLE = "podops read API"
GUID_TYPES = {"catalog", "show", "episode", "channel"}  # resource ids that are 12-hex GUIDs


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": sorted(k for k in properties if k not in optional)}


def schema_name(kind: str) -> str:
    """Component name of a resource type: ``show`` → ``Show``."""
    return kind[:1].upper() + kind[1:]


def _relationships(kind: str) -> dict[str, Any]:
    if kind == "catalog":
        return _object({name: _ref("RelatedCollection") for name in API_COLLECTIONS})
    if kind == "show":
        return _object({"episodes": _ref("RelatedCollection")})
    if kind in ("episode", "channel"):
        linkage = _object({"type": {"const": "show"}, "id": {"type": "string", "pattern": GUID_PATTERN}})
        return _object({"show": _object({"data": linkage, "links": _object({"related": _ref("Link")})})})
    return {"type": "object", "additionalProperties": {"type": "object"}}  # declared by the collection's owner


def _resource(kind: str) -> dict[str, Any]:
    identifier: dict[str, Any] = {"type": "string"}
    if kind in GUID_TYPES:
        identifier["pattern"] = GUID_PATTERN
    return _object({"type": {"const": kind}, "id": identifier, "attributes": _ref(f"{schema_name(kind)}Attributes"),
                    "relationships": _relationships(kind), "links": _ref("SelfLinks")},
                   optional=() if kind in GUID_TYPES else ("relationships",))


def _included(kind: str) -> dict[str, Any]:
    return {"included": {"type": "array", "items": _ref("Show")}} if kind == "episode" else {}


def components() -> dict[str, Any]:
    """Schemas of every document kind and resource type."""
    link = {"type": "string", "format": "uri"}
    schemas: dict[str, Any] = {
        "JsonApi": _object({"version": {"const": "1.0"}}),
        "Link": link,
        "SelfLinks": _object({"self": _ref("Link")}),
        "PageLinks": _object({"self": _ref("Link"), "first": _ref("Link"), "last": _ref("Link"),
                              "prev": {"type": ["string", "null"], "format": "uri"},
                              "next": {"type": ["string", "null"], "format": "uri",
                                       "description": "The cursor: follow it until it is null."}}),
        "PageMeta": _object({"totalCount": {"type": "integer", "minimum": 0},
                             "totalPages": {"type": "integer", "minimum": 1},
                             "currentPage": {"type": "integer", "minimum": 1},
                             "pageSize": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}}),
        "OlderPageMeta": _object({"pageSize": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}}),
        "RelatedCollection": _object({"links": _object({"related": _ref("Link")}),
                                      "meta": _object({"count": {"type": "integer", "minimum": 0}})}),
    }
    for kind in API_RESOURCES:
        name = schema_name(kind)
        schemas[f"{name}Attributes"] = attributes_schema(kind)
        schemas[name] = _resource(kind)
        schemas[f"{name}Document"] = _object({"jsonapi": _ref("JsonApi"), "data": _ref(name),
                                              "links": _ref("SelfLinks")})
        if kind not in API_COLLECTIONS.values():
            continue  # the catalog: one document, no collection
        schemas[f"{name}Collection"] = _object(
            {"jsonapi": _ref("JsonApi"), "data": {"type": "array", "items": _ref(name)},
             "links": _ref("PageLinks"), "meta": _ref("PageMeta"), **_included(kind)},
            optional=("included",))
        # an older page never includes: the shows' episode counts would change it on every new episode
        schemas[f"{name}Page"] = _object(
            {"jsonapi": _ref("JsonApi"), "data": {"type": "array", "items": _ref(name)},
             "links": _ref("PageLinks"), "meta": _ref("OlderPageMeta")})
    return {"schemas": schemas, "parameters": {
        "id": {"name": "id", "in": "path", "required": True, "description": "The resource's id.",
               "schema": {"type": "string"}},
        "guid": {"name": "id", "in": "path", "required": True, "description": "A 12-hex GUID.",
                 "schema": {"type": "string", "pattern": GUID_PATTERN}},
        "page": {"name": "page", "in": "path", "required": True, "description": "Page number, counted from "
                 "the oldest items (page 1); a full page never changes. Reach pages through links.next.",
                 "schema": {"type": "integer", "minimum": 1}},
    }}


def _get(operation: str, summary: str, schema: str, *parameters: str) -> dict[str, Any]:
    return {"get": {
        "operationId": operation, "summary": summary,
        "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in parameters],
        "responses": {"200": {"description": summary, "content": {MEDIA_TYPE: {"schema": _ref(schema)}}},
                      "404": {"description": "No such document."}},
    }}


def paths() -> dict[str, Any]:
    """Every document of the API by path, relative to the server URL (``…/api/v1``)."""
    out = {"/index.json": _get("getCatalog", "The catalog: links to every collection.", "CatalogDocument")}
    for name, kind in API_COLLECTIONS.items():
        type_name, key = schema_name(kind), "guid" if kind in GUID_TYPES else "id"
        camel = schema_name(name)
        out[f"/{name}.json"] = _get(f"list{camel}", f"The newest {name}, with the totals.",
                                    f"{type_name}Collection")
        out[f"/{name}/page/{{page}}.json"] = _get(f"list{camel}Page", f"An older page of {name}.",
                                                   f"{type_name}Page", "page")
        out[f"/{name}/{{id}}.json"] = _get(f"get{type_name}", f"One {kind}.", f"{type_name}Document", key)
    out["/shows/{id}/episodes.json"] = _get("listShowEpisodes", "A show's newest episodes, with the totals.",
                                            "EpisodeCollection", "guid")
    out["/shows/{id}/episodes/page/{page}.json"] = _get("listShowEpisodesPage", "An older page of a show's episodes.",
                                                        "EpisodePage", "guid", "page")
    return dict(sorted(out.items()))


def document(site_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API published under ``site_url``."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": TITLE, "version": "1", "description": (
            "Static JSON:API 1.0 documents written by podops build. Start at index.json and follow "
            "links; every collection is paginated with links.next: its own document holds the newest "
            "items, older ones are in pages numbered from the oldest, so a full page never changes.")},
        "servers": [{"url": urls.absolute(site_url, API_DIR)}],
        "paths": paths(),
        "components": components(),
    }


def render(site_url: str) -> bytes:
    """``openapi.json``: indented, sorted keys, so two builds give the same bytes."""
    return (json.dumps(document(site_url), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
