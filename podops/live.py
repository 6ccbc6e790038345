"""Live channels at the build's "now": which broadcasts are pending, live or ended, and when that changes.

Statuses follow the Podcasting 2.0 ``podcast:liveItem`` (docs/tags/live-item.md): ``pending``
before ``start``, ``live`` until ``end``, ``ended`` after. The build's "now" is
SOURCE_DATE_EPOCH, else the clock, as for scheduled episodes, so a scheduled CI run moves them.
Weekly slots are expanded into broadcasts from ``keepEndedDays`` before now to
:data:`HORIZON_DAYS` after it. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from podops.model import Channel, LiveEvent, Slot

HORIZON_DAYS = 14  # weekly slots are announced this many days ahead
# Streaming.Center s_format → the MIME type an Icecast server sends for it.
MIME_TYPES = {"mp3": "audio/mpeg", "aac": "audio/aac", "ogg": "audio/ogg", "opus": "audio/ogg",
              "flac": "audio/flac"}
HLS_TYPE = "application/vnd.apple.mpegurl"  # RFC 8216 §4


def zone(name: str) -> ZoneInfo | None:
    """The IANA time zone ``name``, or None when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def clock_time(text: str) -> time | None:
    """``HH:MM`` (24 h) as a time, or None when it is not one."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        return None
    if int(hours) > 23 or int(minutes) > 59:
        return None
    return time(int(hours), int(minutes))


def event_guid(channel_guid: str, start: datetime) -> str:
    """A liveItem guid that stays the same for as long as the broadcast keeps its start time."""
    return f"podops-live-{channel_guid}-{start.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"


def status(event: LiveEvent, now: datetime) -> str:
    """pending, live or ended, as the namespace defines them."""
    if now < event.start:
        return "pending"
    return "live" if now < event.end else "ended"


def expand(channel: Channel, slot: Slot, now: datetime, keep_days: int) -> list[LiveEvent]:
    """The broadcasts of a weekly slot from ``keep_days`` before ``now`` to HORIZON_DAYS after."""
    tz = zone(slot.timezone)
    at = clock_time(slot.time)
    if tz is None or at is None:
        return []  # reported by the loader
    first = (now - timedelta(days=keep_days + 1)).astimezone(tz).date()
    last = (now + timedelta(days=HORIZON_DAYS)).astimezone(tz).date()
    events = []
    day: date = first
    while day <= last:
        if day.weekday() in slot.days:
            start = datetime.combine(day, at, tz).astimezone(timezone.utc)
            in_range = ((slot.since is None or start >= slot.since)
                        and (slot.until is None or start.date() <= slot.until.astimezone(tz).date()))
            if in_range:
                events.append(LiveEvent(slot.title, start, start + timedelta(seconds=slot.duration),
                                        event_guid(channel.guid, start), slot.summary, slot.image,
                                        field=slot.field))
        day += timedelta(days=1)
    return events


def announce(channel: Channel, now: datetime, keep_days: int) -> list[LiveEvent]:
    """The broadcasts the feed and page show now, in start order, each with its status.

    Ended broadcasts leave once they ended more than ``keep_days`` ago.
    """
    events = [*channel.events, *(e for s in channel.slots for e in expand(channel, s, now, keep_days))]
    horizon = now - timedelta(days=keep_days)
    shown = [replace(e, status=status(e, now)) for e in events if e.end > horizon]
    return sorted(shown, key=lambda e: (e.start, e.end, e.guid))


def next_change(channels: list[Channel], now: datetime, keep_days: dict[str, int]) -> datetime | None:
    """When the next status moves or an ended broadcast leaves: a build then is due."""
    moments = []
    for channel in channels:
        keep = timedelta(days=keep_days.get(channel.parent, 7))
        for event in announce(channel, now, keep.days):
            moments += [event.start, event.end, event.end + keep]
    return min((m for m in moments if m > now), default=None)


def overlaps(events: list[LiveEvent]) -> list[tuple[LiveEvent, LiveEvent]]:
    """Pairs of broadcasts of one channel that run at the same time (a stream plays one at once)."""
    ordered = sorted(events, key=lambda e: (e.start, e.end))
    pairs = []
    for i, event in enumerate(ordered):
        for later in ordered[i + 1:]:
            if later.start >= event.end:
                break
            pairs.append((event, later))
    return pairs


def sections(events: list[LiveEvent]) -> dict[str, list[LiveEvent]]:
    """The live page's schedule: on now, coming up (soonest first), recent (newest first)."""
    return {"live": [e for e in events if e.status == "live"],
            "upcoming": [e for e in events if e.status == "pending"],
            "recent": sorted((e for e in events if e.status == "ended"), key=lambda e: e.end, reverse=True)}
