"""Chapters a feed carries inline, and the description timestamps that repeat them, on import.

A feed without ``podcast:chapters`` (or whose file cannot be fetched) may still carry Podlove
Simple Chapters (``psc:chapters``, podlove.org/simple-chapters: start in Normal Play Time, a
title on every chapter). A feed podops built repeats its chapters as timestamps at the end of
each description (Spotify's rules); once the chapters are imported, those are dropped from the
notes, because the next build writes them again from the chapters.
"""

from __future__ import annotations

import re
from typing import Any

from podops.commands.feedreader import children

_NPT = re.compile(r"^(?:npt:)?(?:(?:(\d+):)?([0-5]?\d):)?(\d+(?:\.\d+)?)$")  # [[HH:]MM:]SS[.fff]
_LINE = r"(?:\d{2}:)?\d{2}:\d{2} [^<\n]+"
# the paragraph render/chapters.timestamps_html writes: one line per chapter, <br> between lines
_STAMPS = re.compile(rf"\n?<p>{_LINE}(?:<br>\n{_LINE})+</p>\s*$")


def npt_seconds(value: str | None) -> float | None:
    """Seconds of a Normal Play Time (``37``, ``7:48``, ``01:35:52.250``), or None when it is not one."""
    match = _NPT.match((value or "").strip())
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    if minutes is not None and float(seconds) >= 60:
        return None
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)


def psc_chapters(reader: Any, element: Any, max_title: int) -> list[dict[str, Any]]:
    """The ``psc:chapter`` marks of one ``psc:chapters``, by start; a mark without start or title is dropped."""
    found = []
    for mark in children(element, "psc:chapter"):
        start, title = npt_seconds(mark.get("start")), " ".join((mark.get("title") or "").split())
        if start is None or not title:
            reader.warn(mark, "psc:chapter", f"chapter {title[:80] or '(no title)'!r}: start "
                        f"{mark.get('start')!r} is no Normal Play Time, or the title is missing: dropped")
            continue
        chapter = {"start": int(start) if start == int(start) else start, "title": title[:max_title],
                   "url": reader.url(mark, "psc:chapter", mark.get("href")),
                   "img": reader.url(mark, "psc:chapter", mark.get("image"))}
        found.append({k: v for k, v in chapter.items() if v is not None})
    return sorted(found, key=lambda c: c["start"])  # clients "must be able to resort the list"


def without_timestamps(text: str | None) -> str | None:
    """Notes without the trailing timestamp paragraph a podops build appends (it is written again)."""
    if not text:
        return text
    return _STAMPS.sub("", text).rstrip() or text
