"""Transcripts as an episode page shows them: WebVTT, SubRip, Podcasting 2.0 JSON, HTML or plain text.

Subtitle files are cut into cues a few seconds long; a reader wants paragraphs, so a speaker's
consecutive cues are merged. Unreadable files yield nothing and the page simply links the file.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field

from markupsafe import Markup

from podops import markup, urls
from podops.model import Asset, Show
from podops.theme import complete_html

TRANSCRIPT_PARAGRAPH = 480  # characters: merge a speaker's cues into paragraphs about this long
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
        segments = json.loads(text).get("segments", [])
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
