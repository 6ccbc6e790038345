"""Full-text search: a Pagefind index of every public episode's title, notes and transcript.

Pagefind (``pagefind[bin]`` on PyPI, a Rust binary) indexes HTML offline into a folder of static
files that its own small script searches in the browser, so the site stays static. This module is
the only one that runs it. It indexes one short document per episode, written by podops for the
purpose into a scratch folder, rather than the pages themselves: the index is then the same
whether pages were rendered or reused, and only shows that are public can ever reach it. The
files it writes become part of the build's plan under ``pagefind/<show>/``, so each index is
committed atomically with the pages that link to it; a show whose episodes did not change keeps
its previous index.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
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
TIMEOUT = 600  # seconds: a stuck indexer must not hang the build (Pagefind takes seconds for 10,000)
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


def run_pagefind(docs: Iterator[tuple[str, str]]) -> dict[str, bytes]:
    """Index the documents with Pagefind in a scratch folder; the index files by path under it."""
    scratch = Path(tempfile.mkdtemp(prefix="podops-search-"))
    try:
        site, bundle = scratch / "site", scratch / FOLDER
        for path, text in docs:
            target = site / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        site.mkdir(exist_ok=True)
        command = [os.fspath(executable()), "--site", os.fspath(site), "--output-path", os.fspath(bundle),
                   "--silent"]
        try:
            # In the scratch folder, with no PAGEFIND_* variables: no pagefind.yml or setting of the
            # caller's can change the index.
            environment = {k: v for k, v in os.environ.items() if not k.upper().startswith("PAGEFIND")}
            result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False,
                                    cwd=scratch, env=environment)
        except subprocess.TimeoutExpired:
            raise OutputError(f"search index: Pagefind did not finish within {TIMEOUT} s") from None
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise OutputError(f"search index: Pagefind failed ({detail[-1] if detail else result.returncode})")
        files = {p.relative_to(bundle).as_posix(): p for p in sorted(bundle.rglob("*")) if p.is_file()}
        return {name: path.read_bytes() for name, path in files.items() if not UNUSED.search(name)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


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
    for release in public(releases):
        if not release.episodes:
            continue  # nothing to search: no index, and its page offers no search box
        show = release.show
        for bucket, episodes in buckets(release).items():
            folder = f"{FOLDER}/{show.name}/{bucket + '/' if bucket else ''}"
            key = cache.key("\0".join(["search", VERSION, show.title, show.language, repr(episodes)]))
            previous = [path for path in cache.previous if path.startswith(folder)]
            if previous and all([cache.reusable(path, key) for path in previous]):
                for path in previous:
                    plan.keep(path)
                continue
            for path in previous:
                cache.keys.pop(path, None)  # this index's files are named anew: forget the old names
            part = Release(show, episodes, release.base_url, release.feed_url)
            for name, data in run_pagefind(documents([part])).items():
                cache.keys[folder + name] = key
                plan.add(folder + name, data)
