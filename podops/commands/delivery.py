"""Deliver HTTP requests to hosts podops does not control: deadlines, retries, SSRF checks.

The only module that sends HTTP requests on its own (``podops notify`` uses it). Every request
has a per-request deadline (a watchdog cuts the socket, so a receiver that drips bytes cannot
hold the run) and the whole run a time budget. Targets are resolved before each request and
every address must be public unless ``allow_private`` (SSRF); the connection goes to the address
that was checked. Redirects are not followed and response bodies are never read.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from podops import __version__

USER_AGENT = f"podops/{__version__} (+https://podops.dev/)"


@dataclass
class Policy:
    """How hard to try: per-request timeout, the run's time budget, attempts and backoff."""

    timeout: float = 10.0
    budget: float = 120.0
    attempts: int = 5
    backoff: float = 0.5
    allow_private: bool = False


@dataclass
class Attempted:
    """One request's fate after its retries (the target URL is shown without path or query)."""

    what: str  # "webhook", "websub", "podping"
    label: str  # event type and id, or the feed pinged
    target: str
    ok: bool = False
    attempts: int = 0
    detail: str = ""



class Refused(Exception):
    """A target podops will not send to (not retried)."""


def redact(url: str) -> str:
    """A URL as logs may show it: webhook paths and queries often carry tokens (Slack, Discord)."""
    parts = urlsplit(url)
    rest = "/…" if (parts.path not in ("", "/") or parts.query) else "/"
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{rest}"


def _public(host: str, port: int, allow_private: bool) -> list[tuple[Any, ...]]:
    """Resolve ``host``; refuse it if any address is private, loopback, link-local or reserved."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"cannot resolve {host} ({exc.strerror})") from None
    if not allow_private:
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                address = address.ipv4_mapped
            if not address.is_global or address.is_multicast:
                raise Refused(f"{host} resolves to {address}, a private or loopback address "
                              "(pass --allow-private-targets to send there)")
    return infos


def check_target(url: str, allow_private: bool) -> str | None:
    """Why ``url`` may not be sent to, or None (unresolvable hosts are left to delivery)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "only http and https URLs can be notified"
    try:
        _public(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), allow_private)
    except Refused as exc:
        return str(exc)
    except OSError:
        return None
    return None


class _Pinned(http.client.HTTPConnection):
    """HTTP to the address that was checked, not to whatever the name resolves to next."""

    def __init__(self, host: str, port: int, address: tuple[Any, ...], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection(self.address[:2], self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    """HTTPS to the checked address, verifying the certificate for the host name."""

    def __init__(self, host: str, port: int, address: tuple[Any, ...], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection(self.address[:2], self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _cut(connection: http.client.HTTPConnection, fired: threading.Event) -> None:
    """Watchdog: wake a blocked read so a request never outlives its deadline."""
    fired.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def request(method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float,
            allow_private: bool) -> tuple[int, float | None]:
    """One request: its status and Retry-After seconds. The body is never read."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("only http and https URLs can be notified")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _public(parts.hostname, port, allow_private)[0][4]
    kind = _PinnedTLS if parts.scheme == "https" else _Pinned
    connection = kind(parts.hostname, port, address, timeout)
    fired = threading.Event()
    watchdog = threading.Timer(timeout, _cut, [connection, fired])
    started = time.monotonic()
    try:
        connection.connect()
        watchdog.start()
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        if fired.is_set():  # cut mid-headers: http.client takes the cut for their end, but it was no answer
            raise TimeoutError
        retry_after = response.getheader("Retry-After")
        return response.status, float(retry_after) if retry_after and retry_after.strip().isdigit() else None
    except (OSError, http.client.HTTPException) as exc:
        if time.monotonic() - started >= timeout or isinstance(exc, TimeoutError):
            raise TimeoutError(f"timed out after {timeout:.3g} s") from None
        raise OSError(str(exc) or type(exc).__name__) from None
    finally:
        watchdog.cancel()
        connection.close()


Send = Callable[[float], tuple[int, float | None]]


class Sender:
    """Retries within one time budget: exponential backoff with jitter on 5xx, 429 and timeouts.

    Requests go in rounds (every request once, then the retryable failures again after a
    backoff), so one dead receiver cannot spend the budget before the others were tried.
    """

    def __init__(self, policy: Policy, sleep: Callable[[float], None] = time.sleep) -> None:
        self.policy = policy
        self.sleep = sleep

    def _try(self, attempt: Send, record: Attempted, timeout: float) -> tuple[bool, float | None]:
        """One attempt; returns whether another is worth it, and the server's Retry-After."""
        record.attempts += 1
        try:
            status, wait = attempt(timeout)
        except Refused as exc:
            record.detail = str(exc)
            return False, None
        except OSError as exc:  # timeouts, refused connections, resets: worth another try
            record.detail = str(exc)
            return True, None
        record.detail = f"HTTP {status}"
        if 200 <= status < 300:
            record.ok = True
            return False, None
        if 300 <= status < 400:
            record.detail += " (redirects are not followed)"
        return status == 429 or status >= 500, wait

    def run(self, jobs: list[tuple[Send, Attempted]]) -> list[Attempted]:
        """Send every job, retrying the retryable ones until they succeed or time runs out."""
        policy = self.policy
        deadline = time.monotonic() + policy.budget
        pending = list(jobs)
        for number in range(1, policy.attempts + 1):
            waits: list[float] = []
            retry: list[tuple[Send, Attempted]] = []
            for attempt, record in pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    record.detail = (record.detail + "; " if record.detail else "") + "the run's time budget was spent"
                    continue
                again, wait = self._try(attempt, record, min(policy.timeout, remaining))
                if again:
                    retry.append((attempt, record))
                    waits.append(wait or 0.0)
            pending = retry
            if not pending or number == policy.attempts:
                break
            delay = policy.backoff * 2 ** (number - 1)
            delay = max(delay / 2 + random.uniform(0, delay / 2), *waits)  # "equal jitter", or Retry-After
            if time.monotonic() + delay >= deadline:
                for _, record in pending:
                    record.detail += "; no time left in the run's budget to retry"
                break
            self.sleep(delay)
        return [record for _, record in jobs]
