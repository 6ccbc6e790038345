"""Starting points a podcaster can edit: new resources with fresh GUIDs, and the schema file editors use."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from podops.errors import PodopsError
from podops.production import KINDS, discover
from podops.schema import json_schema
from podops.yamlfile import create, document, load

SCHEMA_FILE = "podops-schema.json"


def new_guid() -> str:
    """12 random lowercase hex characters, like PodOps' short GUIDs."""
    return secrets.token_hex(6)


def schema_reference(target: Path, root: Path) -> str:
    """The schema file as a resource at ``target`` reaches it: relative, so the folder can move."""
    relative = Path(*[".."] * (len(target.parent.relative_to(root).parts))) / SCHEMA_FILE
    return relative.as_posix()


def write_schema(root: Path) -> Path:
    """Write the JSON Schema beside the production so editors can find it."""
    path = root / SCHEMA_FILE
    path.write_text(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")
    return path


def _find_show(root: Path) -> dict[str, Any]:
    for path in discover(root):
        try:
            data = load(path, path.name)
        except PodopsError:
            continue
        if KINDS.get(str(data.get("kind", "")).lower()) == "show":
            return data
    raise PodopsError(f"{root}: no show found; run `podops new show` first")


def new_show(root: Path, name: str, title: str, email: str) -> Path:
    """Write ``show-<guid>.yaml`` with every required field filled in."""
    guid = new_guid()
    data = {
        "apiVersion": "v1",
        "kind": "show",
        "metadata": {"name": name, "guid": guid,
                     "labels": {"language": "en-us", "explicit": False, "type": "episodic"}},
        "description": {
            "title": title,
            "summary": f"What *{title}* is about, in Markdown.",
            "category": [{"name": "Technology"}],
            "owner": {"name": title, "email": email},
            "author": title,
        },
        "image": {"uri": "cover.png", "rel": "local"},
        "site": {"baseUrl": "https://example.com/"},
    }
    return _write(root, root / f"show-{guid}.yaml", data)


def new_episode(root: Path, name: str, title: str, audio: str | None, now: datetime | None = None) -> Path:
    """Write ``episodes/episode-<guid>.yaml`` for the production's show, as a draft."""
    show = _find_show(root)
    guid = new_guid()
    date = (now or datetime.now(timezone.utc)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    data = {
        "apiVersion": "v1",
        "kind": "episode",
        "metadata": {"name": name, "guid": guid, "parent": show["metadata"]["guid"], "date": date,
                     "labels": {"type": "full", "status": "draft"}},
        "description": {"title": title, "summary": "One or two sentences about this episode."},
        "enclosure": {"uri": audio or f"audio/{name}.mp3", "rel": "local"},
    }
    return _write(root, root / "episodes" / f"episode-{guid}.yaml", data)


def _write(root: Path, target: Path, data: dict[str, Any]) -> Path:
    create({target: document(data, schema_reference(target, root))}, "not overwritten")
    if not (root / SCHEMA_FILE).exists():
        write_schema(root)
    return target
