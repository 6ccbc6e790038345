"""``podops notify``: tell receivers, WebSub hubs and Podping what a new build changed.

It acts on finished folders and never touches them (the only module that imports
``standardwebhooks``; requests go through :mod:`podops.commands.delivery`). Webhooks follow
Standard Webhooks (standardwebhooks.com): ``webhook-id`` is the event's deterministic id, the
same on every retry and replay, ``webhook-timestamp`` the real time of the attempt (receivers
check it against a replay window), ``webhook-signature`` an HMAC of ``id.timestamp.body``. WebSub
pings POST ``hub.mode=publish`` (W3C WebSub, and the hub.url form older hubs read); Podping uses
podping.cloud's documented ``GET /?url=FEED`` with an ``Authorization`` token.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from podops.commands.delivery import Attempted, Policy, Send, Sender, check_target, redact, request
from podops.errors import Diagnostic, PodopsError
from podops.model import Show
from podops.render import events

__all__ = ["Policy", "Report", "check_target", "notify", "redact"]

SECRET_ENV = "PODOPS_WEBHOOK_SECRET"
PODPING_TOKEN_ENV = "PODOPS_PODPING_TOKEN"
PODPING_URL_ENV = "PODOPS_PODPING_URL"
PODPING_URL = "https://podping.cloud/"
# podping-hivewriter's mediums; other podcast:medium values are announced as "podcast".
PODPING_MEDIUMS = {"podcast", "music", "video", "film", "audiobook", "newsletter", "blog"}


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
