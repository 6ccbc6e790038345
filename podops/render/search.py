"""Full-text search: a Pagefind index of every public episode's title, notes and transcript.

Pagefind (``pagefind[bin]`` on PyPI, a Rust binary) indexes HTML offline into a folder of static
files that its own small script searches in the browser, so the site stays static. This module is
the only one that runs it. It indexes one short document per episode, written by podops for the
purpose, rather than the pages themselves: the index is then the same whether pages were rendered
or reused, and only shows that are public can ever reach it. The files it makes become part of the
build's plan under ``pagefind/<show>/``, so each index is committed atomically with the pages that
link to it; a show (or bucket) whose episodes did not change keeps its previous index.

The documents go to ``pagefind --service`` over its pipes and the index comes back the same way
(the protocol of the ``pagefind`` Python package in the same distribution: base64 JSON messages,
each followed by a comma). No scratch folder: the command-line indexer needed every document as
a file and read the folder in the file system's order, so the index's page order, and so its
bytes, depended on the file system; the service takes the pages in the order podops sends them
(sorted by path). The package's own client is not used: it waits 0.1 s before reading each
reply, 1,000 s for 10,000 episodes. Buckets are indexed by one service process each, as many at
once as there are CPUs.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import hashlib
import json
import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

from markupsafe import escape

from podops import urls
from podops.errors import OutputError
from podops.model import Episode, Release
from podops.render import markup
from podops.render.pagecache import PageCache
from podops.render.transcript import read_transcript
from podops.write.output import Plan

FOLDER = "pagefind"
BUCKET_FROM = 1000  # a show with more episodes is indexed in 16 buckets (see buckets())
TIMEOUT = 600  # seconds per index: a stuck indexer must not hang the build (Pagefind takes seconds)
UNUSED = re.compile(r"^pagefind-(?:.*ui|highlight)\.(?:js|css)$")  # Pagefind's own UIs: podops has search.js
try:  # pinned in pyproject: the index's bytes, and so the golden build, follow Pagefind's version
    VERSION = f"pagefind {metadata.version('pagefind_bin')}"
except metadata.PackageNotFoundError:
    VERSION = "pagefind -"


def executable() -> Path:
    """The Pagefind binary that ``pagefind[bin]`` installs."""
    try:
        import pagefind_bin
    except ImportError:
        raise OutputError("search needs Pagefind: pip install 'pagefind[bin]'") from None
    return Path(pagefind_bin.get_executable())


def public(releases: list[Release]) -> list[Release]:
    """The shows anyone may search: a private show's episodes never enter the public index."""
    return [r for r in releases if not r.show.private]


def document(release: Release, episode: Episode) -> str:
    """The text Pagefind indexes for an episode: title, show, notes and transcript, nothing else."""
    show = release.show
    parts = [f'<!doctype html>\n<html lang="{escape(show.language)}">\n<head><meta charset="utf-8">'
             f"<title>{escape(episode.title)}</title></head>\n"
             f'<body><main data-pagefind-body data-pagefind-meta="show:{escape(show.title)}">\n'
             f"<h1>{escape(episode.title)}</h1>\n",
             markup.episode_html(episode), "\n"]
    for asset in episode.transcripts:
        transcript = read_transcript(show, asset, release.base_url)
        if transcript is None:
            continue
        if transcript.html is not None:
            parts.append(str(transcript.html))
        else:
            parts += [f"<p>{escape(cue.text)}</p>\n" for cue in transcript.cues]
        break  # the page shows the first readable transcript; the others hold the same words
    parts.append("</main></body></html>\n")
    return "".join(parts)


def documents(releases: list[Release]) -> Iterator[tuple[str, str]]:
    """(output path of the episode page, its search document) for every public episode."""
    for release in public(releases):
        for episode in release.episodes:
            yield urls.episode_dir(release.show, episode) + "index.html", document(release, episode)


class Service:
    """One ``pagefind --service`` process, killed at its deadline; replies are read as they come."""

    def __init__(self) -> None:
        # In the temporary folder, with no PAGEFIND_* variables: no pagefind.yml or setting of the
        # caller's can change the index.
        environment = {k: v for k, v in os.environ.items() if not k.upper().startswith("PAGEFIND")}
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close(), after the process)
        try:
            self.process = subprocess.Popen([os.fspath(executable()), "--service"], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=self.errors,
                                            cwd=tempfile.gettempdir(), env=environment)
        except OSError as exc:
            self.errors.close()
            raise OutputError(f"search index: cannot run Pagefind ({exc.strerror or exc})") from None
        self.expired = False
        self.timer = threading.Timer(TIMEOUT, self.expire)
        self.timer.start()
        self.pending: list[bytes] = []
        self.partial = b""
        self.sent = 0

    def expire(self) -> None:
        """The deadline passed: stop the process (the reader then sees its output end)."""
        self.expired = True
        self.process.kill()

    def send(self, payload: dict[str, object], flush: bool = False) -> None:
        """Write one request (buffered unless ``flush``: Pagefind answers what it has read)."""
        self.sent += 1
        message = {"message_id": self.sent, "payload": payload}
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(base64.b64encode(json.dumps(message).encode()) + b",")
            if flush:
                self.process.stdin.flush()
        except OSError:  # Pagefind is gone
            self.fail()

    def receive(self) -> dict[str, object]:
        """The next reply's payload; an OutputError when Pagefind refused the request or stopped."""
        assert self.process.stdout is not None
        while not self.pending:
            chunk = os.read(self.process.stdout.fileno(), 1 << 20)
            if not chunk:
                self.fail()
            *done, self.partial = (self.partial + chunk).split(b",")
            self.pending += done
        payload: dict[str, object] = json.loads(base64.b64decode(self.pending.pop(0)))["payload"]
        if payload.get("type") == "Error":
            raise OutputError(f"search index: Pagefind failed ({payload.get('message')})")
        return payload

    def fail(self) -> None:
        """Pagefind stopped: say why (its deadline, or the last line it wrote)."""
        code = self.process.wait()
        if self.expired:
            raise OutputError(f"search index: Pagefind did not finish within {TIMEOUT} s")
        self.errors.seek(0)
        detail = self.errors.read().decode(errors="replace").strip().splitlines()
        raise OutputError(f"search index: Pagefind failed ({detail[-1] if detail else f'exit status {code}'})")

    def close(self) -> None:
        """End the process (it exits when its input ends) and its deadline."""
        self.timer.cancel()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):  # the process is gone already
                    stream.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.errors.close()


def run_pagefind(docs: Iterable[tuple[str, str]]) -> dict[str, bytes]:
    """Index the documents (output path, HTML) with one Pagefind service; the index files by path.

    Pages enter the index in path order, whatever order they come in: the index's bytes follow it.
    """
    pages = sorted(docs)
    service = Service()
    try:
        service.send({"type": "NewIndex", "config": None}, flush=True)
        index = service.receive()["index_id"]

        def feed() -> None:  # a writer beside the reader: neither pipe fills while the other waits
            try:
                for number, (path, text) in enumerate(pages, 1):
                    service.send({"type": "AddFile", "index_id": index, "file_path": path, "url": None,
                                  "file_contents": text}, flush=number == len(pages))
            except OutputError:
                pass  # Pagefind stopped: the reader reports why

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        try:
            for _ in pages:
                service.receive()
        except BaseException:
            service.process.kill()  # the writer may wait on a full pipe: let it fail
            raise
        finally:
            writer.join()
        service.send({"type": "GetFiles", "index_id": index}, flush=True)
        files = service.receive()["files"]
    finally:
        service.close()
    assert isinstance(files, list)
    found = {item["path"]: base64.b64decode(item["content"]) for item in files}
    return {name: found[name] for name in sorted(found) if not UNUSED.search(name)}


def buckets(release: Release) -> dict[str, list[Episode]]:
    """A show's episodes by index: one index, or for a large show BUCKETS indexes by GUID hash.

    Pagefind cannot update an index, so a change re-indexes the whole bundle; spreading a large
    show over stable buckets keeps an edit's cost to one bucket's. The bucket of an episode never
    changes as others come and go.
    """
    if len(release.episodes) <= BUCKET_FROM:
        return {"": release.episodes}
    groups: dict[str, list[Episode]] = {}
    for episode in release.episodes:
        groups.setdefault(hashlib.sha256(episode.guid.encode()).hexdigest()[:1], []).append(episode)
    return dict(sorted(groups.items()))


def bundle_paths(release: Release) -> list[str]:
    """Output paths of the scripts that search a show's indexes: ``pagefind/<show>/[<bucket>/]pagefind.js``."""
    return [f"{FOLDER}/{release.show.name}/{bucket + '/' if bucket else ''}pagefind.js" for bucket in buckets(release)]


def plan_index(releases: list[Release], plan: Plan, cache: PageCache | None = None) -> None:
    """Put each public show's search indexes into the plan, reusing those whose episodes did not change.

    Indexes per show (and per bucket of a large show), not one index with a filter per show:
    Pagefind writes filter files in an order that changes from run to run, while an index without
    filters is byte-identical for the same input. A network's home page searches them all at once
    (Pagefind's ``mergeIndex``).
    """
    cache = cache or PageCache(None, None, "", enabled=False)
    indexed = sorted(path for path in cache.previous if path.startswith(FOLDER + "/"))
    work: list[tuple[str, str, Release]] = []  # (folder, key, the episodes to index) of each changed index
    for release in public(releases):
        if not release.episodes:
            continue  # nothing to search: no index, and its page offers no search box
        show = release.show
        for bucket, episodes in buckets(release).items():
            folder = f"{FOLDER}/{show.name}/{bucket + '/' if bucket else ''}"
            # the episodes' reprs (hashed once per build, shared with the feed and pages) cover every document
            key = cache.key(cache.describe("search", VERSION, show.title, show.language, *episodes))
            previous = indexed[bisect.bisect_left(indexed, folder):bisect.bisect_left(indexed, folder + "\U0010ffff")]
            if previous and all([cache.reusable(path, key) for path in previous]):
                for path in previous:
                    plan.keep(path)
                continue
            for path in previous:
                cache.keys.pop(path, None)  # this index's files are named anew: forget the old names
            work.append((folder, key, Release(show, episodes, release.base_url, release.feed_url)))
    if not work:
        return
    with ThreadPoolExecutor(max_workers=min(len(work), cpus())) as pool:
        made = list(pool.map(lambda job: run_pagefind(documents([job[2]])), work))
    for (folder, key, _), files in zip(work, made, strict=True):  # in plan order, whatever finished first
        for name, data in files.items():
            cache.keys[folder + name] = key
            plan.add(folder + name, data)


def cpus() -> int:
    """How many indexers run at once: one per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
