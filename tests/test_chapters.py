"""One chapter list, every format: psc:chapters by the Podlove spec, Spotify's description timestamps, JSON.

Checked on real builds with independent parsers (lxml, feedparser, podcastparser) and against the
rules of Podlove Simple Chapters 1.2 (podlove.org/simple-chapters) and of Spotify's "Creating and
managing chapters" (first at 0:00, at least three, one per line, chronological, MM:SS or HH:MM:SS).
"""

from __future__ import annotations

import html
import re
import shutil
from io import BytesIO
from pathlib import Path

import feedparser
import podcastparser
import pytest
from conftest import EPISODE, SHOW, invoke, tree_hash
from lxml import etree

from podops import build as builder
from podops.model import Chapter, Episode
from podops.render import chapters

PSC = "http://podlove.org/simple-chapters"
EP = "episodes/episode-6d1048a48504.yaml"
NPT = re.compile(r"^\d{2,}:[0-5]\d:[0-5]\d\.\d{3}$")  # npt-hhmmss with milliseconds (Media Fragments §4.2.1)
STAMP = re.compile(r"^(?:(\d{2}):)?([0-5]\d):([0-5]\d) (\S.*)$")  # Spotify: MM:SS or HH:MM:SS, then the title
LIST = """\
chapters:
  - start: 0
    title: Cold open
  - start: "1:05.25"
    title: "News  &  <notes>"
    url: https://example.com/news
    img: https://example.com/news.png
  - start: 2
    title: Art change
    toc: false
  - start: 3
    title: Outro
"""


def build(production, tmp_path: Path, chapters_yaml: str = LIST, show_extra: str = "",
          summary: str | None = None) -> tuple[etree._Element, bytes, str]:
    """Build a one-episode production; return its item, the feed's bytes and the warnings printed."""
    episode = EPISODE + chapters_yaml
    if summary is not None:
        episode = episode.replace("  summary: The first one.", f"  summary: {summary}")
    prod = production({"show.yaml": SHOW + show_extra, EP: episode})
    out = tmp_path / "out"
    result = invoke("build", prod, "-o", out)
    assert result.exit_code == 0, result.output
    data = (out / "test-show" / "feed.xml").read_bytes()
    return etree.fromstring(data).find("channel/item"), data, result.output


def stamp_lines(markup: str) -> list[str]:
    """The lines of the description that are timestamps, as a listener's app splits them."""
    text = re.sub(r"<br\s*/?>", "\n", markup)
    text = re.sub(r"<[^>]+>", "\n", text)
    lines = [html.unescape(line).strip() for line in text.splitlines()]
    return [line for line in lines if STAMP.match(line)]


def seconds(line: str) -> int:
    hours, minutes, secs, _ = STAMP.match(line).groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs)


def test_psc_chapters_follow_the_podlove_simple_chapters_spec(production, tmp_path: Path) -> None:
    item, data, _ = build(production, tmp_path)
    lists = item.findall(f"{{{PSC}}}chapters")
    assert len(lists) == 1  # "There must be only one <psc:chapters> element"
    assert lists[0].get("version") == "1.2"
    marks = lists[0].findall(f"{{{PSC}}}chapter")
    assert len(marks) == len(list(lists[0])) >= 1  # one or more psc:chapter, nothing else
    for mark in marks:
        assert NPT.match(mark.get("start")), mark.get("start")  # mandatory, Normal Play Time
        assert mark.get("title")  # mandatory
        assert set(mark.keys()) <= {"start", "title", "href", "image"}
    starts = [chapters_seconds(m.get("start")) for m in marks]
    assert starts == sorted(starts)  # in the order of their time
    assert [(m.get("start"), m.get("title")) for m in marks] == [
        ("00:00:00.000", "Cold open"), ("00:00:03.000", "Outro"), ("00:01:05.250", "News & <notes>")]
    news = marks[2]
    assert news.get("href") == "https://example.com/news" and news.get("image") == "https://example.com/news.png"
    assert b'xmlns:psc="http://podlove.org/simple-chapters"' in data.split(b"<channel>")[0]


def chapters_seconds(npt: str) -> float:
    hours, minutes, secs = npt.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(secs)


def test_a_chapter_hidden_from_tables_of_contents_is_not_listed(production, tmp_path: Path) -> None:
    item, _, _ = build(production, tmp_path)
    titles = [m.get("title") for m in item.iter(f"{{{PSC}}}chapter")]
    assert "Art change" not in titles  # toc: false has no place in a list without a way to hide it
    assert "Art change" not in item.findtext("description")


def test_feedparser_and_podcastparser_still_read_the_feed_and_podcastparser_reads_the_chapters(
        production, tmp_path: Path) -> None:
    _, data, _ = build(production, tmp_path)
    parsed = feedparser.parse(data)
    assert not parsed.bozo and parsed.entries[0].title == "Episode One"
    episode = podcastparser.parse("https://example.com/test-show/feed.xml", BytesIO(data))["episodes"][0]
    # podcastparser reads Normal Play Time to whole seconds
    assert [(c["start"], c["title"]) for c in episode["chapters"]] == [(0, "Cold open"), (3, "Outro"),
                                                                       (65, "News & <notes>")]
    assert episode["chapters"][2]["href"] == "https://example.com/news"


def test_a_feed_without_chapters_declares_no_podlove_namespace(production, tmp_path: Path) -> None:
    item, data, _ = build(production, tmp_path, chapters_yaml="")
    assert b"podlove" not in data and item.find(f"{{{PSC}}}chapters") is None


def test_description_timestamps_follow_spotifys_rules(production, tmp_path: Path) -> None:
    item, _, output = build(production, tmp_path)
    description = item.findtext("description")
    lines = stamp_lines(description)
    assert lines == ["00:00 Cold open", "00:03 Outro", "01:05 News & <notes>"]
    assert seconds(lines[0]) == 0  # the first at 0:00
    assert len(lines) >= 3  # at least three
    assert [seconds(line) for line in lines] == sorted({seconds(line) for line in lines})  # ascending
    assert "01:05 News &amp; &lt;notes&gt;<br>" not in description  # the last line has no break after it
    assert description.count("<br>") == len(lines) - 1  # one per line
    assert description.startswith("<p>The first one.</p>")  # after the summary, which stays as it was
    assert "description timestamps" not in output


def test_the_show_notes_carry_the_timestamps_too_but_the_page_does_not(production, tmp_path: Path) -> None:
    item, _, _ = build(production, tmp_path)
    content = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert stamp_lines(content) == ["00:00 Cold open", "00:03 Outro", "01:05 News & <notes>"]
    page = (tmp_path / "out" / "test-show" / "first-episode" / "index.html").read_text()
    assert "00:03 Outro" not in page  # the page lists its chapters as links already


def test_a_show_can_opt_out_of_description_timestamps(production, tmp_path: Path) -> None:
    item, _, output = build(production, tmp_path, show_extra="chapters:\n  descriptionTimestamps: false\n")
    assert stamp_lines(item.findtext("description")) == []
    assert stamp_lines(item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")) == []
    assert item.find(f"{{{PSC}}}chapters") is not None  # psc:chapters stay
    assert "description timestamps" not in output


@pytest.mark.parametrize("chapters_yaml", [
    "chapters:\n  - start: 0\n    title: Only\n  - start: 3\n    title: Two\n",
    "chapters:\n  - start: 0\n    title: A\n  - start: 1\n    title: B\n  - start: 2\n    title: C\n"
    "    toc: false\n",
])
def test_fewer_than_three_chapters_give_no_timestamps_and_no_warning(production, tmp_path: Path,
                                                                     chapters_yaml: str) -> None:
    item, _, output = build(production, tmp_path, chapters_yaml)
    assert stamp_lines(item.findtext("description")) == []
    assert "description timestamps" not in output and len(list(item.iter(f"{{{PSC}}}chapter"))) == 2


def test_chapters_that_do_not_start_at_zero_get_no_timestamps_and_a_warning_at_their_line(
        production, tmp_path: Path) -> None:
    late = "chapters:\n  - start: 1\n    title: A\n  - start: 2\n    title: B\n  - start: 3\n    title: C\n"
    item, _, output = build(production, tmp_path, late)
    assert stamp_lines(item.findtext("description")) == []
    assert f"{EP}:16:1: warning: chapters: description timestamps left out: the first chapter starts at 00:01" in output
    assert "chapters.descriptionTimestamps: false" in output  # how to silence it on purpose
    result = invoke("validate", tmp_path / "prod")
    assert "description timestamps left out" in result.output  # validate says what build says


def test_two_chapters_in_the_same_second_are_not_ascending_timestamps(production, tmp_path: Path) -> None:
    same = "chapters:\n  - start: 0\n    title: A\n  - start: 2.2\n    title: B\n  - start: 2.7\n    title: C\n"
    item, _, output = build(production, tmp_path, same)
    assert stamp_lines(item.findtext("description")) == []
    assert "'C' starts in the same second as the one before it" in output


def test_timestamps_never_push_the_description_past_4000_bytes(production, tmp_path: Path) -> None:
    summary = "'" + "word " * 790 + "'"  # 3,950 bytes of text: room for the summary, not for the stamps too
    item, _, output = build(production, tmp_path, summary=summary)
    description = item.findtext("description")
    assert len(description.encode()) <= 4000 and stamp_lines(description) == []
    content = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert len(stamp_lines(content)) == 3
    assert "only in the show notes (content:encoded)" in output


def test_episodes_past_the_hour_use_hours_on_every_line() -> None:
    episode = Episode(Path("e.yaml"), "e.yaml", {}, duration=4000.0,
                      chapters=[Chapter(0, "A"), Chapter(59.9, "B"), Chapter(3725.5, "C")])
    assert chapters.timestamps(episode) == ["00:00:00 A", "00:00:59 B", "01:02:05 C"]
    assert [c["start"] for c in chapters.psc_chapters(episode)] == ["00:00:00.000", "00:00:59.900",
                                                                    "01:02:05.500"]


@pytest.mark.parametrize("value, text", [(0, "00:00:00.000"), (0.0004, "00:00:00.000"), (1.2345, "00:00:01.234"),
                                         (59.9996, "00:01:00.000"), (360000.0, "100:00:00.000")])
def test_normal_play_time_is_hours_minutes_seconds_and_milliseconds(value: float, text: str) -> None:
    assert chapters.npt(value) == text


def test_titles_become_one_line_in_every_format() -> None:
    episode = Episode(Path("e.yaml"), "e.yaml", {},
                      chapters=[Chapter(0, "A\nsplit   title"), Chapter(1, "B"), Chapter(2, "C")])
    assert chapters.timestamps(episode)[0] == "00:00 A split title"
    assert chapters.psc_chapters(episode)[0]["title"] == "A split title"


def test_a_chapters_file_is_made_again_only_when_its_episode_changes(example: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "public"
    builder.build(example, site)
    made: list[str] = []
    original = chapters.chapters_json
    monkeypatch.setattr(chapters, "chapters_json", lambda show, episode: made.append(episode.guid) or
                        original(show, episode))
    other = example / "episodes/episode-0a1b2c3d4e5f.yaml"
    other.write_text(other.read_text().replace("Welcome to The Static Signal", "Welcome, listener"))
    builder.build(example, site)
    assert made == []  # an edit elsewhere keeps the previous output's file
    source = example / "episodes/episode-1f2e3d4c5b6a.yaml"
    source.write_text(source.read_text().replace("title: The build", "title: The build step"))
    builder.build(example, site)
    assert made == ["1f2e3d4c5b6a"]
    assert "The build step" in (site / "the-static-signal/why-a-build-beats-a-server/chapters.json").read_text()
    monkeypatch.undo()
    shutil.rmtree(example / ".podops")
    builder.build(example, tmp_path / "clean")
    assert tree_hash(site) == tree_hash(tmp_path / "clean")
