"""Reading a foreign feed's Podcasting 2.0 tags into the fields of :mod:`podops.load.namespace`.

Each tag becomes the mapping its field declares, attribute for attribute, and is then checked
exactly as a production is (the validator and :mod:`podops.load.tagrules`): a value that breaks
a rule is dropped with a warning at the feed's line, an entry missing what its tag requires is
dropped whole, so the production an import writes validates and its feed carries the tags again.
"""

from __future__ import annotations

import re
from typing import Any

from podops.commands.feedreader import FeedReader, children, first, tag_of
from podops.commands.importnames import rfc1123
from podops.errors import Problems
from podops.load.fields import Field
from podops.load.namespace import EPISODE_TAGS, SHOW_TAGS
from podops.load.tagrules import check_entry
from podops.load.validate import Validator
from podops.load.yamlfile import Mapping, Sequence

# What each tag's element reads; an import reports every other podcast: tag as dropped
CHANNEL_TAGS = frozenset({
    "podcast:value", "podcast:location", "podcast:trailer", "podcast:txt", "podcast:podroll", "podcast:remoteItem",
    "podcast:publisher", "podcast:updateFrequency", "podcast:socialInteract", "podcast:chat", "podcast:image",
    "podcast:block", "podcast:podping", "podcast:images",
})
ITEM_TAGS = frozenset({
    "podcast:value", "podcast:alternateEnclosure", "podcast:soundbite", "podcast:location", "podcast:txt",
    "podcast:socialInteract", "podcast:chat", "podcast:image", "podcast:images",
})
_DECIMAL = re.compile(r"^[0-9]+\.[0-9]+$")


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _attrs(element: Any, *names: str, rename: dict[str, str] | None = None) -> dict[str, str]:
    """The attributes among ``names`` that are set, stripped; ``rename`` maps XML names to field names."""
    out = {}
    for name in names:
        value = (element.get(name) or "").strip()
        if value:
            out[(rename or {}).get(name, name)] = value
    return out


def _whole(entry: dict[str, Any], *keys: str) -> dict[str, Any]:
    """Decimal byte counts and bitrates (``160707.74``, as the docs write them) rounded to whole numbers."""
    for key in keys:
        if isinstance(entry.get(key), str) and _DECIMAL.match(entry[key]):
            entry[key] = str(round(float(entry[key])))
    return entry


def _remote(element: Any) -> dict[str, str]:
    return _attrs(element, "feedGuid", "feedUrl", "itemGuid", "medium", "title")


def _recipients(element: Any) -> list[dict[str, str]]:
    return [_attrs(r, "name", "type", "address", "split", "fee", "customKey", "customValue")
            for r in children(element, "podcast:valueRecipient")]


def _value(element: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {**_attrs(element, "type", "method", "suggested"), "recipients": _recipients(element)}
    splits = []
    for split in children(element, "podcast:valueTimeSplit"):
        part: dict[str, Any] = _attrs(split, "startTime", "duration", "remoteStartTime", "remotePercentage")
        remote = first(split, "podcast:remoteItem")
        if remote is not None:
            part["remoteItem"] = _remote(remote)
        if children(split, "podcast:valueRecipient"):
            part["recipients"] = _recipients(split)
        splits.append(part)
    if splits:
        entry["timeSplits"] = splits
    return entry


def _alternate(element: Any) -> dict[str, Any]:
    entry: dict[str, Any] = _whole(_attrs(element, "type", "length", "bitrate", "height", "lang", "title", "rel",
                                          "codecs", "default"), "length", "bitrate")
    entry["sources"] = [_attrs(s, "uri", "contentType") for s in children(element, "podcast:source")]
    integrity = first(element, "podcast:integrity")
    if integrity is not None:
        entry["integrity"] = _attrs(integrity, "type", "value")
    return entry


def _publisher(element: Any) -> dict[str, str]:
    """The publisher feed's remoteItem; its medium is always publisher, which podops writes itself."""
    entry = _remote(element) if element is not None else {}
    if entry.get("medium") == "publisher":
        del entry["medium"]
    return entry


def _image(element: Any) -> dict[str, str]:
    return _attrs(element, "href", "alt", "aspect-ratio", "width", "height", "type", "purpose",
                  rename={"aspect-ratio": "aspectRatio"})


# field → (tag, how one element reads)
READERS: dict[str, tuple[str, Any]] = {
    "value": ("podcast:value", _value),
    "locations": ("podcast:location", lambda e: {"name": _text(e), **_attrs(e, "rel", "geo", "osm", "country")}),
    "trailers": ("podcast:trailer", lambda e: _whole(
        {"title": _text(e), **_attrs(e, "pubdate", "url", "length", "type", "season")}, "length")),
    "txt": ("podcast:txt", lambda e: {"text": _text(e), **_attrs(e, "purpose")}),
    "podroll": ("podcast:podroll", lambda e: [_remote(r) for r in children(e, "podcast:remoteItem")]),
    "remoteItems": ("podcast:remoteItem", _remote),
    "publisher": ("podcast:publisher", lambda e: _publisher(first(e, "podcast:remoteItem"))),
    "updateFrequency": ("podcast:updateFrequency", lambda e: {"text": _text(e),
                                                              **_attrs(e, "complete", "dtstart", "rrule")}),
    "socialInteract": ("podcast:socialInteract", lambda e: _attrs(e, "protocol", "uri", "accountId", "accountUrl",
                                                                  "priority")),
    "chat": ("podcast:chat", lambda e: _attrs(e, "server", "protocol", "accountId", "space")),
    "images": ("podcast:image", _image),
    "blocks": ("podcast:block", lambda e: {**_attrs(e, "id"), "block": _text(e)}),
    "alternateEnclosures": ("podcast:alternateEnclosure", _alternate),
    "soundbites": ("podcast:soundbite", lambda e: {**_attrs(e, "startTime", "duration"),
                                                   **({"title": _text(e)} if _text(e) else {})}),
}


def _node(value: Any, where: tuple[int, int]) -> Any:
    """Plain data as the validator reads YAML: mappings and lists that know their position (the feed's line)."""
    if isinstance(value, dict):
        mapping = Mapping()
        mapping.line, mapping.column = where
        for key, item in value.items():
            mapping[key] = _node(item, where)
            mapping.marks[key] = where
        return mapping
    if isinstance(value, list):
        sequence = Sequence()
        sequence.line, sequence.column = where
        for item in value:
            sequence.append(_node(item, where))
            sequence.marks.append(where)
        return sequence
    return value


def _plain(value: Any) -> Any:
    """Validated values as YAML writes them: no empty fields, dates in RFC 2822."""
    if isinstance(value, dict):
        kept = {k: _plain(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_plain(v) for v in value if v is not None]
    if hasattr(value, "astimezone"):
        return rfc1123(value)
    return value


class TagReader:
    """Reads the namespace tags of a channel or an item, warning (through ``reader``) about what it drops."""

    def __init__(self, reader: FeedReader) -> None:
        self.reader = reader

    def checked(self, field: str, spec: Field, element: Any, raw: Any) -> Any:
        """``raw`` validated as ``spec``; None (with warnings) when what the tag requires is missing or wrong."""
        tag = tag_of(element)
        where = (getattr(element, "sourceline", 0) or 0, 0)
        problems = Problems()
        value = Validator(self.reader.display, problems).check(spec, _node(raw, where), field, where)
        found = [(d.field, d.message, d.severity) for d in problems.items]
        if isinstance(value, dict):
            found += check_entry(field, value, field)
        errors = [f for f in found if f[2] == "error"]
        kept = _plain(value) if value is not None else None
        if errors and kept is not None:  # drop what is wrong, then see whether what is left stands
            again = Problems()
            kept = Validator(self.reader.display, again).check(spec, _node(_strip(kept, errors, field), where),
                                                               field, where)
            left = [d.message for d in again.items if d.severity == "error"]
            if isinstance(kept, dict):
                left += [m for _, m, s in check_entry(field, kept, field) if s == "error"]
            kept = None if left else _plain(kept)
        for path, message, _ in errors:
            what = "dropped" if kept is None else f"{path.removeprefix(field).lstrip('.') or 'value'} dropped"
            self.reader.warn(element, tag, f"{path}: {message}: {what}")
        return kept

    def read(self, parent: Any, declared: dict[str, Field]) -> dict[str, Any]:
        """Every namespace field of ``declared`` the parent's tags fill."""
        out: dict[str, Any] = {}
        for field, spec in declared.items():
            tag, read = READERS[field]
            elements = children(parent, tag)
            if not elements:
                continue
            if spec.kind == "list" and field == "podroll":
                value = self.checked(field, spec, elements[0], read(elements[0]))
            elif spec.kind == "list":
                assert spec.item is not None
                value = [v for e in elements if (v := self.checked(field, spec.item, e, read(e))) is not None]
            else:
                value = self.checked(field, spec, elements[0], read(elements[0]))
            for extra in elements[1 if spec.kind != "list" or field == "podroll" else len(elements):]:
                self.reader.warn(extra, tag, f"only one <{tag}> is allowed: dropped")
            if value:
                out[field] = value
        if "images" in declared and "images" not in out:
            out.update(self.srcset(parent, declared["images"]))
        return out

    def srcset(self, parent: Any, spec: Field) -> dict[str, Any]:
        """The deprecated podcast:images (a srcset of ``URL 1500w``) as podcast:image entries, which podops writes."""
        images = []
        for element in children(parent, "podcast:images"):
            for candidate in (element.get("srcset") or "").split(","):
                href, _, width = candidate.strip().partition(" ")
                raw = {"href": href, **({"width": width.strip()[:-1]} if width.strip().endswith("w") else {})}
                assert spec.item is not None
                image = self.checked("images", spec.item, element, raw) if href else None
                if image is not None:
                    images.append(image)
            self.reader.warn(element, "podcast:images", "deprecated: read as podcast:image")
        return {"images": images} if images else {}

    def channel(self, channel: Any) -> dict[str, Any]:
        """The show's namespace fields, and podping."""
        out = self.read(channel, SHOW_TAGS)
        podping = first(channel, "podcast:podping")
        if podping is not None and (podping.get("usesPodping") or "").strip().lower() == "true":
            out["podping"] = True
        return out

    def item(self, item: Any) -> dict[str, Any]:
        """The episode's namespace fields."""
        return self.read(item, EPISODE_TAGS)

    def labels(self, item: Any, season: int | None, number: int | None) -> dict[str, str]:
        """podcast:season name and podcast:episode display (the default name "Season N" is podops' own)."""
        out = {}
        element = first(item, "podcast:season")
        name = (element.get("name") or "").strip() if element is not None else ""
        if name and season is not None and name != f"Season {season}":
            out["seasonName"] = self.reader.text(element, "podcast:season", name, 128)
        element = first(item, "podcast:episode")
        display = (element.get("display") or "").strip() if element is not None else ""
        if display and number is not None:
            if len(display) > 32:
                self.reader.warn(element, "podcast:episode", f"display {display!r} is longer than 32 characters: cut")
            out["episodeDisplay"] = display[:32].rstrip()
        return {k: v for k, v in out.items() if v}


def _strip(value: Any, errors: list[tuple[str, str, str]], root: str) -> Any:
    """``value`` without the fields ``errors`` name (a dotted path with [i] indexes below ``root``)."""
    for path, _, _ in errors:
        steps = re.findall(r"\.?([A-Za-z]+)|\[(\d+)\]", path.removeprefix(root))
        node, parents = value, []
        for key, index in steps:
            parents.append((node, key or int(index)))
            try:
                node = node[key] if key else node[int(index)]
            except (KeyError, IndexError, TypeError):
                break
        else:
            if parents:
                holder, last = parents[-1]
                if isinstance(holder, dict):
                    holder.pop(last, None)
                elif isinstance(holder, list) and isinstance(last, int) and last < len(holder):
                    holder[last] = None
    return _plain(value) if isinstance(value, dict | list) else value
