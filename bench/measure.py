"""Benchmark measurements: every command timed as a subprocess (peak RSS too), profiles and in-process phases.

Used by ``bench/run.py``; see its docstring and ``bench/README.md``.
"""

from __future__ import annotations

import json
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import generate
from generate import LONG, MEDIA_CACHE, TIME, Site, Spec, _q, episode_spec, remove_episode, write_episode

# ----------------------------------------------------------------------------- measuring

# Measure like an ordinary install: bytecode is cached (a sandbox's PYTHONDONTWRITEBYTECODE would
# make every run recompile podops from source). --podops-root adds PYTHONPATH.
class BenchError(Exception):
    """A command failed or produced the wrong site: the measure is void."""


PODOPS_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_WRAPPER = """import json, resource, subprocess, sys, time
t = time.perf_counter(); rc = subprocess.run(sys.argv[2:]).returncode; t = time.perf_counter() - t
json.dump({"rc": rc, "seconds": t, "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss},
          open(sys.argv[1], "w"))
"""


def run_measured(cmd: list[str], what: str, cwd: Path) -> tuple[float, float]:
    """Wall-clock seconds and peak RSS (MB) of one command; exit on failure.

    ``cwd`` is the site's folder, never the clone: ``python -m`` puts the working directory first
    on sys.path, which would shadow --podops-root.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as report:
        if os.access(TIME, os.X_OK):
            started = time.perf_counter()
            proc = subprocess.run([TIME, "-v", "-o", report.name, *cmd], check=False, capture_output=True,
                                  text=True, env=PODOPS_ENV, cwd=cwd)
            seconds = time.perf_counter() - started
            text = Path(report.name).read_text()
            match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
            rss_kb = int(match.group(1)) if match else 0
            rc = proc.returncode
        else:  # a fresh Python parent per run, so RUSAGE_CHILDREN only sees this command
            proc = subprocess.run([sys.executable, "-c", _WRAPPER, report.name, *cmd],
                                  check=False, capture_output=True, text=True, env=PODOPS_ENV,
                                  cwd=cwd)
            data = json.loads(Path(report.name).read_text() or "{}")
            seconds, rss_kb, rc = data.get("seconds", 0.0), data.get("maxrss_kb", 0), data.get("rc", 1)
    if rc != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise BenchError(f"{what} failed (exit {rc}): {' '.join(cmd)}")
    return seconds, rss_kb / 1024


def podops_cmd(site: Site) -> list[str]:
    return [sys.executable, "-m", "podops", "build", str(site.production), "-o", str(site.out), "-q"]


def hugo_cmd(site: Site) -> list[str]:
    return ["hugo", "--quiet", "--source", str(site.hugo), "--destination", str(site.hugo_out),
            "--cacheDir", str(site.folder / "hugo-cache")]


def podops_clean(site: Site) -> None:
    shutil.rmtree(site.production / ".podops", ignore_errors=True)
    shutil.rmtree(site.out, ignore_errors=True)
    for stale in site.folder.glob("public.podops-*"):
        shutil.rmtree(stale, ignore_errors=True)


def hugo_clean(site: Site) -> None:
    for path in (site.hugo / "resources", site.hugo_out, site.folder / "hugo-cache"):
        shutil.rmtree(path, ignore_errors=True)


def edit_title(site: Site, tag: str) -> tuple[Path, str]:
    """Change the middle episode's title; return its file and original text to restore it."""
    edited = site.specs[len(site.specs) // 2]
    path = site.episode_file(edited)
    original = path.read_text()
    new_title = f"{edited.title} ({tag})"
    path.write_text(original.replace(f"  title: {_q(edited.title)}\n", f"  title: {_q(new_title)}\n", 1))
    return path, original


def count_items(feed: Path) -> int:
    return feed.read_bytes().count(b"<item>")


MEASURES = ["hugo cold", "hugo no-op", "podops cold", "podops no-op", "edit-one", "add-one"]


def measure_site(site: Site, runs: int, bases: dict[str, tuple[bytes, float]]) -> dict[str, Any]:
    """Run every measure ``runs`` times, Hugo and podops interleaved within each run."""
    samples: dict[str, list[tuple[float, float]]] = {m: [] for m in MEASURES}
    edited = site.specs[len(site.specs) // 2]
    original = site.episode_file(edited).read_text()
    added: Spec | None = None
    feed = site.out / site.show_name / "feed.xml"
    hugo_feed = site.hugo_out / site.show_name / "index.xml"  # the section feed
    error = None
    try:
        for run in range(runs):
            if added is not None:  # back to the generated state
                remove_episode(site, added)
            site.episode_file(edited).write_text(original)
            print(f"  run {run + 1}/{runs}:", end="", flush=True)

            hugo_clean(site)
            samples["hugo cold"].append(run_measured(hugo_cmd(site), "hugo cold", site.folder))
            samples["hugo no-op"].append(run_measured(hugo_cmd(site), "hugo no-op", site.folder))
            if run == 0 and count_items(hugo_feed) != site.n:
                raise BenchError(f"Hugo's feed {hugo_feed} has {count_items(hugo_feed)} items, expected {site.n}")
            print(f" hugo {samples['hugo cold'][-1][0]:.2f}s", end="", flush=True)

            podops_clean(site)
            samples["podops cold"].append(run_measured(podops_cmd(site), "podops cold", site.folder))
            if run == 0 and count_items(feed) != site.n:
                raise BenchError(f"{feed} has {count_items(feed)} items, expected {site.n}")
            print(f" | podops cold {samples['podops cold'][-1][0]:.2f}s", end="", flush=True)
            samples["podops no-op"].append(run_measured(podops_cmd(site), "podops no-op", site.folder))
            print(f" no-op {samples['podops no-op'][-1][0]:.2f}s", end="", flush=True)

            new_title = f"{edited.title} (edited in run {run + 1})"
            site.episode_file(edited).write_text(original.replace(f"  title: {_q(edited.title)}\n",
                                                                  f"  title: {_q(new_title)}\n", 1))
            samples["edit-one"].append(run_measured(podops_cmd(site), "podops edit-one", site.folder))
            if _q(new_title).strip('"').encode() not in feed.read_bytes():
                raise BenchError("the edited title did not reach the feed")
            print(f" edit {samples['edit-one'][-1][0]:.2f}s", end="", flush=True)

            added = episode_spec(site.n + run, bases)  # dated an hour after the newest: in the past
            write_episode(site, added)
            samples["add-one"].append(run_measured(podops_cmd(site), "podops add-one", site.folder))
            if run == 0 and count_items(feed) != site.n + 1:
                raise BenchError(f"after adding one episode {feed} has {count_items(feed)} items")
            print(f" add {samples['add-one'][-1][0]:.2f}s", flush=True)
    except BenchError as exc:
        error = str(exc)
        print(f"\nbench: {exc}", file=sys.stderr)
    if added is not None:
        remove_episode(site, added)
    site.episode_file(edited).write_text(original)

    result: dict[str, Any] = {"n": site.n, "place": site.place, "measures": {}, "error": error}
    if not samples["hugo cold"]:
        return result
    hugo_cold = statistics.median(s for s, _ in samples["hugo cold"])
    for name, values in samples.items():
        if not values:
            continue
        runs_both = min(len(values), len(samples["hugo cold"]))
        seconds = [s for s, _ in values]
        median = statistics.median(seconds)
        result["measures"][name] = {
            "seconds": seconds, "median": median, "min": min(seconds), "max": max(seconds),
            "ratio_to_hugo_cold": median / hugo_cold if hugo_cold else None,
            "ratios_same_run": [s / h for s, (h, _) in
                                zip(seconds[:runs_both], samples["hugo cold"][:runs_both], strict=True)],
            "rss_mb": [r for _, r in values], "peak_rss_mb": max(r for _, r in values),
        }
    return result


def probe_costs(repeat: int = 5) -> dict[str, Any]:
    """Median time of podops.probe.audio.probe_audio on the long files (in this process, warm cache)."""
    from podops.probe.audio import probe_audio

    out: dict[str, Any] = {}
    for name in LONG:
        path = MEDIA_CACHE / f"{name}.mp3"
        info = probe_audio(path)  # warm the page cache and the imports
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            probe_audio(path)
            times.append(time.perf_counter() - started)
        out[name] = {"median": statistics.median(times), "min": min(times), "max": max(times),
                     "size": path.stat().st_size, "duration": info.duration, "vbr": info.vbr}
    base = out["long-1m-cbr"]["median"]
    out["ratio_60m_cbr_to_1m"] = out["long-60m-cbr"]["median"] / base
    out["ratio_60m_vbr_to_1m"] = out["long-60m-vbr"]["median"] / base
    return out


# ------------------------------------------------------------------------------ profiling

PHASES = [  # (label, file suffix, function) read from the profile's cumulative times
    ("fingerprint.inputs (up-to-date check)", "podops/write/fingerprint.py", "inputs"),
    ("load_production (discover+YAML+validate+link)", "podops/load/production.py", "load_production"),
    ("  yamlfile.parse_fast (libyaml, no positions)", "podops/load/yamlfile.py", "parse_fast"),
    ("  yamlfile.load_bytes (positions: files with problems)", "podops/load/yamlfile.py", "load_bytes"),
    ("  Validator.check (schema walk)", "podops/load/validate.py", "check"),
    ("  references.link_episodes (cross-file checks, asset paths)", "podops/load/references.py", "link_episodes"),
    ("probe_production (hash+cache+probe)", "podops/probe/inventory.py", "probe_production"),
    ("  Store.content_hash", "podops/probe/store.py", "content_hash"),
    ("markup.prerender (notes, in parallel)", "podops/render/markup.py", "prerender"),
    ("plan_site", "podops/build.py", "plan_site"),
    ("  feed.plan_feed", "podops/render/feed.py", "plan_feed"),
    ("    markup.render (Markdown+nh3)", "podops/render/markup.py", "render"),
    ("    rss_str (lxml serialise)", "feedgen/feed.py", "rss_str"),
    ("  site.render_site (pages)", "podops/render/site.py", "render_site"),
    ("    Theme.render (Jinja)", "podops/render/theme.py", "render"),
    ("  api.render_api (read API documents)", "podops/render/api.py", "render_api"),
    ("  search.plan_index (Pagefind indexes)", "podops/render/search.py", "plan_index"),
    ("output.commit (write+swap)", "podops/write/output.py", "commit"),
    ("Store.close (commit the cache)", "podops/probe/store.py", "close"),
    ("imports (all modules)", "<frozen importlib._bootstrap>", "_find_and_load"),
]


def profile(site: Site, label: str, prof: Path, top: int = 15) -> dict[str, Any]:
    """Run one podops build under cProfile; print phases and the top functions."""
    cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "podops", "build",
           str(site.production), "-o", str(site.out), "-q"]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, env=PODOPS_ENV, cwd=site.folder)
    wall = time.perf_counter() - started
    return summarize(prof, f"{label} ({site.n} episodes, {site.place})", wall, top)


WRAPPERS = ("<frozen runpy>", "click/", "<string>", "podops/__main__.py", "podops/cli.py", "builtins.exec")


def summarize(prof: Path, label: str, wall: float | None = None, top: int = 15) -> dict[str, Any]:
    """Print a saved profile: time per build phase, then the top functions (wrappers left out)."""
    stats = pstats.Stats(str(prof))
    raw = stats.stats  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]
    shown = f"{wall:.2f} s wall under cProfile, " if wall is not None else ""
    print(f"\n== profile: {label}: {shown}{total:.2f} s profiled "
          f"(probe workers run in other processes: not seen) ==")
    phases = {}
    for text, suffix, func in PHASES:
        cum = sum(v[3] for k, v in raw.items() if k[0].endswith(suffix) and k[2] == func)
        phases[text] = cum
        print(f"  {text:<50} {cum:7.2f} s")
    rows = []
    for key, (_cc, nc, tt, ct, _callers) in raw.items():
        name = f"{_short(key[0])}:{key[1]}({key[2]})"
        if not any(w in name for w in WRAPPERS):
            rows.append({"function": name, "calls": nc, "tottime": tt, "cumtime": ct})
    by_cum = sorted(rows, key=lambda r: r["cumtime"], reverse=True)[:top]
    by_tot = sorted(rows, key=lambda r: r["tottime"], reverse=True)[:top]
    for title, table in (("cumulative", by_cum), ("own time", by_tot)):
        print(f"  -- top {top} by {title} --")
        print(f"  {'cumtime':>8} {'tottime':>8} {'calls':>9}  function")
        for r in table:
            print(f"  {r['cumtime']:8.2f} {r['tottime']:8.2f} {r['calls']:9d}  {r['function']}")
    return {"label": label, "wall": wall, "profiled": total, "phases": phases,
            "top_cumulative": by_cum, "top_tottime": by_tot, "file": str(prof)}


TIMED = [  # (module, attribute, label) wrapped with a timer for --phases; a row that names nothing is an error.
    # A function imported by name elsewhere is patched where it is defined and where it is used.
    ("podops.write.fingerprint", "inputs", "fingerprint.inputs (up-to-date check)"),
    ("podops.write.fingerprint", "settle", "fingerprint.settle (inputs against the last build)"),
    ("podops.write.fingerprint", "outputs_unchanged", "fingerprint.outputs_unchanged (output folders)"),
    ("podops.write.fingerprint", "outputs", "fingerprint.outputs (record)"),
    ("podops.write.fingerprint", "record", "fingerprint.record (input signatures and hashes)"),
    ("podops.load.production", "load_production", "load_production (discover+YAML+validate+link)"),
    ("podops.load.production", "parse_fast", "  yamlfile.parse_fast (libyaml, no positions)"),
    ("podops.load.yamlfile", "parse_fast", "  yamlfile.parse_fast (libyaml, no positions)"),
    ("podops.load.production", "load_bytes", "  yamlfile.load_bytes (positions: files with problems)"),
    ("podops.load.yamlfile", "load_bytes", "  yamlfile.load_bytes (positions: files with problems)"),
    ("podops.load.validate", "Validator.check", "  Validator.check (schema walk)"),
    ("podops.load.references", "link_episodes", "  references.link_episodes (cross-file checks, asset paths)"),
    ("podops.load.production", "link_episodes", "  references.link_episodes (cross-file checks, asset paths)"),
    ("podops.probe.inventory", "probe_production", "probe_production (hash+cache+probe)"),
    ("podops.render.markup", "Notes.prerender", "markup.prerender (notes, in parallel)"),
    ("podops.build", "plan_site", "plan_site"),
    ("podops.render.feed", "plan_feed", "  feed.plan_feed (public feeds)"),
    ("podops.render.feed", "render_items", "    feed.render_items (items: spliced or made)"),
    ("podops.render.chapters", "plan_chapters", "  chapters.plan_chapters (podcast:chapters files)"),
    ("podops.render.site", "render_site", "  site.render_site (pages)"),
    ("podops.render.api", "render_api", "  api.render_api (read API documents)"),
    ("podops.render.search", "plan_index", "  search.plan_index (Pagefind indexes)"),
    ("podops.render.markup", "render", "    markup.render (Markdown+nh3, inside feed and pages)"),
    ("podops.render.theme", "Theme.render", "    Theme.render (Jinja)"),
    ("podops.urls", "asset_path", "    urls.asset_path"),
    ("podops.write.output", "commit", "output.commit (write+swap)"),
    ("podops.probe.store", "Store.close", "Store.close (commit the cache)"),
]


def phases(site: Site) -> dict[str, Any]:
    """Build in this process (cold, no-op, edit-one) with timers around the main steps: real seconds."""
    import importlib

    import podops.build

    totals: dict[str, list[float]] = {}
    depth: dict[str, int] = {}

    def timed(label: str, func: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            depth[label] = depth.get(label, 0) + 1
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                depth[label] -= 1
                entry = totals.setdefault(label, [0.0, 0])
                entry[1] += 1
                if depth[label] == 0:  # recursive calls (the schema walk) count once
                    entry[0] += time.perf_counter() - started
        return wrapper

    for module_name, attr, label in TIMED:
        owner: Any = importlib.import_module(module_name)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        if owner is None or not hasattr(owner, name):
            raise SystemExit(f"bench: TIMED row {module_name}.{attr} names nothing: fix the table")
        func = getattr(owner, name)
        if getattr(func, "_bench_timed", False):
            continue
        wrapped = timed(label, func)
        wrapped._bench_timed = True
        if hasattr(func, "cache_clear"):
            wrapped.cache_clear = func.cache_clear
        setattr(owner, name, wrapped)
    out: dict[str, Any] = {}
    podops_clean(site)
    restore: tuple[Path, str] | None = None
    for kind in ("cold", "no-op", "edit-one"):
        if kind == "edit-one":
            restore = edit_title(site, "edited for --phases")
        totals.clear()
        render = getattr(podops.render.markup, "render", None)
        if hasattr(render, "cache_clear"):
            render.cache_clear()  # type: ignore[union-attr]
        started = time.perf_counter()
        podops.build.build(site.production, site.out)
        wall = time.perf_counter() - started
        print(f"\n== phases, in-process, no profiler: {kind} build of {site.n} episodes ({site.place}): "
              f"{wall:.2f} s (imports excluded) ==")
        for label in dict.fromkeys(label for _m, _a, label in TIMED):
            if label in totals:
                seconds, calls = totals[label]
                print(f"  {label:<56} {seconds:8.2f} s  {calls:7d} calls")
        out[kind] = {"wall": wall, **{label: totals[label] for _m, _a, label in TIMED if label in totals}}
    if restore is not None:
        restore[0].write_text(restore[1])
    return out


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (the Markdown pool, Pagefind): steadier
    than wall time on a shared machine."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def api_cost(site: Site, runs: int) -> dict[str, Any]:
    """Cold builds in this process with and without the read API (api/v1/): what the API adds.

    Wall and CPU seconds of whole builds, alternating, plus the seconds spent inside
    ``api.render_api`` itself (writing its files is in the whole-build figures only).
    """
    import podops.build
    import podops.render.api

    real = podops.render.api.render_api
    inside: list[float] = []

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            inside.append(time.perf_counter() - started)

    samples: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": []} for k in ("with", "without")}
    files: list[Path] = []
    try:
        for round_ in range(max(1, runs)):
            for label in ("without", "with") if round_ % 2 == 0 else ("with", "without"):
                podops.render.api.render_api = timed if label == "with" else (lambda *args, **kwargs: None)
                podops_clean(site)
                wall, cpu = time.perf_counter(), _cpu()
                podops.build.build(site.production, site.out)
                samples[label]["wall"].append(time.perf_counter() - wall)
                samples[label]["cpu"].append(_cpu() - cpu)
                if label == "with":
                    files = [p for p in (site.out / "api").rglob("*") if p.is_file()]
    finally:
        podops.render.api.render_api = real
    median = {label: {k: statistics.median(v) for k, v in kinds.items()} for label, kinds in samples.items()}
    result = {"samples": samples, "median": median, "render_api": inside,
              "ratio_wall": median["with"]["wall"] / median["without"]["wall"],
              "ratio_cpu": median["with"]["cpu"] / median["without"]["cpu"],
              "api_files": len(files), "api_bytes": sum(p.stat().st_size for p in files)}
    print(f"\n== read API cost, in-process cold builds of {site.n} episodes ({site.place}), "
          f"{max(1, runs)} round(s) ==\n"
          f"  wall s: without {median['without']['wall']:.2f}, with {median['with']['wall']:.2f}, "
          f"ratio {result['ratio_wall']:.3f}\n"
          f"  CPU s:  without {median['without']['cpu']:.2f}, with {median['with']['cpu']:.2f}, "
          f"ratio {result['ratio_cpu']:.3f} (budget 1.15)\n"
          f"  inside api.render_api: {statistics.median(inside):.2f} s; {result['api_files']} files, "
          f"{result['api_bytes'] / 1e6:.1f} MB")
    return result


def search_cost(site: Site, runs: int) -> dict[str, Any]:
    """Builds in this process with and without the search index (pagefind/): what indexing adds.

    For each of ``runs`` rounds (at least one), alternating the order: a cold build, then an
    edit-one build (the middle episode's title changed, which makes its show's index again).
    The time inside ``search.plan_index`` (writing the documents, running Pagefind, reading its
    files back) is recorded for the builds with search.
    """
    import podops.build
    import podops.render.search

    real = podops.render.search.plan_index
    inside: list[float] = []

    def timed(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            real(*args, **kwargs)
        finally:
            inside.append(time.perf_counter() - started)

    walls: dict[str, list[float]] = {f"{kind} {label}": [] for kind in ("cold", "edit-one")
                                     for label in ("with", "without")}
    plan_index: dict[str, list[float]] = {"cold": [], "edit-one": []}
    files: list[Path] = []
    try:
        for round_ in range(max(1, runs)):
            for label in ("without", "with") if round_ % 2 == 0 else ("with", "without"):
                podops.render.search.plan_index = timed if label == "with" else (lambda *args, **kwargs: None)
                podops_clean(site)
                for kind in ("cold", "edit-one"):
                    restore = edit_title(site, f"edited for --search-cost {round_}") if kind == "edit-one" else None
                    inside.clear()
                    started = time.perf_counter()
                    podops.build.build(site.production, site.out)
                    walls[f"{kind} {label}"].append(time.perf_counter() - started)
                    if label == "with":
                        plan_index[kind].append(sum(inside))
                    if restore is not None:
                        restore[0].write_text(restore[1])
                if label == "with":
                    files = [p for p in (site.out / "pagefind").rglob("*") if p.is_file()]
    finally:
        podops.render.search.plan_index = real
    median = statistics.median
    result: dict[str, Any] = {
        "transcripts": generate.TRANSCRIPTS, "walls": walls, "plan_index": plan_index,
        "ratio_cold": median(walls["cold with"]) / median(walls["cold without"]),
        "ratio_edit_one": median(walls["edit-one with"]) / median(walls["edit-one without"]),
        "index_files": len(files), "index_bytes": sum(p.stat().st_size for p in files)}
    print(f"\n== search index cost, in-process builds of {site.n} episodes ({site.place}), "
          f"transcripts {'on' if generate.TRANSCRIPTS else 'off'} ==")
    for kind in ("cold", "edit-one"):
        print(f"  {kind:<9} without pagefind/: {median(walls[kind + ' without']):6.2f} s   with: "
              f"{median(walls[kind + ' with']):6.2f} s   ratio {result['ratio_' + kind.replace('-', '_')]:.3f}"
              f"   (search.plan_index {median(plan_index[kind]):.2f} s)")
    print(f"  index: {result['index_files']} files, {result['index_bytes'] / 1e6:.1f} MB")
    return result


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/podops/", "/lib/python"):
        if marker in filename:
            return filename.split(marker, 1)[1] if marker != "/podops/" else "podops/" + filename.split(marker, 1)[1]
    return filename
