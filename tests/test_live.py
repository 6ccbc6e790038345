"""Live channels: statuses at the build's "now", podcast:liveItem in the feed, and the live page
playing a real Icecast stream in Chromium with the listener count the server reports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import browser
import icecast
import pytest
from conftest import AFTER, BEFORE, CHANNEL, DATA, DURING, SHOW, invoke, write_production
from lxml import etree

from podops import live
from podops.build import build
from podops.commands.server import start_server, stop_server
from podops.model import Channel, LiveEvent, Slot

PODCAST = "https://podcastindex.org/namespace/1.0"
P = f"{{{PODCAST}}}"
XSD = DATA / "schemas" / "podcast-wrapper.xsd"
CHANNEL_FILE = "channels/morning-live-radio.yaml"
UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def event(start: str, end: str, title: str = "On air") -> LiveEvent:
    return LiveEvent(title, at(start), at(end), live.event_guid("0c4a11ce0001", at(start)))


def channel(**fields: Any) -> Channel:
    return Channel(Path("c.yaml"), "c.yaml", {}, name="morning-live-radio", guid="0c4a11ce0001",
                   parent="aaa94297acfc", stream_url="http://radio.example.org/live", **fields)


def built_feed(root: Path, out: Path, epoch: int) -> etree._Element:
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        build(root, out, workers=1)
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    return etree.parse(str(out / "test-show" / "feed.xml")).getroot()


def statuses(feed: etree._Element) -> list[tuple[str, str]]:
    return [(i.findtext("title") or "", i.get("status") or "") for i in feed.iter(f"{P}liveItem")]


# --- statuses, as live-item.md defines them -------------------------------------------------

def test_a_broadcast_is_pending_before_its_start_live_until_its_end_and_ended_after() -> None:
    show = event("2026-12-01T08:00:00Z", "2026-12-01T10:00:00Z")
    assert live.status(show, at("2026-12-01T07:59:59Z")) == "pending"
    assert live.status(show, at("2026-12-01T08:00:00Z")) == "live"
    assert live.status(show, at("2026-12-01T09:59:59Z")) == "live"
    assert live.status(show, at("2026-12-01T10:00:00Z")) == "ended"


def test_ended_broadcasts_leave_after_keep_ended_days() -> None:
    old = event("2026-11-20T08:00:00Z", "2026-11-20T09:00:00Z", "old")
    recent = event("2026-11-28T08:00:00Z", "2026-11-28T09:00:00Z", "recent")
    now = at("2026-12-01T12:00:00Z")
    shown = live.announce(channel(events=[recent, old]), now, keep_days=7)
    assert [(e.title, e.status) for e in shown] == [("recent", "ended")]
    assert live.announce(channel(events=[recent, old]), now, keep_days=0) == []


def test_weekly_slots_follow_their_time_zone_across_daylight_saving() -> None:
    slot = Slot("Breakfast", [0], "07:30", 3600, "Europe/Berlin")  # Mondays 07:30 in Berlin
    events = live.expand(channel(), slot, at("2026-10-20T00:00:00Z"), keep_days=0)
    starts = [e.start.isoformat() for e in events]
    # summer time (CEST) until 25 October, then CET; two weeks ahead, a day back
    assert starts == ["2026-10-19T05:30:00+00:00", "2026-10-26T06:30:00+00:00", "2026-11-02T06:30:00+00:00"]
    assert all(e.guid == live.event_guid("0c4a11ce0001", e.start) for e in events)


def test_overlapping_broadcasts_are_found_and_back_to_back_ones_are_not() -> None:
    a = event("2026-12-01T08:00:00Z", "2026-12-01T10:00:00Z", "a")
    b = event("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z", "b")
    c = event("2026-12-01T09:30:00Z", "2026-12-01T12:00:00Z", "c")
    assert [(x.title, y.title) for x, y in live.overlaps([a, b, c])] == [("a", "c"), ("c", "b")]


def test_the_next_change_is_the_next_start_end_or_departure() -> None:
    a = event("2026-12-01T08:00:00Z", "2026-12-01T10:00:00Z")
    keep = {"aaa94297acfc": 7}
    assert live.next_change([channel(events=[a])], at("2026-12-01T07:00:00Z"), keep) == a.start
    assert live.next_change([channel(events=[a])], at("2026-12-01T09:00:00Z"), keep) == a.end
    assert live.next_change([channel(events=[a])], at("2026-12-02T09:00:00Z"), keep) == a.end + timedelta(days=7)


# --- the resource ------------------------------------------------------------------------------

def check(tmp_path: Path, text: str) -> Any:
    root = write_production(tmp_path / "prod", {CHANNEL_FILE: text})
    return invoke("validate", root)


def test_a_channel_validates(tmp_path: Path) -> None:
    result = check(tmp_path, CHANNEL)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("field, line", [("password", "  password: hackme\n"),
                                         ("admin_password", "  admin_password: hackme\n"),
                                         ("youtube_stream_key", "  youtube_stream_key: abcd-efgh\n"),
                                         ("sc_authhash", "  sc_authhash: 0123abcd\n")])
def test_a_secret_is_refused_at_its_line_and_never_repeated(tmp_path: Path, field: str, line: str) -> None:
    text = CHANNEL.replace("  server: icecast\n", "  server: icecast\n" + line)
    result = check(tmp_path, text)
    number = text.splitlines().index(line.rstrip("\n")) + 1
    assert result.exit_code == 1
    assert f"{CHANNEL_FILE}:{number}:3: stream.{field}: is a secret, and secrets do not belong in Git" in result.output
    assert "unknown field" not in result.output
    assert line.split(": ")[1].strip() not in result.output


def test_a_secret_deep_in_a_broadcast_is_refused_too(tmp_path: Path) -> None:
    text = CHANNEL.replace("    description: With a *guest*.\n",
                           "    description: With a *guest*.\n    shoutcast_license_key: XYZ\n")
    result = check(tmp_path, text)
    assert "schedule[1].shoutcast_license_key: is a secret" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("change, message", [
    (("url: http://radio.example.org:8000/live", "url: rtmp://radio.example.org/live"),
     "stream.url: must be an absolute http(s) URL"),
    (("format: mp3", "format: wma"), "stream.format: 'wma' is not allowed"),
    (("server: icecast", "server: wowza"), "stream.server: 'wowza' is not allowed"),
    (("end: 2026-12-02T10:00:00+01:00", "end: 2026-12-02T07:00:00+01:00"), "schedule[2].end: must be after start"),
    (("parent: aaa94297acfc", "parent: 6d1048a48504"), "the parent of a channel must be a show"),
    (("parent: aaa94297acfc", "parent: 123456789abc"), "'123456789abc' names no show"),
    (("start: 2026-11-30T08:00:00+01:00", "start: 2026-11-30 08:00"), "schedule[0].start: date has no timezone"),
])
def test_bad_channels_are_refused_with_a_located_message(tmp_path: Path, change: tuple[str, str],
                                                         message: str) -> None:
    result = check(tmp_path, CHANNEL.replace(*change))
    assert result.exit_code == 1
    assert message in result.output, result.output


def test_overlapping_broadcasts_are_a_warning(tmp_path: Path) -> None:
    result = check(tmp_path, CHANNEL.replace("end: 2026-12-01T10:00:00+01:00", "end: 2026-12-02T09:00:00+01:00"))
    assert result.exit_code == 0
    assert "warning: schedule[2].start: overlaps schedule[1] ('Tuesday morning')" in result.output


def test_an_https_site_warns_of_http_streams_and_status_urls_browsers_will_block(tmp_path: Path) -> None:
    text = (CHANNEL.replace("  secureUrl: https://radio.example.org:8443/live\n", "")
            .replace("statusUrl: https://radio.example.org:8443/", "statusUrl: http://radio.example.org:8000/"))
    result = check(tmp_path, text)
    assert result.exit_code == 0
    assert f"{CHANNEL_FILE}:11:3: warning: stream.url: is http and there is no stream.secureUrl" in result.output
    assert f"{CHANNEL_FILE}:16:3: warning: stream.statusUrl: is http while the site is https" in result.output
    assert "browsers will not" not in check(tmp_path / "again", CHANNEL).output


def test_a_bad_weekly_slot_is_refused(tmp_path: Path) -> None:
    slot = ("recurring:\n  - title: Breakfast\n    days: [monday, funday]\n    time: '25:00'\n"
            "    duration: '1:00:00'\n    timezone: Mars/Olympus\n")
    result = check(tmp_path, CHANNEL + slot)
    assert "recurring[0].days[1]: 'funday' is not allowed" in result.output
    assert "recurring[0].time: '25:00' is not a time of day" in result.output
    assert "recurring[0].timezone: 'Mars/Olympus' is not an IANA time zone" in result.output


# --- the feed ----------------------------------------------------------------------------------

@pytest.fixture
def station_production(tmp_path: Path) -> Path:
    return write_production(tmp_path / "prod", {CHANNEL_FILE: CHANNEL})


def test_the_feed_moves_statuses_with_source_date_epoch(station_production: Path, tmp_path: Path) -> None:
    titles = ["Monday morning", "Tuesday morning", "Wednesday morning"]
    before = built_feed(station_production, tmp_path / "before", BEFORE)
    during = built_feed(station_production, tmp_path / "during", DURING)
    after = built_feed(station_production, tmp_path / "after", AFTER)
    assert statuses(before) == list(zip(titles, ["pending"] * 3, strict=True))
    assert statuses(during) == list(zip(titles, ["ended", "live", "pending"], strict=True))
    assert statuses(after) == list(zip(titles, ["ended"] * 3, strict=True))
    guids = [[i.findtext("guid") for i in f.iter(f"{P}liveItem")] for f in (before, during, after)]
    assert guids[0] == guids[1] == guids[2] and len(set(guids[0])) == 3


def test_a_live_item_follows_the_namespace(station_production: Path, tmp_path: Path) -> None:
    feed = built_feed(station_production, tmp_path / "out", DURING)
    item = [i for i in feed.iter(f"{P}liveItem") if i.get("status") == "live"][0]
    assert item.getparent().tag == "channel"
    assert item.get("start") == "2026-12-01T07:00:00+00:00" and item.get("end") == "2026-12-01T09:00:00+00:00"
    assert datetime.fromisoformat(item.get("end") or "") > datetime.fromisoformat(item.get("start") or "")
    enclosure = item.find("enclosure")
    assert enclosure is not None
    assert (enclosure.get("url"), enclosure.get("type")) == ("http://radio.example.org:8000/live", "audio/mpeg")
    alternates = item.findall(f"{P}alternateEnclosure")
    sources = [[s.get("uri") for s in a.findall(f"{P}source")] for a in alternates]
    assert sources == [["https://radio.example.org:8443/live", "http://radio.example.org:8000/live"],
                       ["https://radio.example.org/hls/live.m3u8"]]
    assert [a.get("type") for a in alternates] == ["audio/mpeg", "application/vnd.apple.mpegurl"]
    assert alternates[0].get("default") == "true" and alternates[0].get("bitrate") == "128000"
    link = item.find(f"{P}contentLink")
    assert link is not None and link.get("href") == "https://example.com/test-show/live/morning-live-radio/"
    assert "<em>guest</em>" in (item.findtext("description") or "")
    # the namespace XSD does not define liveItem; what it defines inside one must validate
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    declared = {e.get("name") for e in etree.parse(str(DATA / "schemas" / "podcast.xsd")).getroot()
                if e.get("name")}
    for child in item:
        if child.tag.startswith(P) and child.tag[len(P):] in declared:
            wrapper = etree.Element(f"{P}test-wrapper", nsmap={None: PODCAST})
            wrapper.append(etree.fromstring(etree.tostring(child)))
            assert schema.validate(wrapper), schema.error_log


def test_private_channels_and_old_broadcasts_stay_out(tmp_path: Path) -> None:
    private = write_production(tmp_path / "private", {CHANNEL_FILE: CHANNEL.replace("public: true", "public: false")})
    assert statuses(built_feed(private, tmp_path / "p", DURING)) == []
    assert not (tmp_path / "p" / "test-show" / "live").exists()
    keep = write_production(tmp_path / "keep", {
        CHANNEL_FILE: CHANNEL,
        "show.yaml": SHOW + "live:\n  keepEndedDays: 0\n"})
    assert statuses(built_feed(keep, tmp_path / "k", DURING)) == [("Tuesday morning", "live"),
                                                                    ("Wednesday morning", "pending")]


def test_a_build_without_source_date_epoch_is_due_again_when_a_status_moves(station_production: Path,
                                                                           tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = build(station_production, out, workers=1, now=datetime.fromtimestamp(BEFORE, UTC))
    same = build(station_production, out, workers=1, now=datetime.fromtimestamp(BEFORE + 60, UTC))
    assert not first.skipped and same.skipped
    moved = build(station_production, out, workers=1, now=datetime.fromtimestamp(DURING, UTC))
    assert not moved.skipped
    assert 'status="live"' in (out / "test-show" / "feed.xml").read_text()


def test_the_live_page_lists_the_schedule_and_the_show_page_links_it(station_production: Path,
                                                                      tmp_path: Path) -> None:
    out = tmp_path / "out"
    built_feed(station_production, out, DURING)
    page = (out / "test-show/live/morning-live-radio/index.html").read_text()
    assert '<audio id="live-player" class="live__player" controls preload="none" ' \
           'src="https://radio.example.org:8443/live"' in page  # the site is https: so is the stream
    live_now, upcoming = page.index("Live now"), page.index("Upcoming")
    assert live_now < page.index("Tuesday morning") < upcoming < page.index("Wednesday morning") \
        < page.index("Recent") < page.index("Monday morning")
    assert 'href="live/morning-live-radio/index.html"' in (out / "test-show/index.html").read_text()
    assert "https://example.com/test-show/live/morning-live-radio/" in (out / "sitemap.xml").read_text()
    jar = browser.vnu_jar()
    if jar is None:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"needs java, vnu.jar: {browser.VNU_INSTALL}")
    assert browser.html_errors(jar, [out / "test-show/live/morning-live-radio/index.html",
                                     out / "test-show/index.html"]) == []


# --- the live page with a real Icecast stream, in Chromium -----------------------------------------

needs_station = pytest.mark.skipif(icecast.missing() is not None or browser.missing() is not None,
                                   reason=icecast.missing() or browser.missing() or "")


@pytest.fixture(scope="module")
def station() -> Iterator[icecast.Station]:
    """Icecast on a free loopback port, streaming a real MP3 on /live."""
    with icecast.station(DATA / "media" / "cbr.mp3") as running:
        yield running


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium = browser.start_driver(tmp_path_factory.mktemp("chromium-profile"))
    chromium.set_page_load_timeout(30)
    yield chromium
    chromium.quit()


@contextmanager
def served_live_page(tmp_path: Path, stream_url: str, status_url: str) -> Iterator[str]:
    """Build a production whose channel streams from ``stream_url``; yield its live page's URL."""
    text = (CHANNEL.replace("http://radio.example.org:8000/live", stream_url)
            .replace("https://radio.example.org:8443/status-json.xsl", status_url)
            .replace("  secureUrl: https://radio.example.org:8443/live\n", ""))
    root = write_production(tmp_path / "prod", {CHANNEL_FILE: text})
    site = tmp_path / "site"
    site.mkdir()
    server, base_url = start_server(site)
    try:
        os.environ["SOURCE_DATE_EPOCH"] = str(DURING)
        try:
            build(root, site, base_url=base_url, workers=1)
        finally:
            del os.environ["SOURCE_DATE_EPOCH"]
        yield base_url + "test-show/live/morning-live-radio/"
    finally:
        stop_server(server)


@needs_station
@pytest.mark.browser
def test_the_live_page_plays_the_stream_and_shows_the_servers_listener_count(
        station: icecast.Station, driver: Any, tmp_path: Path) -> None:
    station.set_title("Morning news")
    icecast.wait_for(lambda: (station.source() or {}).get("title"), 10, lambda: "the title never showed")
    with served_live_page(tmp_path, station.stream_url, station.status_url) as url:
        driver.get_log("browser")
        driver.get(url)
        browser.wait_until(driver, "return document.getElementById('now-playing').textContent"
                                   ".includes('Morning news')", timeout=15)
        driver.execute_script("document.getElementById('live-player').play()")
        browser.wait_until(driver, "return document.getElementById('live-player').currentTime > 0", timeout=20)
        start = float(driver.execute_script("return document.getElementById('live-player').currentTime"))
        browser.wait_until(driver, f"return document.getElementById('live-player').currentTime > {start} + 1",
                           timeout=15)
        listening = icecast.wait_for(lambda: (station.source() or {}).get("listeners"), 10,
                                     lambda: "Icecast never counted the browser")
        shown = f"{listening} listener" + ("" if listening == 1 else "s")
        browser.wait_until(driver, "return document.getElementById('listeners').textContent === "
                                   f"'{shown}'", timeout=15)
        assert driver.execute_script("return document.getElementById('on-air').textContent") == "On air"
        assert driver.execute_script("return document.getElementById('live-status-note').hidden") is True
        severe = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == []
        driver.execute_script("document.getElementById('live-player').pause()")


@pytest.mark.skipif(browser.missing() is not None, reason=browser.missing() or "")
@pytest.mark.browser
def test_without_a_readable_status_the_page_keeps_its_schedule(driver: Any, tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{icecast.free_port()}"
    with served_live_page(tmp_path, nowhere + "/live", nowhere + "/status-json.xsl") as url:
        driver.get(url)
        browser.wait_until(driver, "return !document.getElementById('live-status-note').hidden", timeout=15)
        assert driver.execute_script("return document.getElementById('listeners').hidden") is True
        assert "Tuesday morning" in driver.execute_script("return document.getElementById('main').textContent")
        # the on-air mark now follows the schedule by the browser's clock
        now = datetime.now(UTC)
        events = [(at(s), at(e)) for s, e in (("2026-11-30T07:00:00Z", "2026-11-30T09:00:00Z"),
                                               ("2026-12-01T07:00:00Z", "2026-12-01T09:00:00Z"),
                                               ("2026-12-02T07:00:00Z", "2026-12-02T09:00:00Z"))]
        expected = "On air" if any(start <= now < end for start, end in events) else "Off air"
        assert driver.execute_script("return document.getElementById('on-air').textContent") == expected


@pytest.mark.skipif(browser.missing() is not None, reason=browser.missing() or "")
@pytest.mark.browser
def test_the_live_page_is_accessible_light_or_dark_wide_or_narrow(driver: Any, tmp_path: Path) -> None:
    script = browser.axe_script()
    if script is None:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"needs axe-core: {browser.AXE_INSTALL}")
    assert script is not None
    nowhere = f"http://127.0.0.1:{icecast.free_port()}"
    problems = []
    with served_live_page(tmp_path, nowhere + "/live", nowhere + "/status-json.xsl") as url:
        try:
            for scheme in ("light", "dark"):
                browser.color_scheme(driver, scheme)
                for width in (1280, 360):
                    browser.set_viewport(driver, width, 900, mobile=width < 600)
                    driver.get(url)
                    browser.wait_until(driver, "return !document.getElementById('live-status-note').hidden",
                                       timeout=15)  # the page as it stays when the status cannot be read
                    problems += [f"{scheme} {width}px: {p}" for p in browser.axe_violations(driver, script)]
                    undecided = driver.execute_async_script(
                        "const done = arguments[arguments.length - 1];"
                        "axe.run(document, {runOnly: ['color-contrast'], resultTypes: ['incomplete']})"
                        ".then(r => done(r.incomplete.flatMap(v => v.nodes.map(n => n.target.join(' ')))));")
                    problems += [f"{scheme} {width}px: contrast undecided: {t}" for t in undecided]
        finally:
            browser.color_scheme(driver, "light")
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert problems == []
