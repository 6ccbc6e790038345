"""Probe every file a production references, through the cache, in parallel when it pays.

Fills in sizes, durations and MIME types on the model, and turns each probe failure into a
diagnostic at the resource line that names the file. Every verdict (audio, artwork, transcript)
is cached by content hash; a published name must agree with the content type found, which is
checked outside the cache because the same bytes may come under another name. Worker processes
die with the build that started them (Linux ``PR_SET_PDEATHSIG``), so a killed build leaves none.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podops.errors import Problems
from podops.load.vocabulary import TRANSCRIPT_TYPES
from podops.model import Asset, Production, Progress, Resource
from podops.probe.artwork import probe_image
from podops.probe.audio import probe_alternate, probe_audio
from podops.probe.media import AUDIO_MIME, SUFFIXES, ProbeError, file_hash, name_problem
from podops.probe.store import Store
from podops.render.transcript import check_transcript

PROBE_VERSION = "5"  # bump when probe results change meaning, so old cache entries are ignored
PARALLEL_FROM = 8  # below this many cache misses a process pool costs more than it saves
PR_SET_PDEATHSIG = 1  # linux/prctl.h
TYPE_ALIASES = {".srt": ("application/srt",)}  # Podcasting 2.0 docs list both names for SubRip
# the names another version of an episode (or a trailer) may have: every published media suffix but artwork's
ALTERNATE_SUFFIXES = frozenset(s for mime, names in SUFFIXES.items() if not mime.startswith("image/") for s in names)


@dataclass
class Job:
    """One file to probe and who asked for it."""

    kind: str  # audio | image | text | alternate (another version of the audio, a trailer)
    asset: Asset
    owner: Resource


def _probe(kind: str, path: str) -> tuple[str, Any]:
    """Run in a worker: probe one file, returning ("ok", data) or ("error", message)."""
    try:
        if kind == "audio":
            return "ok", probe_audio(Path(path)).as_dict()
        if kind == "text":
            return "ok", check_transcript(Path(path))
        if kind == "alternate":
            return "ok", probe_alternate(Path(path)).as_dict()
        return "ok", probe_image(Path(path)).as_dict()
    except (ProbeError, ValueError) as exc:  # ValueError: a transcript's content
        return "error", str(exc)
    except OSError as exc:
        return "error", f"cannot read file ({exc.strerror or exc})"


def _jobs(production: Production) -> list[Job]:
    jobs: list[Job] = []
    for show in production.shows:
        if show.image:
            jobs.append(Job("image", show.image, show))
        jobs.extend(Job("alternate", t, show) for t in show.trailers.values())
        for episode in show.episodes:
            if episode.enclosure:
                jobs.append(Job("audio", episode.enclosure, episode))
            if episode.image:
                jobs.append(Job("image", episode.image, episode))
            jobs.extend(Job("text", t, episode) for t in episode.transcripts)
            jobs.extend(Job("alternate", a, episode) for a in episode.alternates.values())
    return jobs


def probe_production(production: Production, store: Store, workers: int | None = None,
                     progress: Progress | None = None, probed: list[str] | None = None) -> Problems:
    """Measure every local asset (cached by content) and record problems at resource lines.

    ``progress(stage, done, total)`` is told how probing advances; ``probed`` collects the files
    that had to be measured because their content is new to the cache.
    """
    problems = Problems()
    pending: list[tuple[Job, str]] = []
    hashed: list[tuple[Job, str]] = []
    recorded = store.recorded_hashes()  # one query, not one per file
    for job in _jobs(production):
        asset = job.asset
        if asset.path is None:  # external: keep what the resource says
            if job.kind == "audio" and job.owner.__dict__.get("duration") is None and asset.duration:
                job.owner.duration = asset.duration  # type: ignore[attr-defined]
            if job.kind == "audio" and asset.size is None:
                _report(problems, job, "enclosure.size",
                        "external enclosures need size (bytes) so the feed's length is exact")
            continue
        if job.kind == "alternate" and asset.path.suffix.lower() not in ALTERNATE_SUFFIXES:  # by name, first
            _report(problems, job, asset.field, f"{asset.uri}: another version must be named "
                    f"{', '.join(sorted(ALTERNATE_SUFFIXES))} (a web server serves the name's type)")
            continue
        if job.kind == "audio" and name_problem(asset.path, AUDIO_MIME):  # by name, before any reading
            _report(problems, job, asset.field, f"{asset.uri}: {name_problem(asset.path, AUDIO_MIME)}")
            continue
        if job.kind == "text" and not _transcript(job, problems):
            continue
        try:
            digest = asset.sha256 = store.content_hash(asset.path, file_hash, recorded)
        except OSError as exc:
            _report(problems, job, asset.field, f"cannot read {asset.uri} ({exc.strerror})")
            continue
        kind = job.kind if job.kind != "text" else f"text{asset.path.suffix.lower()}"
        hashed.append((job, f"{PROBE_VERSION}:{kind}:{digest}"))
    kept = store.get_many("probe", [key for _job, key in hashed])
    for job, key in hashed:
        cached = kept.get(key)
        if cached is not None and not valid_result(cached):
            cached = None  # a damaged cache record is measured again
        if cached is None:
            store.misses += 1
            pending.append((job, key))
        else:
            store.hits += 1
            _apply(job, cached, problems)
    if probed is not None:
        probed.extend(sorted(job.asset.uri for job, _ in pending))
    results = _run([(job.kind, os.fspath(job.asset.path or "")) for job, _ in pending], workers, progress)
    for (job, key), result in zip(pending, results, strict=True):
        store.put("probe", key, result)
        _apply(job, result, problems)
    _check_versions(production, problems)
    return problems


def _check_times(episode: Any, problems: Problems) -> None:
    """Soundbites (soundbite.md) and value time splits (value-time-split.md) lie within the episode's audio."""
    if not episode.duration:
        return
    spans = [(f"soundbites[{i}]", bite, "error") for i, bite in enumerate(episode.tags.get("soundbites") or [])]
    for i, value in enumerate(episode.tags.get("value") or []):
        spans += [(f"value[{i}].timeSplits[{j}]", split, "warning")
                  for j, split in enumerate((value or {}).get("timeSplits") or [])]
    for field, span, severity in spans:
        if span and span["startTime"] + span["duration"] > episode.duration + 1:
            line, column = episode.mark(f"{field}.startTime")
            problems.add(episode.display, line, column, f"{field}.startTime",
                         f"{span['startTime']:g} s + {span['duration']:g} s ends after the episode "
                         f"({episode.duration:g} s)", severity)


def _check_versions(production: Production, problems: Problems) -> None:
    """Another encoding of an episode (an alternate without rel) lasts as long as its enclosure.

    alternate-enclosure.md: without ``rel`` an alternate is the enclosure's content in another
    encoding or transport; a file of another length is most likely the wrong file.
    """
    for show in production.shows:
        for episode in show.episodes:
            _check_times(episode, problems)
            entries = episode.tags.get("alternateEnclosures") or []
            for i, asset in episode.alternates.items():
                entry = entries[i] if i < len(entries) and entries[i] else {}
                if entry.get("rel") not in (None, "default") or not asset.duration or not episode.duration:
                    continue
                if abs(asset.duration - episode.duration) > max(2.0, episode.duration * 0.02):
                    line, column = episode.mark(asset.field)
                    problems.add(episode.display, line, column, asset.field,
                                 f"{asset.uri} lasts {asset.duration:g} s, the enclosure {episode.duration:g} s: "
                                 "another version of the same episode should be as long (give companion media "
                                 "a rel, e.g. rel: commentary)", "warning")


def _run(tasks: list[tuple[str, str]], workers: int | None, progress: Progress | None) -> list[tuple[str, Any]]:
    workers = workers or os.cpu_count() or 1
    results: list[tuple[str, Any]] = []
    if len(tasks) < PARALLEL_FROM or workers < 2:
        for kind, path in tasks:
            results.append(_probe(kind, path))
            if progress:
                progress("probing media", len(results), len(tasks))
        return results
    gc.freeze()  # the loaded production stays out of the workers' collections: their forked pages stay shared
    try:
        with worker_pool(workers) as pool:
            for result in pool.map(_probe, *zip(*tasks, strict=True), chunksize=16):
                results.append(result)
                if progress:
                    progress("probing media", len(results), len(tasks))
    finally:
        gc.unfreeze()
    return results


def _die_with_parent(parent: int) -> None:
    """Pool initializer: the kernel kills this worker when the build that started it dies.

    The build forks its workers while it keeps the collector off (loading makes no garbage); a
    worker makes its own garbage, so it collects again.
    """
    gc.enable()
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the pool's pipe still ends idle workers
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool whose workers never outlive this process (no orphans after kill -9)."""
    return ProcessPoolExecutor(max_workers=workers, initializer=_die_with_parent, initargs=(os.getpid(),))


def valid_result(value: Any) -> bool:
    """True for a probe result of the shape this code writes: ("ok", {size, mime, ...}) or ("error", text)."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        return False
    status, data = value
    if status == "error":
        return isinstance(data, str)
    return (status == "ok" and isinstance(data, dict) and isinstance(data.get("size"), int)
            and isinstance(data.get("mime"), str)
            and (isinstance(data.get("duration"), int | float) or "duration" not in data))


def _apply(job: Job, result: Any, problems: Problems) -> None:
    status, data = result
    asset = job.asset
    if status != "ok":
        _report(problems, job, asset.field, f"{asset.uri}: {data}")
        return
    if job.kind in ("image", "alternate") and asset.path is not None and name_problem(asset.path, data["mime"]):
        _report(problems, job, asset.field, f"{asset.uri}: {name_problem(asset.path, data['mime'])}")
        return
    if job.kind == "text":
        asset.size = data["size"]
        asset.type = asset.type or data["mime"]
        return
    asset.size, asset.type = data["size"], data["mime"]
    if job.kind == "alternate":
        asset.duration, asset.bitrate, asset.sri = data.get("duration"), data.get("bitrate"), data.get("sri")
        return
    if job.kind == "audio":
        if "duration" not in data:
            _report(problems, job, asset.field, f"{asset.uri}: no duration measured")
            return
        asset.duration = data["duration"]
        job.owner.duration = data["duration"]  # type: ignore[attr-defined]


def _transcript(job: Job, problems: Problems) -> bool:
    """Check a transcript's name and declared type before its content is checked; False when wrong."""
    asset = job.asset
    assert asset.path is not None
    suffix = asset.path.suffix.lower()
    if suffix not in TRANSCRIPT_TYPES:
        known = ", ".join(sorted(TRANSCRIPT_TYPES))
        _report(problems, job, asset.field, f"{asset.uri}: unknown transcript type (use {known})")
        return False
    declared = (asset.type or "").split(";")[0].strip().lower()
    if declared and declared not in (TRANSCRIPT_TYPES[suffix], *TYPE_ALIASES.get(suffix, ())):
        _report(problems, job, asset.field, f"{asset.uri}: type {asset.type!r} disagrees with the name "
                f"(a {suffix} file is served as {TRANSCRIPT_TYPES[suffix]})")
        return False
    return True


def _report(problems: Problems, job: Job, field: str, message: str) -> None:
    line, column = job.owner.mark(field)
    problems.add(job.owner.display, line, column, field, message)
