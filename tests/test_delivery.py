"""Delivery to hosts podops does not control, against real loopback servers: deadlines, retries, SSRF."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from podops.commands.delivery import Attempted, Policy, Refused, Sender, check_target, redact, request


class Scripted(BaseHTTPRequestHandler):
    """Answers each request with the next status of the server's script (then 200); "drip" trickles."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        server: Any = self.server
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server.seen.append(self.headers.get("User-Agent"))
        step = server.script.pop(0) if server.script else "200"
        if step == "drip":  # headers never finish: only the deadline ends this request
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for _ in range(40):
                if server.stop.wait(0.25):
                    break
                self.wfile.write(b"X-Drip: 1\r\n")
                self.wfile.flush()
            return
        status, _, retry_after = step.partition("+")
        self.send_response(int(status))
        if retry_after:
            self.send_header("Retry-After", retry_after)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def server() -> Iterator[Any]:
    httpd: Any = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    httpd.script, httpd.seen, httpd.stop = [], [], threading.Event()
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    try:
        yield httpd
    finally:
        httpd.stop.set()
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("url, refused", [
    ("http://127.0.0.1/", True), ("http://10.1.2.3/", True), ("http://169.254.169.254/latest", True),
    ("http://[::1]/", True), ("http://[::ffff:127.0.0.1]/", True), ("http://100.64.0.1/", True),
    ("ftp://example.com/", True), ("https://93.184.215.14/", False),
])
def test_ssrf_guard_checks_every_address(url: str, refused: bool) -> None:
    assert (check_target(url, allow_private=False) is not None) == refused


def test_urls_are_shown_without_their_secret_parts() -> None:
    assert redact("https://hooks.slack.com/services/T000/B000/XXXX") == "https://hooks.slack.com/…"
    assert redact("https://user:pw@example.com/?token=1") == "https://example.com/…"


def test_a_request_returns_the_status_and_retry_after_and_names_podops(server: Any) -> None:
    server.script = ["503+7"]
    assert request("POST", server.url, b"{}", {}, 5, allow_private=True) == (503, 7.0)
    assert request("POST", server.url, b"{}", {}, 5, allow_private=True) == (200, None)
    assert all(agent.startswith("podops/") for agent in server.seen)


def test_loopback_is_refused_unless_private_targets_are_allowed(server: Any) -> None:
    with pytest.raises(Refused, match="--allow-private-targets"):
        request("POST", server.url, b"{}", {}, 5, allow_private=False)
    assert server.seen == []  # refused before connecting


def test_a_server_that_drips_its_headers_is_cut_at_the_deadline(server: Any) -> None:
    server.script = ["drip"]
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="timed out after 1 s"):
        request("POST", server.url, b"{}", {}, 1, allow_private=True)
    assert time.monotonic() - started < 3


def test_the_sender_retries_5xx_and_429_honouring_retry_after_but_not_4xx(server: Any) -> None:
    server.script = ["500", "429+2", "404"]  # first job: 500 then (round 2) 404 is its second answer
    slept: list[float] = []
    sender = Sender(Policy(timeout=5, budget=30, attempts=3, backoff=0.5, allow_private=True), slept.append)

    def send(timeout: float) -> tuple[int, float | None]:
        return request("POST", server.url, b"{}", {}, timeout, allow_private=True)

    jobs = [(send, Attempted("webhook", "a", redact(server.url))), (send, Attempted("webhook", "b", "x"))]
    first, second = sender.run(jobs)
    # round 1: a → 500, b → 429 (Retry-After 2); round 2 after max(backoff jitter, 2 s): a → 404, b → 200
    assert slept == [2.0]
    assert (first.ok, first.attempts, first.detail) == (False, 2, "HTTP 404")
    assert (second.ok, second.attempts) == (True, 2)


def test_the_sender_stops_when_the_budget_is_spent(server: Any) -> None:
    server.script = ["500"] * 10
    sender = Sender(Policy(timeout=5, budget=1, attempts=5, backoff=5, allow_private=True), lambda _: None)
    [record] = sender.run([(lambda t: request("POST", server.url, b"{}", {}, t, True),
                            Attempted("webhook", "a", "x"))])
    assert not record.ok and record.attempts == 1
    assert "no time left in the run's budget to retry" in record.detail
