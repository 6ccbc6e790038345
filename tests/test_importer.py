"""``podops import``: a published feed becomes a production that rebuilds into the same feed.

The fixtures in ``tests/data/feeds/`` are written the way Libsyn, Buzzsprout, Anchor (Spotify for
Podcasters) and Transistor write their feeds, quirks included.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import podcastparser
import pytest
from conftest import DATA, invoke

from podops.build import check
from podops.commands.importer import import_feed, slugify, unique_name
from podops.commands.server import start_server, stop_server
from podops.errors import PodopsError
from podops.load.schema import NAME_PATTERN
from podops.load.yamlfile import load

FEEDS = DATA / "feeds"
HOSTS = ["libsyn", "buzzsprout", "anchor", "transistor"]


def imported(tmp_path: Path, host: str, **options: Any) -> Path:
    """Import one fixture feed (without network) and return the production folder."""
    out = tmp_path / host
    import_feed(str(FEEDS / f"{host}.xml"), out, offline=True, **options)
    return out


def episodes(root: Path) -> dict[str, dict[str, Any]]:
    """Every imported episode resource, by its item guid (what apps know it by)."""
    found = {}
    for path in sorted((root / "episodes").glob("*.yaml")):
        data = load(path, path.name)
        found[data["metadata"].get("itemGuid", data["metadata"]["guid"])] = data
    return found


def show(root: Path) -> dict[str, Any]:
    """The imported show resource."""
    return load(root / "show.yaml", "show.yaml")


def rss(title: str = "Tiny", items: str = "", channel: str = "") -> str:
    """A minimal valid podcast feed around some items."""
    return f"""<?xml version="1.0"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel><title>{title}</title><description>d</description><link>https://tiny.example/</link>
<itunes:image href="https://tiny.example/cover.jpg"/><itunes:category text="Technology"/>
{channel}{items}</channel></rss>"""


def item(guid: str, title: str = "An episode", extra: str = "") -> str:
    """One feed item with an enclosure derived from its guid."""
    return f"""<item><title>{title}</title><guid isPermaLink="false">{guid}</guid>
<pubDate>Tue, 01 Oct 2024 10:00:00 +0000</pubDate><description>About it.</description>
<enclosure url="https://tiny.example/{hashlib.md5(guid.encode()).hexdigest()}.mp3" length="1000"
 type="audio/mpeg"/>{extra}</item>"""


# --- Every host's feed becomes a valid production -------------------------------------------------

@pytest.mark.parametrize("host", HOSTS)
def test_each_hosts_feed_imports_into_a_production_that_validates(tmp_path: Path, host: str) -> None:
    root = imported(tmp_path, host)
    production, _ = check(root, base_url="https://new-home.example/")  # as the build below is run
    assert len(production.shows) == 1
    assert len(production.shows[0].episodes) == 3


@pytest.mark.parametrize("host", HOSTS)
def test_a_rebuilt_feed_has_the_same_episodes_guids_enclosures_durations_and_dates(
        tmp_path: Path, host: str) -> None:
    root = imported(tmp_path, host)
    result = invoke("build", root, "-o", tmp_path / "public", "--base-url", "https://new-home.example/")
    assert result.exit_code == 0, result.output
    rebuilt_feed = next((tmp_path / "public").glob("*/feed.xml"))

    def summary(path: Path) -> dict[str, tuple[Any, ...]]:
        parsed = podcastparser.parse(f"file://{path}", io.BytesIO(path.read_bytes()))
        return {e["guid"]: (e["title"], e["enclosures"][0]["url"], e["enclosures"][0]["file_size"],
                            e["total_time"], e["published"], e.get("number"), e.get("season"), e.get("type"))
                for e in parsed["episodes"] if e["enclosures"]}

    original, rebuilt = summary(FEEDS / f"{host}.xml"), summary(rebuilt_feed)
    assert len(original) == 3
    assert rebuilt == original


# --- Identity: guids, enclosures, dates ------------------------------------------------------------

def test_every_item_guid_is_kept_exactly_and_the_podops_guid_derives_from_it(tmp_path: Path) -> None:
    found = episodes(imported(tmp_path, "transistor"))
    assert set(found) == {"31415", "c0ffee123456", "a7d3e2f1-6b5c-4e9d-8a7f-3e2d1c0b9a8f"}
    numeric = found["31415"]["metadata"]
    assert numeric["guid"] == hashlib.sha256(b"31415").hexdigest()[:12]
    assert numeric["itemGuid"] == "31415"
    already_podops = found["c0ffee123456"]["metadata"]
    assert already_podops["guid"] == "c0ffee123456" and "itemGuid" not in already_podops


def test_url_guids_and_cdata_guids_are_kept_as_written(tmp_path: Path) -> None:
    found = episodes(imported(tmp_path, "libsyn"))
    assert "https://garageandcode.example/?p=42" in found
    assert "7d4f6c2a-1b3e-4c5d-9e8f-0a1b2c3d4e5f" in found


def test_enclosures_are_kept_exactly_with_size_type_and_duration(tmp_path: Path) -> None:
    found = episodes(imported(tmp_path, "anchor"))
    enclosure = found["3f9a2c1d-8b7e-4d6c-a5b4-c3d2e1f0a9b8"]["enclosure"]
    assert enclosure == {
        "uri": "https://anchor.fm/s/abc123/podcast/play/91234567/https%3A%2F%2Fd3ctxlq1ktw2nl.cloudfront.net"
               "%2Fstaging%2F2024-9-5%2F39012345-44100-2-a1b2c3d4e5f6.mp3",
        "rel": "external", "type": "audio/mpeg", "size": 41234567, "duration": 2577,
    }


@pytest.mark.parametrize(("written", "seconds"), [("01:02:03", 3723), ("45:30", 2730), ("00:05:27", 327)])
def test_durations_in_clock_form_become_seconds(tmp_path: Path, written: str, seconds: int) -> None:
    durations = {e["enclosure"]["duration"] for e in episodes(imported(tmp_path, "libsyn")).values()}
    assert seconds in durations


def test_dates_are_written_in_rfc_1123_at_utc(tmp_path: Path) -> None:
    found = episodes(imported(tmp_path, "buzzsprout"))
    assert found["Buzzsprout-15432877"]["metadata"]["date"] == "Fri, 04 Oct 2024 12:00:00 +0000"


# --- Labels and descriptions -----------------------------------------------------------------------

@pytest.mark.parametrize(("host", "guid", "explicit"), [
    ("libsyn", "7d4f6c2a-1b3e-4c5d-9e8f-0a1b2c3d4e5f", False),  # clean
    ("libsyn", "https://garageandcode.example/?p=42", True),  # yes
    ("buzzsprout", "Buzzsprout-15432876", True),  # true
    ("anchor", "5b4a3928-1706-4f5e-8d3c-2b1a0f9e8d7c", False),  # No
])
def test_explicit_in_any_spelling_becomes_a_boolean(tmp_path: Path, host: str, guid: str,
                                                    explicit: bool) -> None:
    assert episodes(imported(tmp_path, host))[guid]["metadata"]["labels"]["explicit"] is explicit


def test_episode_numbers_seasons_and_types_are_kept_and_missing_numbers_stay_missing(tmp_path: Path) -> None:
    found = episodes(imported(tmp_path, "buzzsprout"))
    assert found["Buzzsprout-15432876"]["metadata"]["labels"] == {
        "season": 2, "episode": 7, "type": "full", "explicit": True}
    assert found["Buzzsprout-15432877"]["metadata"]["labels"] == {
        "season": 2, "type": "bonus", "explicit": False}


def test_html_descriptions_are_kept_and_longer_notes_become_episode_text(tmp_path: Path) -> None:
    found = episodes(imported(tmp_path, "buzzsprout"))
    description = found["Buzzsprout-15432877"]["description"]
    assert description["summary"] == "<p>You asked about salt &amp; ice. We answered.</p>"
    assert 'href="https://en.wikipedia.org/wiki/Freezing-point_depression"' in description["episodeText"]
    assert "episodeText" not in found["Buzzsprout-15432875"]["description"]


def test_the_show_keeps_owner_author_language_link_type_and_podcasting_2_0_tags(tmp_path: Path) -> None:
    data = show(imported(tmp_path, "transistor"))
    assert data["metadata"]["labels"] == {"language": "en-us", "explicit": False, "type": "serial",
                                          "complete": False, "locked": False, "medium": "podcast"}
    assert data["description"]["owner"] == {"name": "Sam Rivera", "email": "hello@ledger.example"}
    assert data["description"]["author"] == "Ledger Media"
    assert data["description"]["link"] == {"uri": "https://ledger.example", "rel": "external"}
    assert "newFeedLink" not in data  # it points away from the new feed: see the tests below
    assert data["podcastGuid"] == "7a0c3c6e-2f4b-5d1e-9a8b-1c2d3e4f5a6b"
    assert data["funding"] == [{"uri": "https://ledger.example/members", "title": "Become a member"}]
    assert data["persons"] == [{"name": "Sam Rivera", "role": "host", "group": "cast"}]
    assert data["image"] == {"uri": "https://img.transistor.fm/founders-ledger/cover.jpg", "rel": "external"}
    assert "site" not in data


def test_locked_and_person_links_come_through(tmp_path: Path) -> None:
    data = show(imported(tmp_path, "buzzsprout"))
    assert data["metadata"]["labels"]["locked"] is True
    assert data["persons"][0] == {"name": "Dana Okafor", "role": "host",
                                  "img": "https://kitchenchemistry.example/dana.jpg",
                                  "href": "https://kitchenchemistry.example/dana"}


def test_base_url_is_set_only_when_given(tmp_path: Path) -> None:
    root = imported(tmp_path, "anchor", base_url="https://night.example/")
    assert show(root)["site"] == {"baseUrl": "https://night.example/"}


def test_categories_map_to_apples_current_list_and_obsolete_ones_are_dropped_with_warnings(
        tmp_path: Path) -> None:
    result = invoke("import", FEEDS / "libsyn.xml", "-o", tmp_path / "garage")
    assert result.exit_code == 0
    assert show(tmp_path / "garage")["description"]["category"] == [
        {"name": "Technology"}, {"name": "Leisure", "subcategory": ["Video Games"]},
        {"name": "Arts", "subcategory": ["Books"]}]
    assert ("libsyn.xml:23:1: warning: itunes:category: 'Software How-To' is not a subcategory"
            in result.output)
    assert "'Games & Hobbies' is now 'Leisure'" in result.output
    assert "item 'We are on YouTube now' has no enclosure: skipped" in result.output


def test_a_subcategory_that_moved_follows_it_to_its_new_category(tmp_path: Path) -> None:
    assert show(imported(tmp_path, "transistor"))["description"]["category"] == [
        {"name": "Business", "subcategory": ["Entrepreneurship"]}, {"name": "Technology"},
        {"name": "News", "subcategory": ["Tech News"]}]


# --- Podcasting 2.0: transcripts and chapters ------------------------------------------------------

def test_transcripts_keep_url_type_language_and_captions(tmp_path: Path) -> None:
    found = episodes(imported(tmp_path, "buzzsprout"))
    assert found["Buzzsprout-15432877"]["transcripts"] == [
        {"uri": "https://www.buzzsprout.com/2000001/15432877/transcript", "rel": "external",
         "type": "text/html"},
        {"uri": "https://www.buzzsprout.com/2000001/15432877/transcript.srt", "rel": "external",
         "type": "application/x-subrip", "captions": True}]
    assert found["Buzzsprout-15432876"]["transcripts"][0]["language"] == "en-us"


def test_the_old_github_namespace_uri_is_recognised(tmp_path: Path) -> None:
    found = episodes(imported(tmp_path, "anchor"))
    assert found["3f9a2c1d-8b7e-4d6c-a5b4-c3d2e1f0a9b8"]["transcripts"] == [
        {"uri": "https://anchor.fm/s/abc123/podcast/transcripts/91234567.vtt", "rel": "external",
         "type": "text/vtt"}]


@pytest.fixture
def feed_host(tmp_path: Path) -> Iterator[str]:
    """The fixture feeds (and their chapter files) served over real HTTP, as share.transistor.fm."""
    folder = tmp_path / "host"
    shutil.copytree(FEEDS, folder)
    server, url = start_server(folder)
    feed = folder / "transistor.xml"
    feed.write_text(feed.read_text().replace("https://share.transistor.fm/", url))
    yield url
    stop_server(server)


def test_a_feed_imports_over_http_and_its_chapters_json_is_fetched(tmp_path: Path, feed_host: str) -> None:
    out = tmp_path / "ledger"
    result = import_feed(feed_host + "transistor.xml", out, allow_private=True)
    assert result.episodes == 3
    chapter_warnings = [w.message for w in result.warnings if w.field == "podcast:chapters"]
    assert len(chapter_warnings) == 1 and "has no startTime or title: dropped" in chapter_warnings[0]
    found = episodes(out)
    assert found["31415"]["chapters"] == [
        {"start": 0, "title": "Cold open"},
        {"start": 95.5, "title": "Writing the invoice", "url": "https://ledger.example/invoice-template"},
        {"start": 1200, "title": "Still waiting", "img": "https://img.transistor.fm/founders-ledger/waiting.jpg"}]
    assert found["c0ffee123456"]["chapters"][1] == {"start": 300, "title": "The job ad", "toc": False}
    production, _ = check(out)
    assert len(production.shows[0].episodes) == 3


def test_offline_imports_skip_remote_chapters_with_a_warning(tmp_path: Path) -> None:
    result = import_feed(str(FEEDS / "transistor.xml"), tmp_path / "ledger", offline=True)
    assert any("not fetched (offline)" in w.message for w in result.warnings)
    assert "chapters" not in episodes(tmp_path / "ledger")["31415"]


def test_chapters_next_to_a_local_feed_are_read_and_paths_out_of_its_folder_are_not(tmp_path: Path) -> None:
    (tmp_path / "feed/chapters").mkdir(parents=True)
    (tmp_path / "feed/chapters/one.json").write_text('{"chapters": [{"startTime": 0, "title": "Start"}]}')
    (tmp_path / "secret.json").write_text('{"chapters": [{"startTime": 0, "title": "SECRET"}]}')
    feed = tmp_path / "feed/feed.xml"
    feed.write_text(rss(items=item("one", "First one", '<podcast:chapters url="chapters/one.json"/>')
                        + item("two", "Second one", '<podcast:chapters url="../secret.json"/>')))
    result = import_feed(str(feed), tmp_path / "out")
    found = episodes(tmp_path / "out")
    assert found["one"]["chapters"] == [{"start": 0, "title": "Start"}]
    assert "chapters" not in found["two"]
    assert any("outside the feed's folder" in w.message for w in result.warnings)


# --- Names -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("title", "name"), [
    ("Floppy Disks & Other Failures", "floppy-disks-other-failures"),
    ("The Founder's Ledger", "the-founders-ledger"),
    ("Ça va? Épisode 1", "ca-va-episode-1"),
    ("ER", "er-episode"),
    ("東京", "episode-0123456789ab"),
    ("A very long title that goes on and on well past forty-four characters",
     "a-very-long-title-that-goes-on-and-on-well"),
])
def test_names_are_slugs_of_titles_padded_when_short(title: str, name: str) -> None:
    made = unique_name(title, set(), "episode", "0123456789ab")
    assert made == name
    assert __import__("re").match(NAME_PATTERN, made)


def test_repeated_titles_get_numbered_names() -> None:
    taken: set[str] = set()
    names = [unique_name("Listener questions", taken, "episode", "0" * 12) for _ in range(3)]
    assert names == ["listener-questions", "listener-questions-2", "listener-questions-3"]
    assert slugify("--Hello, World!--") == "hello-world"


def test_an_import_with_repeated_titles_still_validates(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(items="".join(item(str(n), "Q&amp;A") for n in range(3))))
    import_feed(str(feed), tmp_path / "out")
    names = sorted(e["metadata"]["name"] for e in episodes(tmp_path / "out").values())
    assert names == ["q-a-episode", "q-a-episode-2", "q-a-episode-3"]
    check(tmp_path / "out")


def test_duplicate_guids_in_the_feed_keep_the_first_item_and_warn(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(items=item("same", "First") + item("same", "Again")))
    result = import_feed(str(feed), tmp_path / "out")
    assert [e["description"]["title"] for e in episodes(tmp_path / "out").values()] == ["First"]
    assert any("duplicate guid" in w.message for w in result.warnings)


# --- Safety ----------------------------------------------------------------------------------------

def test_an_external_entity_feed_is_refused_and_leaks_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN")
    feed = tmp_path / "xxe.xml"
    feed.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
                    + rss(title="&xxe;", items=item("1"))[len('<?xml version="1.0"?>\n'):])
    result = invoke("import", feed, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "declares XML entities" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_billion_laughs_feed_is_refused_quickly(tmp_path: Path) -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10))
    feed = tmp_path / "bomb.xml"
    feed.write_text(f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]>'
                    + rss(title="&lol9;", items=item("1"))[len('<?xml version="1.0"?>\n'):])
    started = time.perf_counter()
    with pytest.raises(PodopsError, match="declares XML entities|entity amplification"):
        import_feed(str(feed), tmp_path / "out")
    assert time.perf_counter() - started < 1


def test_malformed_xml_is_reported_at_its_line(tmp_path: Path) -> None:
    feed = tmp_path / "broken.xml"
    feed.write_text(rss(items=item("1", "Fish & Chips")))
    result = invoke("import", feed, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "broken.xml:6:20: not well-formed XML: xmlParseEntityRef: no name\n" in result.output


def test_only_rss_is_accepted(tmp_path: Path) -> None:
    feed = tmp_path / "atom.xml"
    feed.write_text('<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>')
    with pytest.raises(PodopsError, match="not an RSS 2.0 feed"):
        import_feed(str(feed), tmp_path / "out")


@pytest.mark.parametrize("source", ["file:///etc/passwd", "ftp://example.com/feed.xml"])
def test_only_files_and_http_urls_are_fetched(tmp_path: Path, source: str) -> None:
    with pytest.raises(PodopsError, match="only files and http"):
        import_feed(source, tmp_path / "out")


def test_an_http_error_is_a_clear_error(tmp_path: Path, feed_host: str) -> None:
    result = invoke("import", feed_host + "missing.xml", "-o", tmp_path / "out", "--allow-private")
    assert result.exit_code == 1 and "HTTP 404" in result.output


def test_an_import_never_overwrites_a_production(tmp_path: Path) -> None:
    out = imported(tmp_path, "anchor")
    before = (out / "show.yaml").read_bytes()
    result = invoke("import", FEEDS / "anchor.xml", "-o", out)
    assert result.exit_code == 1
    assert "show.yaml: already exists" in result.output
    assert (out / "show.yaml").read_bytes() == before


# --- Subscribers stay where they are ------------------------------------------------------------------

def test_a_new_feed_url_pointing_away_is_not_carried_and_is_named_with_its_line(tmp_path: Path) -> None:
    result = import_feed(str(FEEDS / "transistor.xml"), tmp_path / "out", offline=True)
    assert "newFeedLink" not in show(tmp_path / "out")
    assert any(str(w).startswith("transistor.xml:9:") and "itunes:new-feed-url" in str(w)
               and "https://feeds.transistor.fm/founders-ledger points away from the new feed" in str(w)
               and "--keep-new-feed-url" in str(w) for w in result.warnings)


def test_keep_new_feed_url_keeps_it(tmp_path: Path) -> None:
    root = imported(tmp_path, "transistor", keep_new_feed_url=True)
    assert show(root)["newFeedLink"] == {"uri": "https://feeds.transistor.fm/founders-ledger", "rel": "external"}
    cli = invoke("import", str(FEEDS / "transistor.xml"), "-o", tmp_path / "cli", "--offline", "--keep-new-feed-url")
    assert cli.exit_code == 0, cli.output
    assert show(tmp_path / "cli")["newFeedLink"]["uri"] == "https://feeds.transistor.fm/founders-ledger"


def test_a_new_feed_url_naming_the_new_feed_is_carried(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(title="Tiny Show", items=item("1"),
                        channel="<itunes:new-feed-url>https://new.example/tiny-show/feed.xml"
                                "</itunes:new-feed-url>"))
    result = import_feed(str(feed), tmp_path / "out", base_url="https://new.example/")
    assert show(tmp_path / "out")["newFeedLink"]["uri"] == "https://new.example/tiny-show/feed.xml"
    assert not any("new-feed-url" in str(w) for w in result.warnings)


def test_every_dropped_element_is_named_with_its_line(tmp_path: Path) -> None:
    channel = ("<webMaster>web@tiny.example</webMaster>\n<managingEditor>ed@tiny.example</managingEditor>\n"
               "<itunes:order>1</itunes:order>\n<my:custom xmlns:my='https://my.example/ns'>x</my:custom>\n")
    extra = ("\n<itunes:author>Guest Host</itunes:author>\n<itunes:title>Another title</itunes:title>\n"
             "<media:content xmlns:media='http://search.yahoo.com/mrss/' url='https://tiny.example/v.mp4'/>\n"
             "<itunes:summary>About it.</itunes:summary>")
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(channel=channel, items=item("1", extra=extra)))
    result = import_feed(str(feed), tmp_path / "out")
    lines = feed.read_text().splitlines()
    dropped = {w.field: w for w in result.warnings}
    for tag in ("webMaster", "managingEditor", "itunes:order", "my:custom", "itunes:author", "itunes:title",
                "media:content"):
        assert tag in dropped, (tag, [str(w) for w in result.warnings])
        assert f"<{tag}" in lines[dropped[tag].line - 1]
    assert "itunes:summary" not in dropped  # it says what the description says


@pytest.mark.parametrize("email, kept", [("a@b_c.com", False), ("host@tiny.example", True),
                                         ("not an address", False), ("a@b", False)])
def test_import_applies_the_validators_e_mail_rule(tmp_path: Path, email: str, kept: bool) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(items=item("1"), channel=f"<itunes:owner><itunes:name>O</itunes:name>"
                                                  f"<itunes:email>{email}</itunes:email></itunes:owner>"))
    result = import_feed(str(feed), tmp_path / "out", base_url="https://new.example/")
    assert ("owner" in show(tmp_path / "out")["description"]) is kept
    assert any("not an e-mail address" in str(w) for w in result.warnings) is not kept
    assert invoke("validate", tmp_path / "out", "--no-media").exit_code == 0


@pytest.mark.parametrize("language, expected", [("en-US", "en-us"), ("EN_gb", "en-gb"), ("de", "de"),
                                                ("en-US-x-twain", "en"), ("english", None), ("xx", None)])
def test_import_applies_the_validators_language_rule(tmp_path: Path, language: str, expected: str | None) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(items=item("1"), channel=f"<language>{language}</language>"))
    import_feed(str(feed), tmp_path / "out", base_url="https://new.example/")
    assert show(tmp_path / "out")["metadata"].get("labels", {}).get("language") == expected
    assert invoke("validate", tmp_path / "out", "--no-media").exit_code == 0


def test_the_next_step_names_the_base_url_when_the_feed_has_no_site(tmp_path: Path) -> None:
    result = invoke("import", str(FEEDS / "buzzsprout.xml"), "-o", tmp_path / "out", "--offline")
    assert result.exit_code == 0, result.output
    assert f"next: podops validate {tmp_path / 'out'} --base-url URL" in result.stderr
    lines = [line for line in result.stderr.splitlines() if ": warning: " in line]
    assert lines == sorted(lines, key=lambda line: int(line.split(":")[1]))  # in feed order


def test_private_addresses_are_refused_by_the_check_each_request_and_redirect_hop_runs() -> None:
    from podops.commands.feedreader import check_host

    for url in ("http://127.0.0.1/x", "http://localhost/x", "http://[::1]/x", "http://10.1.2.3/x",
                "http://169.254.169.254/latest/"):
        with pytest.raises(PodopsError, match="--allow-private"):
            check_host(url, allow_private=False)
        check_host(url, allow_private=True)


# --- Live items become a channel -------------------------------------------------------------------

LIVE = """<podcast:liveItem status="{status}" start="{start}" end="{end}">
<title>{title}</title><guid>{guid}</guid><description>Live with &lt;b&gt;guests&lt;/b&gt;.</description>
<enclosure url="http://radio.tiny.example:8000/live" type="audio/mpeg" length="0"/>
<podcast:alternateEnclosure type="audio/mpeg" bitrate="128000" default="true">
  <podcast:source uri="https://radio.tiny.example:8443/live"/></podcast:alternateEnclosure>
<podcast:alternateEnclosure type="application/x-mpegURL"><podcast:source uri="https://radio.tiny.example/live.m3u8"/>
</podcast:alternateEnclosure>
<podcast:contentLink href="https://old-host.example/live">Listen live</podcast:contentLink>
<podcast:person role="host">Ada</podcast:person>
</podcast:liveItem>"""
BROADCASTS = [("ended", "2026-11-30T08:00:00.000+01:00", "2026-11-30T10:00:00.000+01:00", "Monday", "live-mon"),
              ("live", "2026-12-01T08:00:00+01:00", "2026-12-01T10:00:00+01:00", "Tuesday", "live-tue"),
              ("pending", "2026-12-02T07:00:00Z", "2026-12-02T09:00:00Z", "Wednesday", "e32b4890-983b-4ce5")]


def test_live_items_become_a_channel_whose_rebuilt_feed_announces_the_same_broadcasts(tmp_path: Path) -> None:
    from conftest import DURING
    from lxml import etree

    lives = "".join(LIVE.format(status=s, start=a, end=b, title=t, guid=g) for s, a, b, t, g in BROADCASTS)
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(channel=lives, items=item("ep-1")))
    out = tmp_path / "out"
    result = invoke("import", feed, "-o", out, "--offline", "--base-url", "https://new.example/")
    assert result.exit_code == 0, result.output
    assert "imported 1 episode(s) and 1 live channel(s)" in result.stderr
    assert "podcast:liveItem" not in result.stderr  # read, not dropped
    [path] = (out / "channels").glob("channel-*.yaml")
    channel = load(path, path.name)
    assert channel["kind"] == "channel" and channel["metadata"]["parent"] == show(out)["metadata"]["guid"]
    assert channel["stream"] == {"url": "http://radio.tiny.example:8000/live",
                                 "secureUrl": "https://radio.tiny.example:8443/live",
                                 "hlsUrl": "https://radio.tiny.example/live.m3u8", "format": "mp3", "bitrate": 128}
    assert [(e["title"], e["guid"]) for e in channel["schedule"]] == [(t, g) for *_, t, g in BROADCASTS]
    assert channel["schedule"][0]["persons"] == [{"name": "Ada", "role": "host"}]
    site = tmp_path / "site"
    built = invoke("build", out, "-o", site, env={"SOURCE_DATE_EPOCH": str(DURING)})
    assert built.exit_code == 0, built.output
    rebuilt = etree.parse(str(next(site.glob("*/feed.xml")))).getroot()
    items = rebuilt.iter("{https://podcastindex.org/namespace/1.0}liveItem")
    assert [(i.findtext("guid"), i.get("status")) for i in items] == [(g, s) for s, *_, g in BROADCASTS]


def test_a_live_item_without_a_stream_or_start_is_skipped_and_one_without_an_end_gets_an_hour(
        tmp_path: Path) -> None:
    broken = ('<podcast:liveItem status="pending" start="soon"><title>When?</title>'
              '<enclosure url="http://radio.tiny.example/live" type="audio/mpeg" length="0"/></podcast:liveItem>'
              '<podcast:liveItem status="pending" start="2026-12-02T07:00:00Z"><title>Silent</title></podcast:liveItem>'
              '<podcast:liveItem status="pending" start="2026-12-02T07:00:00Z"><title>Open end</title>'
              '<enclosure url="http://radio.tiny.example/live" type="audio/aac" length="0"/></podcast:liveItem>')
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(channel=broken, items=item("ep-1")))
    result = import_feed(str(feed), tmp_path / "out", offline=True)
    messages = [str(w) for w in result.warnings]
    assert any("'When?'" in m and "no ISO 8601 date: skipped" in m for m in messages)
    assert any("'Silent'" in m and "no stream" in m for m in messages)
    assert any("'Open end'" in m and "read as one hour long" in m for m in messages)
    [path] = (tmp_path / "out" / "channels").glob("*.yaml")
    channel = load(path, path.name)
    assert channel["stream"]["format"] == "aac"
    assert channel["schedule"] == [{"title": "Open end", "start": "2026-12-02T07:00:00+00:00",
                                    "end": "2026-12-02T08:00:00+00:00"}]
    assert check(tmp_path / "out", base_url="https://new.example/")[0].shows[0].channels
