"""Probe every file a production references, through the cache, in parallel when it pays.

Fills in sizes, durations and MIME types on the model, and turns each probe failure into a
diagnostic at the resource line that names the file.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podops.errors import Problems
from podops.media import ProbeError, file_hash, probe_audio, probe_image
from podops.model import Asset, Production, Progress, Resource
from podops.store import Store
from podops.vocabulary import TRANSCRIPT_TYPES

PROBE_VERSION = "4"  # bump when probe results change meaning, so old cache entries are ignored
PARALLEL_FROM = 8  # below this many cache misses a process pool costs more than it saves


@dataclass
class Job:
    """One file to probe and who asked for it."""

    kind: str  # audio | image | text
    asset: Asset
    owner: Resource


def _probe(kind: str, path: str) -> tuple[str, Any]:
    """Run in a worker: probe one file, returning ("ok", data) or ("error", message)."""
    try:
        if kind == "audio":
            return "ok", probe_audio(Path(path)).as_dict()
        return "ok", probe_image(Path(path)).as_dict()
    except ProbeError as exc:
        return "error", str(exc)
    except OSError as exc:
        return "error", f"cannot read file ({exc.strerror or exc})"


def _jobs(production: Production) -> list[Job]:
    jobs: list[Job] = []
    for show in production.shows:
        if show.image:
            jobs.append(Job("image", show.image, show))
        for episode in show.episodes:
            if episode.enclosure:
                jobs.append(Job("audio", episode.enclosure, episode))
            if episode.image:
                jobs.append(Job("image", episode.image, episode))
            jobs.extend(Job("text", t, episode) for t in episode.transcripts)
    return jobs


def probe_production(production: Production, store: Store, workers: int | None = None,
                     progress: Progress | None = None, probed: list[str] | None = None) -> Problems:
    """Measure every local asset (cached by content) and record problems at resource lines.

    ``progress(stage, done, total)`` is told how probing advances; ``probed`` collects the files
    that had to be measured because their content is new to the cache.
    """
    problems = Problems()
    pending: list[tuple[Job, str]] = []
    for job in _jobs(production):
        asset = job.asset
        if asset.path is None:  # external: keep what the resource says
            if job.kind == "audio" and job.owner.__dict__.get("duration") is None and asset.duration:
                job.owner.duration = asset.duration  # type: ignore[attr-defined]
            if job.kind == "audio" and asset.size is None:
                _report(problems, job, "enclosure.size",
                        "external enclosures need size (bytes) so the feed's length is exact")
            continue
        try:
            digest = asset.sha256 = store.content_hash(asset.path, file_hash)
        except OSError as exc:
            _report(problems, job, asset.field, f"cannot read {asset.uri} ({exc.strerror})")
            continue
        if job.kind == "text":
            _transcript(job, problems)
            continue
        key = f"{PROBE_VERSION}:{job.kind}:{digest}"
        cached = store.get("probe", key)
        if cached is None:
            pending.append((job, key))
        else:
            _apply(job, cached, problems)
    if probed is not None:
        probed.extend(sorted(job.asset.uri for job, _ in pending))
    results = _run([(job.kind, os.fspath(job.asset.path or "")) for job, _ in pending], workers, progress)
    for (job, key), result in zip(pending, results, strict=True):
        store.put("probe", key, result)
        _apply(job, result, problems)
    return problems


def _run(tasks: list[tuple[str, str]], workers: int | None, progress: Progress | None) -> list[tuple[str, Any]]:
    workers = workers or os.cpu_count() or 1
    results: list[tuple[str, Any]] = []
    if len(tasks) < PARALLEL_FROM or workers < 2:
        for kind, path in tasks:
            results.append(_probe(kind, path))
            if progress:
                progress("probing media", len(results), len(tasks))
        return results
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for result in pool.map(_probe, *zip(*tasks, strict=True), chunksize=16):
            results.append(result)
            if progress:
                progress("probing media", len(results), len(tasks))
    return results


def _apply(job: Job, result: Any, problems: Problems) -> None:
    status, data = result
    asset = job.asset
    if status != "ok":
        _report(problems, job, asset.field, f"{asset.uri}: {data}")
        return
    asset.size, asset.type = data["size"], data["mime"]
    if job.kind == "audio":
        asset.duration = data["duration"]
        job.owner.duration = data["duration"]  # type: ignore[attr-defined]


def _transcript(job: Job, problems: Problems) -> None:
    asset = job.asset
    assert asset.path is not None
    suffix = asset.path.suffix.lower()
    if suffix not in TRANSCRIPT_TYPES:
        known = ", ".join(sorted(TRANSCRIPT_TYPES))
        _report(problems, job, asset.field, f"{asset.uri}: unknown transcript type (use {known})")
        return
    asset.type = asset.type or TRANSCRIPT_TYPES[suffix]
    asset.size = asset.path.stat().st_size


def _report(problems: Problems, job: Job, field: str, message: str) -> None:
    line, column = job.owner.mark(field)
    problems.add(job.owner.display, line, column, field, message)
