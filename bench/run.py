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
import contextlib
import hashlib
import json
import os
import platform
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work"
MEDIA_CACHE = WORK / "media-cache"
SHM = Path("/dev/shm")
EXAMPLE = REPO / "example-production"
SHOW_GUID = "5e7a3c41b8d2"  # the example show's GUID, kept so its show.yaml is used verbatim
TIME = "/usr/bin/time"

# Targets from the issue "Speed at network scale", checked at TARGET_N episodes.
TARGET_N = 10_000
TARGETS = {"podops cold": 1.0, "podops no-op": 0.1, "edit-one": 0.15}  # × hugo cold
TARGET_RSS_MB = 250
TARGET_SCALING = 5.5  # cost at 5 × TARGET_N ≤ 5.5 × cost at TARGET_N
TARGET_PROBE = 2.0  # 60-min probe ≤ 2 × 1-min probe

# ------------------------------------------------------------------------------------ media

RATE = 22050  # 22.05 kHz MPEG-2 Layer III: 38.28 frames/s, as many frames as a 44.1 kHz podcast
# name → (seconds, tone for sox synth, lame options). 56 kbps is the lowest CBR rate at which
# lame still writes its "Info" header in mono MPEG-2 frames; "base-32" has none on purpose.
BASES = {
    "base-cbr56-330": (1, "sine 330", ["-b", "56", "--cbr"]),
    "base-cbr56-440": (1, "sine 440", ["-b", "56", "--cbr"]),
    "base-cbr32-550": (1, "sine 550", ["-b", "32", "--cbr"]),
    "base-vbr9-660": (1, "sine 660", ["-V", "9"]),
    "base-vbr5-770": (1, "sine 300-3000", ["-V", "5"]),
    "base-vbr7-880": (2, "sine 880", ["-V", "7"]),
}
LONG = {
    "long-60m-cbr": (3600, "sine 440", ["-b", "56", "--cbr"]),
    "long-60m-vbr": (3600, "sine 200-2000", ["-V", "7"]),  # VBR with a Xing header
    "long-1m-cbr": (60, "sine 440", ["-b", "56", "--cbr"]),
}


def _encode(name: str, seconds: int, tone: str, options: list[str]) -> subprocess.Popen[bytes]:
    """Start sox | lame writing ``MEDIA_CACHE/name.mp3`` (via a temporary name)."""
    target = MEDIA_CACHE / f"{name}.mp3.tmp"
    sox = subprocess.Popen(
        ["sox", "-R", "-n", "-r", str(RATE), "-c", "1", "-b", "16", "-t", "raw", "-", "synth",
         str(seconds), *tone.split(), "gain", "-6"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lame = subprocess.Popen(
        ["lame", "--quiet", "-r", "-s", str(RATE / 1000), "--bitwidth", "16", "--signed",
         "--little-endian", "-m", "m", *options, "-", str(target)],
        stdin=sox.stdout, stderr=subprocess.DEVNULL)
    assert sox.stdout is not None
    sox.stdout.close()
    lame.sox = sox  # type: ignore[attr-defined]
    return lame


def ensure_media() -> None:
    """Make the base and long MP3s once; later runs reuse bench/work/media-cache/."""
    for tool in ("sox", "lame"):
        if shutil.which(tool) is None:
            sys.exit(f"bench: needs {tool} (apt-get install sox lame)")
    MEDIA_CACHE.mkdir(parents=True, exist_ok=True)
    todo = {n: spec for n, spec in {**BASES, **LONG}.items() if not (MEDIA_CACHE / f"{n}.mp3").exists()}
    if todo:
        print(f"bench: encoding {len(todo)} MP3(s) into {MEDIA_CACHE} (once)…", flush=True)
    running = []
    for name, (seconds, tone, options) in todo.items():
        running.append((name, _encode(name, seconds, tone, options)))
        while len(running) >= (os.cpu_count() or 1):
            _finish(*running.pop(0))
    for item in running:
        _finish(*item)


def _finish(name: str, lame: subprocess.Popen[bytes]) -> None:
    if lame.wait() != 0 or lame.sox.wait() != 0:  # type: ignore[attr-defined]
        sys.exit(f"bench: encoding {name} failed")
    os.replace(MEDIA_CACHE / f"{name}.mp3.tmp", MEDIA_CACHE / f"{name}.mp3")


def _syncsafe(n: int) -> bytes:
    return bytes(((n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F))


def id3_title(title: str) -> bytes:
    """A minimal ID3v2.4 tag holding one UTF-8 TIT2 frame: prepended, it makes each file distinct."""
    payload = b"\x03" + title.encode()
    frame = b"TIT2" + _syncsafe(len(payload)) + b"\x00\x00" + payload
    return b"ID3\x04\x00\x00" + _syncsafe(len(frame)) + frame


# ------------------------------------------------------------------------------ content

WORDS = ["feed", "signal", "archive", "listener", "episode", "server", "static", "build", "cache",
         "render", "network", "enclosure", "chapter", "transcript", "artwork", "schedule", "release",
         "review", "pipeline", "mirror", "podcast", "studio", "editor", "segment", "interview",
         "bandwidth", "latency", "storage"]
TOPICS = ["Git hosting", "RSS validators", "CDN caching", "loudness targets", "show notes",
          "chapter markers", "Apple Podcasts", "Podcasting 2.0", "static hosting", "CI runners",
          "transcripts", "listener mail", "audio codecs", "feed readers", "hard links"]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 13))]
    if rng.random() < 0.3:
        i = rng.randrange(len(words))
        words[i] = f"*{words[i]}*"
    if rng.random() < 0.2:
        i = rng.randrange(len(words))
        words[i] = f"`{words[i]}`"
    if rng.random() < 0.25:
        i = rng.randrange(len(words))
        words[i] = f"[{words[i]}](https://example.org/{rng.choice(WORDS)}/{rng.randint(1, 999)})"
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(".!?.")


def notes(rng: random.Random) -> str:
    """About 500 characters of varied Markdown show notes."""
    blocks: list[str] = []
    if rng.random() < 0.6:
        blocks.append(f"## {rng.choice(['In this episode', 'Show notes', 'Topics', 'What we cover'])}")
    while sum(len(b) for b in blocks) < 440:
        kind = rng.random()
        if kind < 0.35:
            items = [f"- {_sentence(rng)}" for _ in range(rng.randint(2, 4))]
            blocks.append("\n".join(items))
        elif kind < 0.45:
            blocks.append("\n".join(f"{i}. {rng.choice(TOPICS)}" for i in range(1, rng.randint(3, 5))))
        elif kind < 0.52:
            blocks.append(f"> {_sentence(rng)}")
        else:
            blocks.append(" ".join(_sentence(rng) for _ in range(rng.randint(1, 3))))
    return "\n\n".join(blocks)


@dataclass
class Spec:
    """One generated episode."""

    index: int
    name: str
    guid: str
    title: str
    summary: str
    notes: str
    date: datetime
    audio: str  # file name under assets/audio/
    data: bytes | None  # MP3 bytes, or None for a long file copied from the media cache
    size: int
    duration: float
    chapters: bool


def _guid(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:12]


def episode_spec(i: int, bases: dict[str, tuple[bytes, float]], long_file: str | None = None) -> Spec:
    rng = random.Random(f"podops-bench-{i}")
    topic = rng.choice(TOPICS)
    name = f"ep-{i:06d}-{rng.choice(WORDS)}"
    guid = _guid(f"podops-bench-episode-{i}")
    title = f"Episode {i + 1}: {topic} and the {rng.choice(WORDS)} {rng.choice(WORDS)}"
    summary = f"How **{topic.lower()}** changes the {rng.choice(WORDS)}, with `{rng.choice(WORDS)}` tips."
    date = datetime(2015, 1, 1, tzinfo=UTC) + timedelta(hours=i)
    if long_file:
        size, duration = _long_info(long_file)
        return Spec(i, name, guid, title, summary, notes(rng), date, f"{long_file}.mp3", None,
                    size, duration, i % 5 == 0)
    base_name = list(bases)[i % len(bases)]
    base, duration = bases[base_name]
    data = id3_title(f"{title} [{guid}]") + base
    return Spec(i, name, guid, title, summary, notes(rng), date, f"{name}.mp3", data, len(data),
                duration, i % 5 == 0)


_LONG_INFO: dict[str, tuple[int, float]] = {}


def _long_info(name: str) -> tuple[int, float]:
    if name not in _LONG_INFO:
        from podops.media import probe_audio

        path = MEDIA_CACHE / f"{name}.mp3"
        _LONG_INFO[name] = (path.stat().st_size, probe_audio(path).duration)
    return _LONG_INFO[name]


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def episode_yaml(spec: Spec) -> str:
    date = (spec.date.strftime("%a, %d %b %Y %H:%M:%S +0000") if spec.index % 2
            else spec.date.isoformat())
    body = "\n".join(f"    {line}" if line else "" for line in spec.notes.splitlines())
    text = f"""# yaml-language-server: $schema=../podops-schema.json
apiVersion: v1
kind: episode
metadata:
  name: {spec.name}
  guid: "{spec.guid}"
  parent: "{SHOW_GUID}"
  date: {_q(date)}
  labels:
    season: {spec.index // 100 + 1}
    episode: {spec.index % 100 + 1}
    type: full
    explicit: "no"
description:
  title: {_q(spec.title)}
  summary: {_q(spec.summary)}
  episodeText: |
{body}
enclosure:
  uri: assets/audio/{spec.audio}
  rel: local
"""
    if spec.chapters:
        text += """chapters:
  - start: 0
    title: Opening
  - start: "0:00.4"
    title: The main topic
    url: https://example.org/chapters
  - start: 0.8
    title: Listener mail
"""
    return text


def hugo_page(spec: Spec, base_url: str, show_name: str) -> str:
    mp3 = f"{base_url}{show_name}/media/assets/audio/{spec.audio}"
    return f"""---
title: {_q(spec.title)}
date: {spec.date.isoformat()}
slug: {spec.name}
guid: "{spec.guid}"
description: {_q(spec.summary)}
mp3: {_q(mp3)}
length: {spec.size}
duration: {spec.duration}
---
{spec.summary}

{spec.notes}
"""


HUGO_CONFIG = """baseURL = "{base_url}"
title = "The Static Signal"
languageCode = "en-us"
paginate = {per_page}
rssLimit = -1
disableKinds = ["taxonomy", "term", "sitemap", "robotsTXT", "404"]
[outputs]
  home = ["HTML"]
  section = ["HTML", "RSS"]
  page = ["HTML"]
"""
HUGO_LAYOUTS = {
    "index.html": """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Site.Title }}</title></head>
<body><h1>{{ .Site.Title }}</h1><ul>{{ range first 20 .Site.RegularPages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></body></html>
""",
    "_default/list.html": """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ .Title }} · {{ .Site.Title }}</title>
{{ with .OutputFormats.Get "rss" }}<link rel="alternate" type="application/rss+xml" href="{{ .Permalink }}">{{ end }}
</head><body><h1>{{ .Site.Title }}</h1>
{{ range .Paginator.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time>
<p>{{ .Params.description | markdownify }}</p></article>
{{ end }}
<nav>{{ with .Paginator.Prev }}<a href="{{ .URL }}">Newer</a>{{ end }}
{{ with .Paginator.Next }}<a href="{{ .URL }}">Older</a>{{ end }}</nav></body></html>
""",
    "_default/single.html": """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ .Title }} · {{ .Site.Title }}</title></head><body>
<h1>{{ .Title }}</h1><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time>
<audio controls preload="none" src="{{ .Params.mp3 }}"></audio>
{{ .Content }}
</body></html>
""",
    "_default/rss.xml": """{{- printf "<?xml version=\\"1.0\\" encoding=\\"UTF-8\\"?>" | safeHTML }}
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
<title>{{ .Site.Title }}</title>
<link>{{ .Permalink }}</link>
<description>A podcast</description>
<language>en-us</language>
<itunes:explicit>false</itunes:explicit>
{{- range .Pages }}
<item>
<title>{{ .Title }}</title>
<link>{{ .Permalink }}</link>
<guid isPermaLink="false">{{ .Params.guid }}</guid>
<pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
<description>{{ .Params.description | markdownify | html }}</description>
<content:encoded>{{ printf "<![CDATA[%s]]>" .Content | safeHTML }}</content:encoded>
<enclosure url="{{ .Params.mp3 }}" length="{{ .Params.length }}" type="audio/mpeg"/>
<itunes:duration>{{ .Params.duration }}</itunes:duration>
</item>
{{- end }}
</channel>
</rss>
""",
}


@dataclass
class Site:
    """One generated production and its Hugo twin, in one place."""

    n: int
    place: str
    folder: Path
    specs: list[Spec] = field(default_factory=list)
    show_name: str = ""
    base_url: str = ""

    @property
    def production(self) -> Path:
        return self.folder / "production"

    @property
    def out(self) -> Path:
        return self.folder / "public"

    @property
    def hugo(self) -> Path:
        return self.folder / "hugo"

    @property
    def hugo_out(self) -> Path:
        return self.folder / "hugo-public"

    def episode_file(self, spec: Spec) -> Path:
        return self.production / "episodes" / f"episode-{spec.guid}.yaml"


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def generate(n: int, place: str, folder: Path, bases: dict[str, tuple[bytes, float]]) -> Site:
    """Write the production (show, N episodes, MP3s) and the Hugo site for the same content."""
    shutil.rmtree(folder, ignore_errors=True)
    site = Site(n, place, folder)
    prod = site.production
    (prod / "episodes").mkdir(parents=True)
    (prod / "assets" / "audio").mkdir(parents=True)
    show_yaml = (EXAMPLE / "show.yaml").read_text()
    (prod / "show.yaml").write_text(show_yaml)
    shutil.copyfile(EXAMPLE / "assets" / "cover.png", prod / "assets" / "cover.png")
    shutil.copyfile(EXAMPLE / "podops-schema.json", prod / "podops-schema.json")
    site.show_name = re.search(r"^  name: (\S+)", show_yaml, re.MULTILINE).group(1)  # type: ignore[union-attr]
    site.base_url = re.search(r"baseUrl: (\S+)", show_yaml).group(1)  # type: ignore[union-attr]
    per_page = int((re.search(r"episodesPerPage: (\d+)", show_yaml) or [0, 20])[1])

    hugo = site.hugo
    content = hugo / "content" / site.show_name  # the section's URL is the show's folder, as in podops
    content.mkdir(parents=True)
    static_audio = hugo / "static" / site.show_name / "media" / "assets" / "audio"
    static_audio.mkdir(parents=True)
    (hugo / "config.toml").write_text(HUGO_CONFIG.format(base_url=site.base_url, per_page=per_page))
    (content / "_index.md").write_text('---\ntitle: "The Static Signal"\n---\n')
    for rel, text in HUGO_LAYOUTS.items():
        (hugo / "layouts" / rel).parent.mkdir(parents=True, exist_ok=True)
        (hugo / "layouts" / rel).write_text(text)
    _link_or_copy(prod / "assets" / "cover.png", static_audio.parent / "cover.png")

    longs = list(LONG) if n >= 10 else []
    for i in range(n):
        # a few of the first episodes carry the long files (spread so the feed order mixes them)
        spec = episode_spec(i, bases, longs[i // 3] if i % 3 == 0 and i // 3 < len(longs) else None)
        site.specs.append(spec)
        write_episode(site, spec)
    return site


def write_episode(site: Site, spec: Spec) -> None:
    audio = site.production / "assets" / "audio" / spec.audio
    if spec.data is None:
        _link_or_copy(MEDIA_CACHE / spec.audio, audio)
    else:
        audio.write_bytes(spec.data)
    site.episode_file(spec).write_text(episode_yaml(spec))
    (site.hugo / "content" / site.show_name / f"{spec.name}.md").write_text(
        hugo_page(spec, site.base_url, site.show_name))
    _link_or_copy(audio, site.hugo / "static" / site.show_name / "media" / "assets" / "audio" / spec.audio)


def remove_episode(site: Site, spec: Spec) -> None:
    for path in (site.production / "assets" / "audio" / spec.audio, site.episode_file(spec),
                 site.hugo / "content" / site.show_name / f"{spec.name}.md",
                 site.hugo / "static" / site.show_name / "media" / "assets" / "audio" / spec.audio):
        path.unlink(missing_ok=True)


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
    """Median time of podops.media.probe_audio on the long files (in this process, warm cache)."""
    from podops.media import probe_audio

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
    ("fingerprint.inputs (up-to-date check)", "podops/fingerprint.py", "inputs"),
    ("load_production (discover+YAML+validate+link)", "podops/production.py", "load_production"),
    ("  yamlfile.load (read+parse)", "podops/yamlfile.py", "load"),
    ("  Validator.check (schema walk)", "podops/validate.py", "check"),
    ("  _link (cross-file checks, asset paths)", "podops/production.py", "_link"),
    ("probe_production (hash+cache+probe)", "podops/probe.py", "probe_production"),
    ("  Store.content_hash", "podops/store.py", "content_hash"),
    ("markup.prerender (notes, in parallel)", "podops/markup.py", "prerender"),
    ("plan_site", "podops/build.py", "plan_site"),
    ("  feed.render_feed", "podops/feed.py", "render_feed"),
    ("    markup.render (Markdown+nh3)", "podops/markup.py", "render"),
    ("    rss_str (lxml serialise)", "feedgen/feed.py", "rss_str"),
    ("  site.render_site (pages)", "podops/site.py", "render_site"),
    ("    Theme.render (Jinja)", "podops/theme.py", "render"),
    ("output.commit (write+swap)", "podops/output.py", "commit"),
    ("Store.close (commit the cache)", "podops/store.py", "close"),
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
    ("podops.fingerprint", "inputs", "fingerprint.inputs (up-to-date check)"),
    ("podops.fingerprint", "outputs", "fingerprint.outputs"),
    ("podops.production", "load_production", "load_production (discover+YAML+validate+link)"),
    ("podops.production", "load", "  yamlfile.load (read+parse)"),
    ("podops.yamlfile", "load", "  yamlfile.load (read+parse)"),
    ("podops.validate", "Validator.check", "  Validator.check (schema walk)"),
    ("podops.production", "_link", "  _link (cross-file checks, asset paths)"),
    ("podops.probe", "probe_production", "probe_production (hash+cache+probe)"),
    ("podops.markup", "Notes.prerender", "markup.prerender (notes, in parallel)"),
    ("podops.build", "plan_site", "plan_site"),
    ("podops.feed", "render_feed", "  feed.render_feed"),
    ("podops.site", "render_site", "  site.render_site (pages)"),
    ("podops.api", "render_api", "  api.render_api (read API documents)"),
    ("podops.markup", "render", "    markup.render (Markdown+nh3, inside feed and pages)"),
    ("podops.theme", "Theme.render", "    Theme.render (Jinja)"),
    ("podops.urls", "asset_path", "    urls.asset_path"),
    ("podops.output", "commit", "output.commit (write+swap)"),
    ("podops.store", "Store.close", "Store.close (commit the cache)"),
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
        render = getattr(podops.markup, "render", None)
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


def api_cost(site: Site, runs: int) -> dict[str, Any]:
    """Cold builds in this process with and without the read API (api/v1/): what the API adds."""
    import podops.api
    import podops.build

    real = podops.api.render_api
    walls: dict[str, list[float]] = {"with": [], "without": []}
    files: list[Path] = []
    try:
        for round_ in range(max(1, runs)):
            for label in ("without", "with") if round_ % 2 == 0 else ("with", "without"):
                podops.api.render_api = real if label == "with" else (lambda *args, **kwargs: None)
                podops_clean(site)
                started = time.perf_counter()
                podops.build.build(site.production, site.out)
                walls[label].append(time.perf_counter() - started)
                if label == "with":
                    files = [p for p in (site.out / "api").rglob("*") if p.is_file()]
    finally:
        podops.api.render_api = real
    result = {"with": walls["with"], "without": walls["without"],
              "ratio": statistics.median(walls["with"]) / statistics.median(walls["without"]),
              "api_files": len(files), "api_bytes": sum(p.stat().st_size for p in files)}
    print(f"\n== read API cost, in-process cold builds of {site.n} episodes ({site.place}) ==\n"
          f"  without api/v1: {statistics.median(walls['without']):.2f} s   with: "
          f"{statistics.median(walls['with']):.2f} s   ratio {result['ratio']:.3f} "
          f"(budget 1.15)   {result['api_files']} files, {result['api_bytes'] / 1e6:.1f} MB")
    return result


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/podops/", "/lib/python"):
        if marker in filename:
            return filename.split(marker, 1)[1] if marker != "/podops/" else "podops/" + filename.split(marker, 1)[1]
    return filename


# -------------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    hugo = subprocess.run(["hugo", "version"], check=False, capture_output=True, text=True).stdout.strip()
    rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], check=False,
                         capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "podops", "templates"],
                           check=False, capture_output=True, text=True).stdout.strip()
    import podops

    source = str(Path(podops.__file__).resolve().parent.parent)
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": mem, "python": platform.python_version(),
            "platform": platform.platform(), "hugo": hugo,
            "podops_commit": (rev + ("+local changes" if dirty else "")) if Path(source) == REPO else "see source",
            "podops_source": source,
            "rss_source": "/usr/bin/time -v" if os.access(TIME, os.X_OK) else "getrusage(RUSAGE_CHILDREN)"}


def _fmt(m: dict[str, Any]) -> str:
    return f"{m['median']:8.3f}  {m['min']:.3f}–{m['max']:.3f}"


def print_table(results: list[dict[str, Any]], probe: dict[str, Any] | None) -> list[str]:
    """Print the table; return the target checks as lines."""
    print(f"\n{'N':>7} {'place':<5} {'measure':<13} {'median s':>8}  {'min–max s':<13} {'× hugo cold':>11} "
          f"{'peak RSS MB':>11}  target")
    checks: list[str] = []
    for result in results:
        if result.get("error"):
            print(f"{result['n']:>7} {result['place']:<5} FAILED: {result['error']}")
        for name in MEASURES:
            m = result["measures"].get(name)
            if m is None:
                continue
            target = ""
            if result["n"] == TARGET_N and name in TARGETS:
                ok = m["ratio_to_hugo_cold"] <= TARGETS[name]
                target = f"≤ {TARGETS[name]}× {'ok' if ok else 'MISSED'}"
                checks.append(f"{result['place']}: {name} {m['ratio_to_hugo_cold']:.2f}× hugo cold {target}")
            print(f"{result['n']:>7} {result['place']:<5} {name:<13} {_fmt(m):<23} "
                  f"{m['ratio_to_hugo_cold']:10.2f}× {m['peak_rss_mb']:11.0f}  {target}")
        measured = result["measures"]
        if not measured:
            continue
        podops_rss = max((m["peak_rss_mb"] for n, m in measured.items() if not n.startswith("hugo")), default=0)
        hugo_rss = max((m["peak_rss_mb"] for n, m in measured.items() if n.startswith("hugo")), default=0)
        line = f"{result['n']:>7} {result['place']:<5} peak RSS: podops {podops_rss:.0f} MB, hugo {hugo_rss:.0f} MB"
        if result["n"] == TARGET_N:
            verdict = "ok" if podops_rss <= TARGET_RSS_MB else "MISSED"
            line += f"  (target podops ≤ {TARGET_RSS_MB} MB {verdict})"
            checks.append(f"{result['place']}: peak RSS {podops_rss:.0f} MB ≤ {TARGET_RSS_MB} MB {verdict}")
        print(line)
    by_key = {(r["n"], r["place"]): r for r in results}
    for (n, place), result in sorted(by_key.items()):
        bigger = by_key.get((5 * n, place))
        if bigger is None:
            continue
        for name in ("podops cold", "podops no-op", "edit-one", "hugo cold"):
            if name not in bigger["measures"] or name not in result["measures"]:
                continue
            ratio = bigger["measures"][name]["median"] / result["measures"][name]["median"]
            target = ""
            if n == TARGET_N and not name.startswith("hugo"):
                target = f"  target ≤ {TARGET_SCALING}× {'ok' if ratio <= TARGET_SCALING else 'MISSED'}"
                checks.append(f"{place}: {name} at {5 * n} = {ratio:.2f}× the {n} cost{target}")
            print(f"scaling {place} {name}: {5 * n} episodes cost {ratio:.2f}× the {n} cost{target}")
    if probe:
        cbr, vbr = probe["ratio_60m_cbr_to_1m"], probe["ratio_60m_vbr_to_1m"]
        verdict = "ok" if max(cbr, vbr) <= TARGET_PROBE else "MISSED"
        print(f"\nprobe (podops.media.probe_audio, median of 5, warm page cache): "
              f"60-min CBR {probe['long-60m-cbr']['median'] * 1000:.1f} ms, "
              f"60-min VBR+Xing {probe['long-60m-vbr']['median'] * 1000:.1f} ms, "
              f"1-min CBR {probe['long-1m-cbr']['median'] * 1000:.1f} ms → "
              f"CBR {cbr:.1f}×, VBR {vbr:.1f}× the 1-min probe (target ≤ {TARGET_PROBE}× {verdict})")
        checks.append(f"probe: 60-min CBR {cbr:.1f}×, VBR {vbr:.1f}× the 1-min probe, "
                      f"target ≤ {TARGET_PROBE}× {verdict}")
    return checks


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
    from podops.media import probe_audio

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
            if not args.keep and not ((args.profile or args.phases or args.api_cost)
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
        if not args.keep and not args.phases:
            shutil.rmtree(site.folder, ignore_errors=True)
    if args.phases and sites:
        site = next(s for s in sites if s.n == max(counts) and s.place == places[0])
        report["phases"] = phases(site)
        if not args.keep and not args.api_cost:
            shutil.rmtree(site.folder, ignore_errors=True)
    if args.api_cost and sites:
        site = next(s for s in sites if s.n == max(counts) and s.place == places[0])
        report["api_cost"] = api_cost(site, args.runs)
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
