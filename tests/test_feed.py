"""Feeds checked by independent oracles: feedparser, podcastparser, xmllint, the podcast namespace XSD, ffmpeg."""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import feedparser
import podcastparser
import pytest
from conftest import DATA, EPISODE, SHOW, invoke
from lxml import etree
from test_namespace import NEWER_THAN_XSD

from podops.render.feed import PODCAST
from podops.urls import podcast_guid

EPOCH = "1735689600"  # Wed, 01 Jan 2025 00:00:00 +0000 (after every example episode but the future one)
XSD = DATA / "schemas" / "podcast-wrapper.xsd"
EP = "episodes/episode-6d1048a48504.yaml"


def decoded_seconds(path: Path) -> float:
    """Ground truth: decode every sample with ffmpeg (oracles.md §3)."""
    pcm = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", "8000", "-"],
                         check=True, capture_output=True).stdout
    return len(pcm) / 2 / 8000


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example production, built once for this module."""
    tmp = tmp_path_factory.mktemp("feed")
    prod = tmp / "example-production"
    shutil.copytree(Path(__file__).parent.parent / "example-production", prod,
                    ignore=shutil.ignore_patterns(".podops"))
    out = tmp / "public"
    result = invoke("build", prod, "-o", out, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.exit_code == 0, result.output
    return prod, out


def feed_bytes(out: Path) -> bytes:
    return (out / "the-static-signal" / "feed.xml").read_bytes()


def test_feed_is_well_formed_for_xmllint(built) -> None:
    _, out = built
    result = subprocess.run(["xmllint", "--noout", str(out / "the-static-signal" / "feed.xml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_podcastparser_reads_every_episode_exactly(built) -> None:
    prod, out = built
    parsed = podcastparser.parse("https://static-signal.example.org/the-static-signal/feed.xml",
                                 BytesIO(feed_bytes(out)))
    episodes = {e["guid"]: e for e in parsed["episodes"]}
    assert set(episodes) == {"1f2e3d4c5b6a", "2a3b4c5d6e7f", "0a1b2c3d4e5f"}  # no draft, no future
    expected = {
        "0a1b2c3d4e5f": ("welcome-trailer.mp3", None, None, "trailer"),
        "1f2e3d4c5b6a": ("episode-01.mp3", 1, 1, "full"),
        "2a3b4c5d6e7f": ("episode-02.mp3", 1, 2, "full"),
    }
    for guid, (name, season, number, kind) in expected.items():
        episode = episodes[guid]
        (enclosure,) = episode["enclosures"]
        source = prod / "assets" / "audio" / name
        published = out / "the-static-signal" / "media" / "assets" / "audio" / name
        assert enclosure["url"] == f"https://static-signal.example.org/the-static-signal/media/assets/audio/{name}"
        assert enclosure["file_size"] == source.stat().st_size == published.stat().st_size
        assert enclosure["mime_type"] == "audio/mpeg"
        assert abs(episode["total_time"] - decoded_seconds(source)) <= 0.5  # itunes:duration is whole seconds
        assert episode.get("season") == season
        assert episode.get("number") == number
        assert episode["type"] == kind
        assert episode["explicit"] is False
    assert parsed["title"] == "The Static Signal"
    assert parsed["explicit"] is False


def test_probed_durations_match_a_full_decode(built) -> None:
    from podops.probe.audio import probe_audio

    prod, _ = built
    for mp3 in sorted((prod / "assets" / "audio").glob("*.mp3")):
        assert abs(probe_audio(mp3).duration - decoded_seconds(mp3)) <= 0.1, mp3.name


def test_feedparser_sees_channel_and_items(built) -> None:
    _, out = built
    feed = feedparser.parse(feed_bytes(out))
    assert not feed.bozo
    assert feed.feed.title == "The Static Signal"
    assert feed.feed.language == "en-us"
    assert feed.feed.updated == "Wed, 01 Jan 2025 00:00:00 +0000"  # SOURCE_DATE_EPOCH, not the clock
    assert [e.title for e in feed.entries] == [
        "Feeds every app accepts", "Why a build beats a server", "Welcome to The Static Signal"]
    assert all(e.id and e.guidislink is False for e in feed.entries)
    assert feed.feed.tags[0]["term"] == "Technology"


def test_channel_carries_apple_and_podcasting20_tags(built) -> None:
    _, out = built
    root = etree.fromstring(feed_bytes(out))
    channel = root.find("channel")
    ns = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd", "podcast": PODCAST,
          "atom": "http://www.w3.org/2005/Atom"}
    assert channel.find("atom:link", ns).get("href").endswith("/the-static-signal/feed.xml")
    assert channel.find("itunes:explicit", ns).text == "false"
    assert channel.find("itunes:type", ns).text == "episodic"
    assert channel.find("itunes:owner/itunes:email", ns).text == "hello@static-signal.example.org"
    education = channel.findall("itunes:category", ns)[1]
    assert education.get("text") == "Education"
    assert education.find("itunes:category", ns).get("text") == "How To"
    assert channel.find("podcast:guid", ns).text == podcast_guid(
        "https://static-signal.example.org/the-static-signal/feed.xml")
    assert channel.find("podcast:locked", ns).get("owner") == "hello@static-signal.example.org"
    assert len(channel.find("description").text.encode()) <= 4000
    item = channel.find("item[guid='1f2e3d4c5b6a']")
    transcripts = item.findall("podcast:transcript", ns)
    assert [(t.get("type"), t.get("rel")) for t in transcripts] == [("text/vtt", "captions"),
                                                                   ("application/x-subrip", None)]
    chapters = item.find("podcast:chapters", ns)
    assert chapters.get("type") == "application/json+chapters"
    assert [p.text for p in item.findall("podcast:person", ns)] == ["Ada Fernández", "Grace Okafor"]


def test_chapters_file_follows_json_chapters_1_2(built) -> None:
    import json

    _, out = built
    data = json.loads((out / "the-static-signal" / "why-a-build-beats-a-server" / "chapters.json").read_text())
    assert data["version"] == "1.2.0"
    assert [(c["startTime"], c["title"]) for c in data["chapters"]] == [
        (0.0, "Introduction"), (3.0, "The problem"), (5.0, "The build")]


def test_podcast_namespace_elements_validate_against_the_official_xsd(built) -> None:
    _, out = built
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    declared = {e.get("name") for e in etree.parse(str(DATA / "schemas" / "podcast.xsd")).getroot()
                if e.get("name")}
    root = etree.fromstring(feed_bytes(out))
    checked = set()
    for element in root.iter(f"{{{PODCAST}}}*"):
        name = etree.QName(element).localname
        if name not in declared:
            continue
        copy = etree.fromstring(etree.tostring(element))
        for newer in NEWER_THAN_XSD.get(name, ()):  # the 2025 location attributes, valueTimeSplit
            copy.attrib.pop(newer, None)
            for child in copy.findall(f"{{{PODCAST}}}{newer}"):
                copy.remove(child)
        wrapper = etree.Element(f"{{{PODCAST}}}test-wrapper", nsmap={None: PODCAST})
        wrapper.append(copy)
        assert schema.validate(wrapper), (name, schema.error_log)
        checked.add(name)
    assert {"locked", "funding", "person", "season", "episode", "transcript", "chapters", "location",
            "soundbite"} <= checked


def written_as_one_tree(data: bytes) -> bytes:
    """The feed as feedgen writes a whole tree: read without its indentation, pretty-printed again by lxml."""
    root = etree.fromstring(data, etree.XMLParser(remove_blank_text=True, strip_cdata=False))
    return bytes(etree.tostring(root.getroottree(), pretty_print=True, encoding="UTF-8", xml_declaration=True))


def test_items_spliced_from_the_cache_are_the_bytes_of_the_whole_tree(built) -> None:
    prod, out = built
    first = feed_bytes(out)
    assert written_as_one_tree(first) == first  # chapters, transcripts, persons, funding…
    (prod / "README.md").write_text("a change outside every resource: every item comes from the cache\n")
    assert invoke("build", prod, "-o", out, env={"SOURCE_DATE_EPOCH": EPOCH}).exit_code == 0
    assert feed_bytes(out) == first


def test_an_edit_to_one_show_keeps_the_other_shows_feeds_as_they_are(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import tree_hash
    from test_api import write_network

    from podops.build import build
    from podops.write import output

    root = write_network(tmp_path / "network")
    out = tmp_path / "public"
    build(root, out)
    added: list[str] = []
    original = output.Plan.add
    monkeypatch.setattr(output.Plan, "add", lambda plan, path, data: added.append(path) or original(plan, path, data))
    source = root / "alpha/episodes/alpha-second.yaml"
    source.write_text(source.read_text().replace("title: Episode alpha-second", "title: Renamed"))
    build(root, out)
    feeds = {path for path in added if path.endswith("/feed.xml")}
    assert feeds == {"alpha-show-one/feed.xml"}  # beta's feed is kept, not joined and compared again
    monkeypatch.undo()
    shutil.rmtree(root / ".podops")
    build(root, tmp_path / "clean")
    assert tree_hash(out) == tree_hash(tmp_path / "clean")


def test_hostile_text_round_trips_and_never_carries_script(production, tmp_path: Path) -> None:
    title = '<script>alert(1)</script> & "Q" ]]>'
    episode = EPISODE.replace("  title: Episode One", f"  title: '{title}'").replace(
        "  summary: The first one.",
        "  summary: \"[x](javascript:alert(1)) <img src=x onerror=alert(1)> <iframe src=//e.vil></iframe>\"")
    prod = production({EP: episode})
    out = tmp_path / "public"
    assert invoke("build", prod, "-o", out).exit_code == 0
    data = (out / "test-show" / "feed.xml").read_bytes()
    assert written_as_one_tree(data) == data
    parsed = podcastparser.parse("https://example.com/test-show/feed.xml", BytesIO(data))
    assert parsed["episodes"][0]["title"] == title
    html = parsed["episodes"][0]["description_html"]
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "<iframe" not in html


def test_serial_shows_list_episodes_in_order(production, tmp_path: Path) -> None:
    second = EPISODE.replace("first-episode", "second-episode").replace("6d1048a48504", "6d1048a48505").replace(
        "    episode: 1", "    episode: 2").replace("Fri, 04 Jun 2021", "Fri, 04 Jun 2020").replace(
        "assets/ep.mp3", "assets/ep2.mp3")
    prod = production({"show.yaml": SHOW.replace('    explicit: "no"', '    explicit: "no"\n    type: Serial'),
                       "episodes/second.yaml": second, "assets/ep2.mp3": DATA / "media" / "vbr.mp3"})
    out = tmp_path / "public"
    assert invoke("build", prod, "-o", out).exit_code == 0
    items = feedparser.parse((out / "test-show" / "feed.xml").read_bytes()).entries
    assert [e.itunes_episode for e in items] == ["1", "2"]


def test_drafts_only_with_the_drafts_flag_and_future_episodes_are_scheduled(example, tmp_path: Path) -> None:
    out = tmp_path / "public"
    result = invoke("build", example, "-o", out, "--drafts")
    assert result.exit_code == 0
    titles = [e.title for e in feedparser.parse((out / "the-static-signal" / "feed.xml").read_bytes()).entries]
    assert "Media that never lies" in titles
    assert "Scheduled episodes and continuous integration" not in titles
    assert "scheduled: the-static-signal/scheduled-episodes-and-ci (2100-01-01 09:00 UTC)" in result.stderr
    assert "1 scheduled, 0 draft(s) skipped" in result.stderr


def test_scheduled_episode_appears_once_its_date_has_passed(example, tmp_path: Path) -> None:
    out = tmp_path / "public"
    result = invoke("build", example, "-o", out, env={"SOURCE_DATE_EPOCH": "4102477200"})  # 2100-01-01 09:00 UTC
    assert result.exit_code == 0
    titles = [e.title for e in feedparser.parse((out / "the-static-signal" / "feed.xml").read_bytes()).entries]
    assert titles[0] == "Scheduled episodes and continuous integration"


def test_a_written_podcast_guid_wins_with_a_warning_when_it_differs(production, tmp_path: Path) -> None:
    prod = production({"show.yaml": SHOW + "podcastGuid: 9b024349-ccf0-5f69-a609-6b82873eab3c\n"})
    out = tmp_path / "public"
    result = invoke("build", prod, "-o", out)
    assert result.exit_code == 0
    assert "show.yaml:21:1: warning: podcastGuid: differs from" in result.stderr
    assert "<podcast:guid>9b024349-ccf0-5f69-a609-6b82873eab3c</podcast:guid>" in (
        out / "test-show" / "feed.xml").read_text()
    bad = production({"show.yaml": SHOW + "podcastGuid: not-a-uuid\n"}, name="bad")
    assert invoke("build", bad, "-o", tmp_path / "o2").exit_code == 1
