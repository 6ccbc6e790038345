"""RSS 2.0 feeds for Apple Podcasts, Spotify and Podcasting 2.0 apps (the only module that imports feedgen).

feedgen writes the RSS core. Its own podcast extension only knows ``itunes:explicit`` as
yes/no/clean and silently drops some images (``security.md`` §7), so the ``itunes:`` and
``podcast:`` elements come from :class:`PodcastExtension`, a feedgen extension that writes what
Apple's tag reference and podcastindex.org/namespace/1.0 specify.

feedgen writes the channel; each ``<item>`` is serialised on its own (:class:`ItemWriter`) into the
very bytes feedgen's pretty whole-tree output holds, and spliced before ``</channel>``. So an item
whose inputs did not change is sliced out of the previous build's feed (see
:mod:`podops.render.pagecache`) instead of being built and serialised again, and every personal
feed of a private show shares one rendering of its items.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from podops import live, urls
from podops.model import Episode, LiveEvent, OnAir, Show
from podops.render import chapters, markup

if TYPE_CHECKING:
    from podops.render.pagecache import PageCache
    from podops.write.output import Plan

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
CLOSE = b"  </channel>"  # where a pretty feed's channel ends
MAX_DESCRIPTION_BYTES = chapters.MAX_DESCRIPTION_BYTES  # Apple: channel and item <description> ≤ 4,000 bytes
GENERATOR = "podops"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


NAMESPACES = {"itunes": ITUNES, "podcast": PODCAST, "atom": ATOM, "psc": chapters.PSC}


@functools.cache
def _clark(tag: str) -> str:
    """``{uri}name`` for a prefixed tag (``itunes:image``), the tag itself when it has no prefix."""
    prefix, _, name = tag.rpartition(":")
    return f"{{{NAMESPACES[prefix]}}}{name}" if prefix else name


@dataclass
class Element:
    """One namespaced element to append: tag with prefix, attributes, text, children."""

    tag: str
    text: str | None = None
    attrib: dict[str, str] = field(default_factory=dict)
    children: list[Element] = field(default_factory=list)

    def build(self, parent: Any) -> None:
        """Append this element to an lxml parent."""
        node = etree.SubElement(parent, _clark(self.tag), self.attrib)
        node.text = self.text
        for child in self.children:
            child.build(node)


class PodcastExtension(BaseExtension):
    """feedgen extension writing channel-level ``itunes:`` and ``podcast:`` elements."""

    def __init__(self) -> None:
        self.elements: list[Element] = []
        self.psc = False  # declare the Podlove namespace only in a feed that has psc:chapters

    def extend_ns(self) -> dict[str, str]:
        return {"itunes": ITUNES, "podcast": PODCAST, **({"psc": chapters.PSC} if self.psc else {})}

    def extend_rss(self, feed: Any) -> Any:
        channel = feed[0]
        for element in self.elements:
            element.build(channel)
        return feed


class PodcastEntryExtension(BaseEntryExtension):
    """feedgen extension writing item-level ``itunes:`` and ``podcast:`` elements."""

    def __init__(self) -> None:
        self.elements: list[Element] = []

    def extend_ns(self) -> dict[str, str]:
        return {"itunes": ITUNES, "podcast": PODCAST}

    def extend_rss(self, entry: Any) -> Any:
        for element in self.elements:
            element.build(entry)
        return entry


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _persons(persons: list[Any]) -> list[Element]:
    out = []
    for person in persons:
        attrib = {k: v for k, v in (("role", person.role), ("group", person.group),
                                    ("img", person.img), ("href", person.href)) if v}
        out.append(Element("podcast:person", person.name, attrib))
    return out


def _funding(links: list[Any]) -> list[Element]:
    return [Element("podcast:funding", link.title or "Support the show", {"url": link.uri})
            for link in links]


def _channel_elements(show: Show, base_url: str, feed_url: str, guid: str) -> list[Element]:
    image = urls.asset_url(base_url, show, show.image) if show.image else None
    elements = [Element("itunes:author", show.author or show.owner_name or show.title)]
    if show.owner_email and not show.private:  # a private feed goes to listeners, not directories
        owner = Element("itunes:owner")
        if show.owner_name:
            owner.children.append(Element("itunes:name", show.owner_name))
        owner.children.append(Element("itunes:email", show.owner_email))
        elements.append(owner)
    if image:
        elements.append(Element("itunes:image", attrib={"href": image}))
    for name, subs in show.categories:
        category = Element("itunes:category", attrib={"text": name})
        category.children = [Element("itunes:category", attrib={"text": s}) for s in subs]
        elements.append(category)
    elements += [Element("itunes:explicit", _flag(show.explicit)),
                 Element("itunes:type", show.type)]
    if show.keywords:
        elements.append(Element("itunes:keywords", show.keywords))
    if show.block or show.private:
        elements.append(Element("itunes:block", "Yes"))  # Apple acts only on "Yes"
    if show.complete:
        elements.append(Element("itunes:complete", "Yes"))
    if show.new_feed_url and not show.private:  # would move every listener to one shared URL
        elements.append(Element("itunes:new-feed-url", show.new_feed_url))
    # WebSub §4: the feed names its hubs beside rel=self (which feedgen writes) so subscribers find them.
    elements += [Element("atom:link", attrib={"rel": "hub", "href": hub}) for hub in show.hubs
                 if not show.private]  # a private feed announces itself nowhere
    locked = {"owner": show.owner_email} if show.owner_email and not show.private else {}
    elements += [Element("podcast:guid", guid),
                 Element("podcast:locked", "yes" if show.locked or show.private else "no", locked)]
    if show.private:
        elements.append(Element("podcast:block", "yes"))  # no directory may list it (podcast:block)
    if show.medium:
        elements.append(Element("podcast:medium", show.medium))
    if show.podping and not show.private:  # docs/tags/podping.md: apps may stop polling a feed that pings
        elements.append(Element("podcast:podping", attrib={"usesPodping": "true"}))
    if show.license:
        attrib = {"url": show.license.uri} if show.license.uri else {}
        elements.append(Element("podcast:license", show.license.title, attrib))
    from podops.render import namespace  # it builds on Element: imported once this module is

    return elements + _funding(show.funding) + _persons(show.persons) + namespace.channel_tags(show, base_url)


def _item_elements(show: Show, episode: Episode, base_url: str) -> list[Element]:
    elements = []
    if episode.duration is not None:
        elements.append(Element("itunes:duration", str(int(round(episode.duration)))))
    if episode.season is not None:
        elements.append(Element("itunes:season", str(episode.season)))
    if episode.number is not None:
        elements.append(Element("itunes:episode", str(episode.number)))
    elements.append(Element("itunes:episodeType", episode.type))
    explicit = show.explicit if episode.explicit is None else episode.explicit
    elements.append(Element("itunes:explicit", _flag(explicit)))
    if episode.image:
        elements.append(Element("itunes:image", attrib={"href": urls.asset_url(base_url, show, episode.image)}))
    if episode.block:
        elements.append(Element("itunes:block", "Yes"))
    if episode.season is not None:
        # name is optional in the spec but required by the namespace's own XSD; give both what they want
        name = episode.season_name or f"Season {episode.season}"
        elements.append(Element("podcast:season", str(episode.season), {"name": name}))
    if episode.number is not None:
        display = {"display": episode.episode_display} if episode.episode_display else {}
        elements.append(Element("podcast:episode", str(episode.number), display))
    for transcript in episode.transcripts:
        attrib = {"url": urls.asset_url(base_url, show, transcript),
                  "type": transcript.type or "text/plain"}
        if transcript.language:
            attrib["language"] = transcript.language
        if transcript.captions:
            attrib["rel"] = "captions"
        elements.append(Element("podcast:transcript", attrib=attrib))
    if episode.chapters:
        url = urls.absolute(base_url, urls.chapters_path(show, episode))
        elements.append(Element("podcast:chapters", attrib={"url": url, "type": "application/json+chapters"}))
    psc = chapters.psc_chapters(episode)
    if psc:  # Podlove Simple Chapters 1.2, inline: what Spotify reads
        elements.append(Element("psc:chapters", attrib={"version": chapters.PSC_VERSION},
                                children=[Element("psc:chapter", attrib=a) for a in psc]))
    from podops.render import namespace

    elements += _funding(episode.funding) + _persons(episode.persons)
    return elements + namespace.item_tags(show, episode, base_url)


def _live_item(show: Show, on_air: OnAir, event: LiveEvent, base_url: str) -> Element:
    """One podcast:liveItem (docs/tags/live-item.md): the stream as enclosure, alternateEnclosure
    for its https and HLS versions, contentLink to the live page."""
    channel = on_air.channel
    mime = live.MIME_TYPES[channel.format]
    children = [Element("title", event.title),
                Element("description", markup.render(event.summary or channel.summary) or event.title),
                Element("link", on_air.page_url),
                Element("guid", event.guid, {"isPermaLink": "false"}),
                Element("pubDate", format_datetime(event.start)),
                # RSS 2.0 wants a length; a stream has none, and the namespace's own examples put a dummy
                Element("enclosure", attrib={"url": channel.stream_url, "type": mime, "length": "0"})]
    bitrate = {"bitrate": str(channel.bitrate * 1000)} if channel.bitrate else {}
    # the enclosure's own media over https first, then as the enclosure; HLS as another transport
    stream = Element("podcast:alternateEnclosure", attrib={"type": mime, "length": "0", **bitrate,
                                                           "default": "true", "title": "Live stream"})
    stream.children = [Element("podcast:source", attrib={"uri": url})
                       for url in (channel.secure_url, channel.stream_url) if url]
    children.append(stream)
    if channel.hls_url:
        hls = Element("podcast:alternateEnclosure", attrib={"type": live.HLS_TYPE, "length": "0", **bitrate,
                                                            "title": "HLS"})
        hls.children = [Element("podcast:source", attrib={"uri": channel.hls_url})]
        children.append(hls)
    image = event.image or channel.image or (urls.asset_url(base_url, show, show.image) if show.image else None)
    if image:
        children.append(Element("itunes:image", attrib={"href": image}))
    children.append(Element("podcast:contentLink", "Listen live", {"href": on_air.page_url}))
    if channel.chat:
        children.append(Element("podcast:contentLink", "Chat", {"href": channel.chat}))
    children += _persons(event.persons)
    attrib = {"status": event.status, "start": event.start.isoformat(), "end": event.end.isoformat()}
    return Element("podcast:liveItem", attrib=attrib, children=children)


def _declares_psc(episodes: list[Episode]) -> bool:
    """Whether a feed of these episodes declares the Podlove namespace (some item has psc:chapters)."""
    return any(chapters.listed(episode) for episode in episodes)


def _entry(show: Show, episode: Episode, base_url: str) -> FeedEntry:
    """One episode's feedgen entry, as ``FeedGenerator.add_entry`` would make it."""
    entry = FeedEntry()
    entry.register_extension("podops", PodcastEntryExtension)
    entry.title(episode.title)
    entry.link(href=urls.absolute(base_url, urls.episode_dir(show, episode)))
    entry.guid(episode.feed_guid, permalink=False)
    stamps = chapters.timestamps_html(show, episode)  # Spotify's chapters, also tappable in Apple's notes
    entry.description(chapters.with_timestamps(markup.render(episode.summary) or episode.title, stamps,
                                               MAX_DESCRIPTION_BYTES))
    entry.content(chapters.with_timestamps(markup.episode_html(episode), stamps), type="CDATA")
    if episode.date:
        entry.pubDate(episode.date)
    enclosure = episode.enclosure
    if enclosure:
        entry.enclosure(urls.asset_url(base_url, show, enclosure), str(enclosure.size or 0),
                        enclosure.type or "audio/mpeg")
    entry.podops.elements = _item_elements(show, episode, base_url)
    return entry


class ItemWriter:
    """Serialises ``<item>`` elements exactly as feedgen's pretty feed holds them, one at a time.

    libxml2 indents an element by its depth and writes the namespaces in scope at its root, so
    an item appended alone to a ``<rss><channel>`` with feedgen's namespaces comes out as the
    very bytes it has inside the whole feed.
    """

    def __init__(self, psc: bool) -> None:
        channel = PodcastExtension()
        channel.psc = psc  # the Podlove namespace is declared by feeds that have psc:chapters
        nsmap = {**channel.extend_ns(), "atom": ATOM, "content": CONTENT}  # as feedgen's _create_rss
        self.root = etree.Element("rss", version="2.0", nsmap=nsmap)
        self.channel = etree.SubElement(self.root, "channel")

    def item(self, show: Show, episode: Episode, base_url: str) -> bytes:
        """The bytes of one episode's ``<item>`` (its lines, indented as in the feed)."""
        element = _entry(show, episode, base_url).rss_entry()
        self.channel.append(element)
        try:
            text = etree.tostring(self.root, pretty_print=True, encoding="UTF-8")
        finally:
            self.channel.remove(element)
        return text[text.index(b"<channel>\n") + 10:text.rindex(CLOSE)]


def render_items(show: Show, episodes: list[Episode], base_url: str, cache: PageCache | None = None,
                 sources: Sequence[str] = ()) -> list[tuple[str, bytes | memoryview]]:
    """Every ``<item>`` of a feed in feed order, as (key, bytes); unchanged ones come from the cache.

    An item's key covers everything it is made from: the show, the episode (its notes, probe
    results and all), the base URL and the code (the cache's salt). ``sources`` are the feeds of
    the previous output the bytes may be taken from.
    """
    writer: ItemWriter | None = None
    previous = cache.previous_items(sources) if cache is not None else {}
    psc = _declares_psc(episodes)
    material = hashlib.sha256(f"{show!r}\0{base_url}\0{psc}".encode()).hexdigest()  # what every item shares
    items: list[tuple[str, bytes | memoryview]] = []
    for episode in episodes:
        key = cache.key(cache.describe(material, episode)) if cache is not None else ""
        data = previous.get(key) if key else None
        if data is None:
            writer = writer or ItemWriter(psc)
            data = writer.item(show, episode, base_url)
        items.append((key, data))
    return items


def plan_feed(plan: Plan, show: Show, episodes: list[Episode], base_url: str, build_time: datetime | None,
              feed_url: str | None = None, page_url: str | None = None, on_air: list[OnAir] | None = None,
              cache: PageCache | None = None, path: str | None = None,
              items: list[tuple[str, bytes | memoryview]] | None = None) -> None:
    """Put one show's RSS feed into the plan; one the previous build made the same is kept.

    ``episodes`` are the visible ones, in feed order. A private show's personal feeds pass their
    own ``feed_url`` and ``page_url`` (the subscribe page); ``on_air`` are the live channels with
    the broadcasts to announce. The channel is feedgen's; the items (``items`` when given, else
    :func:`render_items`) are spliced in before ``</channel>``, and their places recorded in
    ``cache`` under the feed's output ``path``. The same: the very channel bytes, the same items
    (by key) in order, the previous file untouched. So an edit to one show of a network neither
    joins nor compares the others' (or personal) feeds.
    """
    path = path or urls.feed_path(show)
    parts, keys = _parts(show, episodes, base_url, build_time, feed_url, page_url, on_air, cache, path, items)
    if cache is not None and all(keys):
        channel = hashlib.sha256(bytes(parts[0]) + b"\0" + bytes(parts[-1])).hexdigest()
        if cache.reusable(path, cache.key("\0".join(["feed", channel, *keys]))):
            plan.keep(path)
            return
    plan.add(path, b"".join(parts))


def _parts(show: Show, episodes: list[Episode], base_url: str, build_time: datetime | None, feed_url: str | None,
           page_url: str | None, on_air: list[OnAir] | None, cache: PageCache | None, path: str | None,
           items: list[tuple[str, bytes | memoryview]] | None) -> tuple[list[bytes | memoryview], list[str]]:
    """A feed's bytes in parts (channel head, items, channel end) and its items' keys."""
    feed_url = feed_url or urls.absolute(base_url, urls.feed_path(show))
    page_url = page_url or urls.absolute(base_url, urls.show_dir(show))
    path = path or urls.feed_path(show)
    if items is None:
        items = render_items(show, episodes, base_url, cache, [path])
    fg = FeedGenerator()
    fg.register_extension("podops", PodcastExtension, PodcastEntryExtension)
    fg.title(show.title)
    fg.link(href=feed_url, rel="self", type="application/rss+xml")
    fg.link(href=show.link or page_url)  # feedgen uses the last link set as RSS <link>
    fg.description(markup.truncate_bytes(markup.plain(show.summary), MAX_DESCRIPTION_BYTES) or show.title)
    fg.language(show.language)
    fg.generator(GENERATOR)
    if show.copyright:
        fg.copyright(show.copyright)
    if show.image:
        fg.image(urls.asset_url(base_url, show, show.image), show.title, show.link or page_url)
    newest = max((e.date for e in episodes if e.date), default=show.date)
    if newest:
        fg.pubDate(newest)
    # feedgen defaults lastBuildDate to the wall clock; a build must not depend on it.
    fg.lastBuildDate(build_time or newest or EPOCH)
    public = urls.public_feed_url(show, base_url) if show.private else feed_url
    guid = show.podcast_guid or urls.podcast_guid(public)
    fg.podops.elements = _channel_elements(show, base_url, feed_url, guid)
    fg.podops.elements += [_live_item(show, channel, event, base_url)
                           for channel in on_air or [] for event in channel.events]
    fg.podops.psc = _declares_psc(episodes)
    channel = bytes(fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True))
    end = channel.rindex(CLOSE)  # feedgen appends the items after every channel element
    parts: list[bytes | memoryview] = [channel[:end]]
    spans: list[list[object]] = []
    offset = end
    for key, data in items:
        parts.append(data)
        spans.append([key, offset, len(data)])
        offset += len(data)
    parts.append(channel[end:])
    if cache is not None:
        cache.record_items(path, spans)
    return parts, [key for key, _ in items]
