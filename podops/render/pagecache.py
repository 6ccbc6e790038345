"""Reuse pages whose inputs did not change since the previous build, instead of rendering them again.

A page's key hashes everything it is made from: the build's one code hash and the override
templates (the salt, from :mod:`podops.write.caches`), and
the ``repr`` of the model objects the page shows (shows and releases leave their episode lists
out of ``repr``; pages that list episodes add what they list). A page whose key matches the one
recorded for the previous build, and whose file is still in the previous output exactly as that
build left it (:func:`podops.write.output.untouched`), is hard-linked from there. Any doubt means
rendering: a missing record, a missing or edited file, or override templates
that reach into episode lists, which the keys cannot see.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from podops.model import Episode, Release
from podops.write import output


class PageCache:
    """Remembers each page's key and says whether the previous output's copy can be reused."""

    def __init__(self, previous: dict[str, str] | None, out: Path | None, salt: str, enabled: bool = True,
                 placed: output.Placed | None = None) -> None:
        self.previous = previous if isinstance(previous, dict) else {}
        self.placed = placed or {}
        self.out = out
        self.salt = salt
        self.enabled = enabled and out is not None
        self.keys: dict[str, str] = {}
        self.reprs: dict[int, str] = {}  # each model object's repr, taken once per build

    def describe(self, *items: object) -> str:
        """Key material for model objects: releases and episodes are repr'd once per build, by identity."""
        parts = []
        for item in items:
            if isinstance(item, Release | Episode):
                text = self.reprs.get(id(item))
                if text is None:
                    text = self.reprs[id(item)] = repr(item)
                parts.append(text)
            else:
                parts.append(repr(item))
        return "\0".join(parts)

    def key(self, material: str) -> str:
        """The key of a page made from ``material`` (a repr of its inputs)."""
        return hashlib.sha256(f"{self.salt}\0{material}".encode()).hexdigest()

    def reusable(self, path: str, key: str) -> bool:
        """Record the page's key; True when the previous output holds this very page."""
        self.keys[path] = key
        if not self.enabled or self.previous.get(path) != key:
            return False
        assert self.out is not None
        previous = os.path.join(self.out, path)
        return output.untouched(self.placed, path, previous)  # a page edited by hand is rendered again
