"""The permanence lock: a published episode's <guid>, enclosure URL and date never move by accident.

Apple: "the GUID must never change"; an app that sees a new <guid> or enclosure URL lists the
episode twice or downloads it again. ``podops.lock`` (JSON, sorted, committed beside the
resources) records every episode a build published; the next build refuses, at the episode's
line, a changed value or an episode gone without ``status: archived``, until the change is
accepted on purpose (``podops build --accept-changes``, or an edit of the lock, both in Git).

Only builds that publish a show at its own URL are held to the lock: a preview or staging
build under another ``--base-url`` (or with ``--drafts``) neither checks nor records it.
Private shows are outside it: their URLs are per listener and rotate with the secret.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podops import urls
from podops.errors import Problems
from podops.model import Episode, Production, Release, Show

LOCK_FILE = "podops.lock"
VERSION = 1
ACCEPT = "`podops build --accept-changes` (or edit podops.lock), then commit podops.lock"


@dataclass
class Lock:
    """The lock as read: its entries by episode resource GUID, and where each starts in the file."""

    path: Path
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    text: str | None = None  # the file as read, None when absent
    starts: dict[str, int] | None = field(default=None, repr=False)  # see :meth:`line`

    def line(self, key: str) -> int:
        """The line entry ``key`` starts on in the file as read: found only when a diagnostic needs it."""
        if self.starts is None:
            self.starts = {}  # every '"…":' prefix of a row → the first row it starts (one pass, not one per key)
            for n, row in enumerate((self.text or "").splitlines(), 1):
                text = row.strip()
                if text.startswith('"'):
                    end = text.find('":')
                    while end >= 0:
                        self.starts.setdefault(text[:end + 2], n)
                        end = text.find('":', end + 1)
        return self.starts.get(json.dumps(key) + ":", 1)

    def render(self) -> str:
        """The lock file: deterministic (sorted keys, one entry per episode)."""
        return json.dumps({"version": VERSION, "episodes": self.entries}, indent=1, sort_keys=True,
                          ensure_ascii=False) + "\n"


def read(root: Path, problems: Problems) -> Lock:
    """Read ``podops.lock`` of a production; a damaged lock is a located error, never ignored."""
    lock = Lock(root / LOCK_FILE)
    try:
        lock.text = lock.path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return lock
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(LOCK_FILE, message=f"unreadable: {exc}")
        return lock
    try:
        data = json.loads(lock.text)
    except json.JSONDecodeError as exc:
        problems.add(LOCK_FILE, exc.lineno, exc.colno, message=f"not JSON: {exc.msg} (restore it from Git)")
        return lock
    episodes = data.get("episodes") if isinstance(data, dict) else None
    if not isinstance(episodes, dict) or not all(isinstance(v, dict) for v in episodes.values()):
        problems.add(LOCK_FILE, 1, 1, "episodes", "must map episode GUIDs to their published guid, "
                     "enclosure and date (restore the file from Git)")
        return lock
    lock.entries = {str(k): dict(v) for k, v in episodes.items()}
    return lock


def held(show: Show, release: Release, override: str | None) -> bool:
    """Whether this build publishes ``show`` at its own URL (so the lock applies to it)."""
    if show.private:
        return False
    own = show.base_url or show.link
    return override is None or not own or own.rstrip("/") == override.rstrip("/")


def record(show: Show, episode: Episode, base_url: str) -> dict[str, Any]:
    """What the lock keeps of a published episode: what apps key it by."""
    enclosure = urls.asset_url(base_url, show, episode.enclosure) if episode.enclosure else None
    return {"show": show.name, "name": episode.name, "guid": episode.feed_guid, "enclosure": enclosure,
            "published": episode.date.isoformat() if episode.date else None}


# the fields compared, with the YAML field a mismatch is reported at and what to do instead
_FIELDS = (("guid", "<guid>", "metadata.itemGuid", "pin the old one with `metadata.itemGuid: {old}`"),
           ("enclosure", "enclosure URL", "enclosure.uri", "restore the file's old path or URL"),
           ("published", "publication date", "metadata.date", "restore the old date"))


def check(lock: Lock, production: Production, releases: list[Release], override: str | None,
          accept: bool, problems: Problems) -> bool:
    """Compare this build with the lock; returns whether the lock should be rewritten.

    Without ``accept`` every change is an error at the episode's line; with it, a warning, and
    the lock takes the new values (a vanished episode's entry is dropped).
    """
    severity = "warning" if accept else "error"
    held_shows = {r.show.name: r for r in releases if held(r.show, r, override)}
    by_guid = {e.guid: (s, e) for s in production.shows for e in s.episodes}
    by_feed_guid = {e.feed_guid: (s, e) for s in production.shows for e in s.episodes}
    by_name = {(s.name, e.name): (s, e) for s in production.shows for e in s.episodes}
    matched: set[str] = set()
    published = {e.guid for r in held_shows.values() for e in r.episodes if e.status == "published"}
    changed = False
    for key, entry in sorted(lock.entries.items()):
        found = (by_guid.get(key) or by_feed_guid.get(str(entry.get("guid")))
                 or by_name.get((str(entry.get("show")), str(entry.get("name")))))
        if found is None:
            if entry.get("show") not in held_shows and entry.get("show") in {s.name for s in production.shows}:
                continue  # its show is not published at its own URL by this build
            problems.add(LOCK_FILE, lock.line(key), 3, key,
                         f"published episode {entry.get('show')}/{entry.get('name')} (<guid> {entry.get('guid')}) "
                         "has disappeared; apps keep it and directories report a broken feed. Restore its "
                         "resource with `status: archived` to withdraw it on purpose, or accept with " + ACCEPT,
                         severity)
            if accept:
                del lock.entries[key]
                changed = True
            continue
        show, episode = found
        matched.add(episode.guid)
        release = held_shows.get(show.name)
        if release is None:
            continue
        if episode.status == "archived":
            continue  # withdrawn on purpose: the entry stays, so it cannot return under other values
        if episode.guid not in published:
            line, column = episode.mark("metadata.labels.status" if episode.status != "published" else "metadata.date")
            problems.add(episode.display, line, column, "metadata.labels.status",
                         f"was published (<guid> {entry.get('guid')}) and would leave the feed; set "
                         "`status: archived` to withdraw it on purpose", "error")
            continue
        now = record(show, episode, release.base_url)
        for name, what, where, fix in _FIELDS:
            old, new = entry.get(name), now[name]
            if old == new:
                continue
            mark = where if name != "guid" or episode.item_guid else "metadata.guid"
            line, column = episode.mark(mark)
            problems.add(episode.display, line, column, mark,
                         f"changes the published {what} {old} to {new}: apps would list or download the "
                         f"episode again. To keep it, {fix.format(old=old)}; to change it on purpose, {ACCEPT}",
                         severity)
            if accept:
                entry[name] = new
                changed = True
        if accept and (entry.get("name"), entry.get("show")) != (episode.name, show.name):
            entry.update(name=episode.name, show=show.name)
            changed = True
        if accept and key != episode.guid:  # keyed by the resource it now belongs to
            lock.entries[episode.guid] = lock.entries.pop(key)
            changed = True
    for release in held_shows.values():
        for episode in release.episodes:
            if episode.status == "published" and episode.guid not in matched:
                lock.entries[episode.guid] = record(release.show, episode, release.base_url)
                changed = True
    return changed


def write(lock: Lock) -> str | None:
    """Replace the lock atomically (after the output is committed); a warning when it cannot."""
    text = lock.render()
    if text == lock.text:
        return None
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".podops.lock.", dir=lock.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # a file to commit, like the resources beside it
        os.replace(tmp, lock.path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        return f"could not update {LOCK_FILE}: {exc}; the next build records these episodes again"
    lock.text, lock.starts = text, None
    return None
