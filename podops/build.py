"""The build: load → validate → probe → render in memory → write atomically.

The core never imports click; the CLI calls :func:`check` and :func:`build` and prints what
they return or raise. The stages' modules (and their libraries: PyYAML, mutagen, feedgen,
Jinja2, Markdown) are imported where they are first needed, so a build that finds nothing
changed costs little more than starting Python.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from podops import capability, heap, urls
from podops.errors import Diagnostic, PodopsError, Problems, ResourceError
from podops.probe.store import Store
from podops.write import fingerprint, output

if TYPE_CHECKING:  # the model's dataclasses are imported by the stages that make them, not by a no-op
    from podops.model import Asset, Production, Progress, Release, Show
    from podops.render.markup import Notes
    from podops.render.pagecache import PageCache
    from podops.render.private import Access


@dataclass
class Report:
    """What a build did, for the one-line summary."""

    shows: int = 0
    published: int = 0
    scheduled: list[str] = field(default_factory=list)
    drafts: int = 0
    archived: int = 0
    size: int = 0
    seconds: float = 0.0
    feeds: list[str] = field(default_factory=list)
    private_feeds: int = 0  # personal feeds of private shows' subscribers
    warnings: list[Diagnostic] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0
    probed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    skipped: bool = False  # nothing changed since the last build: the output was left as it was
    events: int = 0  # events this build added to the event log (with --previous)


def source_date_epoch(environ: dict[str, str] | None = None) -> datetime | None:
    """SOURCE_DATE_EPOCH as an aware datetime (reproducible-builds.org), or None when unset."""
    value = (environ if environ is not None else os.environ).get("SOURCE_DATE_EPOCH")
    if value is None or value == "":
        return None
    if not value.strip().isdigit():
        raise PodopsError(f"invalid SOURCE_DATE_EPOCH {value!r}: must be a non-negative whole number of seconds")
    return datetime.fromtimestamp(int(value), tz=timezone.utc)


def check(root: Path, probe: bool = True, base_url: str | None = None, drafts: bool = False,
          now: datetime | None = None) -> tuple[Production, list[Diagnostic]]:
    """Validate a production as a build would (media probed, release rules, permanence lock), writing nothing."""
    from podops import permanence
    from podops.load.production import load_production
    from podops.probe.inventory import probe_production
    from podops.release import plan_releases

    production = load_production(root)
    problems = Problems()
    problems.extend(production.warnings)
    if (production.root / "templates").is_dir():
        from podops.render.theme import check_overrides

        problems.extend(check_overrides(production.root / "templates", production.root))
    if probe:
        store = Store(production.root, writable=False)
        try:
            problems.extend(probe_production(production, store, workers=1))
        finally:
            store.close()
    releases, rules = plan_releases(production, _now(now), drafts, base_url)
    problems.extend(rules)
    from podops.render import markup
    from podops.render.chapters import check_timestamps

    _notes(releases, markup.use(markup.Notes()))  # each show's renderer, as a build assigns them
    check_timestamps(releases, problems)
    if not drafts and not problems.errors:
        permanence.check(permanence.read(production.root, problems), production, releases, base_url, False,
                         problems)
    problems.raise_if_errors()
    return production, problems.warnings


def _now(now: datetime | None) -> datetime:
    """What "now" is for scheduling: the caller's, else SOURCE_DATE_EPOCH, else the clock."""
    return now or source_date_epoch() or datetime.now(timezone.utc)


def _notes(releases: list[Release], notes: Notes) -> list[str]:
    """Every Markdown text this build renders, each assigned its show's renderer."""
    from podops.render.markup import flavour

    every: list[str] = []
    for item in releases:
        show = item.show
        texts = [show.summary]
        for episode in item.episodes:
            texts += [episode.summary, *([episode.text] if episode.text else [])]
        for on_air in item.live:
            texts += [on_air.channel.summary, *(e.summary for e in on_air.events if e.summary)]
        notes.assign(texts, flavour(show.markdown, show.markdown_extensions))
        every += texts
    return every


def _count(production: Production, releases: list[Release], drafts: bool, report: Report) -> None:
    """The report's tallies: archived, skipped drafts, and scheduled episodes with their dates."""
    for show in production.shows:
        report.archived += sum(e.status == "archived" for e in show.episodes)
        report.drafts += 0 if drafts else sum(e.status == "draft" for e in show.episodes)
    report.scheduled = [f"{item.show.name}/{e.name} ({e.date:%Y-%m-%d %H:%M} UTC)"
                        for item in releases for e in item.scheduled if e.date]


def _plan_asset(plan: output.Plan, show: Show, asset: Asset | None) -> None:
    """Publish a local file: copied, except HTML, which is served as a page and so sanitised."""
    from podops.render import markup

    if asset is None or asset.path is None or not asset.sha256:
        return
    if asset.path.suffix.lower() in (".html", ".htm"):
        text = asset.path.read_text(encoding="utf-8", errors="replace")
        plan.add(urls.asset_path(show, asset), markup.sanitize(text))
    else:
        plan.link(urls.asset_path(show, asset), asset.copy or asset.path, asset.sha256)


def plan_site(releases: list[Release], templates: Path | None, source_date: datetime | None,
              cache: PageCache | None = None, extra: dict[str, list[dict[str, Any]]] | None = None,
              secret: bytes | None = None, plan: output.Plan | None = None) -> output.Plan:
    """Render every file of the site into ``plan`` (a new one in memory when None); ``extra`` fills the
    API's further collections.

    Private shows are rendered only through :mod:`podops.render.private`, never into a public file.
    """
    from podops.render import api, chapters, feed, search, site

    plan = output.Plan() if plan is None else plan
    public = [item for item in releases if not item.show.private]
    for item in releases:
        show = item.show
        if not show.private:
            feed.plan_feed(plan, show, item.episodes, item.base_url, source_date, on_air=item.live, cache=cache)
        for asset in (show.image, *show.trailers.values()):
            _plan_asset(plan, show, asset)
        chapters.plan_chapters(item, plan, cache)
        for episode in item.episodes:
            for asset in (episode.enclosure, episode.image, *episode.transcripts, *episode.alternates.values()):
                _plan_asset(plan, show, asset)
    hidden = [item for item in releases if item.show.private]
    closed = sorted({urlsplit(item.base_url).path.rstrip("/") + f"/{capability.PRIVATE_FOLDER}/" for item in hidden})
    heap.give_back()
    site.render_site(public, plan, templates, cache, releases[0].base_url if releases else None, closed)
    heap.give_back()
    api.render_api(public, plan, cache, extra)
    heap.give_back()
    search.plan_index(public, plan, cache)
    heap.give_back()
    if hidden:
        from podops.render.private import render_private

        assert secret is not None, "a private show is built only with the secret"
        render_private(hidden, plan, templates, secret, source_date, cache)
    plan.add(urls.MARKER, output.MARKER_DATA)  # what `--force`-less builds and `publish` look for
    plan.add(urls.PUBLISH_SETTINGS, publish_settings(public))  # a file in the output: no private path
    return plan


def publish_settings(releases: list[Release]) -> str:
    """What ``podops publish`` needs from the shows: the feeds, and each show's Cache-Control policy.

    Files outside every show's folder (home page, styles, API) follow the first show's policy.
    """
    policies = {urls.show_dir(r.show): r.show.cache_control for r in releases if r.show.cache_control}
    if releases and releases[0].show.cache_control:
        policies[""] = releases[0].show.cache_control
    data = {"feeds": sorted(urls.feed_path(r.show) for r in releases), "cacheControl": policies}
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def _unlock(production: Production, problems: Problems) -> bytes | None:
    """PODOPS_SECRET when a show is private, each private show given its unguessable folder."""
    if not any(show.private for show in production.shows):
        return None
    try:
        secret = capability.require_secret()
    except PodopsError as exc:
        problems.extend(exc.diagnostics)
        return None
    for show in production.shows:
        if show.private:
            show.prefix = capability.show_prefix(secret, show.guid)
    return secret


def subscribers(root: Path, base_url: str | None = None) -> list[Access]:
    """Every subscriber of every private show with their personal URLs; reads no media, writes nothing."""
    from podops.load.production import load_production
    from podops.model import Release
    from podops.release import base_url as release_base_url
    from podops.render.private import accesses

    production = load_production(root)
    problems = Problems()
    secret = _unlock(production, problems)
    found: list[Access] = []
    for show in production.shows:
        if show.private:
            base = release_base_url(show, base_url, problems)
            found += accesses(Release(show, [], base), secret) if secret and base else []
    problems.raise_if_errors()
    return found


def build(root: Path, out: Path, base_url: str | None = None, drafts: bool = False,
          now: datetime | None = None, workers: int | None = None,
          progress: Progress | None = None, previous: str | Path | None = None, force: bool = False,
          accept_changes: bool = False, permanent: bool = True) -> Report:
    """Build ``root`` into ``out``; on any error raise and leave ``out`` exactly as it was.

    ``previous`` (a built folder, possibly ``out`` itself, or a live site's URL) continues the
    event log of that site's manifest (see :mod:`podops.render.events`). ``force`` takes over a non-empty
    folder that holds no podops marker (its files are deleted). The permanence lock
    (:mod:`podops.permanence`) is checked, and updated once the output is in place, unless
    ``permanent`` is off (previews) or drafts are built; ``accept_changes`` takes changes into it.
    """
    started = time.perf_counter()
    out = output.real_output(out)
    output.recover(out)  # a build killed mid-swap left the site aside: put it back first
    source_date = source_date_epoch()
    now = _now(now)  # decides what is scheduled, stamps new events
    root = root.resolve()
    if not root.is_dir():
        raise ResourceError(f"{root}: not a folder")
    output.check_output(out, root, force)
    basis: Any = None  # the previous site's manifest (with --previous), and its digest for the fingerprint
    continued: str | None = None
    if previous is not None:
        from podops.render import events

        basis = events.read_manifest(previous)
        continued = events.digest(basis) if basis else None
    problems = Problems()
    store = Store(root, check_later=True)  # checked once the build has work to do
    scratch: list[Path] = []
    production: Production | None = None
    if store.warning:
        problems.add(".podops", message=store.warning, severity="warning")
    try:
        key = os.fspath(out.absolute())
        templates = root / "templates"
        options = {"base_url": base_url, "drafts": drafts, "source_date": str(source_date), "out": key,
                   "previous": continued,
                   "secret": capability.secret_fingerprint(capability.read_secret())}
        salt = fingerprint.salt(store.get, store.put)
        before = fingerprint.inputs(root, salt, options)
        last = store.get("fingerprint", key)
        if before is not None:
            skipped = _unchanged(store, key, last, before, root, out, now)
            if skipped is not None:
                skipped.seconds = time.perf_counter() - started
                return skipped
        store.check()
        from podops.load.production import load_production
        from podops.probe.inventory import probe_production
        from podops.release import plan_releases
        from podops.write.caches import Caches
        from podops.write.record import load as record_of

        caches = Caches(store, salt)  # the code hash the up-to-date check used: not read again
        heap.return_large_blocks()
        gc.disable()  # loading and probing make long-lived objects, no garbage: nothing to collect
        production = load_production(root, caches)
        problems.extend(production.warnings)
        secret = _unlock(production, problems)
        probed: list[str] = []
        hits, misses = store.hits, store.misses
        problems.extend(probe_production(production, store, workers, progress, probed))
        gc.freeze()  # the loaded production lives as long as the build: the collector need not walk it again
        gc.enable()
        report = Report(cache_hits=store.hits - hits, cache_misses=store.misses - misses, probed=probed)
        report.shows = len(production.shows)
        releases, rules = plan_releases(production, now, drafts, base_url)
        problems.extend(rules)
        from podops.probe.copies import make_copies, plan_copies
        from podops.render import events

        copies = plan_copies(releases)
        from podops import permanence

        lock = permanence.read(root, problems) if permanent and not drafts else None
        relock = lock is not None and not problems.errors and permanence.check(
            lock, production, releases, base_url, accept_changes, problems)
        if templates.is_dir():  # before any override is read: nothing outside the production is published
            from podops.render.theme import check_overrides

            problems.extend(check_overrides(templates, root))
        problems.raise_if_errors(ResourceError)
        scratch += make_copies(copies, root, store, problems)  # MP3s with chapter frames, before sizes are read
        problems.raise_if_errors(ResourceError)
        _count(production, releases, drafts, report)
        report.warnings = problems.warnings
        notes = caches.start_notes()
        notes.prerender(_notes(releases, notes), workers or os.cpu_count() or 1)
        from podops.render.chapters import check_timestamps

        check_timestamps(releases, problems)  # reads the notes' HTML: once each show's renderer is known
        report.warnings = problems.warnings
        overrides = templates if templates.is_dir() else None
        placed = record_of(store.table("placed", key), key)  # what the previous output holds, its folders checked
        pages = caches.start_pages(overrides, out, key, placed)
        public = [item for item in releases if not item.show.private]  # no event announces a private show
        record = events.manifest(events.state_of(public), basis, now, events.resolver(public))
        if production.loaded is not None:  # with the positions the checks' diagnostics needed, for the next build
            production.loaded.close()
        site_url = public[0].base_url if public else "/"
        report.events = len(record["latest"])
        plan = output.Plan()
        with output.lock(out):  # from the first file written to the temporary folder until the swap
            try:
                plan.stage(out, placed)  # every file to write goes there at once: none is held until the commit
                plan_site(releases, overrides, source_date, pages, {"events": events.resources(record, site_url)},
                          secret, plan)
                plan.add(events.MANIFEST_PATH, events.render_manifest(record))
                report.files, placed = output.commit(plan, out, placed, report.changed)
            except OSError as exc:
                plan.discard()
                raise output.written_error(out, exc) from None
            except BaseException:
                plan.discard()
                raise
        heap.give_back()  # what the swap freed, before the record of every file and the caches' JSON
        store.put_table("placed", key, placed, placed.changed, placed.removed, placed.whole)  # rows it changed
        store.forget("output", key)  # the record's older shape, one JSON text
        heap.give_back()
        caches.save(key)
        if lock is not None and relock:  # only now that the output it records is in place
            failure = permanence.write(lock)
            if failure:
                problems.add(permanence.LOCK_FILE, message=failure, severity="warning")
                report.warnings = problems.warnings
            before = fingerprint.inputs(root, salt, options)  # the lock is an input
        report.published = sum(len(r.episodes) for r in releases)
        report.feeds = [str(out / urls.feed_path(r.show)) for r in releases if not r.show.private]
        report.private_feeds = sum(len(r.show.subscribers) for r in releases if r.show.private)
        report.size = placed.site_size()
        from podops import live

        channels = [c for r in releases for c in r.show.channels if c.public]
        keep = {r.show.guid: r.show.keep_ended_days for r in releases}
        moments = [e.date for r in releases for e in r.scheduled if e.date]
        due = min([*moments, *filter(None, [live.next_change(channels, now, keep)])], default=None)
        if before is not None:  # hashes hold across code changes: kept while a file's signature holds
            store.put("inputs", key, fingerprint.record(root, before, store.get("inputs", key)))
        store.put("fingerprint", key, {
            "inputs": before.key if before else None, "digest": before.digest() if before else None,
            "outputs": fingerprint.outputs(out), "due": due.isoformat() if due else None,
            "report": {"shows": report.shows, "published": report.published, "scheduled": report.scheduled,
                       "drafts": report.drafts, "archived": report.archived, "size": report.size,
                       "feeds": report.feeds, "private_feeds": report.private_feeds},
            "warnings": [[d.path, d.line, d.column, d.field, d.message, d.severity] for d in report.warnings]})
    finally:
        if production is not None and production.loaded is not None:
            production.loaded.close()  # a build stopped by a later check still keeps what it loaded
        gc.enable()
        gc.unfreeze()  # a process that builds again (preview, tests) collects this build's objects
        store.close()
        for folder in scratch:  # copies made without a writable cache, now in the output
            shutil.rmtree(folder, ignore_errors=True)
    if store.warning and all(w.message != store.warning for w in report.warnings):
        report.warnings.append(Diagnostic(".podops", message=store.warning, severity="warning"))
    report.seconds = time.perf_counter() - started
    return report


def _unchanged(store: Store, key: str, last: Any, inputs: fingerprint.Inputs, root: Path, out: Path,
               now: datetime) -> Report | None:
    """The last build's report when nothing it depends on changed (and nothing came due), else None."""
    if not isinstance(last, dict) or last.get("inputs") != inputs.key:
        return None
    digest, settled = inputs.digest(), None
    try:
        if last.get("digest") != digest:  # some signature moved: the same bytes still make a no-op
            settled = fingerprint.settle(root, inputs, store.get("inputs", key), store.known_hash)
            if settled is None:
                return None
        if not fingerprint.outputs_unchanged(out, last.get("outputs")):
            return None
        if last.get("due") and datetime.fromisoformat(last["due"]) <= now:
            return None  # a scheduled episode is due: publish it
        warnings = [Diagnostic(*row) for row in last.get("warnings", [])]  # a no-op build still reports them
        report = Report(**last["report"], warnings=warnings, skipped=True)
    except (TypeError, ValueError, AttributeError, IndexError, KeyError):
        return None  # a damaged record: build
    if settled is not None:  # touched files with the same bytes: remember their new signatures
        store.put("inputs", key, settled)
        store.put("fingerprint", key, {**last, "digest": digest})
    return report
