"""``podops notify`` against real loopback receivers that verify signatures with ``standardwebhooks``."""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import AFTER, BEFORE, CHANNEL, DURING, EPISODE, MEDIA, SHOW, invoke, write_production
from standardwebhooks.webhooks import Webhook

SECRET = "whsec_" + base64.b64encode(b"podops-test-secret-32-bytes-long").decode()
EPOCH = "1735689600"  # 2025-01-01: after every test episode's date
SECOND = EPISODE.replace("first-episode", "second-episode").replace("6d1048a48504", "b0b0b0b0b0b0") \
    .replace("Episode One", "Episode Two").replace("2021", "2022").replace("episode: 1", "episode: 2") \
    .replace("assets/ep.mp3", "assets/ep2.mp3")


@dataclass
class Receiver:
    """A ThreadingHTTPServer on loopback that answers from a script and verifies every delivery."""

    script: list[str] = field(default_factory=list)  # per request: "500", "200", "429", "hang"; then 200
    received: list[dict[str, Any]] = field(default_factory=list)  # verified payloads with their headers
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/secret-token"

    def ids(self) -> list[str]:
        return [r["headers"]["webhook-id"] for r in self.received]

    def types(self) -> list[str]:
        return [r["payload"]["type"] for r in self.received]


@contextlib.contextmanager
def receiving(script: list[str] | None = None, port: int = 0) -> Iterator[Receiver]:
    """Run a receiver for the duration of a ``with`` block; hung handlers are released at the end."""
    receiver = Receiver(script=list(script or []))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, body: bytes) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver.requests.append((self.command, self.path, headers, body))
            step = receiver.script.pop(0) if receiver.script else "200"
            if step == "hang":
                receiver.release.wait(30)
                return
            if self.command == "POST" and "webhook-id" in headers and step == "200":
                payload = Webhook(SECRET).verify(body, headers)  # raises unless the signature is good
                receiver.received.append({"headers": headers, "payload": payload})
            self.send_response(int(step))
            answer = b"RECEIVER-SECRET-BODY"
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def do_POST(self) -> None:
            self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def do_GET(self) -> None:
            self._answer(b"")

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    receiver.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def write(root: Path, files: dict[str, Any]) -> Path:
    """The conftest production plus the second episode's audio."""
    return write_production(root, {"assets/ep2.mp3": MEDIA / "vbr.mp3", **files})


def show_with(hooks: str) -> str:
    """The test show with extra top-level fields (webhooks, hubs, podping)."""
    return SHOW + hooks


def hook(url: str, events: str = "") -> str:
    return f"webhooks:\n  - url: {url}\n" + (f"    events: [{events}]\n" if events else "")


def build(prod: Path, out: Path, epoch: str = EPOCH, *extra: str) -> None:
    result = invoke("build", prod, "-o", out, *extra, env={"SOURCE_DATE_EPOCH": epoch})
    assert result.exit_code == 0, result.output


def notify(new: Path, old: Path | str, prod: Path, *extra: str, secret: str | None = SECRET,
           env: dict[str, str] | None = None) -> Any:
    environment = {"PODOPS_WEBHOOK_SECRET": secret or ""} | (env or {})
    return invoke("notify", new, "--previous", old, "--production", prod, "--allow-private-targets",
                  "--timeout", "2", "--max-time", "20", *extra, env=environment)


def old_and_new(tmp_path: Path, hooks: str) -> tuple[Path, Path, Path]:
    """OLD: one episode. NEW: that episode edited and a second one added."""
    prod = write(tmp_path / "prod", {"show.yaml": show_with(hooks)})
    old, new = tmp_path / "old", tmp_path / "new"
    build(prod, old)
    write(prod, {"show.yaml": show_with(hooks),
                            "episodes/episode-6d1048a48504.yaml": EPISODE.replace("The first one.",
                                                                                  "The first one, re-edited."),
                            "episodes/episode-b0b0b0b0b0b0.yaml": SECOND})
    build(prod, new)
    return prod, old, new


def configured(tmp_path: Path, receiver: Receiver, extra: str = "") -> tuple[Path, Path, Path]:
    """OLD and NEW as above, then the receiver's URL in show.yaml (webhooks are not published)."""
    prod, old, new = old_and_new(tmp_path, "")
    (prod / "show.yaml").write_text(show_with(hook(receiver.url) + extra))
    return prod, old, new


def test_one_added_and_one_edited_deliver_one_published_and_one_updated_retrying_past_a_500(tmp_path: Path) -> None:
    with receiving(["500"]) as receiver:
        prod, old, new = configured(tmp_path, receiver)
        result = notify(new, old, prod)
    assert result.exit_code == 0, result.output
    assert sorted(receiver.types()) == ["episode_published", "episode_updated"]
    assert len(receiver.requests) == 3  # the 500 was retried
    published = next(r["payload"] for r in receiver.received if r["payload"]["type"] == "episode_published")
    assert published["data"]["type"] == "episode" and published["data"]["id"] == "b0b0b0b0b0b0"
    assert published["data"]["attributes"]["title"] == "Episode Two"
    assert published["data"]["attributes"]["embed_html"]  # the read API's full resource, read from NEW
    assert set(published) == {"type", "timestamp", "data"}
    assert "2 delivered, 0 failed" in result.output
    assert "RECEIVER-SECRET-BODY" not in result.output and "secret-token" not in result.output


def test_a_replay_carries_the_same_webhook_ids(tmp_path: Path) -> None:
    with receiving() as receiver:
        prod, old, new = configured(tmp_path, receiver)
        assert notify(new, old, prod).exit_code == 0
        first = receiver.ids()
        assert notify(new, old, prod).exit_code == 0
    assert len(first) == 2 and receiver.ids() == first + first


def test_without_a_previous_site_nothing_is_announced(tmp_path: Path) -> None:
    with receiving() as receiver:
        prod, _, new = configured(tmp_path, receiver)
        result = notify(new, tmp_path / "never-built", prod)
    assert result.exit_code == 0, result.output
    assert receiver.requests == []
    assert "baseline" in result.output


def test_an_unchanged_site_produces_no_event(tmp_path: Path) -> None:
    with receiving() as receiver:
        prod, _, new = configured(tmp_path, receiver)
        again = tmp_path / "again"
        build(prod, again)
        result = notify(again, new, prod)
    assert result.exit_code == 0, result.output
    assert receiver.requests == [] and "0 event(s)" in result.output


def test_a_scheduled_episode_is_published_exactly_once_when_its_date_passes(tmp_path: Path) -> None:
    future = SECOND.replace("2022", "2030")
    with receiving() as receiver:
        prod = write(tmp_path / "prod", {"show.yaml": show_with(hook(receiver.url)),
                                                    "episodes/episode-b0b0b0b0b0b0.yaml": future})
        before, after, later = tmp_path / "before", tmp_path / "after", tmp_path / "later"
        build(prod, before, EPOCH)
        build(prod, after, "1920000000")  # 2030-11-04: the date has passed
        build(prod, later, "1920086400")  # a day later: nothing new
        assert notify(after, before, prod).exit_code == 0
        assert notify(later, after, prod).exit_code == 0
    assert receiver.types() == ["episode_published"]
    assert receiver.received[0]["payload"]["data"]["id"] == "b0b0b0b0b0b0"


def test_a_receiver_that_hangs_is_cut_at_the_timeout_and_reported(tmp_path: Path) -> None:
    with receiving(["hang", "hang", "hang", "hang", "hang", "hang"]) as receiver:
        prod, old, new = configured(tmp_path, receiver)
        started = time.monotonic()
        result = invoke("notify", new, "--previous", old, "--production", prod, "--allow-private-targets",
                        "--timeout", "0.5", "--max-time", "4", env={"PODOPS_WEBHOOK_SECRET": SECRET})
        elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert "timed out after 0.5 s" in result.output, result.output
    assert "0 delivered, 2 failed" in result.output
    assert elapsed < 8


def test_a_receiver_that_is_down_fails_the_run_and_the_next_run_delivers_everything(tmp_path: Path) -> None:
    with receiving() as receiver:
        port = receiver.server.server_address[1]
        prod, old, new = configured(tmp_path, receiver)
    result = notify(new, old, prod, "--max-time", "3")
    assert result.exit_code == 1
    assert "FAILED" in result.output and "0 delivered, 2 failed" in result.output
    with receiving(port=port) as receiver:
        result = notify(new, old, prod)
    assert result.exit_code == 0, result.output
    assert sorted(receiver.types()) == ["episode_published", "episode_updated"]


def test_a_webhook_receives_only_the_event_types_it_asked_for(tmp_path: Path) -> None:
    with receiving() as receiver:
        prod, old, new = old_and_new(tmp_path, "")
        (prod / "show.yaml").write_text(show_with(hook(receiver.url, "episode_updated")))
        assert notify(new, old, prod).exit_code == 0
    assert receiver.types() == ["episode_updated"]


def test_archiving_an_episode_announces_episode_unpublished(tmp_path: Path) -> None:
    with receiving() as receiver:
        prod, _, new = configured(tmp_path, receiver)
        (prod / "episodes/episode-b0b0b0b0b0b0.yaml").write_text(
            SECOND.replace("episode: 2", "episode: 2\n    status: archived"))
        newer = tmp_path / "newer"
        build(prod, newer)
        assert notify(newer, new, prod).exit_code == 0
    assert receiver.types() == ["episode_unpublished"]
    data = receiver.received[0]["payload"]["data"]
    assert data["id"] == "b0b0b0b0b0b0" and data["attributes"]["title"] == "Episode Two"
    assert data["attributes"]["share_url"] == "https://example.com/test-show/second-episode/"


def test_websub_hubs_get_publish_and_podping_gets_the_feed_with_the_token(tmp_path: Path) -> None:
    with receiving() as hub, receiving() as podping:
        prod, old, new = old_and_new(tmp_path, "")
        hub_url = f"http://127.0.0.1:{hub.server.server_address[1]}/"
        (prod / "show.yaml").write_text(show_with(f"websubHubs: [{hub_url}]\npodping: true\n"))
        env = {"PODOPS_PODPING_TOKEN": "pp-token", "PODOPS_PODPING_URL":
               f"http://127.0.0.1:{podping.server.server_address[1]}/"}
        result = notify(new, old, prod, secret=None, env=env)
    assert result.exit_code == 0, result.output
    feed = "https://example.com/test-show/feed.xml"
    [(method, _, headers, body)] = hub.requests
    assert method == "POST" and headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(body.decode()) == {"hub.mode": ["publish"], "hub.url": [feed], "hub.topic": [feed]}
    [(method, path, headers, _)] = podping.requests
    assert method == "GET" and headers["authorization"] == "pp-token"
    assert headers["user-agent"].startswith("podops/")
    assert parse_qs(urlsplit(path).query) == {"url": [feed], "reason": ["update"], "medium": ["podcast"]}
    assert "pp-token" not in result.output


def test_the_feed_names_its_hubs_and_podping(tmp_path: Path) -> None:
    prod = write(tmp_path / "prod", {"show.yaml": show_with(
        "websubHubs: [https://pubsubhubbub.appspot.com/]\npodping: true\n")})
    build(prod, tmp_path / "out")
    feed = (tmp_path / "out" / "test-show" / "feed.xml").read_text()
    assert '<atom:link rel="hub" href="https://pubsubhubbub.appspot.com/"/>' in feed
    assert '<podcast:podping usesPodping="true"/>' in feed


def test_a_dry_run_prints_the_payloads_and_sends_nothing(tmp_path: Path) -> None:
    with receiving() as receiver:
        prod, old, new = configured(tmp_path, receiver)
        result = notify(new, old, prod, "--dry-run", secret=None)
    assert result.exit_code == 0, result.output
    assert receiver.requests == []
    assert result.output.count("would send webhook") == 2
    assert '"type":"episode_published"' in result.output


def test_private_targets_need_the_flag(tmp_path: Path) -> None:
    with receiving() as receiver:
        prod, old, new = configured(tmp_path, receiver)
        result = invoke("notify", new, "--previous", old, "--production", prod,
                        env={"PODOPS_WEBHOOK_SECRET": SECRET})
    assert result.exit_code == 1
    assert "show.yaml:" in result.output and "webhooks[0].url" in result.output
    assert "--allow-private-targets" in result.output
    assert receiver.requests == []


@pytest.mark.parametrize("secret, message", [
    (None, "PODOPS_WEBHOOK_SECRET is not set"),
    ("not-a-secret", "not a Standard Webhooks secret"),
])
def test_a_missing_or_malformed_secret_is_a_clear_error(tmp_path: Path, secret: str | None, message: str) -> None:
    with receiving() as receiver:
        prod, old, new = configured(tmp_path, receiver)
        result = notify(new, old, prod, secret=secret)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    if secret:
        assert secret not in result.output
    assert receiver.requests == []


def test_webhook_urls_must_be_http_or_https(tmp_path: Path) -> None:
    prod = write(tmp_path / "prod", {"show.yaml": show_with(hook("file:///etc/passwd"))})
    result = invoke("validate", prod, "--no-media")
    assert result.exit_code == 1
    assert "show.yaml:" in result.output and "webhooks[0].url: must be an absolute http(s) URL" in result.output


def test_previous_can_be_the_live_site_url(tmp_path: Path) -> None:
    prod, old, new = old_and_new(tmp_path, "")

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(old), **kwargs)

        def log_message(self, *args: Any) -> None:
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        with receiving() as receiver:
            (prod / "show.yaml").write_text(show_with(hook(receiver.url)))
            result = notify(new, f"http://127.0.0.1:{site.server_address[1]}/", prod)
            missing = notify(new, f"http://127.0.0.1:{site.server_address[1]}/nothing-here/", prod)
    finally:
        site.shutdown()
        site.server_close()
    assert result.exit_code == 0, result.output
    assert sorted(receiver.types()) == ["episode_published", "episode_updated"]
    assert missing.exit_code == 0 and "baseline" in missing.output


def test_the_readme_receiver_verifies_and_prints_a_published_episode(tmp_path: Path) -> None:
    text = (Path(__file__).parent.parent / "README.md").read_text()
    code = text.split("### A receiver", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "receiver.py").write_text(code)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PORT": str(port), "PODOPS_WEBHOOK_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, str(tmp_path / "receiver.py")], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                break
            time.sleep(0.05)
        prod, old, new = old_and_new(tmp_path, "")
        (prod / "show.yaml").write_text(show_with(hook(url)))
        result = notify(new, old, prod)
        assert result.exit_code == 0, result.output
        assert "2 delivered" in result.output
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "new episode: Episode Two https://example.com/test-show/second-episode/" in output


def test_after_deploy_against_the_live_site_the_build_announces_what_it_found(tmp_path: Path) -> None:
    """CI: build with --previous LIVE before the deploy; after it, LIVE already shows OUT."""
    with receiving() as receiver:
        prod, old, _ = configured(tmp_path, receiver)
        deployed = tmp_path / "deployed"
        build(prod, deployed, EPOCH, "--previous", str(old))
        assert notify(deployed, deployed, prod).exit_code == 0
        first = receiver.ids()
        # the next daily run changes nothing: built against the live site, it announces nothing
        daily = tmp_path / "daily"
        build(prod, daily, EPOCH, "--previous", str(deployed))
        result = notify(daily, daily, prod)
    assert sorted(receiver.types()) == ["episode_published", "episode_updated"]
    assert receiver.ids() == first
    assert result.exit_code == 0 and "0 event(s)" in result.output


def test_a_previous_site_that_hangs_is_given_up_within_the_timeout(tmp_path: Path) -> None:
    with receiving(["hang"]) as site:
        prod, _, new = old_and_new(tmp_path, "")
        started = time.monotonic()
        result = invoke("notify", new, "--previous", f"http://127.0.0.1:{site.server.server_address[1]}/",
                        "--production", prod, "--timeout", "0.5")
        elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert "cannot fetch the previous manifest" in result.output and "Traceback" not in result.output
    assert elapsed < 5


def test_out_must_be_a_podops_build(tmp_path: Path) -> None:
    prod, old, _ = old_and_new(tmp_path, "")
    (tmp_path / "empty").mkdir()
    result = notify(tmp_path / "empty", old, prod)
    assert result.exit_code == 1 and "not a folder built by podops build" in result.output


def test_a_broadcast_going_on_air_and_ending_announces_live_started_then_live_ended(tmp_path: Path) -> None:
    with receiving() as receiver, receiving() as podping:
        prod = write(tmp_path / "prod", {"channels/morning-live-radio.yaml": CHANNEL})
        (prod / "show.yaml").write_text(show_with(hook(receiver.url) + "podping: true\n"))
        before, during, after = tmp_path / "before", tmp_path / "during", tmp_path / "after"
        for out, epoch in ((before, BEFORE), (during, DURING), (after, AFTER)):
            build(prod, out, str(epoch))
        env = {"PODOPS_PODPING_TOKEN": "t", "PODOPS_PODPING_URL": f"http://127.0.0.1:{podping.server.server_address[1]}/"}
        assert notify(during, before, prod, env=env).exit_code == 0
        assert notify(after, during, prod, env=env).exit_code == 0
    assert receiver.types() == ["live_started", "live_ended"]
    started = receiver.received[0]["payload"]["data"]
    assert started["type"] == "channel" and started["id"] == "0c4a11ce0001"
    assert started["attributes"]["on_air"] is True
    assert receiver.received[1]["payload"]["data"]["attributes"]["on_air"] is False
    reasons = [parse_qs(urlsplit(path).query)["reason"] for _, path, _, _ in podping.requests]
    assert reasons == [["live"], ["liveEnd"]]
