"""Find and load every resource of a production (or a folder of productions) and check references.

Discovery follows ``format.md``: ``show.yaml`` or ``show-<guid>.yaml`` marks a production; any
other ``*.yaml``/``*.yml`` below it is an episode or, with ``kind: channel``, a live channel.
YAML files without ``kind`` or ``apiVersion`` (CI workflows, tool configs) are not resources and
are skipped. Hidden folders and ``templates/``
are never searched.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from podops import live
from podops.errors import Diagnostic, Problems, ResourceError
from podops.model import (
    Asset,
    Channel,
    Chapter,
    Episode,
    Link,
    LiveEvent,
    Person,
    Production,
    Show,
    Slot,
    Subscriber,
    SubscriberList,
    Webhook,
)
from podops.schema import CHANNEL, DEFAULT_PAGE_SIZE, EPISODE, SHOW, SUBSCRIBERS, WEEKDAYS
from podops.validate import Validator, check_url, is_secret
from podops.vocabulary import CATEGORIES
from podops.yamlfile import MAX_BYTES, Mapping, describe_mode, load, load_bytes, regular_size

if TYPE_CHECKING:
    from podops.caches import Caches

SKIPPED_DIRS = {"templates", "node_modules", "__pycache__"}
KINDS = {"show": "show", "shows": "show", "episode": "episode", "episodes": "episode",
         "subscribers": "subscribers", "subscriber": "subscribers", "channel": "channel", "channels": "channel"}
SPECS = {"show": SHOW, "episode": EPISODE, "subscribers": SUBSCRIBERS, "channel": CHANNEL}
SHOW_FILE = re.compile(r"^show(?:-[0-9a-f]{12})?\.ya?ml$")  # format.md: what marks a production


MAX_FOLDER_DEPTH = 32  # deeper than any real production; os.walk would exhaust the stack at ~1000


def discover(root: Path, problems: Problems | None = None) -> Iterator[Path]:
    """Yield YAML files under ``root`` in a stable, locale-independent order, never leaving it.

    The walk is iterative and stops :data:`MAX_FOLDER_DEPTH` folders down (a located error).
    """
    real_root = root.resolve()
    pending = [(os.fspath(root), 0)]
    while pending:
        folder, depth = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        dirs = [e for e in entries if e.is_dir(follow_symlinks=False)
                and not e.name.startswith((".", "_")) and e.name not in SKIPPED_DIRS]
        for entry in entries:
            name = entry.name
            wanted = name.endswith((".yaml", ".yml")) and not name.startswith(".")
            if wanted and not entry.is_dir(follow_symlinks=False):
                path = Path(folder, name)
                if path.is_symlink() and not _inside(path.resolve(), real_root):
                    continue
                yield path
        if dirs and depth + 1 > MAX_FOLDER_DEPTH:
            if problems is not None:
                shown = Path(dirs[0].path).relative_to(root).as_posix()
                problems.add(shown, message=f"folders nested deeper than {MAX_FOLDER_DEPTH} levels: "
                             "not searched for resources")
            continue
        pending.extend((e.path, depth + 1) for e in reversed(dirs))


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _legacy(data: Mapping) -> None:
    """Move the PodOps legacy layout (guid, parent_guid, date in labels) to v1 places."""
    metadata = data.get("metadata")
    if not isinstance(metadata, Mapping):
        return
    labels = metadata.get("labels")
    if not isinstance(labels, Mapping):
        return
    for old, new in (("guid", "guid"), ("parent_guid", "parent"), ("date", "date")):
        if old in labels and new not in metadata:
            metadata[new] = labels.pop(old)
            metadata.marks[new] = labels.marks.get(old, (labels.line, labels.column))
    description = data.get("description")
    if isinstance(description, Mapping) and "newFeed" in description and "newFeedLink" not in data:
        data["newFeedLink"] = description.pop("newFeed")
        data.marks["newFeedLink"] = description.marks["newFeed"]


def load_production(root: Path, caches: Caches | None = None) -> Production:
    """Load, validate and link every resource under ``root``; raise with all problems at once.

    With ``caches``, each file's validated values are cached by its content hash (and the
    podops code that checked them), so unchanged files are not parsed again.
    """
    root = root.resolve()
    if not root.is_dir():
        raise ResourceError(f"{root}: not a folder")
    problems = Problems()
    shows: list[Show] = []
    episodes: list[Episode] = []
    broken = False  # a show file that is unreadable or has no usable GUID: its episodes cannot be linked
    lists: list[SubscriberList] = []
    channels: list[Channel] = []
    for path in discover(root, problems):
        display = path.relative_to(root).as_posix()
        kind, values, marks, diagnostics = _read_cached(path, display, caches) if caches else _read(path, display)
        problems.extend(diagnostics)
        if kind == "show":
            shows.append(_show(values, path, display, marks))
            broken = broken or not shows[-1].guid
        elif kind == "episode":
            episodes.append(_episode(values, path, display, marks))
        elif kind == "subscribers":
            lists.append(_subscriber_list(values, path, display, marks))
        elif kind == "channel":
            channels.append(_channel(values, path, display, marks))
        elif SHOW_FILE.match(path.name) and any(d.severity == "error" for d in diagnostics):
            broken = True
    production = Production(root, sorted(shows, key=lambda s: (s.name, s.display)))
    _link(production, episodes, problems, broken, lists)
    _link_channels(production, episodes, channels, problems, broken)
    problems.raise_if_errors()
    production.warnings = problems.warnings
    return production


def load_shows(root: Path) -> list[Show]:
    """Only the show resources under ``root``, validated (for ``podops notify``: no media is read)."""
    root = root.resolve()
    if not root.is_dir():
        raise ResourceError(f"{root}: not a folder")
    problems = Problems()
    shows: list[Show] = []
    for path in discover(root, problems):
        display = path.relative_to(root).as_posix()
        kind, values, marks, diagnostics = _read(path, display)
        if kind == "show":
            problems.extend(diagnostics)
            shows.append(_show(values, path, display, marks))
    problems.raise_if_errors()
    return shows


Read = tuple[str | None, dict[str, Any], dict[str, Any], list[Diagnostic]]


def _read(path: Path, display: str, raw: bytes | None = None) -> Read:
    """Parse and validate one file: its kind (None when it is no resource), values, marks, problems."""
    problems = Problems()
    try:
        data = load_bytes(raw, display) if raw is not None else load(path, display)
    except ResourceError as exc:
        return None, {}, {}, exc.diagnostics
    if "kind" not in data and "apiVersion" not in data:
        return None, {}, {}, []
    kind = KINDS.get(str(data.get("kind", "")).strip().lower())
    if kind is None:
        line, column = data.mark("kind")
        problems.add(display, line, column, "kind",
                     f"{data.get('kind')!r} is not a resource kind podops reads "
                     "(show, episode, channel or subscribers)")
        return None, {}, {}, problems.items
    _legacy(data)
    _drop_secrets(data, "", display, problems)
    validator = Validator(display, problems)
    values = validator.check(SPECS[kind], data, "", (1, 1)) or {}
    return kind, values, validator.marks, problems.items


def _drop_secrets(node: Any, path: str, display: str, problems: Problems) -> None:
    """Refuse passwords, stream keys and auth hashes wherever they are, and take them out of the
    data so that they are reported once, as secrets, and never as unknown fields."""
    if isinstance(node, Mapping):
        for key in list(node):
            dotted = f"{path}.{key}" if path else str(key)
            if is_secret(str(key)):
                line, column = node.mark(key)
                problems.add(display, line, column, dotted,
                             "is a secret, and secrets do not belong in Git: remove it (keep it in the "
                             "streaming server, or in the environment of the tool that needs it)")
                del node[key]
            else:
                _drop_secrets(node[key], dotted, display, problems)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _drop_secrets(item, f"{path}[{i}]", display, problems)


def _read_cached(path: Path, display: str, caches: Caches) -> Read:
    """:func:`_read` through the store, keyed by the file's bytes and the checking code."""
    try:
        size = regular_size(path, display)
    except ResourceError as exc:
        return None, {}, {}, exc.diagnostics
    if size > MAX_BYTES:
        return _read(path, display)
    raw = path.read_bytes()
    key, store = caches.resource_key(raw), caches.store
    cached = store.get("resource", key)
    if cached is not None:
        try:
            kind, values, marks, diagnostics = json.loads(cached, object_hook=_decode)
            return (kind, dict(values), {str(k): (int(v[0]), int(v[1])) for k, v in marks.items()},
                    [Diagnostic(display, *d) for d in diagnostics])
        except (ValueError, TypeError, AttributeError, IndexError, KeyError):
            pass  # a damaged or foreign cache record: read the file again
    kind, values, marks, diagnostics = _read(path, display, raw)
    rows = [[d.line, d.column, d.field, d.message, d.severity] for d in diagnostics]
    store.put("resource", key, json.dumps([kind, values, marks, rows], default=_encode))  # order kept
    return kind, values, marks, diagnostics


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    raise TypeError(f"cannot cache {type(value).__name__}")


def _decode(value: dict[str, Any]) -> Any:
    return datetime.fromisoformat(value["$datetime"]) if set(value) == {"$datetime"} else value


def _get(values: dict[str, Any], dotted: str, default: Any = None) -> Any:
    node: Any = values
    for key in dotted.split("."):
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


def _show(values: dict[str, Any], path: Path, display: str, marks: dict[str, Any]) -> Show:
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
        markdown=_get(values, "site.markdown") or "commonmark",
        markdown_extensions=[e for e in _get(values, "site.markdownExtensions") or [] if e],
    )


def _private(values: dict[str, Any], marks: dict[str, Any]) -> bool:
    """``private``, failing closed: an unreadable value (already an error) counts as private."""
    return "private" in marks and values.get("private") is not False


def _subscriber_list(values: dict[str, Any], path: Path, display: str, marks: dict[str, Any]) -> SubscriberList:
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


def _episode(values: dict[str, Any], path: Path, display: str, marks: dict[str, Any]) -> Episode:
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
    )


def _channel(values: dict[str, Any], path: Path, display: str, marks: dict[str, Any]) -> Channel:
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


def _link_channels(production: Production, episodes: list[Episode], channels: list[Channel],
                   problems: Problems, broken: bool = False) -> None:
    """Channels belong to a show, have unique GUIDs and names, and broadcasts that make sense.

    An unknown parent is not reported again when a show file is already reported as broken.
    """
    shows = {s.guid: s for s in production.shows}
    taken: dict[str, Any] = {**{e.guid: e for e in episodes}, **shows}
    for channel in channels:
        if channel.guid in taken:
            first = taken[channel.guid]
            _dup(problems, channel, "metadata.guid",
                 f"GUID {channel.guid!r} is already used by {first.display}:{first.mark('metadata.guid')[0]}")
        elif channel.guid:
            taken[channel.guid] = channel
        parent = shows.get(channel.parent)
        if parent is None:
            if channel.parent and not broken:
                episode = next((e for e in episodes if e.guid == channel.parent), None)
                what = f"names the episode {episode.display}: the parent of a channel must be a show" if episode \
                    else f"{channel.parent!r} names no show (shows: {', '.join(sorted(shows)) or 'none'})"
                _dup(problems, channel, "metadata.parent", what)
            continue
        clash = next((c for c in parent.channels if c.name == channel.name), None)
        if clash:
            _dup(problems, channel, "metadata.name", f"name {channel.name!r} already used by {clash.display}")
        parent.channels.append(channel)
        _check_broadcasts(channel, problems)
    for show in production.shows:
        show.channels.sort(key=lambda c: (c.name, c.display))


def _check_broadcasts(channel: Channel, problems: Problems) -> None:
    for event in channel.events:
        if event.end <= event.start:
            _dup(problems, channel, f"{event.field}.end", "must be after start")
    guids: dict[str, LiveEvent] = {}
    for event in channel.events:
        if event.guid in guids:
            _dup(problems, channel, f"{event.field}.guid",
                 f"guid {event.guid!r} is already used by {guids[event.guid].field}")
        guids.setdefault(event.guid, event)
    for first, second in live.overlaps([e for e in channel.events if e.end > e.start]):
        _dup(problems, channel, f"{second.field}.start",
             f"overlaps {first.field} ({first.title!r}): one stream plays one broadcast at a time", "warning")
    for slot in channel.slots:
        if live.zone(slot.timezone) is None:
            _dup(problems, channel, f"{slot.field}.timezone",
                 f"{slot.timezone!r} is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)")
        if live.clock_time(slot.time) is None:
            _dup(problems, channel, f"{slot.field}.time", f"{slot.time!r} is not a time of day as HH:MM (24 h)")
        if slot.duration <= 0:
            _dup(problems, channel, f"{slot.field}.duration", "must be longer than 0 seconds")
        if slot.since and slot.until and slot.until < slot.since:
            _dup(problems, channel, f"{slot.field}.until", "must not be before since")


def _link(production: Production, episodes: list[Episode], problems: Problems, broken: bool = False,
          lists: list[SubscriberList] | None = None) -> None:
    """Check what spans files: one show per folder, unique GUIDs and names, parents, assets.

    When a show file is already reported as broken, its absence and its episodes' unknown parent
    follow from that one error and are not reported again.
    """
    lists = lists or []
    if not production.shows and not broken:
        problems.add("show.yaml", message=f"not found in {production.root} (a production needs one "
                     "resource of kind: show)")
    seen_guid: dict[str, Any] = {}
    by_folder: dict[Path, Show] = {}
    for show in production.shows:
        if show.root in by_folder:
            other = by_folder[show.root]
            _dup(problems, show, "kind", f"a second show in one production folder (first: {other.display})")
        by_folder[show.root] = show
        _check_categories(show, problems)
        _check_assets(show, [show.image], production.root, problems)
        if show.link and check_url(show.link):
            _dup(problems, show, "description.link.uri", check_url(show.link) or "")
    names: dict[str, Show] = {}
    for show in production.shows:
        if show.name and show.name in names:  # an invalid name is reported once, as invalid
            _dup(problems, show, "metadata.name",
                 f"name {show.name!r} already used by {names[show.name].display}")
        names[show.name] = show
    resources: list[Show | Episode | SubscriberList] = [*production.shows, *episodes, *lists]
    for resource in resources:
        key = resource.guid
        if key and key in seen_guid:
            first = seen_guid[key]
            line = first.mark("metadata.guid")[0]
            _dup(problems, resource, "metadata.guid",
                 f"GUID {key!r} is already used by {first.display}:{line}")
        elif key:
            seen_guid[key] = resource
    shows = {s.guid: s for s in production.shows}
    for episode in episodes:
        parent = shows.get(episode.parent)
        if parent is None:
            if episode.parent and production.shows and not broken:  # else the show's own error says it
                known = ", ".join(sorted(shows)) or "none"
                _dup(problems, episode, "metadata.parent",
                     f"{episode.parent!r} names no show (shows: {known})")
            continue
        parent.episodes.append(episode)
        _check_assets(parent, [episode.image, episode.enclosure, *episode.transcripts], production.root,
                      problems, episode)
    for show in production.shows:
        show.episodes.sort(key=lambda e: (e.name, e.display))
        _check_episodes(show, problems)
    _link_subscribers(shows, lists, problems, broken)


def _link_subscribers(shows: dict[str, Show], lists: list[SubscriberList], problems: Problems,
                      broken: bool = False) -> None:
    """Give each private show its listeners: every address once, every list for a private show."""
    seen: dict[tuple[str, str], Subscriber] = {}
    for listing in sorted(lists, key=lambda item: item.display):
        show = shows.get(listing.parent)
        if show is None:
            if listing.parent and shows and not broken:  # else the show's own error says it
                known = ", ".join(sorted(shows)) or "none"
                _dup(problems, listing, "metadata.parent", f"{listing.parent!r} names no show (shows: {known})")
            continue
        if not show.private:
            _dup(problems, listing, "metadata.parent",
                 f"show {show.name!r} is not private: add `private: true` to {show.display}, "
                 "or its subscribers would get nothing a public feed does not give")
            continue
        for subscriber in listing.subscribers:
            first = seen.get((show.guid, subscriber.email))
            if first is not None:
                problems.add(subscriber.display, subscriber.line, subscriber.column, subscriber.field,
                             f"the same address as {first.display}:{first.line} (addresses are compared "
                             "ignoring case and surrounding space)")
                continue
            seen[(show.guid, subscriber.email)] = subscriber
            show.subscribers.append(subscriber)
    for show in shows.values():
        if show.private and not show.subscribers:
            _dup(problems, show, "private", "the show is private but has no subscribers: nobody can listen "
                 "(list them in a kind: subscribers resource, `podops new subscribers`)", "warning")



def _dup(problems: Problems, resource: Any, field: str, message: str, severity: str = "error") -> None:
    line, column = resource.mark(field)
    problems.add(resource.display, line, column, field, message, severity)


def _check_categories(show: Show, problems: Problems) -> None:
    for i, (name, subs) in enumerate(show.categories):
        for j, sub in enumerate(subs):
            if sub not in CATEGORIES.get(name, ()):
                allowed = ", ".join(CATEGORIES.get(name, ())) or "none"
                _dup(problems, show, f"description.category[{i}].subcategory[{j}]",
                     f"{sub!r} is not a subcategory of {name!r} (allowed: {allowed})")


def _check_episodes(show: Show, problems: Problems) -> None:
    names: dict[str, Episode] = {}
    item_guids: dict[str, Episode] = {}
    enclosures: dict[str, Episode] = {}
    for episode in show.episodes:
        for table, key, field, what in ((names, episode.name, "metadata.name", "name"),
                                        (item_guids, episode.feed_guid, "metadata.itemGuid", "feed guid"),
                                        (enclosures, episode.enclosure.uri if episode.enclosure else "",
                                         "enclosure.uri", "enclosure")):
            if key and key in table and (what != "feed guid" or episode.item_guid):
                _dup(problems, episode, field, f"{what} {key!r} is already used by {table[key].display}")
            table.setdefault(key, episode)
        if show.type == "serial" and episode.number is None and episode.status == "published":
            _dup(problems, episode, "metadata.labels.episode",
                 "is required: the show is serial (Apple orders serial shows by episode number)")


def _check_assets(show: Show, assets: list[Asset | None], root: Path, problems: Problems,
                  owner: Any = None) -> None:
    """Resolve local paths inside the production; refuse escapes, symlinks out, missing files."""
    owner = owner or show
    for asset in assets:
        if asset is None:
            continue
        if asset.rel == "external":
            problem = check_url(asset.uri)
            if problem:
                _dup(problems, owner, asset.field, problem)
            continue
        if "://" in asset.uri or asset.uri.startswith(("/", "\\")) or ":" in asset.uri.split("/")[0]:
            _dup(problems, owner, asset.field,
                 f"{asset.uri!r}: local paths are relative to the production (or set rel: external)")
            continue
        if os.path.normpath(asset.uri).startswith(".."):
            _dup(problems, owner, asset.field, f"{asset.uri!r}: path escapes the production directory")
            continue
        # os.path on strings: a network has tens of thousands of assets, pathlib is slow at that
        candidates = (os.path.join(show.root, asset.uri), os.path.join(owner.source.parent, asset.uri))
        found = next((c for c in candidates if os.path.exists(c)), None)
        if found is None:
            _dup(problems, owner, asset.field, f"file not found: {asset.uri}")
            continue
        real = os.path.realpath(found)
        if not all(real.startswith(os.path.join(folder, "")) for folder in (os.fspath(show.root), os.fspath(root))):
            _dup(problems, owner, asset.field, f"{asset.uri!r}: path escapes the production directory")
            continue
        what = describe_mode(os.stat(real).st_mode)
        if what is not None:  # a FIFO or device would block (or never end) a read: never opened
            _dup(problems, owner, asset.field, f"{asset.uri!r} is {what}, not a regular file: refused")
            continue
        asset.path = Path(real)
