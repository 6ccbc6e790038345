"""Checks across a production's resources: parents, duplicates, channels, subscribers and asset paths."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from podops import live
from podops.errors import Problems
from podops.load.validate import check_url
from podops.load.vocabulary import CATEGORIES
from podops.load.yamlfile import describe_mode
from podops.model import (
    Asset,
    Channel,
    Episode,
    LiveEvent,
    Production,
    Show,
    Subscriber,
    SubscriberList,
)


def link_channels(production: Production, episodes: list[Episode], channels: list[Channel],
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


def link_episodes(production: Production, episodes: list[Episode], problems: Problems, broken: bool = False,
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
    real_dirs: dict[str, str] = {}  # each asset folder resolved once in this load
    for show in production.shows:
        if show.root in by_folder:
            other = by_folder[show.root]
            _dup(problems, show, "kind", f"a second show in one production folder (first: {other.display})")
        by_folder[show.root] = show
        _check_categories(show, problems)
        _check_assets(show, [show.image, *show.trailers.values()], production.root, problems, real_dirs=real_dirs)
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
        _check_assets(parent, [episode.image, episode.enclosure, *episode.transcripts, *episode.alternates.values()],
                      production.root, problems, episode, real_dirs)
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


def _locate(candidates: tuple[str, str], real_dirs: dict[str, str]) -> tuple[str, int] | None:
    """The real path and mode of the first candidate that exists, as realpath and stat would give them.

    One lstat per file: a file that is no symlink is its folder's real path plus its name, and
    each folder is resolved once (``real_dirs``, for one load). Symlinks take the long way.
    """
    for candidate in candidates:
        try:
            st = os.lstat(candidate)
        except (OSError, ValueError):
            continue
        folder, name = os.path.split(candidate)
        if stat.S_ISLNK(st.st_mode) or name in ("", ".", ".."):
            if not os.path.exists(candidate):
                continue  # a dangling link is no file
            real = os.path.realpath(candidate)
            return real, os.stat(real).st_mode
        if folder not in real_dirs:
            real_dirs[folder] = os.path.realpath(folder)
        return os.path.join(real_dirs[folder], name), st.st_mode
    return None


def _check_assets(show: Show, assets: list[Asset | None], root: Path, problems: Problems,
                  owner: Any = None, real_dirs: dict[str, str] | None = None) -> None:
    """Resolve local paths inside the production; refuse escapes, symlinks out, missing files."""
    owner = owner or show
    real_dirs = {} if real_dirs is None else real_dirs
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
        located = _locate(candidates, real_dirs)
        if located is None:
            _dup(problems, owner, asset.field, f"file not found: {asset.uri}")
            continue
        real, mode = located
        if not all(real.startswith(os.path.join(folder, "")) for folder in (os.fspath(show.root), os.fspath(root))):
            _dup(problems, owner, asset.field, f"{asset.uri!r}: path escapes the production directory")
            continue
        what = describe_mode(mode)
        if what is not None:  # a FIFO or device would block (or never end) a read: never opened
            _dup(problems, owner, asset.field, f"{asset.uri!r} is {what}, not a regular file: refused")
            continue
        asset.path = Path(real)
