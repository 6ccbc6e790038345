"""Benchmark inputs: one show with N episodes (real, distinct MP3s; Markdown notes) and the same site for Hugo.

Used by ``bench/run.py``; see its docstring and ``bench/README.md``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work"
MEDIA_CACHE = WORK / "media-cache"
SHM = Path("/dev/shm")
EXAMPLE = REPO / "example-production"
SHOW_GUID = "5e7a3c41b8d2"  # the example show's GUID, kept so its show.yaml is used verbatim
TIME = "/usr/bin/time"

# Targets from the issue "Speed at network scale", checked at TARGET_N episodes.


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


TRANSCRIPTS = False  # --transcripts: every episode carries a WebVTT transcript (for --search-cost)
TRANSCRIPT_CHARS = 5000  # about 850 words: a short episode's transcript


def transcript_vtt(spec: Spec) -> str:
    """A seeded WebVTT transcript of about TRANSCRIPT_CHARS characters, with one word no other file has."""
    rng = random.Random(f"podops-bench-transcript-{spec.index}")
    cues, start, size = ["WEBVTT", ""], 0.0, 0
    while size < TRANSCRIPT_CHARS:
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16)))
        if len(cues) == 2:
            words += f" transcriptword{spec.index}"
        line = f"<v {rng.choice(['Host', 'Guest'])}>{words[0].upper()}{words[1:]}."
        cues += [f"{len(cues) // 3 + 1}", f"{_vtt_time(start)} --> {_vtt_time(start + 4)}", line, ""]
        start, size = start + 4, size + len(line)
    return "\n".join(cues)


def _vtt_time(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}.{int(seconds * 1000) % 1000:03d}"


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
        from podops.probe.audio import probe_audio

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
    if TRANSCRIPTS:
        text += f"""transcripts:
  - uri: assets/transcripts/{spec.name}.vtt
    language: en
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
    for local in re.findall(r"^\s+(?:uri|file): (assets/\S+)$", show_yaml, re.MULTILINE):  # the show's own files
        (prod / local).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(EXAMPLE / local, prod / local)
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
    if TRANSCRIPTS:
        transcript = site.production / "assets" / "transcripts" / f"{spec.name}.vtt"
        transcript.parent.mkdir(parents=True, exist_ok=True)
        transcript.write_text(transcript_vtt(spec))
    site.episode_file(spec).write_text(episode_yaml(spec))
    (site.hugo / "content" / site.show_name / f"{spec.name}.md").write_text(
        hugo_page(spec, site.base_url, site.show_name))
    _link_or_copy(audio, site.hugo / "static" / site.show_name / "media" / "assets" / "audio" / spec.audio)


def remove_episode(site: Site, spec: Spec) -> None:
    for path in (site.production / "assets" / "audio" / spec.audio, site.episode_file(spec),
                 site.hugo / "content" / site.show_name / f"{spec.name}.md",
                 site.hugo / "static" / site.show_name / "media" / "assets" / "audio" / spec.audio,
                 site.production / "podops.lock"):  # the lock would refuse the vanished episode: start it again
        path.unlink(missing_ok=True)
