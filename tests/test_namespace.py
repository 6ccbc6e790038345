"""Every Podcasting 2.0 tag a show or episode can carry: the namespace docs' own examples, written from YAML.

The YAML in ``tests/data/namespace/`` holds the examples of ``docs/tags/*.md``; the feed built from
it must contain each example of ``examples.xml`` (attributes compared as values: ``73.0`` is ``73``,
a date is the same moment in any zone), validate against the namespace's XSD wherever it defines
the tag, and still be read by feedparser and podcastparser.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import feedparser
import podcastparser
import pytest
from conftest import DATA, EPISODE, SHOW, invoke, write_production
from lxml import etree

from podops.render.feed import PODCAST

TAGS = DATA / "namespace"
EP = "episodes/episode-6d1048a48504.yaml"
LABELS = "    season: 3\n    seasonName: Race for the Whitehouse 2020\n    episode: 204\n    episodeDisplay: Ch.3\n"
# What the XSD (tests/data/schemas/podcast.xsd) predates: the 2025 location attributes, valueTimeSplit
NEWER_THAN_XSD = {"location": ("rel", "country"), "value": ("valueTimeSplit",)}


def tagged_production(root: Path, show_extra: str = "", episode_extra: str = "") -> Path:
    """The base production with every namespace tag of the docs' examples."""
    episode = EPISODE.replace("    season: 1\n    episode: 1\n", LABELS).replace(  # the docs' times need an hour
        "enclosure:\n  uri: assets/ep.mp3\n", "enclosure:\n  uri: https://media.example.com/ep.mp3\n"
        "  rel: external\n  type: audio/mpeg\n  size: 57600000\n  duration: 3600\n")
    return write_production(root, {
        "show.yaml": SHOW + (TAGS / "show-tags.yaml").read_text() + show_extra,
        EP: episode + (TAGS / "episode-tags.yaml").read_text() + episode_extra,
    })


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    tmp = tmp_path_factory.mktemp("namespace")
    prod = tagged_production(tmp / "prod")
    result = invoke("build", prod, "-o", tmp / "public")
    assert result.exit_code == 0, result.output
    return (tmp / "public" / "test-show" / "feed.xml").read_bytes()


def _value(name: str, value: str) -> Any:
    if name == "pubdate":
        return parsedate_to_datetime(value)
    try:
        return float(value)
    except ValueError:
        return value


def shape(element: Any) -> tuple[Any, ...]:
    """An element as comparable data: tag, attribute values, text, children."""
    attrib = tuple(sorted((k, _value(k, v)) for k, v in element.attrib.items()))
    return (etree.QName(element).localname, attrib, (element.text or "").strip(),
            tuple(shape(child) for child in element if isinstance(child.tag, str)))


def examples(level: str) -> list[Any]:
    root = etree.parse(str(TAGS / "examples.xml")).getroot()
    return list(root.find(level))


@pytest.mark.parametrize("level, parent", [("channel", "channel"), ("item", "channel/item")])
def test_every_doc_example_is_in_the_built_feed(feed: bytes, level: str, parent: str) -> None:
    written = [shape(e) for e in etree.fromstring(feed).find(parent) if etree.QName(e).namespace == PODCAST]
    for example in examples(level):
        assert shape(example) in written, etree.tostring(example).decode()


def test_namespace_elements_validate_against_the_official_xsd(feed: bytes) -> None:
    schema = etree.XMLSchema(etree.parse(str(DATA / "schemas" / "podcast-wrapper.xsd")))
    declared = {e.get("name") for e in etree.parse(str(DATA / "schemas" / "podcast.xsd")).getroot() if e.get("name")}
    checked = set()
    for element in etree.fromstring(feed).iter(f"{{{PODCAST}}}*"):
        name = etree.QName(element).localname
        if name not in declared or element.getparent().tag in (f"{{{PODCAST}}}value",):
            continue
        copy = etree.fromstring(etree.tostring(element))
        for newer in NEWER_THAN_XSD.get(name, ()):
            copy.attrib.pop(newer, None)
            for child in copy.findall(f"{{{PODCAST}}}{newer}"):
                copy.remove(child)
        wrapper = etree.Element(f"{{{PODCAST}}}test-wrapper", nsmap={None: PODCAST})
        wrapper.append(copy)
        assert schema.validate(wrapper), (name, schema.error_log)
        checked.add(name)
    assert {"value", "location", "soundbite", "season", "episode"} <= checked


def test_feedparser_and_podcastparser_still_read_the_feed(feed: bytes) -> None:
    parsed = feedparser.parse(feed)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.entries[0].title == "Episode One"
    show = podcastparser.parse("https://example.com/test-show/feed.xml", BytesIO(feed))
    assert [e["title"] for e in show["episodes"]] == ["Episode One"]
    assert show["episodes"][0]["enclosures"][0]["url"] == "https://media.example.com/ep.mp3"


def test_a_private_show_blocks_every_platform_and_nothing_else(tmp_path: Path) -> None:
    prod = tagged_production(tmp_path / "prod", "private: true\n")
    (prod / "subscribers.yaml").write_text(
        "apiVersion: v1\nkind: subscribers\nmetadata:\n  name: listeners\n  guid: 5ab5c71be000\n"
        "  parent: aaa94297acfc\nsubscribers:\n  - email: ann@example.org\n")
    result = invoke("build", prod, "-o", tmp_path / "public", env={"PODOPS_SECRET": "s" * 32})
    assert result.exit_code == 0, result.output
    feeds = list((tmp_path / "public").rglob("feed.xml")) + list((tmp_path / "public").rglob("*.rss"))
    assert feeds
    for path in feeds:
        blocks = etree.parse(str(path)).getroot().findall(f"channel/{{{PODCAST}}}block")
        assert [(b.get("id"), b.text) for b in blocks] == [(None, "yes")]


def test_season_name_defaults_to_season_n_for_the_xsd(tmp_path: Path) -> None:
    prod = write_production(tmp_path / "prod")
    assert invoke("build", prod, "-o", tmp_path / "public").exit_code == 0
    item = etree.parse(str(tmp_path / "public" / "test-show" / "feed.xml")).getroot().find("channel/item")
    season = item.find(f"{{{PODCAST}}}season")
    assert (season.text, season.get("name")) == ("1", "Season 1")
    assert item.find(f"{{{PODCAST}}}episode").get("display") is None


def test_local_alternates_and_trailers_are_probed_hashed_and_published(tmp_path: Path) -> None:
    import base64
    import hashlib

    from conftest import MEDIA

    prod = write_production(tmp_path / "prod", {
        "show.yaml": SHOW + "trailers:\n  - title: Season two\n    pubdate: 2021-04-01T08:00:00Z\n"
                     "    file: assets/trailer.m4a\n    season: 2\n",
        EP: EPISODE + "alternateEnclosures:\n  - file: assets/alt.m4a\n    title: AAC\n"
                      "  - file: assets/alt.opus\n    title: Opus\n    lang: en-US\n    sources:\n"
                      "      - uri: ipfs://QmX33FYehk6ckGQ6g1D9D3FqZPix5JpKstKQKbaS8quUFb\n",
        "assets/alt.m4a": MEDIA / "alt.m4a", "assets/alt.opus": MEDIA / "alt.opus",
        "assets/trailer.m4a": MEDIA / "alt.m4a"})
    out = tmp_path / "public"
    result = invoke("build", prod, "-o", out)
    assert result.exit_code == 0, result.output
    channel = etree.parse(str(out / "test-show" / "feed.xml")).getroot().find("channel")
    trailer = channel.find(f"{{{PODCAST}}}trailer")
    assert dict(trailer.attrib) == {"url": "https://example.com/test-show/media/assets/trailer.m4a",
                                    "pubdate": "Thu, 01 Apr 2021 08:00:00 +0000",
                                    "length": str((MEDIA / "alt.m4a").stat().st_size), "type": "audio/mp4",
                                    "season": "2"}
    found = channel.find("item").findall(f"{{{PODCAST}}}alternateEnclosure")
    assert [(a.get("type"), a.get("title")) for a in found] == [("audio/mp4", "AAC"), ("audio/opus", "Opus")]
    for alternate, name in zip(found, ("alt.m4a", "alt.opus"), strict=True):
        data = (MEDIA / name).read_bytes()
        assert alternate.get("length") == str(len(data)) and int(alternate.get("bitrate")) > 16000
        sources = [s.get("uri") for s in alternate.findall(f"{{{PODCAST}}}source")]
        assert sources[0] == f"https://example.com/test-show/media/assets/{name}"
        assert (out / "test-show" / "media" / "assets" / name).read_bytes() == data
        integrity = alternate.find(f"{{{PODCAST}}}integrity")
        assert integrity.get("type") == "sri"
        assert integrity.get("value") == "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
    assert found[1].get("lang") == "en-US" and sources[1].startswith("ipfs://")


def test_an_alternate_of_another_length_is_a_warning_unless_it_is_companion_media(tmp_path: Path) -> None:
    from conftest import MEDIA

    files = {EP: EPISODE + "alternateEnclosures:\n  - file: assets/other.mp3\n",
             "assets/other.mp3": MEDIA / "vbr.mp3"}  # 6.1 s beside the 4 s enclosure
    result = invoke("build", write_production(tmp_path / "prod", files), "-o", tmp_path / "public")
    assert result.exit_code == 0, result.output
    assert f"{EP}:17:5: warning: alternateEnclosures[0].file: assets/other.mp3 lasts" in result.output
    files[EP] += "    rel: commentary\n"
    result = invoke("build", write_production(tmp_path / "prod", files), "-o", tmp_path / "public")
    assert result.exit_code == 0 and "lasts" not in result.output, result.output


def test_a_soundbite_past_the_end_of_the_audio_is_an_error_at_its_line(tmp_path: Path) -> None:
    files = {EP: EPISODE + "soundbites:\n  - {startTime: 1, duration: 2}\n  - {startTime: 3, duration: 15}\n"}
    result = invoke("build", write_production(tmp_path / "prod", files), "-o", tmp_path / "public")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if ": warning: " not in line and line.strip()]
    assert errors == [f"{EP}:18:6: soundbites[1].startTime: 3 s + 15 s ends after the episode (4 s)"], errors
