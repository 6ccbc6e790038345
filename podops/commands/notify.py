"""``podops notify``: tell receivers, WebSub hubs and Podping what a new build changed.

It acts on finished folders and never touches them (the only module that imports
``standardwebhooks`` or sends HTTP requests on its own). Webhooks follow Standard Webhooks
(standardwebhooks.com): ``webhook-id`` is the event's deterministic id, the same on every retry
and replay, ``webhook-timestamp`` the real time of the attempt (receivers check it against a
replay window), ``webhook-signature`` an HMAC of ``id.timestamp.body``. WebSub pings POST
``hub.mode=publish`` (W3C WebSub, and the hub.url form older hubs read); Podping uses
podping.cloud's documented ``GET /?url=FEED`` with an ``Authorization`` token.

Every request has a per-request deadline (a watchdog cuts the socket, so a receiver that drips
bytes cannot hold the run) and the whole run a time budget. Targets are resolved before each
request and every address must be public unless ``allow_private`` (SSRF); the connection goes to
the address that was checked. Redirects are not followed and response bodies are never read.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import os
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from podops import __version__
from podops.errors import Diagnostic, PodopsError
from podops.model import Show
from podops.render import events

SECRET_ENV = "PODOPS_WEBHOOK_SECRET"
PODPING_TOKEN_ENV = "PODOPS_PODPING_TOKEN"
PODPING_URL_ENV = "PODOPS_PODPING_URL"
PODPING_URL = "https://podping.cloud/"
# podping-hivewriter's mediums; other podcast:medium values are announced as "podcast".
PODPING_MEDIUMS = {"podcast", "music", "video", "film", "audiobook", "newsletter", "blog"}
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


@dataclass
class Report:
    """What notify found and did."""

    events: list[events.Event] = field(default_factory=list)
    baseline: bool = False
    deployed: bool = False  # PREVIOUS already showed OUT: this build's own events were announced
    sent: list[Attempted] = field(default_factory=list)
    planned: list[tuple[str, str, str, bytes]] = field(default_factory=list)  # dry run: what, label, target, body

    @property
    def failed(self) -> list[Attempted]:
        """Requests that did not succeed."""
        return [a for a in self.sent if not a.ok]


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


def _cut(connection: http.client.HTTPConnection) -> None:
    """Watchdog: wake a blocked read so a request never outlives its deadline."""
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
    watchdog = threading.Timer(timeout, _cut, [connection])
    started = time.monotonic()
    try:
        connection.connect()
        watchdog.start()
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
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


def _secret(environ: dict[str, str], needed: bool) -> Any:
    """The signer from PODOPS_WEBHOOK_SECRET (whsec_ + base64), or None when not needed."""
    from standardwebhooks.webhooks import Webhook

    value = environ.get(SECRET_ENV, "").strip()
    if not value:
        if needed:
            raise PodopsError(f"{SECRET_ENV} is not set, but the show declares webhooks: set it to the "
                              "receivers' signing secret (whsec_ followed by base64), e.g. as a CI secret")
        return None
    try:
        if not value.startswith("whsec_"):
            raise ValueError
        return Webhook(value)
    except Exception:  # binascii.Error, EmptyWebhookSecretError: the value is never echoed
        raise PodopsError(f"{SECRET_ENV} is not a Standard Webhooks secret: expected whsec_ followed by "
                          "base64") from None


def select(out_manifest: events.Manifest, previous: events.Manifest | None, now: datetime,
           resolve: events.Resolve | None = None) -> tuple[list[events.Event], bool, bool]:
    """The events to announce, and whether this is a baseline or an already deployed site.

    With no previous manifest there is nothing to announce. When PREVIOUS already shows OUT's
    state (notify after deploy against the live URL), OUT's own ``latest`` events are announced:
    those its build found against the site it replaced. Otherwise the difference.
    """
    if previous is None:
        return [], True, False
    logged = {e["id"]: e for e in out_manifest.get("events", [])}
    if events.digest(previous["state"]) == events.digest(out_manifest["state"]):
        latest = set(out_manifest.get("latest", []))
        return [e for e in out_manifest.get("events", []) if e["id"] in latest], False, True
    stamp = events.iso(now)
    found = [logged.get(e["id"]) or dict(e, timestamp=stamp)
             for e in events.diff(previous["state"], out_manifest["state"])]
    return (events.complete(found, resolve) if resolve else found), False, False


def _documents(out: Path) -> events.Resolve:
    """Episode GUID → the resource OUT's read API publishes for it."""
    from podops.render.api import resource_path

    def resolve(guid: str) -> dict[str, Any] | None:
        path = out / resource_path("episodes", guid)
        try:
            data = json.loads(path.read_text(encoding="utf-8")).get("data")
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("id") == guid else None
    return resolve


def _load_shows(production: Path) -> dict[str, Show]:
    from podops.load.production import load_shows

    return {show.guid: show for show in load_shows(production)}


def _check_targets(shows: dict[str, Show], policy: Policy) -> None:
    problems = []
    for show in shows.values():
        for hook in show.webhooks:
            reason = check_target(hook.url, policy.allow_private)
            if reason:
                line, column = show.mark(hook.field)
                problems.append(Diagnostic(show.display, line, column, hook.field, reason))
        for i, hub in enumerate(show.hubs):
            reason = check_target(hub, policy.allow_private)
            if reason:
                line, column = show.mark(f"websubHubs[{i}]")
                problems.append(Diagnostic(show.display, line, column, f"websubHubs[{i}]", reason))
    if problems:
        raise PodopsError(problems)


def body_of(event: events.Event) -> str:
    """The webhook payload, as Standard Webhooks suggests: type, timestamp, data."""
    return json.dumps({"type": event["type"], "timestamp": event["timestamp"], "data": event["data"]},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def notify(out: Path, previous: str, production: Path, policy: Policy | None = None, dry_run: bool = False,
           environ: dict[str, str] | None = None, sender: Sender | None = None) -> Report:
    """Announce what changed between PREVIOUS and OUT to the show's receivers, hubs and Podping."""
    policy = policy or Policy()
    environ = dict(os.environ if environ is None else environ)
    out_manifest = events.read_manifest(out)
    if out_manifest is None:
        raise PodopsError(f"{out}: no {events.MANIFEST_PATH}: not a folder built by podops build")
    shows = _load_shows(production)
    hooked = any(show.webhooks for show in shows.values())
    signer = _secret(environ, hooked and not dry_run)
    pinging = [s for s in shows.values() if s.podping]
    token = environ.get(PODPING_TOKEN_ENV, "").strip()
    if pinging and not token and not dry_run:
        raise PodopsError(f"{PODPING_TOKEN_ENV} is not set, but {pinging[0].display} has podping: true: "
                          "set it to your podping.cloud token")
    if not dry_run:
        _check_targets(shows, policy)
    base = events.read_manifest(previous, timeout=policy.timeout)
    report = Report()
    report.events, report.baseline, report.deployed = select(out_manifest, base, datetime.now(timezone.utc),
                                                             _documents(out))
    jobs: list[tuple[Send, Attempted]] = []
    for event in report.events:
        show = shows.get(event["show"])
        body = body_of(event)
        label = f"{event['type']} {event['id']}"
        for hook in show.webhooks if show else []:
            if hook.events and event["type"] not in hook.events:
                continue
            if dry_run:
                report.planned.append(("webhook", label, redact(hook.url), body.encode()))
                continue
            jobs.append((_webhook(hook.url, event["id"], body, signer, policy),
                         Attempted("webhook", label, redact(hook.url))))
    changed = {e["show"] for e in report.events}
    podping_url = environ.get(PODPING_URL_ENV) or PODPING_URL
    for guid in sorted(changed):
        show, state = shows.get(guid), out_manifest["state"]["shows"].get(guid)
        feed = state["feed"] if state else None
        if show is None or feed is None:
            continue
        for hub in show.hubs:
            form = urlencode({"hub.mode": "publish", "hub.url": feed, "hub.topic": feed}).encode()
            if dry_run:
                report.planned.append(("websub", feed, redact(hub), form))
                continue
            jobs.append((_post_form(hub, form, policy), Attempted("websub", feed, redact(hub))))
        if show.podping:
            medium = show.medium if show.medium in PODPING_MEDIUMS else "podcast"
            kinds = {e["type"] for e in report.events if e["show"] == guid}
            # podping reasons: live when a broadcast starts, liveEnd when it ends, else update
            reason = "live" if "live_started" in kinds else "liveEnd" if "live_ended" in kinds else "update"
            query = urlencode({"url": feed, "reason": reason, "medium": medium})
            target = podping_url.split("?")[0].rstrip("/") + "/?" + query
            if dry_run:
                report.planned.append(("podping", feed, redact(podping_url), b""))
                continue
            jobs.append((_podping(target, token, policy), Attempted("podping", feed, redact(podping_url))))
    report.sent = (sender or Sender(policy)).run(jobs)
    return report


def _webhook(url: str, msg_id: str, body: str, signer: Any, policy: Policy) -> Send:
    def attempt(timeout: float) -> tuple[int, float | None]:
        moment = datetime.now(timezone.utc)  # signed per attempt: receivers check a replay window
        headers = {"Content-Type": "application/json", "webhook-id": msg_id,
                   "webhook-timestamp": str(int(moment.timestamp())),
                   "webhook-signature": signer.sign(msg_id, moment, body)}
        return request("POST", url, body.encode(), headers, timeout, policy.allow_private)
    return attempt


def _post_form(url: str, form: bytes, policy: Policy) -> Send:
    def attempt(timeout: float) -> tuple[int, float | None]:
        return request("POST", url, form, {"Content-Type": "application/x-www-form-urlencoded"}, timeout,
                       policy.allow_private)
    return attempt


def _podping(url: str, token: str, policy: Policy) -> Send:
    def attempt(timeout: float) -> tuple[int, float | None]:
        return request("GET", url, None, {"Authorization": token}, timeout, policy.allow_private)
    return attempt
