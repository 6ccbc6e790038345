"""What a build folder becomes in a bucket: keys, headers, upload phases, and the plan of a publish.

No network here (``publish`` holds the boto3 calls). Each output file gets a Content-Type from a
fixed table (not the machine's mime.types, so every machine publishes the same headers), the
Cache-Control of its show's ``site.cacheControl`` policy, and a phase: media and other assets
first, pages and API documents next, feeds last, so a feed never names a file not yet uploaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from podops.errors import Diagnostic, PodopsError
from podops.load.schema import CACHE_CONTROL
from podops.urls import MARKER
from podops.urls import PUBLISH_SETTINGS as SETTINGS

MANIFEST = ".podops-manifest.json"  # kept under the prefix in the bucket
PHASES = ("media", "pages", "feeds")
PART = 8 * 1024 * 1024  # multipart threshold and part size (boto3's default, fixed so ETags can be predicted)

# Content-Type by suffix.
TYPES = {
    ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".aac": "audio/aac", ".ogg": "audio/ogg", ".opus": "audio/ogg",
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml", ".json": "application/json", ".txt": "text/plain; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8", ".srt": "application/x-subrip",
    ".css": "text/css; charset=utf-8", ".js": "application/javascript",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
    ".gif": "image/gif", ".svg": "image/svg+xml", ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json", ".woff2": "font/woff2", ".wasm": "application/wasm",
    "_headers": "text/plain; charset=utf-8", "_redirects": "text/plain; charset=utf-8",  # Netlify's files
}
FEED_TYPE = "application/rss+xml; charset=utf-8"
API_TYPE = "application/vnd.api+json"  # JSON:API 1.0 §5.1
MANIFEST_TYPE = "application/json"
STATE = "_podops/"  # the events manifest `podops notify --previous URL` reads from the live site
MEDIA_SUFFIXES = (".mp3", ".m4a", ".aac", ".ogg", ".opus", ".png", ".jpg", ".jpeg", ".webp", ".gif")


@dataclass(frozen=True)
class Local:
    """A file of the build as it should be in the bucket."""

    rel: str
    path: str
    size: int
    sha256: str
    phase: str
    content_type: str
    cache_control: str


@dataclass(frozen=True)
class Action:
    """One step of a publish: upload a file or delete an object, in the phase it belongs to."""

    op: str  # upload | delete
    phase: str  # media | pages | feeds | delete
    rel: str
    size: int = 0
    why: str = ""  # new | changed | headers | gone


@dataclass
class Plan:
    """Every action of a publish, in the order it runs."""

    actions: list[Action] = field(default_factory=list)
    unchanged: int = 0
    stale: list[str] = field(default_factory=list)  # objects the site dropped, kept without --delete


def parse_target(target: str) -> tuple[str, str]:
    """``s3://BUCKET[/PREFIX]`` → (bucket, prefix with a trailing slash, or "")."""
    match = re.fullmatch(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/.*)?", target)
    if not match:
        raise PodopsError(Diagnostic(target, message="expected s3://BUCKET or s3://BUCKET/PREFIX "
                                     "(bucket: 3–63 of a-z 0-9 . -)"))
    parts = [p for p in (match.group(2) or "").split("/") if p]
    if any(p in (".", "..") for p in parts) or any(ord(c) < 32 for c in target):
        raise PodopsError(Diagnostic(target, message="the prefix may not contain . or .. segments"))
    return match.group(1), "".join(f"{p}/" for p in parts)


def _settings(out: str) -> dict[str, Any]:
    try:
        with open(os.path.join(out, SETTINGS), encoding="utf-8") as handle:
            data = json.load(handle)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _policy(rel: str, settings: dict[str, Any]) -> dict[str, str]:
    """The Cache-Control policy of the show whose folder holds ``rel`` (the site's own for the rest)."""
    shows = settings.get("cacheControl") or {}
    folder = rel.split("/", 1)[0] + "/"
    chosen = shows.get(folder) if "/" in rel else None
    return {**CACHE_CONTROL, **(shows.get("") or {}), **(chosen or {})}


def _classify(rel: str, path: str, feeds: set[str]) -> tuple[str, str, str]:
    """(phase, cache class, content type) of an output file."""
    name = rel.rsplit("/", 1)[-1].lower()
    suffix = os.path.splitext(name)[1]
    if rel in feeds or (suffix == ".xml" and _is_rss(path)):
        return "feeds", "feeds", FEED_TYPE
    if rel.startswith(STATE):  # the record of what the site publishes goes up with the feeds, after them
        return "feeds", "api", TYPES.get(suffix, "application/octet-stream")
    if rel.startswith("api/") and suffix == ".json":  # the OpenAPI document is plain JSON
        return "pages", "api", "application/json" if name == "openapi.json" else API_TYPE
    kind = TYPES.get(suffix) or TYPES.get(name, "application/octet-stream")
    if "/media/" in f"/{rel}" or name == "chapters.json" or rel.startswith(("_static/", "pagefind/")):
        return "media", "media" if suffix in MEDIA_SUFFIXES else "pages", kind
    return "pages", "pages", kind


def _is_rss(path: str) -> bool:
    with open(path, "rb") as handle:
        return b"<rss" in handle.read(2048)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def etag(path: str, size: int) -> str:
    """The ETag S3 gives an upload of this file: MD5, or MD5 of the parts' MD5s and the count."""
    parts = []
    with open(path, "rb") as handle:
        while chunk := handle.read(PART):
            parts.append(hashlib.md5(chunk, usedforsecurity=False).digest())
    if size < PART:
        return (parts[0] if parts else hashlib.md5(b"", usedforsecurity=False).digest()).hex()
    return hashlib.md5(b"".join(parts), usedforsecurity=False).hexdigest() + f"-{len(parts)}"


def scan(out: str) -> dict[str, Local]:
    """Every file of a build folder with its hash and headers; a folder that is not a build is refused."""
    if not os.path.isdir(out):
        raise PodopsError(Diagnostic(out, message="no such folder"))
    marker = os.path.join(out, MARKER)
    if not os.path.isfile(marker) or os.path.islink(marker):
        raise PodopsError(Diagnostic(out, message=f"not a podops build (no {MARKER}): refusing to publish "
                                     "it; run podops build first"))
    settings = _settings(out)
    feeds = set(settings.get("feeds") or [])
    files: dict[str, Local] = {}
    for folder, dirs, names in os.walk(out):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, out).replace(os.sep, "/")
            if rel in (MARKER, SETTINGS, MANIFEST) or os.path.islink(path) or not os.path.isfile(path):
                continue  # podops' own records, and never a link to outside the build
            phase, cache, kind = _classify(rel, path, feeds)
            files[rel] = Local(rel, path, os.path.getsize(path), _sha256(path), phase, kind,
                               _policy(rel, settings)[cache])
    return files


def record(item: Local, etag_: str) -> dict[str, Any]:
    return {"size": item.size, "sha256": item.sha256, "etag": etag_, "contentType": item.content_type,
            "cacheControl": item.cache_control}


def plan(files: dict[str, Local], listing: dict[str, tuple[int, str]], manifest: dict[str, Any],
         heads: Callable[[list[str]], dict[str, tuple[str, str]]], delete: bool) -> Plan:
    """Decide what to upload and delete (keys relative to the prefix), in publishing order."""
    result = Plan()
    uploads: dict[str, list[Action]] = {phase: [] for phase in PHASES}
    unknown: list[Local] = []  # listed but not in the manifest: judged by ETag and headers
    for rel, item in sorted(files.items()):
        listed, known = listing.get(rel), manifest.get(rel)
        if listed is None:
            uploads[item.phase].append(Action("upload", item.phase, rel, item.size, "new"))
        elif known is None:
            unknown.append(item)
        elif known.get("etag") == listed[1] and record(item, listed[1]) == known and listed[0] == item.size:
            result.unchanged += 1
        else:
            uploads[item.phase].append(Action("upload", item.phase, rel, item.size, "changed"))
    same = [i for i in unknown if listing[i.rel] == (i.size, etag(i.path, i.size))]
    headers = heads([i.rel for i in same]) if same else {}
    for item in unknown:
        if item in same and headers.get(item.rel) == (item.content_type, item.cache_control):
            result.unchanged += 1
        else:
            why = "headers" if item in same else "changed"
            uploads[item.phase].append(Action("upload", item.phase, item.rel, item.size, why))
    for phase in PHASES:
        result.actions += sorted(uploads[phase], key=lambda action: (action.rel.startswith(STATE), action.rel))
    gone = sorted(set(listing) - set(files) - {MANIFEST})
    if delete:
        # Feeds first, media last: a feed is never left naming something already deleted.
        rank = {"feeds": 0, "pages": 1, "media": 2}
        order = sorted(gone, key=lambda rel: (rank[guess_phase(rel, manifest.get(rel))], rel))
        result.actions += [Action("delete", "delete", rel, listing[rel][0], "gone") for rel in order]
    else:
        result.stale = gone
    return result


def guess_phase(rel: str, known: dict[str, Any] | None) -> str:
    """The phase an object in the bucket was uploaded in, from the manifest or its name."""
    kind = (known or {}).get("contentType", "")
    if kind.startswith("application/rss+xml") or (not known and rel.endswith(".xml")):
        return "feeds"
    if kind.startswith(("text/html", API_TYPE)) or (not known and rel.endswith((".html", ".json"))):
        return "pages"
    return "media"
