#!/usr/bin/env python3
"""Benchmark ``podops build`` at network scale against Hugo on the same content.

Run from a clone after ``pip install -e .`` (needs lame, sox and hugo; /usr/bin/time is used
for peak RSS when present)::

    python bench/run.py --episodes 100,1000,10000 [--runs 3] [--where shm,disk] [--keep] [--profile]

For every N and every place (``shm``: a RAM disk under /dev/shm; ``disk``: ``bench/work/``) it
generates one show with N episodes (distinct names, GUIDs, Markdown notes and real, distinct
MP3 files) plus the same site as a minimal Hugo project, then times each command as a
subprocess, so interpreter start-up and imports count just as Hugo's process start does:

* hugo cold    ``hugo --quiet`` with no ``resources/``, no cache and no output folder
* hugo no-op   the same again with everything left in place
* podops cold  ``podops build`` with no ``.podops/`` cache and no output folder
* podops no-op the same again, nothing changed
* edit-one     after changing one episode's title
* add-one      after adding one episode (a new YAML file and a new MP3)

See bench/README.md for what the figures mean and the targets. Everything generated lives
in ``bench/work/`` (git-ignored) or ``/dev/shm/podops-bench-<uid>/``; the table is also
written to ``bench/work/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import generate as generator
from generate import BASES, MEDIA_CACHE, SHM, TRANSCRIPT_CHARS, WORK, Site, ensure_media, generate
from measure import (
    PODOPS_ENV,
    api_cost,
    edit_title,
    measure_site,
    phases,
    podops_clean,
    probe_costs,
    profile,
    search_cost,
    summarize,
)
from report import machine, print_table

# ---------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", default="100,1000", help="comma-separated episode counts (default 100,1000)")
    parser.add_argument("--runs", type=int, default=3,
                        help="repetitions of every measure (default 3; 0: only generate, for --profile/--phases)")
    parser.add_argument("--where", default="shm,disk", help="shm, disk or both (default shm,disk)")
    parser.add_argument("--keep", action="store_true", help="keep the generated sites afterwards")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the cold and no-op builds of the largest N (first place)")
    parser.add_argument("--phases", action="store_true",
                        help="also time the build steps in-process (cold and no-op, largest N, first place)")
    parser.add_argument("--api-cost", action="store_true",
                        help="also time cold builds of the largest N with and without the read API (in-process)")
    parser.add_argument("--search-cost", action="store_true",
                        help="also time cold and edit-one builds of the largest N with and without the search "
                             "index (in-process)")
    parser.add_argument("--transcripts", action="store_true",
                        help=f"give every generated episode a WebVTT transcript of about {TRANSCRIPT_CHARS} "
                             "characters")
    parser.add_argument("--no-probe", action="store_true", help="skip the probe-cost line")
    parser.add_argument("--show-profile", type=Path, nargs="+", metavar="PROF",
                        help="only print the summary of saved profiles (bench/work/profiles/*.prof)")
    parser.add_argument("--json", type=Path, default=WORK / "results.json",
                        help="where to write the results (default bench/work/results.json)")
    parser.add_argument("--podops-root", type=Path,
                        help="benchmark the podops package in this folder (e.g. a `git archive` of another "
                             "commit) instead of the installed one")
    args = parser.parse_args()
    if args.show_profile:
        for prof in args.show_profile:
            summarize(prof, prof.name)
        return
    if args.podops_root:
        root = str(args.podops_root.resolve())
        if not (args.podops_root / "podops" / "__init__.py").is_file():
            parser.error(f"--podops-root: {root} has no podops/__init__.py")
        PODOPS_ENV["PYTHONPATH"] = root + os.pathsep + os.environ.get("PYTHONPATH", "")
        sys.path.insert(0, root)
    generator.TRANSCRIPTS = args.transcripts
    counts = [int(x.replace("_", "")) for x in args.episodes.split(",") if x.strip()]
    places = [p.strip() for p in args.where.split(",") if p.strip()]
    for place in places:
        if place not in ("shm", "disk"):
            parser.error(f"--where: unknown place {place!r} (shm or disk)")
    if "shm" in places and not SHM.is_dir():
        print("bench: /dev/shm is missing; skipping the shm case", file=sys.stderr)
        places.remove("shm")
    if shutil.which("hugo") is None:
        sys.exit("bench: needs hugo (apt-get install hugo)")

    info = machine()
    print(f"bench: {info['nproc']} CPU(s) {info['cpu']}, {info['memory']}, Python {info['python']}, "
          f"podops {info['podops_commit']} from {info['podops_source']}, "
          f"{info['hugo'].split(' BuildDate')[0]}; RSS from {info['rss_source']}")
    ensure_media()
    from podops.probe.audio import probe_audio

    bases = {}
    for name in BASES:
        path = MEDIA_CACHE / f"{name}.mp3"
        bases[name] = (path.read_bytes(), probe_audio(path).duration)

    roots = {"shm": SHM / f"podops-bench-{os.getuid()}", "disk": WORK}
    results: list[dict[str, Any]] = []
    sites: list[Site] = []
    out_json = args.json
    out_json.parent.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"machine": info, "args": vars(args), "started": datetime.now().isoformat()}
    for n in counts:
        for place in places:
            folder = roots[place] / f"{place}-n{n}"
            started = time.perf_counter()
            site = generate(n, place, folder, bases)
            print(f"bench: N={n} {place}: generated {folder} in {time.perf_counter() - started:.1f} s", flush=True)
            results.append(measure_site(site, args.runs, bases))
            sites.append(site)
            report["results"] = results
            out_json.write_text(json.dumps(report, indent=2, default=str))  # partial results survive an interrupt
            if not args.keep and not ((args.profile or args.phases or args.api_cost or args.search_cost)
                                      and n == max(counts) and place == places[0]):
                shutil.rmtree(folder, ignore_errors=True)
    probe = None if args.no_probe else probe_costs()
    report["probe"] = probe
    checks = print_table(results, probe)
    report["checks"] = checks
    if args.profile and sites:
        site = next(s for s in sites if s.n == max(counts) and s.place == places[0])
        prof_dir = WORK / "profiles"
        prof_dir.mkdir(parents=True, exist_ok=True)
        podops_clean(site)
        report["profiles"] = [profile(site, "cold", prof_dir / f"cold-{site.n}-{site.place}.prof"),
                              profile(site, "no-op", prof_dir / f"noop-{site.n}-{site.place}.prof")]
        path, original = edit_title(site, "edited for --profile")
        report["profiles"].append(profile(site, "edit-one", prof_dir / f"edit-{site.n}-{site.place}.prof"))
        path.write_text(original)
        if not args.keep and not (args.phases or args.api_cost or args.search_cost):
            shutil.rmtree(site.folder, ignore_errors=True)
    if args.phases and sites:
        site = next(s for s in sites if s.n == max(counts) and s.place == places[0])
        report["phases"] = phases(site)
        if not args.keep and not (args.api_cost or args.search_cost):
            shutil.rmtree(site.folder, ignore_errors=True)
    if args.api_cost and sites:
        site = next(s for s in sites if s.n == max(counts) and s.place == places[0])
        report["api_cost"] = api_cost(site, args.runs)
        if not args.keep and not args.search_cost:
            shutil.rmtree(site.folder, ignore_errors=True)
    if args.search_cost and sites:
        site = next(s for s in sites if s.n == max(counts) and s.place == places[0])
        report["search_cost"] = search_cost(site, args.runs)
        if not args.keep:
            shutil.rmtree(site.folder, ignore_errors=True)
    out_json.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nbench: results in {out_json}")
    if not args.keep:
        shm_root = roots["shm"]
        if shm_root.is_dir() and not any(shm_root.iterdir()):
            shm_root.rmdir()


if __name__ == "__main__":
    main()
