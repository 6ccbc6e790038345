"""Every format an episode's one chapter list is published in, besides the page's player.

- the ``podcast:chapters`` file, JSON chapters 1.2.0 (Podcasting 2.0 ``docs/tags/chapters.md``);
- Podlove Simple Chapters 1.2 inline in the feed item (``psc:chapters``, podlove.org/simple-chapters),
  which Spotify and many apps read: start in Normal Play Time (W3C Media Fragments §4.2.1),
  a title on every chapter, in ascending order;
- timestamps in the item's description, as Spotify's "Creating and managing chapters" asks: the
  first at 0:00, at least three, one per line, in chronological order, ``MM:SS`` or ``HH:MM:SS``
  then the title in plain text.

The ID3v2 ``CHAP``/``CTOC`` frames are written by :mod:`podops.probe.audio` (the mutagen user).
Only table-of-contents chapters (``toc`` not false) are listed where a format has no way to hide
one: psc:chapters and the timestamps, like the player's timeline.
"""

from __future__ import annotations

import html
import json
import math
from typing import TYPE_CHECKING, Any

from podops import urls
from podops.errors import Problems
from podops.model import Chapter, Episode, Release, Show

if TYPE_CHECKING:
    from podops.render.pagecache import PageCache
    from podops.write.output import Plan

PSC = "http://podlove.org/simple-chapters"
PSC_VERSION = "1.2"
MIN_TIMESTAMPS = 3  # Spotify: "There must be a minimum of 3 chapters"
MAX_DESCRIPTION_BYTES = 4000  # Apple: channel and item <description> ≤ 4,000 bytes


def chapters_json(show: Show, episode: Episode) -> bytes:
    """The podcast:chapters file, JSON chapters format 1.2.0 (docs/tags/chapters.md)."""
    chapters = []
    for chapter in episode.chapters:
        entry: dict[str, Any] = {"startTime": chapter.start, "title": chapter.title}
        if chapter.url:
            entry["url"] = chapter.url
        if chapter.img:
            entry["img"] = chapter.img
        if not chapter.toc:
            entry["toc"] = False
        chapters.append(entry)
    data = {"version": "1.2.0", "title": episode.title, "podcastName": show.title, "chapters": chapters}
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def plan_chapters(release: Release, plan: Plan, cache: PageCache | None = None) -> None:
    """Put each episode's podcast:chapters file into the plan; one whose episode is unchanged is kept.

    The file is made of the episode and the show's title only (its key says so), so an edit
    elsewhere neither encodes it again nor compares its bytes with the previous output's.
    """
    show = release.show
    for episode in release.episodes:
        if not episode.chapters:
            continue
        path = urls.chapters_path(show, episode)
        if cache is not None and cache.reusable(path, cache.key(cache.describe(path, show.title, episode))):
            plan.keep(path)
        else:
            plan.add(path, chapters_json(show, episode))


def listed(episode: Episode) -> list[Chapter]:
    """The chapters a table of contents shows, by start (the loader sorts them; validation keeps them finite)."""
    return [chapter for chapter in episode.chapters if chapter.toc and math.isfinite(chapter.start)]


def npt(seconds: float) -> str:
    """A start as Normal Play Time ``HH:MM:SS.mmm`` (npt-hhmmss, Media Fragments 1.0 §4.2.1)."""
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def psc_chapters(episode: Episode) -> list[dict[str, str]]:
    """The attributes of each ``psc:chapter``: start, title, and href and image when set."""
    out = []
    for chapter in listed(episode):
        attrib = {"start": npt(chapter.start), "title": _one_line(chapter.title)}
        if chapter.url:
            attrib["href"] = chapter.url
        if chapter.img:
            attrib["image"] = chapter.img
        out.append(attrib)
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())


def clock(seconds: float, hours: bool) -> str:
    """A timestamp as Spotify lists them: ``MM:SS``, or ``HH:MM:SS`` in an episode past the hour."""
    whole = int(seconds)  # a chapter at 3.7 s is still in second 3
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}" if hours else f"{m:02d}:{s:02d}"


def timestamp_problem(episode: Episode) -> str | None:
    """Why an episode's chapters cannot be timestamps Spotify reads, or None when they can.

    Fewer than three chapters is no problem: such an episode simply gets none.
    """
    chapters = listed(episode)
    if len(chapters) < MIN_TIMESTAMPS:
        return None
    if int(chapters[0].start) != 0:
        return (f"the first chapter starts at {clock(chapters[0].start, chapters[0].start >= 3600)}, and Spotify "
                "reads description timestamps only when the first is at 0:00")
    seconds = [int(c.start) for c in chapters]
    for before, after, chapter in zip(seconds, seconds[1:], chapters[1:], strict=False):
        if after <= before:
            return (f"chapter {chapter.title!r} starts in the same second as the one before it, and Spotify "
                    "wants timestamps in ascending order")
    return None


def timestamps(episode: Episode) -> list[str]:
    """The description's timestamp lines, ``{timestamp} {title}``; none when Spotify's rules are not met."""
    chapters = listed(episode)
    if len(chapters) < MIN_TIMESTAMPS or timestamp_problem(episode):
        return []
    hours = any(c.start >= 3600 for c in chapters) or (episode.duration or 0) >= 3600
    return [f"{clock(c.start, hours)} {_one_line(c.title)}" for c in chapters]


def timestamps_html(show: Show, episode: Episode) -> str:
    """The timestamps as one HTML paragraph, a line break between lines; empty when there are none."""
    lines = timestamps(episode) if show.chapter_timestamps else []
    if not lines:
        return ""
    return "<p>" + "<br>\n".join(html.escape(line, quote=False) for line in lines) + "</p>"


def with_timestamps(notes: str, stamps: str, limit: int | None = None) -> str:
    """``notes`` (HTML) followed by the timestamps; without them when they would pass ``limit`` bytes."""
    if not stamps:
        return notes
    joined = f"{notes}\n{stamps}" if notes else stamps
    if limit is not None and len(joined.encode()) > limit:
        return notes
    return joined


def check_timestamps(releases: list[Release], problems: Problems) -> None:
    """Warn where a show wants description timestamps that an episode's chapters cannot give.

    Needs the notes' HTML (the description's size), so it runs once the build knows each show's
    Markdown renderer.
    """
    from podops.render import markup

    for item in releases:
        if not item.show.chapter_timestamps:
            continue
        for episode in item.episodes:
            problem = timestamp_problem(episode)
            advice = "; or set chapters.descriptionTimestamps: false in the show"
            if problem:  # the position only for a warning: finding it may read the file again
                line, column = episode.mark("chapters")
                problems.add(episode.display, line, column, "chapters",
                             f"description timestamps left out: {problem}{advice}", "warning")
                continue
            stamps = timestamps_html(item.show, episode)
            if not stamps:
                continue
            summary = markup.render(episode.summary) or episode.title
            if with_timestamps(summary, stamps, MAX_DESCRIPTION_BYTES) == summary:
                line, column = episode.mark("chapters")
                problems.add(episode.display, line, column, "chapters",
                             "description timestamps are only in the show notes (content:encoded): with them the "
                             f"description would pass Apple's {MAX_DESCRIPTION_BYTES:,} bytes; shorten the "
                             f"summary{advice}", "warning")
