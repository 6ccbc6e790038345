"""Reuse pages whose inputs did not change since the previous build, instead of rendering them again.

A page's key hashes everything it is made from: the build's one code hash and the override
templates (the salt, from :mod:`podops.write.caches`), and
the ``repr`` of the model objects the page shows (shows and releases leave their episode lists
out of ``repr``; pages that list episodes add what they list). A page whose key matches the one
recorded for the previous build, and whose file is still in the previous output exactly as that
build left it (:func:`podops.write.output.untouched`), is hard-linked from there. Any doubt means
rendering: a missing record, a missing or edited file, or override templates
that reach into episode lists, which the keys cannot see.

Feeds are reused an item at a time: each feed's record lists its items' keys and where their
bytes lie in the file, so an item whose key is unchanged is sliced out of the previous output's
feed (again only when that file is untouched) instead of being rendered and serialised again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from podops.model import Episode, Release
from podops.write import output

ITEM_START, ITEM_END = b"    <item>\n", b"    </item>\n"  # an item's lines in a pretty feed


class PageCache:
    """Remembers each page's key and says whether the previous output's copy can be reused."""

    def __init__(self, previous: dict[str, str] | None, out: Path | None, salt: str, enabled: bool = True,
                 placed: output.Placed | None = None, feeds: dict[str, list[list[object]]] | None = None) -> None:
        self.previous = previous if isinstance(previous, dict) else {}
        self.previous_feeds = feeds if isinstance(feeds, dict) else {}
        self.feeds: dict[str, list[list[object]]] = {}  # feed path → [item key, offset, length] of this build
        self.placed: dict[str, output.Entry] = placed or {}
        self.out = out
        self.salt = salt
        self.enabled = enabled and out is not None
        self.keys: dict[str, str] = {}
        self.reprs: dict[int, str] = {}  # the hash of each model object's repr, taken once per build

    def describe(self, *items: object) -> str:
        """Key material for model objects: releases and episodes are repr'd and hashed once per build, by identity.

        Only the hash of each repr is kept, so ten thousand episodes' reprs are not held all build long.
        """
        parts = []
        for item in items:
            if isinstance(item, Release | Episode):
                text = self.reprs.get(id(item))
                if text is None:
                    text = self.reprs[id(item)] = hashlib.sha256(repr(item).encode()).hexdigest()
                parts.append(text)
            else:
                parts.append(repr(item))
        return "\0".join(parts)

    def key(self, material: str) -> str:
        """The key of a page made from ``material`` (a repr of its inputs)."""
        return hashlib.sha256(f"{self.salt}\0{material}".encode()).hexdigest()

    def reusable(self, path: str, key: str) -> bool:
        """Record the page's key; True when the previous output holds this very page."""
        return self._reusable(path, (path,), key)

    def reusable_together(self, paths: Sequence[str], key: str) -> bool:
        """Record one key for pages made from the same inputs (under the first path); True when the
        previous output holds every one of them as the build that recorded that key left it."""
        return self._reusable(paths[0], paths, key)

    def reusable_part(self, path: str, part: str, key: str) -> bool:
        """Record the key of one part of the file at ``path``; True when the previous output's file holds it."""
        return self._reusable(f"{path}#{part}", (path,), key)

    def _reusable(self, name: str, paths: Sequence[str], key: str) -> bool:
        """Record ``key`` under ``name``; True when the last build recorded the same and left every
        one of ``paths`` untouched (a page edited by hand is rendered again)."""
        self.keys[name] = key
        if not self.enabled or self.previous.get(name) != key:
            return False
        assert self.out is not None
        folder = os.path.join(self.out, "")
        return all(output.untouched(self.placed, path, folder + path) for path in paths)

    def previous_items(self, paths: Sequence[str]) -> dict[str, bytes | memoryview]:
        """Item bytes by key from the first of ``paths`` the previous output holds untouched, with its record."""
        if self.out is None:
            return {}
        for path in paths:
            spans = self.previous_feeds.get(path)
            previous = os.path.join(self.out, path)
            if not isinstance(spans, list) or not output.untouched(self.placed, path, previous):
                continue
            try:
                with open(previous, "rb") as handle:
                    data = memoryview(handle.read())  # items are views of the one file: no copies
            except OSError:
                continue
            items: dict[str, bytes | memoryview] = {}
            for span in spans:
                if not (isinstance(span, list) and len(span) == 3 and isinstance(span[0], str)
                        and isinstance(span[1], int) and isinstance(span[2], int)):
                    return {}  # a damaged record: render every item
                key, start, length = str(span[0]), int(span[1]), int(span[2])
                item = data[start:start + length]
                if item[:len(ITEM_START)] != ITEM_START or item[len(item) - len(ITEM_END):] != ITEM_END:
                    return {}
                items[key] = item
            return items
        return {}

    def record_items(self, path: str, spans: list[list[object]]) -> None:
        """Remember where each item of the feed at ``path`` lies, for the next build."""
        self.feeds[path] = spans
