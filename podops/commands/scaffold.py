"""Starting points a podcaster can edit: new resources with fresh GUIDs, and the schema file editors use.

`podops new` never writes what `podops validate` refuses: names follow the name rule and are
unique, a production gets one show, and local files are paths inside the production. Files that
are simply not there yet (the artwork, the MP3) are warnings: they are the podcaster's next step.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from podops import urls
from podops.errors import Diagnostic, PodopsError, UsageError
from podops.load.production import KINDS, SHOW_FILE, discover
from podops.load.schema import EMAIL_PATTERN, NAME_PATTERN
from podops.load.schemadoc import json_schema
from podops.load.validate import NAME_RULE
from podops.load.yamlfile import create, document, load
from podops.model import Show
from podops.release import EPISODE_SUMMARY, SHOW_SUMMARY

SCHEMA_FILE = "podops-schema.json"
_NAME = re.compile(NAME_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)


@dataclass
class Written:
    """What `podops new` wrote, what still needs doing, and the command to run next."""

    path: Path
    warnings: list[Diagnostic] = field(default_factory=list)
    next_step: str = ""


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


def _resources(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every readable resource below ``root`` with its kind (``show``/``episode``) in ``kind``."""
    found = []
    for path in discover(root) if root.is_dir() else []:
        data: dict[str, Any]
        try:
            data = load(path, path.name)
        except PodopsError:
            data = {"kind": "show"} if SHOW_FILE.match(path.name) else {}
        kind = KINDS.get(str(data.get("kind", "")).strip().lower())
        if kind:
            found.append((path, {**data, "kind": kind}))
    return found


def _check_name(name: str, taken: dict[str, Path], root: Path) -> None:
    """Refuse a name the validator would refuse, before anything is written."""
    if not _NAME.match(name):
        raise UsageError(Diagnostic("", field="--name", message=f"{NAME_RULE} (got {name!r})"))
    if name in taken:
        raise UsageError(Diagnostic("", field="--name", message=f"{name!r} is already used by "
                                    f"{taken[name].relative_to(root).as_posix()}: names are unique"))


def _local(root: Path, value: str, what: str, option: str, copy: bool) -> tuple[str, list[Diagnostic]]:
    """A path for a resource: relative to the production and inside it, or copied in with ``copy``."""
    source = Path(value) if Path(value).is_absolute() else root / value
    outside = Path(value).is_absolute() or os.path.normpath(value).startswith("..")
    if outside and not copy:
        raise UsageError(Diagnostic("", field=option, message=(
            f"{value!r}: give a path relative to the production {root} and inside it, "
            f"or pass --copy to copy the file in")))
    if outside:
        if not source.is_file():
            raise UsageError(Diagnostic("", field=option, message=f"{value!r}: no such file to copy"))
        target = root / what / source.name
        if target.exists():
            raise UsageError(Diagnostic("", field=option, message=(
                f"{target.relative_to(root).as_posix()} already exists: not overwritten")))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return target.relative_to(root).as_posix(), []
    uri = PurePosixPath(Path(os.path.normpath(value)).as_posix()).as_posix()
    if not source.is_file():
        return uri, [Diagnostic(uri, field=option, severity="warning",
                                message="not there yet: add the file before `podops validate`")]
    return uri, []


def new_show(root: Path, name: str, title: str, base_url: str, email: str | None = None,
             image: str = "cover.png", copy: bool = False) -> Written:
    """Write ``show-<guid>.yaml`` with every required field filled in and ``podcastGuid`` pinned."""
    resources = _resources(root)
    shows = [path for path, data in resources if data["kind"] == "show"]
    if shows:
        raise UsageError(Diagnostic("", field="new show", message=(
            f"{shows[0].relative_to(root).as_posix()} is already the show of {root}: a production holds one "
            "show (start another production in a folder of its own)")))
    _check_name(name, {}, root)
    root.mkdir(parents=True, exist_ok=True)
    cover, warnings = _local(root, image, "assets", "--image", copy)
    base = base_url if base_url.endswith("/") else base_url + "/"
    feed_url = urls.absolute(base, urls.feed_path(Show(source=root, display="", marks={}, name=name)))
    guid = new_guid()
    description: dict[str, Any] = {
        "title": title,
        "summary": SHOW_SUMMARY.format(title=title),
        "category": [{"name": "Technology"}],
    }
    if email:
        description["owner"] = {"name": title, "email": email}
    description["author"] = title
    data = {
        "apiVersion": "v1",
        "kind": "show",
        "metadata": {"name": name, "guid": guid,
                     "labels": {"language": "en-us", "explicit": False, "type": "episodic"}},
        "description": description,
        "image": {"uri": cover, "rel": "local"},
        # podcast:guid is assigned once and kept when the feed moves (podcastindex namespace, guid tag).
        "podcastGuid": urls.podcast_guid(feed_url),
        "site": {"baseUrl": base},
    }
    path = _write(root, root / f"show-{guid}.yaml", data)
    return Written(path, warnings, f"next: podops new episode {root} --name NAME --title TITLE --audio PATH, "
                   f"then podops validate {root}")


def new_episode(root: Path, name: str, title: str, audio: str | None, copy: bool = False,
                now: datetime | None = None) -> Written:
    """Write ``episodes/episode-<guid>.yaml`` for the production's show, as a draft."""
    resources = _resources(root)
    show = next((data for _, data in resources if data["kind"] == "show"), None)
    parent = show.get("metadata", {}).get("guid") if show else None
    if not parent:
        raise PodopsError(f"{root}: no show found; run `podops new show` first")
    taken = {str(data.get("metadata", {}).get("name")): path for path, data in resources
             if data["kind"] == "episode" and isinstance(data.get("metadata"), dict)}
    _check_name(name, taken, root)
    uri, warnings = _local(root, audio or f"audio/{name}.mp3", "audio", "--audio", copy)
    guid = new_guid()
    date = (now or datetime.now(timezone.utc)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    data = {
        "apiVersion": "v1",
        "kind": "episode",
        "metadata": {"name": name, "guid": guid, "parent": parent, "date": date,
                     "labels": {"type": "full", "status": "draft"}},
        "description": {"title": title, "summary": EPISODE_SUMMARY},
        "enclosure": {"uri": uri, "rel": "local"},
    }
    path = _write(root, root / "episodes" / f"episode-{guid}.yaml", data)
    return Written(path, warnings, f"next: podops validate {root} (the episode is a draft: it is published "
                   "once metadata.labels.status is changed to published)")


def new_subscribers(root: Path, name: str, emails: list[str]) -> Written:
    """Write ``subscribers-<guid>.yaml`` for the production's show, refusing what validate would refuse."""
    from podops.capability import normalise_email

    resources = _resources(root)
    show = next((data for _, data in resources if data["kind"] == "show"), None)
    parent = show.get("metadata", {}).get("guid") if show else None
    if not show or not parent:
        raise PodopsError(f"{root}: no show found; run `podops new show` first")
    taken = {str(data.get("metadata", {}).get("name")): path for path, data in resources
             if data["kind"] == "subscribers" and isinstance(data.get("metadata"), dict)}
    _check_name(name, taken, root)
    seen: set[str] = set()
    for email in emails:
        if not _EMAIL.match(email.strip()):
            raise UsageError(Diagnostic("", field="--email", message=f"not an e-mail address: {email!r}"))
        if normalise_email(email) in seen:
            raise UsageError(Diagnostic("", field="--email", message=(
                f"{email!r} is given twice (addresses are compared ignoring case and surrounding space)")))
        seen.add(normalise_email(email))
    guid = new_guid()
    data = {
        "apiVersion": "v1",
        "kind": "subscribers",
        "metadata": {"name": name, "guid": guid, "parent": parent},
        "subscribers": [{"email": email.strip()} for email in emails],
    }
    path = _write(root, root / f"subscribers-{guid}.yaml", data)
    private = str(show.get("private", "")).strip().lower() in ("true", "yes")
    step = f"next: podops validate {root}, then build with PODOPS_SECRET set"
    if not private:
        step = "next: add `private: true` to the show, then " + step.removeprefix("next: ")
    return Written(path, [], step)


def _write(root: Path, target: Path, data: dict[str, Any]) -> Path:
    create({target: document(data, schema_reference(target, root))}, "not overwritten")
    if not (root / SCHEMA_FILE).exists():
        write_schema(root)
    return target
