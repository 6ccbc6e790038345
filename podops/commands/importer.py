"""``podops import``: turn a published RSS feed into a production (show.yaml + one YAML per episode).

A move must be invisible to subscribers, so every item keeps its ``<guid>`` exactly (as
``metadata.itemGuid`` when it is not already a 12-hex podops GUID) and its enclosure URL exactly
(``rel: external``). The feed is untrusted XML: lxml parses it with entity expansion, DTD loading
and network access off, and feeds that declare entities are refused (``security.md`` §7).
What cannot be carried over is dropped with a warning that points at the feed's line.
"""

from __future__ import annotations

import mimetypes
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from podops.commands.chapterimport import psc_chapters, without_timestamps
from podops.commands.feedreader import (
    MAX_CHAPTERS,
    MAX_FEED,
    children,
    fetch,
    first,
    parse_feed,
    text_of,
    whole_number,
)
from podops.commands.importnames import (
    external,
    hex_guid,
    parse_date_or_none,
    prune,
    rfc1123,
    slugify,  # noqa: F401 - part of this module's interface (tests)
    unique_name,
)
from podops.commands.liveimport import LiveImporter
from podops.commands.scaffold import SCHEMA_FILE, schema_reference, write_schema
from podops.commands.tagimport import CHANNEL_TAGS, ITEM_TAGS, TagReader
from podops.errors import Diagnostic, PodopsError
from podops.load.schema import MAX_TITLE
from podops.load.validate import check_email, check_url, load_json, parse_date, parse_duration
from podops.load.vocabulary import MEDIUMS
from podops.load.yamlfile import create, document
from podops.urls import podcast_guid

_HEX12 = re.compile(r"^[0-9a-f]{12}$")


@dataclass
class Imported:
    """What an import wrote and what it had to leave behind."""

    files: list[Path] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    episodes: int = 0
    channels: int = 0
    next_step: str = ""


# What the import reads (or podops writes afresh: generator, lastBuildDate, docs, atom:link);
# any other element is reported as dropped, at its line.
CHANNEL_READ = frozenset({
    "title", "link", "description", "language", "copyright", "pubDate", "lastBuildDate", "generator", "docs",
    "image", "category", "item", "atom:link", "itunes:author", "itunes:owner", "itunes:image", "itunes:category",
    "itunes:explicit", "itunes:type", "itunes:block", "itunes:complete", "itunes:keywords", "itunes:new-feed-url",
    "podcast:guid", "podcast:locked", "podcast:medium", "podcast:license", "podcast:funding", "podcast:person",
    "podcast:liveItem", *CHANNEL_TAGS,
})
ITEM_READ = frozenset({
    "title", "link", "description", "guid", "pubDate", "enclosure", "content:encoded", "itunes:image",
    "itunes:duration", "itunes:episodeType", "itunes:season", "itunes:episode", "itunes:explicit", "itunes:block",
    "podcast:season", "podcast:episode", "podcast:chapters", "psc:chapters", "podcast:transcript",
    "podcast:person", "podcast:funding", *ITEM_TAGS,
})


class FeedImporter(LiveImporter):
    """Reads one channel into show and episode resources, collecting warnings at feed lines."""

    def __init__(self, display: str, origin: str, offline: bool = False, timeout: float = 30.0,
                 keep_new_feed_url: bool = False, allow_private: bool = False) -> None:
        super().__init__(display)
        self.origin, self.offline, self.timeout = origin, offline, timeout
        self.keep_new_feed_url = keep_new_feed_url
        self.allow_private = allow_private

    def new_feed_url(self, channel: Any, name: str, base_url: str | None) -> dict[str, str] | None:
        """itunes:new-feed-url, only when it names the new feed: apps move every subscriber to it."""
        element = first(channel, "itunes:new-feed-url")
        url = self.url(channel, "itunes:new-feed-url", text_of(channel, "itunes:new-feed-url"))
        if url is None:
            return None
        base = base_url if not base_url or base_url.endswith("/") else base_url + "/"
        ours = f"{base}{name}/feed.xml" if base else None
        if url.rstrip("/") == (ours or "").rstrip("/") or self.keep_new_feed_url:
            return external(url)
        self.warn(element, "itunes:new-feed-url", f"{url} points away from the new feed "
                  f"({ours or 'set --base-url'}): not carried, or apps would move every subscriber there "
                  "(--keep-new-feed-url keeps it)")
        return None

    def show(self, channel: Any, base_url: str | None) -> dict[str, Any]:
        """The show resource from the channel."""
        title = self.text(channel, "title", text_of(channel, "title", "itunes:title"), MAX_TITLE)
        title = title or "Untitled"
        links = [a.get("href") for a in children(channel, "atom:link") if a.get("rel") == "self"]
        feed_url = next((u for u in [*links, self.origin] if u and not check_url(u)), None)
        guid_text = text_of(channel, "podcast:guid")
        if guid_text:
            try:
                guid_text = str(uuid.UUID(guid_text))
            except ValueError:
                derived = podcast_guid(feed_url) if feed_url else "from the new feed's URL when built"
                self.warn(first(channel, "podcast:guid"), "podcast:guid", f"{guid_text!r} is not a UUID: dropped "
                          f"(derived again, as the namespace specifies: {derived})")
                guid_text = None
        guid = hex_guid(guid_text or feed_url or title)
        labels = {"language": self.language(first(channel, "language"), text_of(channel, "language")),
                  "explicit": self.flag(channel, "itunes:explicit"),
                  "type": (text_of(channel, "itunes:type") or "").lower() or None,
                  "block": self.flag(channel, "itunes:block"),
                  "complete": self.flag(channel, "itunes:complete"),
                  "locked": self.flag(channel, "podcast:locked"),
                  "medium": text_of(channel, "podcast:medium")}
        if labels["type"] not in (None, "episodic", "serial"):
            self.warn(first(channel, "itunes:type"), "itunes:type", f"{labels['type']!r} ignored")
            labels["type"] = None
        if labels["medium"] not in (None, *MEDIUMS):
            self.warn(first(channel, "podcast:medium"), "podcast:medium", f"{labels['medium']!r} ignored")
            labels["medium"] = None
        owner = first(channel, "itunes:owner")
        email = text_of(owner, "itunes:email") if owner is not None else None
        owner_name = text_of(owner, "itunes:name") if owner is not None else None
        if email and check_email(email):
            self.warn(first(owner, "itunes:email"), "itunes:email", f"{check_email(email)}: dropped")
            email = None
        license_ = first(channel, "podcast:license")
        image = self.image(channel)
        if image is None:
            self.warn(channel, "itunes:image", "the feed has no artwork: set image.uri before building")
        show: dict[str, Any] = {
            "apiVersion": "v1", "kind": "show",
            "metadata": {"name": unique_name(title, set(), "podcast", guid), "guid": guid,
                         "tags": self.text(channel, "itunes:keywords", text_of(channel, "itunes:keywords")),
                         "labels": {k: v for k, v in labels.items() if v is not None}},
            "description": {
                "title": title,
                "summary": self.text(channel, "description", text_of(
                    channel, "description", "itunes:summary", "googleplay:description")) or title,
                "link": external(self.url(channel, "link", text_of(channel, "link"))),
                "category": self.categories(channel),
                "owner": {"name": owner_name, "email": email} if email else None,
                "author": self.text(channel, "itunes:author",
                                    text_of(channel, "itunes:author", "googleplay:author"), MAX_TITLE),
                "copyright": self.text(channel, "copyright", text_of(channel, "copyright"), MAX_TITLE),
                "license": {"name": "".join(license_.itertext()).strip()[:128],
                            "uri": self.url(license_, "podcast:license", license_.get("url"))}
                if license_ is not None and "".join(license_.itertext()).strip() else None,
            },
            "image": image,
            "newFeedLink": self.new_feed_url(channel, unique_name(title, set(), "podcast", guid), base_url),
            "feedLink": external(feed_url),
            "podcastGuid": guid_text or (podcast_guid(feed_url) if feed_url else None),
            "site": {"baseUrl": base_url} if base_url else None,
            "funding": self.funding(channel), "persons": self.persons(channel),
            **TagReader(self).channel(channel),
        }
        return prune(show)

    def chapters(self, element: Any) -> list[dict[str, Any]]:
        """Read a podcast:chapters JSON file (next to a local feed, or over http) into chapter entries."""
        href = (element.get("url") or "").strip()
        where = urljoin(self.origin, href) if re.match(r"^https?://", self.origin, re.IGNORECASE) else href
        if not re.match(r"^https?://", where, re.IGNORECASE):
            folder = Path(self.origin).resolve().parent
            local = (folder / where).resolve()
            if not local.is_relative_to(folder):
                self.warn(element, "podcast:chapters", f"{href!r} is outside the feed's folder: not read")
                return []
            where = str(local)
        elif self.offline:
            self.warn(element, "podcast:chapters", f"{href} not fetched (offline): chapters not imported")
            return []
        try:
            data = load_json(fetch(where, MAX_CHAPTERS, self.timeout, self.allow_private))
        except (PodopsError, ValueError) as exc:
            self.warn(element, "podcast:chapters", f"chapters not imported: {exc}")
            return []
        entries = data.get("chapters") if isinstance(data, dict) else None
        chapters = []
        for entry in entries if isinstance(entries, list) else []:
            entry = entry if isinstance(entry, dict) else {}
            start, title = entry.get("startTime"), entry.get("title")
            if not isinstance(start, int | float) or isinstance(start, bool) or not title:
                self.warn(element, "podcast:chapters", f"chapter {str(entry)[:200]!r} has no startTime or "
                          "title: dropped")
                continue
            try:
                parse_duration(start)
            except ValueError as exc:
                self.warn(element, "podcast:chapters", f"chapter {str(title)[:80]!r}: startTime {exc}: dropped")
                continue
            chapter = {"start": start, "title": str(title)[:MAX_TITLE],
                       "url": self.url(element, "podcast:chapters", entry.get("url")),
                       "img": self.url(element, "podcast:chapters", entry.get("img")),
                       "toc": False if entry.get("toc") is False else None}
            chapters.append({k: v for k, v in chapter.items() if v is not None})
        return chapters

    def enclosure(self, item: Any, title: str | None) -> dict[str, Any] | None:
        """The first enclosure: its URL exactly as published, with size, type and duration."""
        element = first(item, "enclosure")
        url = (element.get("url") or "").strip() if element is not None else ""
        if not url:
            self.warn(item, "enclosure", f"item {title or '(untitled)'!r} has no enclosure: skipped")
            return None
        if check_url(url):
            self.warn(element, "enclosure", f"{url!r}: {check_url(url)} (kept as is: fix it before building)")
        length = (element.get("length") or "").strip()
        if not whole_number(length):
            self.warn(element, "enclosure", f"length {length!r} is not a size in bytes: set enclosure.size")
        written, duration = text_of(item, "itunes:duration"), None
        try:
            seconds = parse_duration(written) if written else None
            duration = int(seconds) if seconds is not None and seconds.is_integer() else seconds
        except ValueError:
            self.warn(first(item, "itunes:duration"), "itunes:duration",
                      f"{written!r} is not a duration: ignored")
        kind = element.get("type") or mimetypes.guess_type(urlsplit(url).path)[0] or "audio/mpeg"
        size = int(length) if whole_number(length) else None
        return {"uri": url, "rel": "external", "type": kind, "size": size, "duration": duration}

    def episode(self, item: Any, show_guid: str, names: set[str],
                fallback: datetime | None) -> dict[str, Any] | None:
        """One episode resource from an item, or None (with a warning) when it cannot be one."""
        title = self.text(item, "title", text_of(item, "title", "itunes:title"), MAX_TITLE)
        enclosure = self.enclosure(item, title)
        if enclosure is None:
            return None
        item_guid = text_of(item, "guid")
        if item_guid is None:
            self.warn(item, "guid", f"item {title!r} has no <guid>: its enclosure URL becomes its guid")
            item_guid = enclosure["uri"]
        guid = item_guid if _HEX12.match(item_guid) else hex_guid(item_guid)
        date = self.date(item) or fallback
        if date is None:
            self.warn(item, "pubDate", f"item {title!r} has no date and the channel none either: skipped")
            return None
        kind = (text_of(item, "itunes:episodeType") or "full").lower()
        if kind not in ("full", "trailer", "bonus"):
            self.warn(first(item, "itunes:episodeType"), "itunes:episodeType", f"{kind!r} read as full")
            kind = "full"
        tags = TagReader(self)
        season = self.number(item, "itunes:season", "podcast:season")
        number = self.number(item, "itunes:episode", "podcast:episode")
        summary = text_of(item, "description", "itunes:summary", "content:encoded", "itunes:subtitle")
        notes = text_of(item, "content:encoded")
        chapters = [c for e in children(item, "podcast:chapters")[:1] for c in self.chapters(e)] or [
            c for e in children(item, "psc:chapters")[:1] for c in psc_chapters(self, e, MAX_TITLE)]
        if chapters:  # a podops feed's timestamps repeat the chapters: the next build writes them again
            summary, notes = without_timestamps(summary), without_timestamps(notes)
        return prune({
            "apiVersion": "v1", "kind": "episode",
            "metadata": {"name": unique_name(title or "", names, "episode", guid), "guid": guid,
                         "parent": show_guid, "date": rfc1123(date),
                         "itemGuid": item_guid if item_guid != guid else None,
                         "labels": {"season": season, "episode": number, **tags.labels(item, season, number),
                                    "type": kind, "explicit": self.flag(item, "itunes:explicit"),
                                    "block": self.flag(item, "itunes:block")}},
            "description": {
                "title": title or urlsplit(enclosure["uri"]).path.rsplit("/", 1)[-1],
                "summary": self.text(item, "description", summary) or title or enclosure["uri"],
                "episodeText": self.text(item, "content:encoded", notes) if notes != summary else None,
                "link": external(self.url(item, "link", text_of(item, "link")))},
            "image": self.image(item),
            "enclosure": enclosure,
            "chapters": chapters,
            "transcripts": [prune({"uri": uri, "rel": "external", "type": t.get("type"),
                                    "language": self.language(t, t.get("language")),
                                    "captions": True if t.get("rel") == "captions" else None})
                            for t in children(item, "podcast:transcript")
                            if (uri := self.url(t, "podcast:transcript", t.get("url")))],
            "persons": self.persons(item), "funding": self.funding(item),
            **tags.item(item),
        })


def import_feed(source: str, out: Path, base_url: str | None = None, offline: bool = False,
                timeout: float = 30.0, keep_new_feed_url: bool = False, allow_private: bool = False) -> Imported:
    """Import the feed at ``source`` (a file or an http(s) URL) as a new production in ``out``.

    ``timeout`` bounds each fetch as a whole; ``allow_private`` permits loopback and private hosts.
    """
    display = source if re.match(r"^https?://", source, re.IGNORECASE) else Path(source).name
    channel = parse_feed(fetch(source, MAX_FEED, timeout, allow_private), display)
    reader = FeedImporter(display, source, offline, timeout, keep_new_feed_url, allow_private)
    show = reader.show(channel, base_url)
    reader.leftovers(channel, CHANNEL_READ, {
        "itunes:title": show["description"]["title"], "itunes:summary": show["description"]["summary"],
        "googleplay:description": show["description"]["summary"],
        "googleplay:author": show["description"].get("author"),
        "itunes:subtitle": show["description"]["summary"]})
    items = children(channel, "item")
    fallback = reader.date(channel) or (parse_date_or_none(text_of(channel, "lastBuildDate")))
    names: set[str] = set()
    episodes: dict[str, dict[str, Any]] = {}
    enclosures: set[str] = set()
    for item in items:
        episode = reader.episode(item, show["metadata"]["guid"], names, fallback)
        if episode is None:
            continue
        notes = episode["description"]
        reader.leftovers(item, ITEM_READ, {
            "itunes:title": notes["title"], "itunes:summary": notes["summary"],
            "itunes:subtitle": notes["summary"], "googleplay:description": notes["summary"]})
        guid, url = episode["metadata"]["guid"], episode["enclosure"]["uri"]
        if guid in episodes or url in enclosures:
            what = "guid" if guid in episodes else "enclosure URL"
            reader.warn(item, "guid", f"duplicate {what} (apps would show one episode): item skipped")
            names.discard(episode["metadata"]["name"])
            continue
        episodes[guid] = episode
        enclosures.add(url)
    if show.get("metadata", {}).get("labels", {}).get("type") == "serial" and any(
            "episode" not in e["metadata"].get("labels", {}) for e in episodes.values()):
        reader.warn(channel, "itunes:type",
                    "serial show with unnumbered episodes: add metadata.labels.episode")
    dates = [parse_date(e["metadata"]["date"]) for e in episodes.values()]
    if dates:  # the show is as old as its first episode; keep the key order PodOps writes
        name, guid, *rest = show["metadata"].items()
        show["metadata"] = dict([name, guid, ("date", rfc1123(min(dates))), *rest])
    channels = reader.channels(channel, show)
    files = {out / "show.yaml": show,
             **{out / "episodes" / f"episode-{guid}.yaml": e for guid, e in episodes.items()},
             **{out / "channels" / f"channel-{c['metadata']['guid']}.yaml": c for c in channels}}
    _write(out, files)
    where = "" if base_url or show["description"].get("link") else (
        " --base-url URL (the feed names no site: set site.baseUrl, or pass where the new site will live)")
    return Imported(list(files), sorted(reader.warnings), len(episodes), len(channels),
                    f"next: podops validate {out}{where}")


def _write(out: Path, files: dict[Path, dict[str, Any]]) -> None:
    """Write every resource, or none when any would overwrite an existing file or add a second show."""
    advice = "import into a new folder"
    shows = sorted(out.glob("show-*.yaml"))
    if shows:
        raise PodopsError([Diagnostic(str(p), message=f"already exists: {advice} (nothing was written)")
                           for p in [p for p in files if p.exists()] + shows])
    create({path: document(data, schema_reference(path, out)) for path, data in files.items()}, advice)
    if not (out / SCHEMA_FILE).exists():
        write_schema(out)
