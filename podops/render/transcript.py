"""Transcripts as an episode page shows them: WebVTT, SubRip, Podcasting 2.0 JSON, HTML or plain text.

Subtitle files are cut into cues a few seconds long; a reader wants paragraphs, so a speaker's
consecutive cues are merged. Before that, the probe stage checks each file (:func:`check_transcript`):
at most :data:`MAX_BYTES`, UTF-8, content that is what its name says (a ``.vtt`` starts with
``WEBVTT``, a ``.json`` is a Podcasting 2.0 transcript), and times that are finite and plausible.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from podops import urls
from podops.load.validate import load_json
from podops.model import Asset, Show
from podops.render import markup
from podops.render.theme import complete_html

TRANSCRIPT_PARAGRAPH = 480  # characters: merge a speaker's cues into paragraphs about this long
MAX_BYTES = 10 * 1024 * 1024  # a transcript's size limit: 10 MB is days of speech
MAX_SECONDS = 100 * 3600  # a time past 100 hours is a mistake, not an episode
_TIME_LINE = re.compile(r"^\s*((?:\d+:)?\d+:\d+[.,]\d+)\s*-->\s*((?:\d+:)?\d+:\d+[.,]\d+)")
_TIMING = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})\s*-->")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>")
_TAG = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n\s*\n")


@dataclass
class Cue:
    """A paragraph of a transcript: who speaks, from when (None for plain text), what they say."""

    start: float | None
    speaker: str
    text: str


@dataclass
class Transcript:
    """A transcript as a page shows it: cues, or sanitised HTML for HTML transcripts."""

    url: str
    cues: list[Cue] = field(default_factory=list)
    html: Markup | None = None


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    return f"line {line}, column {index - (text.rfind(chr(10), 0, index) + 1) + 1}"


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    return sum(float(part) * 60 ** i for i, part in enumerate(reversed(parts)))


def _check_time(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}: time {value!r} is not a number of seconds")
    if not 0 <= value <= MAX_SECONDS:
        raise ValueError(f"{where}: time {value!r} is outside 0–{MAX_SECONDS} seconds (100 hours)")


def check_transcript(path: Path) -> dict[str, Any]:
    """Check a local transcript is what its name says; return its size and MIME type (ValueError if not)."""
    from podops.load.vocabulary import TRANSCRIPT_TYPES

    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ValueError(f"transcript is {size} bytes; the limit is {MAX_BYTES} (10 MB)")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start}): a transcript is a text file") from None
    if "\x00" in text:
        raise ValueError(f"NUL byte at {_position(text, text.index(chr(0)))}: a transcript is a text file")
    suffix = path.suffix.lower()
    if suffix == ".vtt" and not re.match(r"WEBVTT(?:[ \t]|\r?\n|$)", text):
        raise ValueError("not WebVTT: a .vtt file starts with 'WEBVTT'")
    if suffix == ".srt" and "-->" not in text:
        raise ValueError("not SubRip: no timing line such as '00:00:01,000 --> 00:00:04,000'")
    if suffix in (".vtt", ".srt"):
        for number, line in enumerate(text.splitlines(), start=1):
            match = _TIME_LINE.match(line) if "-->" in line else None
            if match:
                for stamp in match.groups():
                    _check_time(_seconds(stamp), f"line {number}")
    if suffix == ".json":
        try:
            data = load_json(text)
        except ValueError as exc:
            raise ValueError(f"not a JSON transcript ({exc})") from None
        segments = data.get("segments") if isinstance(data, dict) else None
        if not isinstance(segments, list):
            raise ValueError("not a Podcasting 2.0 JSON transcript: no \"segments\" list")
        for index, segment in enumerate(segments):
            if not isinstance(segment, dict):
                raise ValueError(f"segments[{index}] is not an object")
            for key in ("startTime", "endTime"):
                if key in segment:
                    _check_time(segment[key], f"segments[{index}].{key}")
    return {"size": size, "mime": TRANSCRIPT_TYPES[suffix]}


def read_cues(text: str) -> list[Cue]:
    """Cues of a WebVTT or SubRip file without timing lines, speakers from ``<v Name>``."""
    cues: list[Cue] = []
    for block in _BLANK_LINES.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = block.strip("\n").split("\n")
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue  # the WEBVTT header, NOTE, STYLE and REGION blocks
        match = _TIMING.match(lines[timing])
        start = None
        if match:
            hours, minutes, secs, fraction = match.groups()
            start = (int(hours or 0) * 3600 + int(minutes) * 60 + int(secs)
                     + int(fraction.ljust(3, "0")) / 1000)
        body = " ".join(lines[timing + 1:])
        voice = _VOICE.search(body)
        words = html.unescape(_TAG.sub("", body)).strip()
        if words:
            cues.append(Cue(start, html.unescape(voice.group(1)).strip() if voice else "", words))
    return merge_cues(cues)


def read_json_cues(text: str) -> list[Cue]:
    """Cues of a Podcasting 2.0 JSON transcript (``segments`` with speaker, startTime, body)."""
    try:
        segments = load_json(text).get("segments", [])
        cues = [Cue(float(s.get("startTime", 0)), str(s.get("speaker") or ""), str(s.get("body") or ""))
                for s in segments if isinstance(s, dict)]
    except (ValueError, TypeError, AttributeError):
        return []  # unreadable: the page still links the file
    return merge_cues([c for c in cues if c.text.strip()])


def merge_cues(cues: list[Cue]) -> list[Cue]:
    """Join a speaker's consecutive cues into readable paragraphs instead of subtitle lines."""
    merged: list[Cue] = []
    for cue in cues:
        last = merged[-1] if merged else None
        if last and last.speaker == cue.speaker and len(last.text) < TRANSCRIPT_PARAGRAPH:
            last.text = f"{last.text} {cue.text}"
        else:
            merged.append(Cue(cue.start, cue.speaker, cue.text))
    return merged


def read_transcript(show: Show, asset: Asset, base_url: str) -> Transcript | None:
    """The text of a local transcript file for the page; None when it is external or unreadable."""
    if asset.path is None:
        return None
    text = asset.path.read_text(encoding="utf-8", errors="replace").lstrip("\ufeff")
    transcript = Transcript(urls.asset_url(base_url, show, asset))
    suffix = asset.path.suffix.lower()
    if suffix in (".vtt", ".srt"):
        transcript.cues = read_cues(text)
    elif suffix == ".json":
        transcript.cues = read_json_cues(text)
    elif suffix in (".html", ".htm"):
        transcript.html = complete_html(markup.sanitize(text))
    else:
        transcript.cues = [Cue(None, "", p.strip()) for p in _BLANK_LINES.split(text) if p.strip()]
    return transcript if transcript.cues or transcript.html else None
