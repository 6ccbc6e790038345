"""The read API's resource types (api/v1/) declared from the format's fields, and their JSON Schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podops.load.schema import CHANNEL, EPISODE, EVENT_TYPES, GUID_PATTERN, NAME_PATTERN, SHOW, Field, field_at


@dataclass(frozen=True)
class Attribute:
    """One attribute of a read-API resource (``api/v1/``): its JSON type and the field it comes from."""

    type: str  # JSON Schema type: string integer number boolean array
    doc: str = ""  # empty: the source field's doc
    nullable: bool = False
    source: Field | None = None  # a resource field: its doc, choices and pattern carry over
    format: str | None = None  # JSON Schema format annotation: uri, date-time
    choices: tuple[str, ...] = ()  # overrides the source's choices
    items: dict[str, Any] | None = None  # array items


def _from(spec: Field, dotted: str, type: str = "string", doc: str = "", nullable: bool = False,
          **more: Any) -> Attribute:
    return Attribute(type, doc, nullable, field_at(spec, dotted), **more)


URL = {"type": "string", "format": "uri"}


API_SHOW = {
    "title": _from(SHOW, "description.title"),
    "description": Attribute("string", "description.summary as sanitised HTML."),
    "author": _from(SHOW, "description.author", doc="As itunes:author: the author, else the owner, else the title."),
    "keywords": _from(SHOW, "metadata.tags", nullable=True),
    "image_url": Attribute("string", "Show artwork.", True, format="uri"),
    "feed_url": Attribute("string", "The RSS feed.", format="uri"),
    "public_page_url": Attribute("string", "The show page.", format="uri"),
    "website": _from(SHOW, "description.link", nullable=True, format="uri"),
    "language": _from(SHOW, "metadata.labels.language", doc="Language as the feed writes it, e.g. en-us."),
    "category": Attribute("string", "First Apple category, `Parent :: Subcategory` when it has one.", True),
    "explicit": _from(SHOW, "metadata.labels.explicit", "boolean", "Explicit content, as itunes:explicit."),
    "show_type": _from(SHOW, "metadata.labels.type"),
    "episodes_count": Attribute("integer", "Episodes the feed publishes."),
    "slug": _from(SHOW, "metadata.name", doc="metadata.name: the show's URL segment."),
    "podcast_guid": _from(SHOW, "podcastGuid", doc="podcast:guid, as in the feed."),
}


API_EPISODE = {
    "guid": Attribute("string", "The feed item's `<guid>` (metadata.itemGuid, else metadata.guid)."),
    "title": _from(EPISODE, "description.title"),
    "summary": Attribute("string", "description.summary as plain text."),
    "description": Attribute("string", "Show notes as sanitised HTML: the summary, then episodeText."),
    "keywords": Attribute("string", "The show's keywords (metadata.tags).", True),
    "explicit": _from(EPISODE, "metadata.labels.explicit", "boolean", "Explicit content (else the show's)."),
    "number": _from(EPISODE, "metadata.labels.episode", "integer", nullable=True),
    "season": _from(EPISODE, "metadata.labels.season", "integer", nullable=True),
    "season_name": _from(EPISODE, "metadata.labels.seasonName", nullable=True,
                         doc="The season's name as podcast:season writes it (Season N unless named)."),
    "episode_display": _from(EPISODE, "metadata.labels.episodeDisplay", nullable=True,
                             doc="What apps show instead of the number (podcast:episode display)."),
    # Transistor calls this "type", but JSON:API 1.0 §7.2.2.1 forbids attributes named type or id.
    "episode_type": _from(EPISODE, "metadata.labels.type", doc="full, trailer or bonus (itunes:episodeType)."),
    "status": _from(EPISODE, "metadata.labels.status", choices=("published", "draft"),
                    doc="published; draft only in builds with --drafts."),
    "published_at": Attribute("string", "metadata.date in RFC 3339, UTC.", True, format="date-time"),
    "datetime": Attribute("integer", "metadata.date in Unix seconds.", True),
    "duration": Attribute("integer", "Seconds, as itunes:duration (probed for local MP3s).", True),
    "duration_in_mmss": Attribute("string", "Duration as MM:SS (minutes may exceed 59).", True),
    "media_url": Attribute("string", "The enclosure URL, exactly as in the feed.", format="uri"),
    "audio_length": Attribute("integer", "The enclosure's bytes, as in the feed."),
    "media_type": Attribute("string", "The enclosure's MIME type."),
    "image_url": Attribute("string", "Episode artwork, else the show's.", True, format="uri"),
    "share_url": Attribute("string", "The episode page.", format="uri"),
    "embed_html": Attribute("string", "The `<iframe>` snippet of the light embed player."),
    "embed_html_dark": Attribute("string", "The `<iframe>` snippet of the dark embed player."),
    "transcripts": Attribute("array", "podcast:transcript files.", items={
        "type": "object", "additionalProperties": False, "required": ["url", "type", "language", "rel"],
        "properties": {"url": URL, "type": {"type": "string"}, "language": {"type": ["string", "null"]},
                       "rel": {"type": ["string", "null"], "enum": ["captions", None]}}}),
    "chapters_url": Attribute("string", "The podcast:chapters JSON file.", True, format="uri"),
}


API_CATALOG = {
    "title": Attribute("string", "The site's title: the show's, or Podcasts for a network."),
    "site_url": Attribute("string", "The home page.", format="uri"),
    "openapi_url": Attribute("string", "The OpenAPI 3.1 description of every document.", format="uri"),
}


API_EVENT = {
    "event_type": Attribute("string", "What happened (README \"Events\"); the webhook payload's type.",
                            choices=EVENT_TYPES),
    "timestamp": Attribute("string", "When the build that found the change ran (RFC 3339, UTC).", format="date-time"),
    "data": Attribute("object", "The show or episode resource as the change left it; for episode_unpublished "
                      "its id with guid, title, published_at, share_url and media_url."),
}


# A live channel with Streaming.Center's public channel fields (seed 004: stream_url,
# secure_stream_url, hls_url, s_format, bitrate as a string, s_type, mount_point, public).
API_CHANNEL = {
    "title": _from(CHANNEL, "description.title"),
    "description": Attribute("string", "description.summary as sanitised HTML."),
    "slug": _from(CHANNEL, "metadata.name", doc="metadata.name: the live page's URL segment."),
    "stream_url": _from(CHANNEL, "stream.url", format="uri", doc="The stream (stream.url)."),
    "secure_stream_url": _from(CHANNEL, "stream.secureUrl", nullable=True, format="uri",
                               doc="The stream over https (stream.secureUrl)."),
    "hls_url": _from(CHANNEL, "stream.hlsUrl", nullable=True, format="uri", doc="HLS playlist (stream.hlsUrl)."),
    "s_format": _from(CHANNEL, "stream.format", doc="Codec (stream.format)."),
    "mime_type": Attribute("string", "The stream's MIME type, as the feed's enclosure."),
    "bitrate": Attribute("string", "Kilobits per second (stream.bitrate), a string as Streaming.Center writes it.",
                         True),
    "s_type": _from(CHANNEL, "stream.server", doc="Streaming server (stream.server)."),
    "mount_point": Attribute("string", "Mount point (stream.mountPoint, else the stream URL's path)."),
    "public": Attribute("boolean", "Always true: channels with public: false are not published."),
    "status_url": _from(CHANNEL, "stream.statusUrl", nullable=True, format="uri",
                        doc="Icecast status-json.xsl (stream.statusUrl): live listeners and title."),
    "live_page_url": Attribute("string", "The channel's live page (the liveItems' contentLink).", format="uri"),
    "chat_url": _from(CHANNEL, "chat", nullable=True, format="uri", doc="A chat room for listeners (chat)."),
    "on_air": Attribute("boolean", "A broadcast was live at the build's now."),
    "schedule": Attribute("array", "The broadcasts the feed announces, by start, with their status at the "
                          "build's now (podcast:liveItem).", items={
                              "type": "object", "additionalProperties": False,
                              "required": ["guid", "title", "start", "end", "status"],
                              "properties": {"guid": {"type": "string"}, "title": {"type": "string"},
                                             "start": {"type": "string", "format": "date-time"},
                                             "end": {"type": "string", "format": "date-time"},
                                             "status": {"enum": ["pending", "live", "ended"]}}}),
}


# Resource type → attributes; add a kind here first, then render it (podops.render.api) and describe it
# (podops.render.openapi) from this.
API_RESOURCES: dict[str, dict[str, Attribute]] = {"catalog": API_CATALOG, "show": API_SHOW, "episode": API_EPISODE,
                                                  "event": API_EVENT, "channel": API_CHANNEL}


# The catalog's collections: relationship name → member type, each paginated at api/v1/<name>.json.
API_COLLECTIONS: dict[str, str] = {"shows": "show", "episodes": "episode", "events": "event", "channels": "channel"}


def attribute_schema(attribute: Attribute) -> dict[str, Any]:
    """One API attribute as JSON Schema (draft 2020-12, as OpenAPI 3.1 uses)."""
    source = attribute.source
    doc = attribute.doc or (source.doc if source else "")
    out: dict[str, Any] = {"description": doc} if doc else {}
    out["type"] = [attribute.type, "null"] if attribute.nullable else attribute.type
    choices = attribute.choices or (source.choices if source and source.kind == "choice" else ())
    if choices:
        out["enum"] = [*choices, *([None] if attribute.nullable else [])]
    pattern = {"guid": GUID_PATTERN, "name": NAME_PATTERN}.get(source.kind if source else "")
    if pattern:
        out["pattern"] = pattern
    if attribute.format:
        out["format"] = attribute.format
    if attribute.items is not None:
        out["items"] = attribute.items
    return out


def attributes_schema(kind: str) -> dict[str, Any]:
    """The ``attributes`` object of an API resource type: every attribute present, null when unknown."""
    attributes = API_RESOURCES[kind]
    return {"type": "object", "additionalProperties": False, "required": sorted(attributes),
            "properties": {name: attribute_schema(a) for name, a in sorted(attributes.items())}}
