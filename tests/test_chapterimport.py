"""Chapters on import: Podlove Simple Chapters read from the item, and a podops feed's timestamps dropped.

The psc example is the Podlove Simple Chapters 1.2 spec's own (podlove.org/simple-chapters).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke
from test_importer import episodes, item, rss

from podops.commands.importer import import_feed

PSC_ITEM = """<psc:chapters version="1.2" xmlns:psc="http://podlove.org/simple-chapters">
  <psc:chapter start="0" title="Welcome" />
  <psc:chapter start="8:26.250" title="Podlove WordPress Plugin" href="http://podlove.org/podlove-podcast-publisher" />
  <psc:chapter start="3:07" title="Introducing Podlove" href="http://podlove.org/" />
  <psc:chapter start="01:35:52" title="Resumée" image="https://tiny.example/r.png" />
  <psc:chapter start="soon" title="Broken" />
</psc:chapters>"""


def test_psc_chapters_are_imported_when_there_is_no_podcast_chapters(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(items=item("one", "First one", PSC_ITEM)))  # the spec's own example, and a bad mark
    result = import_feed(str(feed), tmp_path / "out")
    assert episodes(tmp_path / "out")["one"]["chapters"] == [
        {"start": 0, "title": "Welcome"},
        {"start": 187, "title": "Introducing Podlove", "url": "http://podlove.org/"},
        {"start": 506.25, "title": "Podlove WordPress Plugin", "url": "http://podlove.org/podlove-podcast-publisher"},
        {"start": 5752, "title": "Resumée", "img": "https://tiny.example/r.png"}]
    assert any("'soon' is no Normal Play Time" in w.message for w in result.warnings)
    assert not any("psc:chapters" in w.message and "dropped" in w.message for w in result.warnings)


@pytest.mark.parametrize("written, seconds", [("37", 37), ("7:48", 468), ("35:12.250", 2112.25),
                                              ("05:12:03.500", 18723.5), ("npt:10", 10), ("1:75", None),
                                              ("", None), ("-3", None)])
def test_normal_play_time_as_the_podlove_spec_writes_it(written: str, seconds: float | None) -> None:
    from podops.commands.chapterimport import npt_seconds

    assert npt_seconds(written) == seconds


def test_a_podops_feed_reimported_and_rebuilt_has_its_timestamps_once(tmp_path: Path) -> None:
    from conftest import EPISODE, write_production

    chapters = "chapters:\n  - start: 0\n    title: A\n  - start: 1\n    title: B\n  - start: 2\n    title: C\n"
    prod = write_production(tmp_path / "prod", {"episodes/episode-6d1048a48504.yaml": EPISODE + chapters})
    assert invoke("build", prod, "-o", tmp_path / "first").exit_code == 0
    import_feed(str(tmp_path / "first" / "test-show" / "feed.xml"), tmp_path / "imported")
    (episode,) = episodes(tmp_path / "imported").values()
    assert "00:01 B" not in episode["description"]["summary"]  # the chapters came along; the stamps go
    assert [c["title"] for c in episode["chapters"]] == ["A", "B", "C"]
    rebuilt = invoke("build", tmp_path / "imported", "-o", tmp_path / "second", "--base-url", "https://example.com/")
    assert rebuilt.exit_code == 0, rebuilt.output
    (feed,) = (tmp_path / "second").glob("*/feed.xml")
    description = feed.read_text().split("<item>")[1].split("</description>")[0]
    assert description.count("00:01 B") == 1
