"""Published copies of MP3s that carry their episode's chapters as ID3v2 frames (``chapters.id3``).

The production's file is never written: the copy is made once per source content and chapter
list into the cache (``.podops/chaptered/``, named by the hash of both), so an unchanged episode
costs one stat on the next build and a clean build writes the same bytes. The copy's size and
SHA-256 then stand for the enclosure everywhere (feed length, API, events, the output's reuse),
because they describe what listeners download. Copies no build uses any more are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from podops.errors import Problems
from podops.model import Asset, Episode, Release
from podops.probe.audio import FRAMES_VERSION, Mark, write_chapters
from podops.probe.media import AUDIO_MIME, ProbeError, file_hash
from podops.probe.store import Store

FOLDER = "chaptered"  # under .podops/


@dataclass
class Copy:
    """One enclosure to publish with chapter frames, and the name its copy has in the cache."""

    episode: Episode
    asset: Asset
    key: str


def _marks(episode: Episode) -> list[Mark]:
    return [Mark(c.start, c.title, c.url, c.toc) for c in episode.chapters]


def _key(asset: Asset, episode: Episode) -> str:
    """Names the copy by everything its bytes depend on: source, chapters, duration, writer."""
    material = {"source": asset.sha256, "duration": episode.duration, "frames": FRAMES_VERSION,
                "mutagen": metadata.version("mutagen"),
                "chapters": [[m.start, m.title, m.url, m.toc] for m in _marks(episode)]}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def plan_copies(releases: list[Release]) -> list[Copy]:
    """The enclosures that get chapter frames: local MP3s the probe measured, of shows with ``chapters.id3``.

    An external enclosure is served as it is. No two episodes share an enclosure (the loader's
    references check), so each copy carries one episode's chapters.
    """
    return [Copy(episode, asset, _key(asset, episode))
            for item in releases if item.show.chapter_frames
            for episode in item.episodes
            if episode.chapters and (asset := episode.enclosure) is not None and asset.path is not None
            and asset.sha256 and asset.type == AUDIO_MIME and episode.duration is not None]


def make_copies(copies: list[Copy], root: Path, store: Store, problems: Problems) -> list[Path]:
    """Make (or find in the cache) each copy and point its enclosure at it; return temporary folders.

    Without a writable cache the copies go to a temporary folder, which the caller removes once
    the output is written.
    """
    made: list[Path] = []
    folder = root / ".podops" / FOLDER
    try:
        if copies:
            folder.mkdir(exist_ok=True)  # inside the store's folder, never made here: no cache, no folder
        usable = folder.is_dir() and os.access(folder, os.W_OK)
    except OSError:
        usable = False
    if copies and not usable:
        folder = Path(tempfile.mkdtemp(prefix="podops-chaptered-"))
        made.append(folder)
    keep = set()
    for copy in copies:
        target = folder / f"{copy.key}.mp3"
        keep.add(target.name)
        recorded = store.get("chaptered", copy.key)
        try:
            digest = store.content_hash(target, file_hash) if target.is_file() else None
            if digest is None or not isinstance(recorded, dict) or recorded.get("sha256") != digest:
                _write(copy, target)
                digest = file_hash(target)
                store.put("chaptered", copy.key, {"sha256": digest})
        except (OSError, ProbeError) as exc:
            line, column = copy.episode.mark(copy.asset.field)
            reason = getattr(exc, "strerror", None) or str(exc)
            problems.add(copy.episode.display, line, column, copy.asset.field,
                         f"{copy.asset.uri}: cannot write the copy with chapter frames ({reason})")
            continue
        copy.asset.copy, copy.asset.sha256 = target, digest
        copy.asset.size = target.stat().st_size
    if usable:
        _prune(folder, keep)
    return made


def _write(copy: Copy, target: Path) -> None:
    """Write the copy beside its final name and rename it there, so a killed build leaves no half copy."""
    assert copy.asset.path is not None and copy.episode.duration is not None
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".mp3", dir=target.parent)
    os.close(fd)
    try:
        write_chapters(copy.asset.path, Path(tmp), _marks(copy.episode), copy.episode.duration)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prune(folder: Path, keep: set[str]) -> None:
    """Remove the copies (and half-written leftovers) this build no longer publishes."""
    for entry in os.scandir(folder):
        if entry.name not in keep and entry.is_file(follow_symlinks=False):
            Path(entry.path).unlink(missing_ok=True)
