"""What a feed's podcast:liveItems become: live channels (``kind: channel``) whose schedules hold those broadcasts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from podops.commands.feedreader import FeedReader, children, first, text_of, whole_number
from podops.commands.importnames import hex_guid, parse_date_or_none, prune, unique_name
from podops.load.schema import MAX_TITLE
from podops.load.validate import check_url

# What a podcast:liveItem becomes (docs/tags/live-item.md): a broadcast of a kind: channel, whose
# stream is the enclosure; the old host's contentLink (its live page) is replaced by podops' own.
LIVE_READ = frozenset({
    "title", "description", "guid", "pubDate", "link", "enclosure", "podcast:alternateEnclosure", "itunes:image",
    "podcast:contentLink", "podcast:person",
})
FORMATS = {"audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/aac": "aac", "audio/aacp": "aac", "audio/mp4": "aac",
           "audio/ogg": "ogg", "application/ogg": "ogg", "audio/opus": "opus", "audio/flac": "flac"}
HLS_TYPES = ("application/vnd.apple.mpegurl", "application/x-mpegurl", "audio/mpegurl", "audio/x-mpegurl")
DEFAULT_BROADCAST = 3600  # seconds: a liveItem without an end is read as an hour long


class LiveImporter(FeedReader):
    """Reads a channel's liveItems into channel resources, collecting warnings at feed lines."""

    def broadcast(self, element: Any) -> tuple[str, dict[str, Any]] | None:
        """A liveItem as (its stream URL, a schedule entry), or None (with a warning) when it has no stream."""
        title = self.text(element, "title", text_of(element, "title"), MAX_TITLE) or "Live"
        enclosure = first(element, "enclosure")
        stream = self.url(enclosure, "enclosure", (enclosure.get("url") or "").strip()) \
            if enclosure is not None else None
        start = parse_date_or_none(element.get("start"))
        if stream is None or start is None:
            what = "no stream (enclosure)" if stream is None else f"start {element.get('start')!r} is no ISO 8601 date"
            self.warn(element, "podcast:liveItem", f"live item {title!r}: {what}: skipped")
            return None
        end = parse_date_or_none(element.get("end"))
        if end is None or end <= start:
            self.warn(element, "podcast:liveItem", f"live item {title!r}: no end after its start: "
                      "read as one hour long (set its end)")
            end = start + timedelta(seconds=DEFAULT_BROADCAST)
        image = first(element, "itunes:image")
        entry = {"title": title, "start": start.isoformat(), "end": end.isoformat(),
                 "description": self.text(element, "description", text_of(element, "description")),
                 "image": self.url(image, "itunes:image", image.get("href")) if image is not None else None,
                 "guid": text_of(element, "guid"), "persons": self.persons(element)}
        return stream, prune(entry)

    def stream(self, elements: list[Any], url: str) -> dict[str, Any]:
        """The stream block of a channel: format from the enclosure's type, https and HLS alternates."""
        mime = ""
        secure = hls = bitrate = None
        for element in elements:
            enclosure = first(element, "enclosure")
            mime = mime or (enclosure.get("type") or "").strip().lower()
            for alternate in children(element, "podcast:alternateEnclosure"):
                kind = (alternate.get("type") or "").strip().lower()
                sources = [(s.get("uri") or "").strip() for s in children(alternate, "podcast:source")]
                for source in (s for s in sources if s and not check_url(s)):
                    if kind in HLS_TYPES:
                        hls = hls or source
                    elif source.lower().startswith("https:") and source != url:
                        secure = secure or source
                if whole_number(alternate.get("bitrate") or "") and kind not in HLS_TYPES:
                    bitrate = bitrate or max(1, int(alternate.get("bitrate")) // 1000)
        return prune({"url": url, "secureUrl": secure, "hlsUrl": hls,
                       "format": FORMATS.get(mime.split(";")[0].strip(), "mp3"), "bitrate": bitrate})

    def channels(self, channel: Any, show: dict[str, Any]) -> list[dict[str, Any]]:
        """One kind: channel per stream the feed's liveItems play, with those broadcasts."""
        by_stream: dict[str, list[tuple[Any, dict[str, Any]]]] = {}
        for element in children(channel, "podcast:liveItem"):
            found = self.broadcast(element)
            if found is not None:
                self.leftovers(element, LIVE_READ, {})
                by_stream.setdefault(found[0], []).append((element, found[1]))
        title = show["description"]["title"]
        names: set[str] = set()
        out = []
        for number, (url, broadcasts) in enumerate(by_stream.items(), 1):
            guid = hex_guid("live " + url)
            name = unique_name(f"{title} live" + (f" {number}" if len(by_stream) > 1 else ""), names, "live", guid)
            schedule = sorted((entry for _, entry in broadcasts), key=lambda e: e["start"])
            out.append(prune({
                "apiVersion": "v1", "kind": "channel",
                "metadata": {"name": name, "guid": guid, "parent": show["metadata"]["guid"]},
                "description": {"title": f"{title} live", "summary": show["description"].get("summary")},
                "stream": self.stream([e for e, _ in broadcasts], url),
                "public": True,
                "schedule": schedule,
            }))
        return out
