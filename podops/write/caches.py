"""Every incremental cache of a build as one object, keyed by one hash of the code that fills them.

Between runs a build keeps, in the production's store, each resource file's validated values,
each Markdown text's HTML and each page's key. All three are keyed by
:func:`podops.write.fingerprint.code_salt` (podops' code and theme and the versions of the libraries
that shape output), so a change of any of them starts every cache afresh and an incremental
build still equals a clean one. Probe results are the exception on purpose: they are keyed by
the media's content and ``inventory.PROBE_VERSION``, because probing gigabytes of audio again after
every podops upgrade would cost more than the rule is worth.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from podops.probe.store import Store
from podops.render import markup
from podops.render.pagecache import PageCache
from podops.write import fingerprint, output


class Caches:
    """The store, the one code hash, the notes rendered so far and the page keys of one build."""

    def __init__(self, store: Store, code: str | None = None) -> None:
        self.store = store
        self.code = code if code is not None else fingerprint.code_salt()  # the build passes the one it checked with
        self.notes: markup.Notes | None = None
        self.pages: PageCache | None = None

    def resource_key(self, raw: bytes) -> str:
        """Key of a resource file's validated values: its bytes and the code that checked them."""
        return hashlib.sha256(self.code.encode() + b"\0" + raw).hexdigest()

    def start_notes(self) -> markup.Notes:
        """The notes of the last build, made the ones this build renders into."""
        kept = {k: v for k, v in self.store.table("notes", "").items() if isinstance(v, str)}
        self.notes = markup.use(markup.Notes(self.code, kept))
        return self.notes

    def start_pages(self, templates: Path | None, out: Path, key: str,
                    placed: output.Placed | None = None) -> PageCache:
        """Page reuse for this build; off when override templates reach into episode lists."""
        overrides = [p for p in templates.rglob("*") if p.is_file()] if templates else []
        reaches = any("episodes" in p.read_text(errors="replace") for p in overrides)
        digest = hashlib.sha256(self.code.encode())
        for path in sorted(overrides):
            digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
        self.pages = PageCache(self.store.table("pages", key), out, digest.hexdigest(), enabled=not reaches,
                               placed=placed, feeds=self.store.get("feeds", key))
        return self.pages

    def save(self, key: str) -> None:
        """Keep what the next build can reuse: the notes and every page's key, writing only what changed."""
        if self.notes is not None:
            kept = self.notes.kept()
            fresh = self.notes.new  # rendered this build: the store held none of them
            if len(fresh) * 2 > self.notes.loaded:  # mostly new notes (another podops, another theme): drop the rest
                self.store.put_table("notes", "", kept, kept, whole=True)
            elif fresh:  # a note this build did not need (its page was reused) is kept for a build that does
                self.store.put_table("notes", "", self.notes.rendered, fresh)
            self.store.replace("markdown", {})  # the notes' older shape, a row each
        if self.pages is not None:
            keys, previous = self.pages.keys, self.pages.previous
            self.store.put_table("pages", key, keys, {k: v for k, v in keys.items() if previous.get(k) != v},
                                 [k for k in previous if k not in keys])
            self.store.forget("pages", key)  # the keys' older shape, one JSON text
            self.store.put("feeds", key, self.pages.feeds)

