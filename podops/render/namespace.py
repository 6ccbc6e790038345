"""The Podcasting 2.0 tags of a show's channel and an episode's item, as :class:`~podops.render.feed.Element` lists.

Each function follows one tag's document (``docs/tags/*.md`` of podcastindex.org/namespace/1.0):
attribute names and order as there, numbers without a needless ``.0``, flags as ``true``/``false``,
and local files (trailers, alternate enclosures) by their published URL with the size, type and
SRI hash the probe stage measured.
"""

from __future__ import annotations

from email.utils import format_datetime
from typing import Any

from podops import urls
from podops.model import Episode, Show
from podops.render.feed import Element


def _num(value: Any) -> str:
    """A number as the namespace writes it: ``73``, ``1234.5``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _attrib(entry: dict[str, Any], *names: str, rename: dict[str, str] | None = None) -> dict[str, str]:
    """The set attributes among ``names``, in that order; flags as true/false."""
    out = {}
    for name in names:
        value = entry.get(name)
        if value is None or value == "":
            continue
        key = (rename or {}).get(name, name)
        out[key] = ("true" if value else "false") if isinstance(value, bool) else _num(value)
    return out


def _remote_item(entry: dict[str, Any], medium: str | None = None) -> Element:
    attrib = _attrib(entry, "feedGuid", "feedUrl", "itemGuid", "medium", "title")
    if medium:
        attrib["medium"] = medium
    return Element("podcast:remoteItem", attrib=attrib)


def _recipients(entries: list[dict[str, Any]]) -> list[Element]:
    return [Element("podcast:valueRecipient", attrib=_attrib(
        r, "name", "type", "address", "split", "fee", "customKey", "customValue")) for r in entries if r]


def _value(entry: dict[str, Any]) -> Element:
    """podcast:value with its recipients and time splits (value.md, value-recipient.md, value-time-split.md)."""
    element = Element("podcast:value", attrib=_attrib(entry, "type", "method", "suggested"),
                      children=_recipients(entry.get("recipients") or []))
    for split in entry.get("timeSplits") or []:
        if not split:
            continue
        child = Element("podcast:valueTimeSplit", attrib=_attrib(
            split, "startTime", "duration", "remoteStartTime", "remotePercentage"))
        child.children = [_remote_item(split["remoteItem"])] if split.get("remoteItem") else \
            _recipients(split.get("recipients") or [])
        element.children.append(child)
    return element


def _location(entry: dict[str, Any]) -> Element:
    attrib = _attrib(entry, "rel", "geo", "osm", "country")
    if "country" in attrib:
        attrib["country"] = attrib["country"].lower()
    return Element("podcast:location", entry["name"], attrib)


def _txt(entry: dict[str, Any]) -> Element:
    return Element("podcast:txt", entry["text"], _attrib(entry, "purpose"))


def _social(entry: dict[str, Any]) -> Element:
    return Element("podcast:socialInteract",
                   attrib=_attrib(entry, "priority", "protocol", "uri", "accountId", "accountUrl"))


def _chat(entry: dict[str, Any]) -> Element:
    return Element("podcast:chat", attrib=_attrib(entry, "server", "protocol", "accountId", "space"))


def _image(entry: dict[str, Any]) -> Element:
    return Element("podcast:image", attrib=_attrib(
        entry, "href", "alt", "aspectRatio", "width", "height", "type", "purpose",
        rename={"aspectRatio": "aspect-ratio"}))


def _common(tags: dict[str, Any]) -> list[Element]:
    """What channel and item share: value, location, txt, socialInteract, chat, image."""
    elements = [_value(v) for v in tags.get("value") or [] if v]
    elements += [_location(v) for v in tags.get("locations") or [] if v]
    elements += [_txt(v) for v in tags.get("txt") or [] if v]
    elements += [_social(v) for v in tags.get("socialInteract") or [] if v]
    if tags.get("chat"):
        elements.append(_chat(tags["chat"]))
    elements += [_image(v) for v in tags.get("images") or [] if v]
    return elements


def _trailer(show: Show, base_url: str, i: int, entry: dict[str, Any]) -> Element:
    """podcast:trailer (trailer.md): like an enclosure, with pubdate (RFC 2822) and season."""
    asset = show.trailers.get(i)
    attrib = {"url": urls.asset_url(base_url, show, asset) if asset else entry["url"],
              "pubdate": format_datetime(entry["pubdate"])}
    length, kind = (asset.size, asset.type) if asset else (entry.get("length"), entry.get("type"))
    if length is not None:
        attrib["length"] = str(length)
    if kind:
        attrib["type"] = kind
    attrib |= _attrib(entry, "season")
    return Element("podcast:trailer", entry["title"], attrib)


def channel_tags(show: Show, base_url: str) -> list[Element]:
    """The namespace tags of a show's channel beyond guid, locked, medium, podping, license, funding, person."""
    tags = show.tags
    elements: list[Element] = []
    if not show.private:  # a private feed already says <podcast:block>yes</podcast:block>, and only that
        elements += [Element("podcast:block", "yes" if b["block"] else "no", _attrib(b, "id"))
                     for b in tags.get("blocks") or [] if b]
    elements += _common(tags)
    elements += [_trailer(show, base_url, i, t) for i, t in enumerate(tags.get("trailers") or []) if t]
    if tags.get("updateFrequency"):
        frequency = tags["updateFrequency"]
        elements.append(Element("podcast:updateFrequency", frequency["text"],
                                _attrib(frequency, "complete", "dtstart", "rrule")))
    if tags.get("podroll"):
        elements.append(Element("podcast:podroll", children=[_remote_item(r) for r in tags["podroll"] if r]))
    elements += [_remote_item(r) for r in tags.get("remoteItems") or [] if r]
    if tags.get("publisher"):
        elements.append(Element("podcast:publisher", children=[_remote_item(tags["publisher"], "publisher")]))
    return elements


def _alternate(show: Show, episode: Episode, base_url: str, i: int, entry: dict[str, Any]) -> Element:
    """podcast:alternateEnclosure with its sources and integrity (alternate-enclosure.md, source.md, integrity.md)."""
    asset = episode.alternates.get(i)
    attrib = _attrib(entry, "type", "length", "bitrate")
    if asset:  # measured: never what the YAML claims
        attrib = {"type": asset.type or "application/octet-stream", "length": str(asset.size or 0)}
        if asset.bitrate:
            attrib["bitrate"] = str(asset.bitrate)
    attrib |= _attrib(entry, "height", "lang", "title", "rel", "codecs", "default")
    sources = [Element("podcast:source", attrib={"uri": urls.asset_url(base_url, show, asset)})] if asset else []
    sources += [Element("podcast:source", attrib=_attrib(s, "uri", "contentType"))
                for s in entry.get("sources") or [] if s]
    integrity = {"type": "sri", "value": asset.sri} if asset and asset.sri else (
        None if asset else entry.get("integrity"))
    if integrity:
        sources.append(Element("podcast:integrity", attrib=_attrib(integrity, "type", "value")))
    return Element("podcast:alternateEnclosure", attrib=attrib, children=sources)


def item_tags(show: Show, episode: Episode, base_url: str) -> list[Element]:
    """The namespace tags of an episode's item beyond season, episode, transcript, chapters, funding, person."""
    tags = episode.tags
    elements = [_alternate(show, episode, base_url, i, a)
                for i, a in enumerate(tags.get("alternateEnclosures") or []) if a]
    elements += [Element("podcast:soundbite", s.get("title"), _attrib(s, "startTime", "duration"))
                 for s in tags.get("soundbites") or [] if s]
    return elements + _common(tags)
