"""``podops serve``: a real preview over real sockets that rebuilds when a resource changes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import CHANNEL, MEDIA

from podops.commands.preview import Preview

TIMEOUT = 10.0


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET a URL and return status, headers and body, also for error statuses."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def eventually(check: Callable[[], bool], what: str) -> None:
    """Poll until ``check()`` holds: rebuilds happen in the background."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def version(preview: Preview) -> dict[str, object]:
    """What open pages poll: the build counter and the last error."""
    return json.loads(fetch(preview.url + "__podops__/version")[2])


@pytest.fixture
def preview(production: Callable[..., Path]) -> Iterator[Preview]:
    """The test production, built and served on a free port, watched for changes."""
    with Preview(production(), port=0) as running:
        yield running


def test_the_preview_builds_with_its_own_address_as_base_url(preview: Preview) -> None:
    status, headers, feed = fetch(preview.url + "test-show/feed.xml")
    assert status == 200 and headers["Content-Type"] == "application/rss+xml"
    assert f'url="{preview.url}test-show/media/assets/ep.mp3"'.encode() in feed
    assert version(preview) == {"version": 1, "error": None}


def test_audio_is_served_with_byte_ranges(preview: Preview) -> None:
    audio = (MEDIA / "cbr.mp3").read_bytes()
    status, headers, body = fetch(preview.url + "test-show/media/assets/ep.mp3", {"Range": "bytes=0-1023"})
    assert status == 206
    assert body == audio[:1024]
    assert headers["Content-Range"] == f"bytes 0-1023/{len(audio)}"
    assert headers["Accept-Ranges"] == "bytes"


def test_editing_an_episode_title_shows_up_in_the_served_feed(preview: Preview) -> None:
    episode = preview.root / "episodes/episode-6d1048a48504.yaml"
    episode.write_text(episode.read_text().replace("title: Episode One", "title: Episode One, Remastered"))
    eventually(lambda: b"Episode One, Remastered" in fetch(preview.url + "test-show/feed.xml")[2],
               "the rebuilt feed")
    eventually(lambda: version(preview) == {"version": 2, "error": None}, "open pages to be told")


def test_broken_yaml_keeps_the_last_good_site_and_exposes_the_error(preview: Preview) -> None:
    feed_before = fetch(preview.url + "test-show/feed.xml")[2]
    episode = preview.root / "episodes/episode-6d1048a48504.yaml"
    episode.write_text(episode.read_text().replace("title: Episode One", "title: [Episode One"))
    eventually(lambda: version(preview)["error"] is not None, "the failed rebuild")
    error = str(version(preview)["error"])
    assert "episodes/episode-6d1048a48504.yaml:" in error and "YAML syntax error" in error
    assert fetch(preview.url + "test-show/feed.xml")[2] == feed_before
    page = fetch(preview.url)[2]
    assert b'id="podops-error"' in page and b"YAML syntax error" in page

    episode.write_text(episode.read_text().replace("title: [Episode One", "title: Episode One"))
    eventually(lambda: version(preview)["error"] is None, "the repaired rebuild")
    assert b'id="podops-error"' not in fetch(preview.url)[2]


def test_the_error_overlay_escapes_what_the_error_quotes(preview: Preview) -> None:
    episode = preview.root / "episodes/episode-6d1048a48504.yaml"
    episode.write_text(episode.read_text() + "<img src=x onerror=alert(1)>: 1\n")
    eventually(lambda: version(preview)["error"] is not None, "the failed rebuild")
    page = fetch(preview.url + "no-such-page/")[2]
    assert b"&lt;img src=x onerror=alert(1)&gt;" in page
    assert b"<img src=x" not in page


def test_html_pages_get_the_reload_script_and_other_files_do_not(preview: Preview) -> None:
    (preview.out / "index.html").write_text("<!doctype html><body><h1>Home</h1></body>")
    page = fetch(preview.url)[2].decode()
    assert re.search(r'<script src="/__podops__/reload.js" data-version="\d+"></script></body>', page)
    status, headers, script = fetch(preview.url + "__podops__/reload.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert b"/__podops__/version" in script and b"location.reload()" in script
    assert b"reload.js" not in fetch(preview.url + "test-show/feed.xml")[2]


def test_the_probe_cache_and_editor_files_do_not_trigger_rebuilds(preview: Preview) -> None:
    (preview.root / ".podops").mkdir(exist_ok=True)
    (preview.root / ".podops/scratch").write_text("cache")
    (preview.root / "show.yaml.swp").write_text("vim")
    time.sleep(0.5)  # a rebuild would start 50 ms after the last change
    assert version(preview)["version"] == 1


def test_podops_serve_runs_until_interrupted_and_cleans_up(production: Callable[..., Path],
                                                          tmp_path: Path) -> None:
    root = production()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    environ = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(scratch)}
    process = subprocess.Popen([sys.executable, "-m", "podops", "serve", str(root), "--port", "0"],
                               stderr=subprocess.PIPE, text=True, env=environ)
    try:
        assert process.stderr is not None
        lines = []
        for line in process.stderr:
            lines.append(line)
            if line.startswith("serving "):
                break
        url = lines[-1].split()[1]
        assert any(line.startswith(f"feed: {url}test-show/feed.xml") for line in lines)
        assert fetch(url + "test-show/feed.xml")[0] == 200
        assert [p.name.startswith("podops-serve-") for p in scratch.iterdir()] == [True]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=TIMEOUT) == 0
    assert list(scratch.iterdir()) == []  # the temporary site is gone


def test_the_preview_serves_live_pages_and_rebuilds_when_a_channel_changes(
        production: Callable[..., Path]) -> None:
    root = production({"channels/morning.yaml": CHANNEL})
    with Preview(root, port=0) as running:
        page = running.url + "test-show/live/morning-live-radio/"
        status, headers, body = fetch(page)
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert b"Morning Live" in body
        (root / "channels/morning.yaml").write_text(CHANNEL.replace("title: Morning Live", "title: Breakfast Live"))
        eventually(lambda: b"Breakfast Live" in fetch(page)[2], "the live page to be rebuilt")


def test_a_client_walks_the_api_by_its_links_alone(preview: Preview) -> None:
    status, headers, body = fetch(preview.url + "api/v1/index.json")
    assert status == 200 and headers["Content-Type"] == "application/vnd.api+json"
    assert headers["Access-Control-Allow-Origin"] == "*"
    catalog = json.loads(body)["data"]
    page = json.loads(fetch(catalog["relationships"]["episodes"]["links"]["related"])[2])
    assert page["meta"]["totalCount"] == 1 and page["links"]["next"] is None
    episode = json.loads(fetch(page["data"][0]["links"]["self"])[2])
    show = json.loads(fetch(episode["data"]["relationships"]["show"]["links"]["related"])[2])
    assert show["data"]["attributes"]["title"] == "Test Show"
    status, _, audio = fetch(episode["data"]["attributes"]["media_url"])
    assert status == 200 and len(audio) == episode["data"]["attributes"]["audio_length"]
    spec = json.loads(fetch(catalog["attributes"]["openapi_url"])[2])
    assert spec["servers"] == [{"url": preview.url + "api/v1"}]
