"""What a build publishes, as a manifest, and the events between two manifests.

Events come from the published state, never from caches: every build writes
``_podops/manifest.json`` with a content digest per show and per visible episode (title, notes,
media and date for episodes). Comparing two manifests tells what changed, so losing ``.podops/``
or starting on a fresh CI runner cannot cause a storm; with no previous manifest there is only a
baseline. Event ids hash the type, the resource and the digests before and after, so a replay
yields the same ids (Standard Webhooks receivers deduplicate on ``webhook-id``).

The event feed's history is part of the manifest: ``podops build --previous PREV`` reads PREV's
manifest, appends the events between it and this build to PREV's rolling log (the newest
:data:`LOG_SIZE`) and writes that log into the new manifest and the API's ``events``
collection (``api/v1/events.json``, reached from the catalog's ``relationships.events``). Without
``--previous`` the log is empty. So a build is byte-identical for the same inputs, the same
previous manifest and the same "now" (``SOURCE_DATE_EPOCH``), and an incremental build still
equals a clean one.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from podops import __version__, urls
from podops.errors import PodopsError
from podops.model import Episode, Release, Show

MANIFEST_PATH = "_podops/manifest.json"  # beside the API, not in it: api/ holds JSON:API documents only
FORMAT = 1
LOG_SIZE = 100
MAX_MANIFEST = 64 * 1024 * 1024
ORDER = {"show_updated": 0, "episode_unpublished": 1, "episode_updated": 2, "episode_published": 3,
         "live_ended": 4, "live_started": 5}

State = dict[str, Any]
Manifest = dict[str, Any]
Event = dict[str, Any]


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(value: Any) -> str:
    """SHA-256 of a value's canonical JSON."""
    return hashlib.sha256(_canonical(value)).hexdigest()


def iso(moment: datetime) -> str:
    """An instant as RFC 3339 UTC with a Z, the form Standard Webhooks' examples use."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _media(item: Release, episode: Episode) -> dict[str, Any] | None:
    enclosure = episode.enclosure
    if enclosure is None:
        return None
    return {"url": urls.asset_url(item.base_url, item.show, enclosure), "type": enclosure.type or "audio/mpeg",
            "size": enclosure.size, "sha256": enclosure.sha256}


def _show_digest(show: Show, resource: dict[str, Any]) -> str:
    """What makes a show_updated: what the API says about the show, but not its episode count."""
    attributes = {k: v for k, v in resource["attributes"].items() if k != "episodes_count"}
    return digest({"attributes": attributes, "image": show.image.sha256 if show.image else None})


def _entry(item: Release, episode: Episode) -> dict[str, Any]:
    """An episode in the state: the digest of what makes an episode_updated (its title, notes,
    media and date, nothing else) and a brief that names it once its document is gone."""
    media = _media(item, episode)
    date = iso(episode.date) if episode.date else None
    return {"digest": digest({"title": episode.title, "summary": episode.summary, "notes": episode.text,
                              "date": date, "media": media}),
            "brief": {"type": "episode", "id": episode.guid, "attributes": {
                "guid": episode.feed_guid, "title": episode.title, "published_at": date,
                "share_url": urls.absolute(item.base_url, urls.episode_path(item.show, episode)),
                "media_url": media["url"] if media else None}}}


def state_of(releases: list[Release]) -> State:
    """The published state: per show its digest and API resource, per visible episode a digest and a brief.

    Full episode resources are made only for the episodes an event is about (:func:`resolver`),
    so a build of a large network costs a hash per episode, not a document.
    """
    from podops.render import api

    site = releases[0].base_url if releases else None  # the API's links, as api.ApiRenderer makes them
    shows: State = {}
    for item in releases:
        resource = api.show_resource(item, site)
        shows[item.show.guid] = {
            "digest": _show_digest(item.show, resource), "resource": resource, "feed": item.feed_url,
            "episodes": {e.guid: _entry(item, e) for e in item.episodes}}
        if item.live:  # live channels: which broadcasts are on air now (podcast:liveItem status="live")
            shows[item.show.guid]["channels"] = {a.channel.guid: api.channel_resource(item, a, site) for a in item.live}
            shows[item.show.guid]["live"] = {e.guid: a.channel.guid for a in item.live for e in a.events
                                             if e.status == "live"}
    return {"shows": shows}


Resolve = Callable[[str], "dict[str, Any] | None"]


def resolver(releases: list[Release]) -> Resolve:
    """Episode GUID → its API resource, as this build's API documents carry it."""
    from podops.render import api

    site = releases[0].base_url if releases else None
    where = {e.guid: (item, e) for item in releases for e in item.episodes}

    def resolve(guid: str) -> dict[str, Any] | None:
        found = where.get(guid)
        return api.episode_resource(found[0], found[1], site) if found else None
    return resolve


def complete(found: list[Event], resolve: Resolve) -> list[Event]:
    """Give published and updated episodes their full resource as ``data``."""
    out = []
    for event in found:
        if event["type"] in ("episode_published", "episode_updated"):
            full = resolve(event["subject"]["id"])
            event = dict(event, data=full) if full is not None else event
        out.append(event)
    return out


def event_id(kind: str, resource: str, before: str | None, after: str | None) -> str:
    """Deterministic: the same change always has the same id, so replays deduplicate."""
    return "evt_" + digest([kind, resource, before, after])[:32]


def _event(kind: str, show: str, resource: dict[str, Any], before: str | None, after: str | None) -> Event:
    return {"id": event_id(kind, f"{resource['type']}/{resource['id']}", before, after), "type": kind,
            "show": show, "subject": {"type": resource["type"], "id": resource["id"]}, "data": resource}


def diff(previous: State, current: State) -> list[Event]:
    """The events that turn ``previous`` into ``current``, in a stable order (no timestamps)."""
    events: list[Event] = []
    before, after = previous.get("shows", {}), current.get("shows", {})
    for guid in sorted(set(before) | set(after)):
        old, new = before.get(guid), after.get(guid)
        old_eps, new_eps = (old or {}).get("episodes", {}), (new or {}).get("episodes", {})
        if new is not None and (old is None or old["digest"] != new["digest"]):
            events.append(_event("show_updated", guid, new["resource"], old and old["digest"], new["digest"]))
        for key in set(old_eps) | set(new_eps):
            was, now = old_eps.get(key), new_eps.get(key)
            if was is None and now is not None:
                events.append(_event("episode_published", guid, now["brief"], None, now["digest"]))
            elif now is None and was is not None:
                events.append(_event("episode_unpublished", guid, was["brief"], was["digest"], None))
            elif was is not None and now is not None and was["digest"] != now["digest"]:
                events.append(_event("episode_updated", guid, now["brief"], was["digest"], now["digest"]))
        events += _live(guid, old or {}, new or {})
    return sorted(events, key=lambda e: (ORDER[e["type"]], e["data"]["attributes"].get("published_at") or "",
                                         e["show"], e["subject"]["id"]))


def _live(show: str, old: dict[str, Any], new: dict[str, Any]) -> list[Event]:
    """live_started when a broadcast goes on air, live_ended when it leaves (podcast:liveItem status)."""
    found = []
    was, now = old.get("live", {}), new.get("live", {})
    for broadcast in sorted(set(was) | set(now)):
        if (broadcast in was) == (broadcast in now):
            continue
        started = broadcast in now
        channel = now[broadcast] if started else was[broadcast]
        resource = new.get("channels", {}).get(channel) or old.get("channels", {}).get(channel)
        if resource is None:
            continue
        kind = "live_started" if started else "live_ended"
        event = _event(kind, show, resource, None if started else "live", "live" if started else None)
        event["id"] = event_id(kind, f"channel/{channel}/{broadcast}", None if started else "live",
                               "live" if started else None)
        event["broadcast"] = broadcast
        found.append(event)
    return found


def manifest(state: State, previous: Manifest | None, now: datetime, resolve: Resolve | None = None) -> Manifest:
    """This build's manifest: its state, and the rolling event log continued from ``previous``."""
    if previous is None:
        return {"format": FORMAT, "generator": "podops", "basis": None, "latest": [], "events": [], "state": state}
    log: list[Event] = list(previous.get("events", []))
    known = {e["id"] for e in log}
    stamp = iso(now)
    added = [dict(e, timestamp=stamp) for e in diff(previous["state"], state) if e["id"] not in known]
    added = complete(added, resolve) if resolve else added
    return {"format": FORMAT, "generator": "podops", "basis": digest(previous["state"]),
            "latest": [e["id"] for e in added], "events": (log + added)[-LOG_SIZE:], "state": state}


def render_manifest(data: Manifest) -> bytes:
    """Manifest bytes: sorted keys, so equal manifests are equal files (compact: the C encoder)."""
    return (json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def resources(data: Manifest, site_url: str) -> list[dict[str, Any]]:
    """The log as JSON:API ``event`` resources, newest first: the API's ``events`` collection."""
    from podops.render import api

    items = []
    for event in reversed(data.get("events", [])):
        subject = event["subject"]
        kind = {"show": "shows", "episode": "episodes", "channel": "channels"}[subject["type"]]
        items.append({
            "type": "event", "id": event["id"],
            "attributes": {"event_type": event["type"], "timestamp": event["timestamp"], "data": event["data"]},
            "relationships": {"subject": {"data": subject,
                                          "links": {"related": urls.absolute(site_url,
                                                                             api.resource_path(kind, subject["id"]))}}},
            "links": {"self": urls.absolute(site_url, api.resource_path("events", event["id"]))}})
    return items


def check_manifest(data: Any, where: str) -> Manifest:
    """Refuse a manifest this podops cannot read, naming where it came from."""
    if not isinstance(data, dict) or not isinstance(data.get("state"), dict) or data.get("format") != FORMAT:
        raise PodopsError(f"{where}: not a podops manifest (format {FORMAT})")
    return data


def read_manifest(location: str | Path, timeout: float = 30.0) -> Manifest | None:
    """The manifest of a built folder or a live site's base URL; None when there is none yet.

    A URL is fetched with ``timeout`` as a total deadline; 404 and 410 mean "no previous site"
    (a first deploy), anything else that fails is an error: announcing from a wrong baseline
    would be worse than stopping.
    """
    text = str(location).strip()
    if not text:
        return None  # e.g. an unset CI variable: no previous site is known
    if text.startswith(("http://", "https://")):
        url = text.rstrip("/") + "/" + MANIFEST_PATH
        raw = _fetch(url, timeout)
        if raw is None:
            return None
        where = url
    elif "://" in text:
        raise PodopsError(f"{text}: --previous is a folder or an http(s) URL")
    else:
        path = Path(text) / MANIFEST_PATH
        if not path.is_file():
            return None
        raw, where = path.read_bytes(), str(path)
    try:
        return check_manifest(json.loads(raw), where)
    except (ValueError, UnicodeDecodeError):
        raise PodopsError(f"{where}: not a podops manifest (invalid JSON)") from None


def _fetch(url: str, timeout: float) -> bytes | None:
    """GET a URL within a total deadline; None on 404/410."""
    import urllib.error  # here: every build imports this module, few fetch (urllib brings ssl)
    import urllib.request

    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"User-Agent": f"podops/{__version__}",
                                                   "Cache-Control": "no-cache"})
    opener = urllib.request.build_opener()
    try:
        with opener.open(request, timeout=timeout) as response:
            chunks = []
            size = 0
            while chunk := response.read1(65536):
                size += len(chunk)
                if size > MAX_MANIFEST or time.monotonic() > deadline:
                    raise PodopsError(f"{url}: too large or too slow (limit {timeout:g} s)")
                chunks.append(chunk)
            return b"".join(chunks)
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 410):
            return None
        raise PodopsError(f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PodopsError(f"{url}: cannot fetch the previous manifest ({reason})") from None
