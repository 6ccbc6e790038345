"""The read API as static files: JSON:API 1.0 documents under ``api/v1/``, rendered with the site.

A static host serves the folder; no server is needed. ``api/v1/index.json`` holds one
``catalog`` resource whose relationships link the collections (``shows``, ``episodes`` and
whatever :data:`podops.load.schema.API_COLLECTIONS` names), each paginated as ``<name>.json``
(the newest items) and ``<name>/page/<n>.json`` (older ones, numbered from the oldest), with one
document per resource at ``<name>/<id>.json``. Every link is
absolute, from the site's base URL; clients follow ``links`` and never build URLs (JSON:API 1.0
§7.1). Only what the feeds publish appears: the releases the build chose, in the same bytes
(media URL, length, duration). Documents are keyed in the page cache like pages, so an edited
episode re-renders its document and the pages that list it, and nothing else. An episode's
document links its show (``relationships.show``) rather than including it: the show carries its
episode count, so an included copy would change every episode's document when one is added.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from functools import partial
from typing import Any

from podops import live, urls
from podops.load.apischema import API_COLLECTIONS
from podops.load.schema import DEFAULT_PAGE_SIZE
from podops.model import Episode, OnAir, Release, Show
from podops.render import markup
from podops.render.pagecache import PageCache
from podops.write.output import Plan

API_DIR = "api/v1"
MEDIA_TYPE = "application/vnd.api+json"  # JSON:API 1.0 §5.1, without media type parameters
JSONAPI = {"version": "1.0"}
INDEX = f"{API_DIR}/index.json"
OPENAPI = f"{API_DIR}/openapi.json"
HEADERS = "_headers"  # Netlify and Cloudflare Pages read response headers from this file
Resource = dict[str, Any]


def collection_path(name: str, page: int = 0) -> str:
    """Output path of a collection's (``episodes``, ``shows/<guid>/episodes``) first document, or of
    its page ``page`` counted from the oldest items."""
    return f"{API_DIR}/{name}.json" if page == 0 else f"{API_DIR}/{name}/page/{page}.json"


def resource_path(kind: str, id: str) -> str:
    """Output path of the document of one resource, e.g. ``api/v1/episodes/<guid>.json``."""
    return f"{API_DIR}/{kind}/{id}.json"


def show_episodes(show: Show) -> str:
    """Collection name of a show's episodes."""
    return f"shows/{show.guid}/episodes"


def rfc3339(date: datetime | None) -> str | None:
    """A date as RFC 3339 in UTC (``2024-09-16T09:00:00Z``)."""
    return date.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if date else None


def mmss(seconds: int | None) -> str | None:
    """``MM:SS`` as Transistor writes it; minutes run past 59 for long episodes."""
    return None if seconds is None else f"{seconds // 60:02d}:{seconds % 60:02d}"


def encode(value: Any) -> str:
    """JSON text: sorted keys, no spaces, so two builds give the same bytes.

    ``<``, ``>`` and ``&`` are written as JSON escapes (as Go's encoding/json does), so no document
    holds markup as bytes even where a client pastes it into HTML; parsers read the same strings.
    Escaping works character by character, so encoded parts can be joined into a document.
    """
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")  # faster than translate


def dump(document: dict[str, Any]) -> bytes:
    """One whole document as the bytes of its file."""
    return (encode(document) + "\n").encode()


def assemble(data: bytes, links: dict[str, Any], included: Sequence[bytes] = (),
             meta: dict[str, Any] | None = None) -> bytes:
    """A document from already encoded resources (UTF-8): what :func:`dump` gives, without encoding them again.

    The members come in sorted order (data, included, jsonapi, links, meta), as ``sort_keys`` has them.
    """
    parts = [b'{"data":', data]
    if included:
        parts += [b',"included":[', b",".join(included), b"]"]
    parts += [b',"jsonapi":', encode(JSONAPI).encode(), b',"links":', encode(links).encode()]
    if meta is not None:
        parts += [b',"meta":', encode(meta).encode()]
    parts.append(b"}\n")
    return b"".join(parts)


def _link(site_url: str, path: str) -> str:
    return urls.absolute(site_url, path)


def show_resource(release: Release, site_url: str | None = None) -> Resource:
    """A published show as a JSON:API resource object (``type: show``, ``id``: its GUID)."""
    show, base = release.show, release.base_url
    site = site_url or base
    category = None
    if show.categories:
        name, subs = show.categories[0]
        category = f"{name} :: {subs[0]}" if subs else name
    attributes = {
        "title": show.title,
        "description": markup.render(show.summary),
        "author": show.author or show.owner_name or show.title,  # as itunes:author
        "keywords": show.keywords,
        "image_url": urls.asset_url(base, show, show.image) if show.image else None,
        "feed_url": release.feed_url,
        "public_page_url": urls.absolute(base, urls.show_dir(show)),
        "website": show.link,
        "language": show.language,
        "category": category,
        "explicit": show.explicit,
        "show_type": show.type,
        "episodes_count": len(release.episodes),
        "slug": show.name,
        "podcast_guid": show.podcast_guid or urls.podcast_guid(release.feed_url),
    }
    episodes = {"links": {"related": _link(site, collection_path(show_episodes(show)))},
                "meta": {"count": len(release.episodes)}}
    return {"type": "show", "id": show.guid, "attributes": attributes,
            "relationships": {"episodes": episodes},
            "links": {"self": _link(site, resource_path("shows", show.guid))}}


def embed_html(url: str, title: str) -> str:
    """The ``<iframe>`` snippet of an embed page, the one the episode page offers."""
    from podops.render.site import embed_snippet

    return embed_snippet(url, title)


def episode_resource(release: Release, episode: Episode, site_url: str | None = None) -> Resource:
    """A published episode as a JSON:API resource object, with the values its feed item carries."""
    show, base = release.show, release.base_url
    site = site_url or base
    enclosure, image = episode.enclosure, episode.image or show.image
    duration = int(round(episode.duration)) if episode.duration is not None else None
    title = f"{episode.title} – {show.title}"  # the embed page's title, as on the episode page
    attributes = {
        "guid": episode.feed_guid,
        "title": episode.title,
        "summary": markup.plain(episode.summary),
        "description": markup.episode_html(episode),
        "keywords": show.keywords,
        "explicit": show.explicit if episode.explicit is None else episode.explicit,
        "number": episode.number,
        "season": episode.season,
        "season_name": episode.season_name or (f"Season {episode.season}" if episode.season is not None else None),
        "episode_display": episode.episode_display,
        "episode_type": episode.type,
        "status": "draft" if episode.status == "draft" else "published",
        "published_at": rfc3339(episode.date),
        "datetime": int(episode.date.timestamp()) if episode.date else None,
        "duration": duration,
        "duration_in_mmss": mmss(duration),
        "media_url": urls.asset_url(base, show, enclosure) if enclosure else "",
        "audio_length": (enclosure.size or 0) if enclosure else 0,  # the feed's enclosure length
        "media_type": (enclosure.type or "audio/mpeg") if enclosure else "audio/mpeg",
        "image_url": urls.asset_url(base, show, image) if image else None,
        "share_url": urls.absolute(base, urls.episode_path(show, episode)),
        "embed_html": embed_html(urls.absolute(base, urls.embed_path(show, episode, False)), title),
        "embed_html_dark": embed_html(urls.absolute(base, urls.embed_path(show, episode, True)), title),
        "transcripts": [{"url": urls.asset_url(base, show, t), "type": t.type or "text/plain",
                         "language": t.language, "rel": "captions" if t.captions else None}
                        for t in episode.transcripts],
        "chapters_url": urls.absolute(base, urls.chapters_path(show, episode)) if episode.chapters else None,
    }
    show_link = {"data": {"type": "show", "id": show.guid},
                 "links": {"related": _link(site, resource_path("shows", show.guid))}}
    return {"type": "episode", "id": episode.guid, "attributes": attributes,
            "relationships": {"show": show_link},
            "links": {"self": _link(site, resource_path("episodes", episode.guid))}}


def channel_resource(release: Release, on_air: OnAir, site_url: str | None = None) -> Resource:
    """A public live channel as a JSON:API resource: Streaming.Center's public fields and its schedule."""
    show, channel = release.show, on_air.channel
    site = site_url or release.base_url
    attributes = {
        "title": channel.title,
        "description": markup.render(channel.summary),
        "slug": channel.name,
        "stream_url": channel.stream_url,
        "secure_stream_url": channel.secure_url,
        "hls_url": channel.hls_url,
        "s_format": channel.format,
        "mime_type": live.MIME_TYPES[channel.format],
        "bitrate": str(channel.bitrate) if channel.bitrate else None,
        "s_type": channel.server,
        "mount_point": channel.mount_point,
        "public": True,
        "status_url": channel.status_url,
        "live_page_url": on_air.page_url,
        "chat_url": channel.chat,
        "on_air": any(e.status == "live" for e in on_air.events),
        "schedule": [{"guid": e.guid, "title": e.title, "start": rfc3339(e.start), "end": rfc3339(e.end),
                      "status": e.status} for e in on_air.events],
    }
    show_link = {"data": {"type": "show", "id": show.guid},
                 "links": {"related": _link(site, resource_path("shows", show.guid))}}
    return {"type": "channel", "id": channel.guid, "attributes": attributes,
            "relationships": {"show": show_link},
            "links": {"self": _link(site, resource_path("channels", channel.guid))}}


def catalog_resource(releases: Sequence[Release], counts: Mapping[str, int], site_url: str) -> Resource:
    """The entry point: the site, the OpenAPI document and a relationship per collection."""
    title = releases[0].show.title if len(releases) == 1 else "Podcasts"
    relationships = {name: {"links": {"related": _link(site_url, collection_path(name))},
                            "meta": {"count": counts.get(name, 0)}} for name in API_COLLECTIONS}
    return {"type": "catalog", "id": hashlib.sha256(site_url.encode()).hexdigest()[:12],
            "attributes": {"title": title, "site_url": site_url, "openapi_url": _link(site_url, OPENAPI)},
            "relationships": relationships, "links": {"self": _link(site_url, INDEX)}}


def newest_first(releases: Iterable[Release]) -> list[tuple[Release, Episode]]:
    """Every published episode of these releases, newest first by date (GUID breaks ties)."""
    pairs = [(r, e) for r in releases for e in r.episodes]
    pairs.sort(key=lambda p: (p[1].date.timestamp() if p[1].date else 0, p[1].guid), reverse=True)
    return pairs


def page_size(releases: Sequence[Release]) -> int:
    """Items per page of the network-wide collections: the largest any show asks for."""
    return max((r.show.api_page_size for r in releases), default=DEFAULT_PAGE_SIZE)


class ApiRenderer:
    """Renders every API document of one build into the plan, reusing unchanged ones."""

    def __init__(self, releases: list[Release], plan: Plan, cache: PageCache | None = None) -> None:
        self.releases, self.plan = releases, plan
        self.cache = cache or PageCache(None, None, "", enabled=False)
        self.site_url = releases[0].base_url if releases else "/"
        self._shows: dict[str, bytes] = {}
        self._episodes: dict[int, bytes] = {}  # UTF-8: half the memory of a str holding one en dash

    def show(self, release: Release) -> bytes:
        """A show's resource object as JSON, made once per build."""
        guid = release.show.guid
        if guid not in self._shows:
            self._shows[guid] = encode(show_resource(release, self.site_url)).encode()
        return self._shows[guid]

    def episode(self, release: Release, episode: Episode) -> bytes:
        """An episode's resource object as JSON, made once per build (its document and two pages list it)."""
        text = self._episodes.get(id(episode))
        if text is None:
            text = (self._previous_episode(release, episode)
                    or encode(episode_resource(release, episode, self.site_url)).encode())
            self._episodes[id(episode)] = text
        return text

    def _previous_episode(self, release: Release, episode: Episode) -> bytes | None:
        """The episode's resource object as the previous output's document of it holds it, when unchanged.

        Adding an episode moves every collection page; this way only the new episode is encoded.
        """
        path = resource_path("episodes", episode.guid)
        key = self.cache.key(self.cache.describe("resource", self.site_url, release, episode))
        if not self.cache.reusable_part(path, "data", key) or self.cache.out is None:
            return None
        try:
            with open(os.path.join(self.cache.out, path), "rb") as handle:  # UTF-8 as written: its signature held
                document = handle.read()
        except OSError:
            return None
        # {"data":<resource>,"jsonapi":…}: a string in the resource never holds a bare quote
        end = document.find(b',"jsonapi":{')
        return document[len(b'{"data":'):end] if document.startswith(b'{"data":{') and end > 0 else None

    def write(self, path: str, material: list[object], make: Callable[[], bytes]) -> None:
        """Plan one document, or keep the previous output's when its inputs are unchanged."""
        key = self.cache.key(self.cache.describe(path, self.site_url, *material))
        if self.cache.reusable(path, key):
            self.plan.keep(path)
        else:
            self.plan.add(path, make())

    def paginate(self, name: str, items: Sequence[Any], size: int,
                 material: Callable[[Sequence[Any], bool], list[object]],
                 make: Callable[[Sequence[Any], bool], tuple[list[bytes], list[bytes]]]) -> None:
        """A collection, newest first: its first document, then older pages numbered from the oldest.

        JSON:API §6.4 leaves the strategy to the server. The first document holds the newest
        ``size`` items and Transistor's meta (totals, current page); the items after them are in
        pages of ``size`` counted from the oldest (``page/1.json``), the newest of which may be
        short. So an added item changes the first document and that short page only: a full page
        stays as it was (but for its ``prev`` link, once, when a new short page starts), and
        links.next still walks every item once.
        ``material`` and ``make`` are told whether they serve the first document.
        """
        total, older = len(items), -(-max(0, len(items) - size) // size)  # older: the numbered pages

        def url(number: int) -> str:
            return _link(self.site_url, collection_path(name, number))

        def first() -> bytes:
            data, included = make(items[:size], True)
            links = {"self": url(0), "first": url(0), "last": url(1 if older else 0), "prev": None,
                     "next": url(older) if older else None}
            meta = {"totalCount": total, "totalPages": older + 1, "currentPage": 1, "pageSize": size}
            return assemble(b"[" + b",".join(data) + b"]", links, included, meta)

        self.write(collection_path(name), [total, older, size, *material(items[:size], True)], first)
        for number in range(1, older + 1):  # page n holds the items size·(n-1) to size·n from the oldest
            end = total - size * (number - 1)
            chunk = items[max(size, end - size):end]

            def page(chunk: Sequence[Any] = chunk, number: int = number) -> bytes:
                data, included = make(chunk, False)
                links = {"self": url(number), "first": url(0), "last": url(1),
                         "prev": url(number + 1) if number < older else url(0),
                         "next": url(number - 1) if number > 1 else None}
                return assemble(b"[" + b",".join(data) + b"]", links, included, {"pageSize": size})

            self.write(collection_path(name, number), [number, number == older, size, *material(chunk, False)], page)

    def episodes_page(self, pairs: Sequence[tuple[Release, Episode]], first: bool) -> tuple[list[bytes], list[bytes]]:
        """Episode resources of one page, and on the first page the shows they belong to (a compound document).

        Older pages only link the shows (``relationships.show``): an included show carries its
        episode count, which would change every page when an episode is added.
        """
        data = [self.episode(r, e) for r, e in pairs]
        if not first:
            return data, []
        shows: dict[str, Release] = {}
        for release, _ in pairs:
            shows.setdefault(release.show.guid, release)
        return data, [self.show(r) for r in shows.values()]

    def episodes_material(self, pairs: Sequence[tuple[Release, Episode]], first: bool) -> list[object]:
        """What an episode page is made of: its episodes, and on the first page their shows with their counts."""
        shows = {id(r): r for r, _ in pairs}
        counts = [len(r.episodes) for r in shows.values()] if first else []
        return [*(x for r, e in pairs for x in (r, e)), *counts]

    def render(self, extra: Mapping[str, Sequence[Resource]]) -> None:
        """Every document: catalog, collections, one per show and episode, OpenAPI, _headers."""
        from podops.render import openapi

        everything = newest_first(self.releases)
        channels = [channel_resource(r, on_air, self.site_url) for r in self.releases for on_air in r.live]
        extra = {"channels": sorted(channels, key=lambda c: (c["attributes"]["slug"], c["id"])), **extra}
        counts = {"shows": len(self.releases), "episodes": len(everything),
                  **{name: len(extra.get(name, ())) for name in API_COLLECTIONS if name not in ("shows", "episodes")}}
        self.plan.add(INDEX, dump({"jsonapi": JSONAPI, "data": catalog_resource(self.releases, counts, self.site_url),
                                   "links": {"self": _link(self.site_url, INDEX)}}))
        self.plan.add(OPENAPI, openapi.render(self.site_url))
        self.plan.add(HEADERS, headers())
        self.paginate("shows", self.releases, page_size(self.releases),
                      lambda chunk, _: [x for r in chunk for x in (r, len(r.episodes))],
                      lambda chunk, _: ([self.show(r) for r in chunk], []))
        self.paginate("episodes", everything, page_size(self.releases), self.episodes_material, self.episodes_page)
        for release in self.releases:
            show = release.show
            count = len(release.episodes)
            self.write(resource_path("shows", show.guid), [release, count], partial(self.show_document, release))
            self.paginate(show_episodes(show), newest_first([release]), show.api_page_size,
                          self.episodes_material, self.episodes_page)
            for episode in release.episodes:  # not the count: the document does not include the show
                self.write(resource_path("episodes", episode.guid), [release, episode],
                           partial(self.episode_document, release, episode))
        for name in API_COLLECTIONS:
            if name in ("shows", "episodes"):
                continue
            resources = list(extra.get(name, ()))
            self.paginate(name, resources, page_size(self.releases), lambda chunk, _: [encode(list(chunk))],
                          lambda chunk, _: ([encode(r).encode() for r in chunk], []))
            for resource in resources:
                path = resource_path(name, resource["id"])
                self.plan.add(path, dump({"jsonapi": JSONAPI, "data": resource,
                                          "links": {"self": _link(self.site_url, path)}}))
        self._episodes.clear()  # those of reused documents: freed now, not when the collector finds the renderer

    def show_document(self, release: Release) -> bytes:
        """One show."""
        return assemble(self.show(release), {"self": _link(self.site_url, resource_path("shows", release.show.guid))})

    def episode_document(self, release: Release, episode: Episode) -> bytes:
        """One episode; its show is a link away (``relationships.show``), as Transistor's without include=show."""
        text = self.episode(release, episode)
        self._episodes.pop(id(episode))  # its last use: the collections that list it came first (about 6 kB each)
        return assemble(text, {"self": _link(self.site_url, resource_path("episodes", episode.guid))})


def headers() -> str:
    """``_headers`` for Netlify and Cloudflare Pages: CORS on api/, the JSON:API media type on documents.

    Cloudflare joins a header set by two matching rules with a comma, so each path gets its
    ``Content-Type`` from exactly one rule; openapi.json keeps the host's application/json.
    """
    rules = ["/api/*", "  Access-Control-Allow-Origin: *", "  Access-Control-Allow-Methods: GET, HEAD, OPTIONS",
             "  Access-Control-Expose-Headers: Content-Length, ETag, Last-Modified",
             "", f"/{INDEX}", f"  Content-Type: {MEDIA_TYPE}"]
    for name in API_COLLECTIONS:
        rules += ["", f"/{API_DIR}/{name}.json", f"  Content-Type: {MEDIA_TYPE}",
                  "", f"/{API_DIR}/{name}/*", f"  Content-Type: {MEDIA_TYPE}"]
    return "\n".join(rules) + "\n"


def render_api(releases: list[Release], plan: Plan, cache: PageCache | None = None,
               extra: Mapping[str, Sequence[Resource]] | None = None) -> None:
    """Render the read API of these releases into the plan; ``extra`` fills further collections.

    Pass only what is public (a private show's release stays out). A new collection is named in
    :data:`podops.load.schema.API_COLLECTIONS` (and its type in ``API_RESOURCES``); its resource
    objects, newest first, come in ``extra[name]``: the catalog links it, it is paginated like
    the episodes, each resource gets ``api/v1/<name>/<id>.json``, and openapi.json describes it.
    """
    ApiRenderer(releases, plan, cache).render(extra or {})
