"""Episode and list pages rendered by forked processes, one per CPU, when a build has many to render.

Jinja is pure Python, so threads would share one CPU. Forked workers inherit the build's state
(releases, theme, rendered Markdown) instead of receiving it pickled; each renders a slice of
the pages into a list of files and sitemap entries, which the parent adds to the plan in
the order of the jobs, so the output is byte for byte what one process renders. Small builds, edits
(few pages to render) and systems without ``fork`` render in the calling process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

from podops.errors import Diagnostic, TemplateError

if TYPE_CHECKING:
    from podops.render.site import SitemapEntry, SiteRenderer

FROM = 400  # pages to render below which forking costs more than it saves
SLICE = 100  # pages a worker renders per task: a slice's pages are held once in each process
Job = tuple[str, int, int]  # ("episode", release number, position) or ("list", release number, page number)

_renderer: SiteRenderer | None = None  # what a forked worker renders with (set just before the fork)


class Collector:
    """Stands in for the plan in a worker: the files, in the order they were added."""

    def __init__(self) -> None:
        self.files: list[tuple[str, str | bytes]] = []

    def add(self, path: str, data: str | bytes) -> None:
        """Keep one file for the parent to plan, as bytes: pickled as they are, not encoded, decoded
        and encoded again on the way to the parent's plan."""
        self.files.append((path, data.encode() if isinstance(data, str) else data))


Result = tuple[list[tuple[str, str | bytes]], list["SitemapEntry"]] | list[Diagnostic]


def render(renderer: SiteRenderer, job: Job) -> None:
    """Render one episode's pages or one list page."""
    kind, number, index = job
    release = renderer.releases[number]
    if kind == "list":
        renderer.render_list_page(release, index)
    else:
        renderer.render_episode(release, release.episodes[index], index)


def _render(jobs: list[Job]) -> Result:
    """In a worker: render the pages of one slice."""
    renderer = _renderer
    assert renderer is not None, "a worker renders only after a fork"
    collector = Collector()
    renderer.plan, renderer.sitemap = collector, []  # type: ignore[assignment]  # the worker's own copies
    try:
        for job in jobs:
            render(renderer, job)
    except TemplateError as exc:  # reported by the parent, as if it had rendered the page
        return exc.diagnostics
    return collector.files, renderer.sitemap


def cpus() -> int:
    """Workers to start: one per CPU this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def render_pages(renderer: SiteRenderer, jobs: list[Job]) -> None:
    """Render the jobs' pages into the renderer's plan, in parallel if it pays."""
    workers = min(cpus(), -(-len(jobs) // SLICE))
    if len(jobs) < FROM or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for job in jobs:
            render(renderer, job)
        return
    global _renderer
    _renderer = renderer
    frozen = gc.get_freeze_count()  # the build may have frozen the loaded production already
    gc.freeze()  # the inherited heap out of the workers' collections: scanning it copied every page of it
    try:
        # concurrent.futures rather than multiprocessing.Pool: a worker that dies (the OOM killer)
        # fails the build with BrokenProcessPool instead of leaving it waiting for the lost slice.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            try:
                for result in pool.map(_render, [jobs[i:i + SLICE] for i in range(0, len(jobs), SLICE)]):
                    if not isinstance(result, tuple):
                        raise TemplateError(result)
                    files, sitemap = result
                    for path, data in files:
                        renderer.plan.add(path, data)
                    renderer.sitemap += sitemap
            except BaseException:
                pool.shutdown(cancel_futures=True)  # the slices not started yet are not rendered for nothing
                raise
    finally:
        _renderer = None
        if not frozen:  # else whoever froze first thaws it all
            gc.unfreeze()
