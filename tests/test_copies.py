"""chapters.id3: the published MP3 carries the chapters as ID3 frames; the production's file never changes.

Real MP3s (lame, tests/data/make-fixtures.sh), built with the CLI, read back with mutagen; the
feed's length, the API's size and the output's reuse describe the published copy.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import mutagen.id3
from conftest import EPISODE, SHOW, invoke, tree_hash

EP = "episodes/episode-6d1048a48504.yaml"
CHAPTERS = """\
chapters:
  - start: 0
    title: Intro
  - start: 1.5
    title: Middle
    url: https://example.com/middle
  - start: 3
    title: Credits
"""
ID3_ON = SHOW + "chapters:\n  id3: true\n"
PUBLISHED = Path("test-show/media/assets/ep.mp3")


def make(production, show: str = ID3_ON, chapters: str = CHAPTERS, name: str = "prod") -> Path:
    return production({"show.yaml": show, EP: EPISODE + chapters}, name=name)


def build(prod: Path, out: Path) -> str:
    result = invoke("build", prod, "-o", out, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert result.exit_code == 0, result.output
    return result.output


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_published_mp3_carries_chap_and_ctoc_frames_and_the_source_is_untouched(production,
                                                                                   tmp_path: Path) -> None:
    prod = make(production)
    source = prod / "assets" / "ep.mp3"
    before = sha(source)
    build(prod, tmp_path / "out")
    published = tmp_path / "out" / PUBLISHED
    assert sha(source) == before  # byte-identical
    tags = mutagen.id3.ID3(published)
    chaps = {f.element_id: f for f in tags.getall("CHAP")}
    (toc,) = tags.getall("CTOC")
    assert [(chaps[k].start_time, chaps[k].end_time, str(chaps[k].sub_frames["TIT2"]))
            for k in toc.child_element_ids] == [(0, 1500, "Intro"), (1500, 3000, "Middle"), (3000, 4000, "Credits")]
    assert toc.flags & mutagen.id3.CTOCFlags.TOP_LEVEL and toc.flags & mutagen.id3.CTOCFlags.ORDERED


def test_feed_length_and_api_size_describe_the_published_copy(production, tmp_path: Path) -> None:
    prod = make(production)
    build(prod, tmp_path / "out")
    size = (tmp_path / "out" / PUBLISHED).stat().st_size
    assert size != (prod / "assets" / "ep.mp3").stat().st_size
    feed = (tmp_path / "out" / "test-show" / "feed.xml").read_text()
    assert re.search(r'<enclosure url="[^"]+/ep\.mp3" length="(\d+)"', feed).group(1) == str(size)
    lengths = {m for p in (tmp_path / "out" / "api").rglob("*.json")
               for m in re.findall(r'"audio_length": ?(\d+)', p.read_text())}
    assert lengths == {str(size)}
    manifest = (tmp_path / "out").rglob("*.json")
    digests = {m for p in manifest for m in re.findall(r'"sha256": ?"([0-9a-f]{64})"', p.read_text())}
    assert sha(prod / "assets" / "ep.mp3") not in digests  # what is hashed is what is published


def test_without_the_setting_the_source_is_published_as_it_is(production, tmp_path: Path) -> None:
    prod = make(production, show=SHOW)
    build(prod, tmp_path / "out")
    assert sha(tmp_path / "out" / PUBLISHED) == sha(prod / "assets" / "ep.mp3")
    assert not (prod / ".podops" / "chaptered").exists() or not any((prod / ".podops" / "chaptered").iterdir())


def test_a_clean_build_and_an_incremental_one_are_byte_identical(production, tmp_path: Path) -> None:
    prod = make(production, show=SHOW)
    build(prod, tmp_path / "incremental")  # without frames
    (prod / "show.yaml").write_text(ID3_ON)
    build(prod, tmp_path / "incremental")  # turned on: the copy is published, pages say its size
    episode = prod / EP
    episode.write_text(episode.read_text().replace("title: Credits", "title: The end"))
    build(prod, tmp_path / "incremental")  # the chapter changed: a new copy, the old one pruned
    assert len(list((prod / ".podops" / "chaptered").iterdir())) == 1
    build(prod, tmp_path / "incremental")  # nothing changed
    clean = tmp_path / "clean"
    shutil.copytree(prod, clean, ignore=shutil.ignore_patterns(".podops"))  # a fresh clone: no cache
    build(clean, tmp_path / "clean-out")
    assert tree_hash(tmp_path / "incremental") == tree_hash(tmp_path / "clean-out")
    titles = [str(f.sub_frames["TIT2"]) for f in mutagen.id3.ID3(tmp_path / "clean-out" / PUBLISHED).getall("CHAP")]
    assert "The end" in titles and "Credits" not in titles


def test_a_damaged_cached_copy_is_made_again(production, tmp_path: Path) -> None:
    prod = make(production)
    build(prod, tmp_path / "a")
    (cached,) = (prod / ".podops" / "chaptered").iterdir()
    good = cached.read_bytes()
    cached.write_bytes(good[:-100])  # cut short behind the build's back
    build(prod, tmp_path / "b")
    assert (tmp_path / "b" / PUBLISHED).read_bytes() == good


def test_a_production_without_a_writable_cache_still_publishes_the_frames(production, tmp_path: Path,
                                                                         monkeypatch) -> None:
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    prod = make(production)
    (prod / ".podops").write_text("not a folder")  # the cache cannot be used
    output = build(prod, tmp_path / "out")
    assert "cannot use the cache" in output
    assert mutagen.id3.ID3(tmp_path / "out" / PUBLISHED).getall("CTOC")
    assert list(scratch.iterdir()) == []  # the copies made aside are removed after the build


def test_the_settings_are_declared_in_the_schema() -> None:
    from podops.load.schemadoc import json_schema

    chapters = json_schema()["$defs"]["show"]["properties"]["chapters"]["properties"]
    assert set(chapters) == {"descriptionTimestamps", "id3"}
    assert json.dumps(chapters)  # plain data for editors
