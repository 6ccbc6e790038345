"""The preview server: a real socket on 127.0.0.1 serving one folder, with byte ranges for audio."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import MEDIA

from podops.commands.server import byte_range, start_server, stop_server
from podops.errors import PodopsError

AUDIO = (MEDIA / "cbr.mp3").read_bytes()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """A small built-looking site served on a free port; yields its base URL."""
    root = tmp_path / "site"
    (root / "show/episode-one").mkdir(parents=True)
    (root / "show/media").mkdir()
    (root / "index.html").write_text("<!doctype html><title>Home</title><body>home</body>")
    (root / "show/feed.xml").write_text("<?xml version='1.0'?><rss version='2.0'/>")
    (root / "show/media/ep.mp3").write_bytes(AUDIO)
    (root / "show/media/ep.vtt").write_text("WEBVTT\n")
    (root / "show/media/ep.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nHi\n")
    (root / "show/episode-one/chapters.json").write_text("{}")
    (root / "show/episode-one/index.html").write_text("<p>episode</p>")
    (tmp_path / "secret.txt").write_text("outside the site")
    server, url = start_server(root)
    yield url
    stop_server(server)


def get(url: str, path: str, headers: dict[str, str] | None = None,
        method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP request (no client-side path normalisation), as a browser would send it."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_the_base_url_is_loopback_with_the_real_port_and_a_trailing_slash(site: str) -> None:
    parts = urlsplit(site)
    assert parts.scheme == "http" and parts.hostname == "127.0.0.1"
    assert parts.port and parts.port > 0
    assert site.endswith("/")


def test_a_byte_range_gets_206_with_exactly_those_bytes(site: str) -> None:
    status, headers, body = get(site, "/show/media/ep.mp3", {"Range": "bytes=100-199"})
    assert status == 206
    assert body == AUDIO[100:200]
    assert headers["Content-Range"] == f"bytes 100-199/{len(AUDIO)}"
    assert headers["Content-Length"] == "100"
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Content-Type"] == "audio/mpeg"


def test_an_open_ended_range_runs_to_the_end_of_the_file(site: str) -> None:
    status, headers, body = get(site, "/show/media/ep.mp3", {"Range": f"bytes={len(AUDIO) // 2}-"})
    assert status == 206
    assert body == AUDIO[len(AUDIO) // 2:]
    assert headers["Content-Range"] == f"bytes {len(AUDIO) // 2}-{len(AUDIO) - 1}/{len(AUDIO)}"


def test_a_suffix_range_gets_the_last_bytes(site: str) -> None:
    status, headers, body = get(site, "/show/media/ep.mp3", {"Range": "bytes=-128"})
    assert status == 206
    assert body == AUDIO[-128:]
    assert headers["Content-Range"] == f"bytes {len(AUDIO) - 128}-{len(AUDIO) - 1}/{len(AUDIO)}"


def test_a_range_past_the_end_is_clamped_to_the_file(site: str) -> None:
    status, _, body = get(site, "/show/media/ep.mp3", {"Range": f"bytes=0-{len(AUDIO) * 2}"})
    assert status == 206 and body == AUDIO


def test_a_range_beyond_the_file_is_416_with_the_real_size(site: str) -> None:
    status, headers, body = get(site, "/show/media/ep.mp3", {"Range": f"bytes={len(AUDIO)}-"})
    assert status == 416
    assert headers["Content-Range"] == f"bytes */{len(AUDIO)}"
    assert body == b""


def test_without_a_range_the_whole_file_is_sent_and_ranges_are_advertised(site: str) -> None:
    status, headers, body = get(site, "/show/media/ep.mp3")
    assert status == 200 and body == AUDIO
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Content-Length"] == str(len(AUDIO))


def test_head_sends_headers_only(site: str) -> None:
    status, headers, body = get(site, "/show/media/ep.mp3", {"Range": "bytes=0-9"}, method="HEAD")
    assert status == 206 and headers["Content-Length"] == "10" and body == b""


@pytest.mark.parametrize(("header", "expected"), [
    ("bytes=0-0", (0, 0)),
    ("bytes=5-", (5, 9)),
    ("bytes=-3", (7, 9)),
    ("bytes=-30", (0, 9)),
    ("bytes=10-", False),
    ("bytes=-0", False),
    ("bytes=0-1,4-5", None),  # several ranges: the whole file is a valid answer
    ("items=0-1", None),
    ("bytes=5-2", None),
    (None, None),
])
def test_range_headers_are_read_as_rfc_9110_says(header: str | None, expected: object) -> None:
    assert byte_range(header, 10) == expected


@pytest.mark.parametrize(("path", "mime"), [
    ("/show/media/ep.mp3", "audio/mpeg"),
    ("/show/feed.xml", "application/rss+xml"),
    ("/show/episode-one/chapters.json", "application/json"),
    ("/show/media/ep.vtt", "text/vtt"),
    ("/show/media/ep.srt", "application/x-subrip"),
    ("/", "text/html; charset=utf-8"),
])
def test_podcast_files_get_their_mime_types(site: str, path: str, mime: str) -> None:
    status, headers, _ = get(site, path)
    assert status == 200
    assert headers["Content-Type"] == mime


def test_a_folder_serves_its_index_html(site: str) -> None:
    status, _, body = get(site, "/show/episode-one/")
    assert status == 200 and body == b"<p>episode</p>"


def test_a_folder_without_its_slash_is_redirected(site: str) -> None:
    status, headers, _ = get(site, "/show/episode-one")
    assert status == 301 and headers["Location"] == "/show/episode-one/"


def test_a_missing_file_is_404_and_uses_the_sites_404_page(site: str, tmp_path: Path) -> None:
    status, _, body = get(site, "/no/such/file.mp3")
    assert status == 404 and b"Not found" in body
    (tmp_path / "site/404.html").write_text("<h1>Lost in the feed</h1>")
    status, headers, body = get(site, "/no/such/file.mp3")
    assert status == 404 and body == b"<h1>Lost in the feed</h1>"
    assert headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/../secret.txt", "/show/../../secret.txt", "/%2e%2e/secret.txt",
                                  "/show/%2e%2e/%2e%2e/secret.txt"])
def test_paths_never_leave_the_served_folder(site: str, path: str) -> None:
    status, _, body = get(site, path)
    assert status == 404 and b"outside the site" not in body


def test_a_symlink_out_of_the_folder_is_not_followed(site: str, tmp_path: Path) -> None:
    (tmp_path / "site/leak.txt").symlink_to(tmp_path / "secret.txt")
    status, _, body = get(site, "/leak.txt")
    assert status == 404 and b"outside the site" not in body


def test_the_server_refuses_to_listen_beyond_loopback(tmp_path: Path) -> None:
    with pytest.raises(PodopsError, match="only binds to 127.0.0.1"):
        start_server(tmp_path, host="0.0.0.0")


def test_api_documents_are_served_as_json_api_with_cors(tmp_path: Path) -> None:
    from podops.render.api import MEDIA_TYPE

    root = tmp_path / "site"
    (root / "api/v1").mkdir(parents=True)
    (root / "api/v1/index.json").write_text('{"data": null}')
    (root / "api/v1/openapi.json").write_text('{"openapi": "3.1.0"}')
    (root / "chapters.json").write_text("{}")
    server, url = start_server(root)
    try:
        status, headers, body = get(url, "/api/v1/index.json")
        assert status == 200 and body == b'{"data": null}'
        assert headers["Content-Type"] == MEDIA_TYPE == "application/vnd.api+json"
        assert headers["Access-Control-Allow-Origin"] == "*"
        assert get(url, "/api/v1/openapi.json")[1]["Content-Type"] == "application/json"
        _, plain, _ = get(url, "/chapters.json")
        assert plain["Content-Type"] == "application/json" and "Access-Control-Allow-Origin" not in plain
    finally:
        stop_server(server)
