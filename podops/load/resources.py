"""Turn one resource's validated values into the model's objects (show, episode, subscribers, channel)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from podops import live
from podops.load.namespace import EPISODE_TAGS, SHOW_TAGS
from podops.load.schema import DEFAULT_PAGE_SIZE, WEEKDAYS
from podops.model import (
    Asset,
    Channel,
    Chapter,
    Episode,
    Link,
    LiveEvent,
    Person,
    Show,
    Slot,
    Subscriber,
    SubscriberList,
    Webhook,
)


@lru_cache(maxsize=512)
def _keys(dotted: str) -> tuple[str, ...]:
    return tuple(dotted.split("."))


def _get(values: dict[str, Any], dotted: str, default: Any = None) -> Any:
    node: Any = values
    for key in _keys(dotted):
        if not isinstance(node, dict) or node.get(key) is None:
            return default
        node = node[key]
    return node


def _asset(value: dict[str, Any] | None, field: str) -> Asset | None:
    if not value or not value.get("uri"):
        return None
    uri = value["uri"].strip()
    rel = value.get("rel") or ("external" if "://" in uri else "local")
    return Asset(uri, "external" if rel == "import" else rel, value.get("type"), value.get("size"),
                 value.get("duration"), value.get("title"), value.get("language"),
                 bool(value.get("captions")), field=field)


def _persons(values: list[Any] | None) -> list[Person]:
    return [Person(p["name"], p.get("role"), p.get("group"), p.get("img"), p.get("href"))
            for p in values or [] if p and p.get("name")]


def _links(values: list[Any] | None) -> list[Link]:
    return [Link(v["uri"], v.get("title") or v.get("name")) for v in values or [] if v and v.get("uri")]


def to_show(values: dict[str, Any], path: Path, display: str, marks: dict[str, Any]) -> Show:
    license_ = _get(values, "description.license")
    return Show(
        source=path, display=display, marks=marks, root=path.parent.resolve(),
        name=_get(values, "metadata.name", ""), guid=_get(values, "metadata.guid", ""),
        date=_get(values, "metadata.date"), keywords=_get(values, "metadata.tags"),
        language=_get(values, "metadata.labels.language", "en-us"),
        explicit=_get(values, "metadata.labels.explicit", False),
        type=_get(values, "metadata.labels.type", "episodic"),
        block=_get(values, "metadata.labels.block", False),
        complete=_get(values, "metadata.labels.complete", False),
        locked=_get(values, "metadata.labels.locked", False),
        medium=_get(values, "metadata.labels.medium"),
        title=_get(values, "description.title", ""), summary=_get(values, "description.summary", ""),
        link=_get(values, "description.link.uri"),
        categories=[(c["name"], [s for s in c.get("subcategory") or [] if s])
                    for c in _get(values, "description.category", []) if c and c.get("name")],
        owner_name=_get(values, "description.owner.name"),
        owner_email=_get(values, "description.owner.email"),
        author=_get(values, "description.author"), copyright=_get(values, "description.copyright"),
        license=Link(license_["uri"] or "", license_["name"]) if license_ and license_.get("name") else None,
        image=_asset(values.get("image"), "image.uri"),
        new_feed_url=_get(values, "newFeedLink.uri"), moved_from=_get(values, "feedLink.uri"),
        podcast_guid=values.get("podcastGuid"),
        base_url=_get(values, "site.baseUrl"), per_page=_get(values, "site.episodesPerPage", 20),
        api_page_size=_get(values, "api.pageSize", DEFAULT_PAGE_SIZE),
        links=_links(_get(values, "site.links")), funding=_links(values.get("funding")),
        persons=_persons(values.get("persons")), private=_private(values, marks),
        cache_control={k: v for k, v in (_get(values, "site.cacheControl") or {}).items() if v},
        webhooks=[Webhook(w["url"], sorted(set(w.get("events") or [])), f"webhooks[{i}].url")
                  for i, w in enumerate(values.get("webhooks") or []) if w and w.get("url")],
        hubs=[hub for hub in values.get("websubHubs") or [] if hub],
        podping=bool(values.get("podping")),
        keep_ended_days=_get(values, "live.keepEndedDays", 7),
        chapter_timestamps=_get(values, "chapters.descriptionTimestamps", True) is not False,
        chapter_frames=_get(values, "chapters.id3", False) is True,
        markdown=_get(values, "site.markdown") or "commonmark",
        markdown_extensions=[e for e in _get(values, "site.markdownExtensions") or [] if e],
        tags=_tags(values, SHOW_TAGS), trailers=_files(values.get("trailers"), "trailers"),
    )


def _tags(values: dict[str, Any], declared: dict[str, Any]) -> dict[str, Any]:
    """The namespace fields that are set, as validated (render/namespace.py writes them)."""
    return {key: values[key] for key in declared if values.get(key) not in (None, [], {})}


def _files(entries: list[Any] | None, field: str) -> dict[int, Asset]:
    """Local files of namespace entries (trailers, alternate enclosures), to be resolved and probed."""
    return {i: Asset(entry["file"].strip(), "local", field=f"{field}[{i}].file")
            for i, entry in enumerate(entries or []) if isinstance(entry, dict) and entry.get("file")}


def _private(values: dict[str, Any], marks: dict[str, Any]) -> bool:
    """``private``, failing closed: an unreadable value (already an error) counts as private."""
    return "private" in marks and values.get("private") is not False


def to_subscriber_list(values: dict[str, Any], path: Path, display: str, marks: dict[str, Any]) -> SubscriberList:
    from podops.capability import normalise_email

    subscribers = []
    for i, entry in enumerate(values.get("subscribers") or []):
        if entry and entry.get("email"):
            line, column = marks.get(f"subscribers[{i}].email", (0, 0))
            subscribers.append(Subscriber(normalise_email(entry["email"]), entry.get("name"), display,
                                          line, column, f"subscribers[{i}].email", entry["email"].strip()))
    return SubscriberList(
        source=path, display=display, marks=marks,
        name=_get(values, "metadata.name", ""), guid=_get(values, "metadata.guid", ""),
        parent=_get(values, "metadata.parent", ""), subscribers=subscribers,
    )


def to_episode(values: dict[str, Any], path: Path, display: str, marks: dict[str, Any]) -> Episode:
    transcripts = [_asset(t, f"transcripts[{i}].uri") for i, t in enumerate(values.get("transcripts") or [])]
    return Episode(
        source=path, display=display, marks=marks,
        name=_get(values, "metadata.name", ""), guid=_get(values, "metadata.guid", ""),
        parent=_get(values, "metadata.parent", ""), date=_get(values, "metadata.date"),
        item_guid=_get(values, "metadata.itemGuid"),
        season=_get(values, "metadata.labels.season"), number=_get(values, "metadata.labels.episode"),
        type=_get(values, "metadata.labels.type", "full"),
        status=_get(values, "metadata.labels.status", "published"),
        explicit=_get(values, "metadata.labels.explicit"),
        block=_get(values, "metadata.labels.block", False),
        title=_get(values, "description.title", ""), summary=_get(values, "description.summary", ""),
        text=_get(values, "description.episodeText"), link=_get(values, "description.link.uri"),
        duration=_get(values, "description.duration"),
        image=_asset(values.get("image"), "image.uri"),
        enclosure=_asset(values.get("enclosure"), "enclosure.uri"),
        chapters=sorted((Chapter(c["start"], c["title"], c.get("url"), c.get("img"),
                                 c.get("toc") is not False)
                         for c in values.get("chapters") or [] if c and c.get("title") is not None
                         and c.get("start") is not None), key=lambda c: c.start),
        transcripts=[t for t in transcripts if t],
        persons=_persons(values.get("persons")), funding=_links(values.get("funding")),
        season_name=_get(values, "metadata.labels.seasonName"),
        episode_display=_get(values, "metadata.labels.episodeDisplay"),
        tags=_tags(values, EPISODE_TAGS), alternates=_files(values.get("alternateEnclosures"), "alternateEnclosures"),
    )


def to_channel(values: dict[str, Any], path: Path, display: str, marks: dict[str, Any]) -> Channel:
    guid = _get(values, "metadata.guid", "")
    persons = _persons(values.get("persons"))
    url = _get(values, "stream.url", "")
    events = []
    for i, e in enumerate(values.get("schedule") or []):
        if e and e.get("title") and e.get("start") and e.get("end"):
            events.append(LiveEvent(e["title"], e["start"], e["end"],
                                    e.get("guid") or live.event_guid(guid, e["start"]), e.get("description"),
                                    e.get("image"), _persons(e.get("persons")) or persons, field=f"schedule[{i}]"))
    slots = []
    for i, r in enumerate(values.get("recurring") or []):
        if r and r.get("title") and r.get("days") and r.get("time") and r.get("duration") is not None:
            slots.append(Slot(r["title"], sorted({WEEKDAYS.index(d) for d in r["days"] if d}), r["time"],
                              r["duration"], r.get("timezone") or "UTC", r.get("description"), r.get("image"),
                              r.get("since"), r.get("until"), field=f"recurring[{i}]"))
    return Channel(
        source=path, display=display, marks=marks,
        name=_get(values, "metadata.name", ""), guid=guid, parent=_get(values, "metadata.parent", ""),
        title=_get(values, "description.title", ""), summary=_get(values, "description.summary", ""),
        stream_url=url, secure_url=_get(values, "stream.secureUrl"), hls_url=_get(values, "stream.hlsUrl"),
        format=_get(values, "stream.format", "mp3"), bitrate=_get(values, "stream.bitrate"),
        server=_get(values, "stream.server", "icecast"),
        mount_point=_get(values, "stream.mountPoint") or (urlsplit(url).path or "/"),
        status_url=_get(values, "stream.statusUrl"), public=_get(values, "public", True),
        chat=values.get("chat"), image=values.get("image"), persons=persons, events=events, slots=slots,
    )
