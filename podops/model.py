"""Plain data the later stages work on: no I/O, no library types, easy to build in tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from podops.errors import Diagnostic

Mark = tuple[int, int]
Progress = Callable[[str, int, int], None]  # told (stage, done, total) as a long stage advances


@dataclass
class Asset:
    """A file of the production (``local``) or a URL used as is (``external``)."""

    uri: str
    rel: str = "local"
    type: str | None = None
    size: int | None = None
    duration: float | None = None
    title: str | None = None
    language: str | None = None
    captions: bool = False
    path: Path | None = None  # resolved local file, set by the loader once it is known to be safe
    sha256: str | None = None  # content hash of a local file (of ``copy`` when there is one), set by the probe stage
    copy: Path | None = None  # what is published instead of ``path``: the MP3 with chapter frames (chapters.id3)
    bitrate: int | None = None  # bits per second of a local alternate enclosure, set by the probe stage
    sri: str | None = None  # its SRI hash (sha384-…) for podcast:integrity, set by the probe stage
    field: str = ""  # dotted field path, for diagnostics


@dataclass
class Person:
    """A credit (podcast:person)."""

    name: str
    role: str | None = None
    group: str | None = None
    img: str | None = None
    href: str | None = None


@dataclass
class Link:
    """A titled link: funding, subscribe platform, licence."""

    uri: str
    title: str | None = None


@dataclass
class Webhook:
    """A receiver of signed events; ``events`` empty means every type."""

    url: str
    events: list[str] = field(default_factory=list)
    field: str = ""  # dotted field path, for diagnostics


@dataclass
class Chapter:
    """A chapter of an episode, in seconds from the start."""

    start: float
    title: str
    url: str | None = None
    img: str | None = None
    toc: bool = True


@dataclass
class Resource:
    """What shows and episodes share: where they came from, to point errors at lines."""

    source: Path
    display: str
    marks: dict[str, Mark]

    def mark(self, path: str) -> Mark:
        """Position of a dotted field, or of its nearest known parent."""
        while path:
            if path in self.marks:
                return self.marks[path]
            path = path.rpartition(".")[0]
        return (1, 1)


@dataclass
class Episode(Resource):
    """One feed item and one page."""

    name: str = ""
    guid: str = ""
    parent: str = ""
    date: datetime | None = None
    item_guid: str | None = None
    season: int | None = None
    number: int | None = None
    type: str = "full"
    status: str = "published"
    explicit: bool | None = None
    block: bool = False
    title: str = ""
    summary: str = ""
    text: str | None = None
    link: str | None = None
    duration: float | None = None
    image: Asset | None = None
    enclosure: Asset | None = None
    chapters: list[Chapter] = field(default_factory=list)
    transcripts: list[Asset] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    funding: list[Link] = field(default_factory=list)
    season_name: str | None = None  # podcast:season name
    episode_display: str | None = None  # podcast:episode display
    tags: dict[str, Any] = field(default_factory=dict)  # the validated Podcasting 2.0 fields (load/namespace.py)
    alternates: dict[int, Asset] = field(default_factory=dict)  # alternateEnclosures[i].file, probed

    @property
    def feed_guid(self) -> str:
        """The item's <guid>: the one it was first published with, else the resource GUID."""
        return self.item_guid or self.guid


@dataclass
class Subscriber:
    """A listener of a private show; the address keys their personal URLs and is never published."""

    email: str  # normalised: trimmed, lower case
    name: str | None = None
    display: str = ""  # the file and line that list them, for diagnostics
    line: int = 0
    column: int = 0
    field: str = "subscribers"
    address: str = ""  # as written (trimmed), for the owner's mail merge


@dataclass
class SubscriberList(Resource):
    """A ``kind: subscribers`` resource: who may listen to one private show."""

    name: str = ""
    guid: str = ""
    parent: str = ""
    subscribers: list[Subscriber] = field(default_factory=list)


@dataclass
class LiveEvent:
    """One broadcast of a channel: a podcast:liveItem, with its status at the build's "now"."""

    title: str
    start: datetime
    end: datetime
    guid: str
    summary: str | None = None
    image: str | None = None
    persons: list[Person] = field(default_factory=list)
    field: str = ""  # dotted field path, for diagnostics
    status: str = "pending"  # pending, live or ended: set by the build (podops.live)


@dataclass
class Slot:
    """A weekly slot of a channel, expanded into events around the build's "now"."""

    title: str
    days: list[int]  # 0 = Monday
    time: str  # HH:MM local
    duration: float
    timezone: str = "UTC"
    summary: str | None = None
    image: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    field: str = ""


@dataclass
class Channel(Resource):
    """A live stream announced in its show's feed and played on its own page."""

    name: str = ""
    guid: str = ""
    parent: str = ""
    title: str = ""
    summary: str = ""
    stream_url: str = ""
    secure_url: str | None = None
    hls_url: str | None = None
    format: str = "mp3"
    bitrate: int | None = None
    server: str = "icecast"
    mount_point: str = ""
    status_url: str | None = None
    public: bool = True
    chat: str | None = None
    image: str | None = None
    persons: list[Person] = field(default_factory=list)
    events: list[LiveEvent] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)


@dataclass
class Show(Resource):
    """One feed and one show page; ``root`` is its production folder."""

    root: Path = Path(".")
    name: str = ""
    guid: str = ""
    date: datetime | None = None
    keywords: str | None = None
    language: str = "en-us"
    explicit: bool = False
    type: str = "episodic"
    block: bool = False
    complete: bool = False
    locked: bool = False
    medium: str | None = None
    title: str = ""
    summary: str = ""
    link: str | None = None
    categories: list[tuple[str, list[str]]] = field(default_factory=list)
    owner_name: str | None = None
    owner_email: str | None = None
    author: str | None = None
    copyright: str | None = None
    license: Link | None = None
    image: Asset | None = None
    new_feed_url: str | None = None
    moved_from: str | None = None  # feedLink: where the feed lived before (keeps its podcast:guid)
    podcast_guid: str | None = None
    base_url: str | None = None
    per_page: int = 20
    api_page_size: int = 20  # items per page of the read API's collections
    links: list[Link] = field(default_factory=list)
    cache_control: dict[str, str] = field(default_factory=dict)  # site.cacheControl, for publish
    funding: list[Link] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    webhooks: list[Webhook] = field(default_factory=list, repr=False)  # not published: no page depends on it
    hubs: list[str] = field(default_factory=list)
    podping: bool = False
    private: bool = False  # only subscribers listen, each through a personal feed
    prefix: str = ""  # a private show's unguessable output folder, set by the build from the secret
    keep_ended_days: int = 7
    chapter_timestamps: bool = True  # chapters.descriptionTimestamps: Spotify's timestamps in the description
    chapter_frames: bool = False  # chapters.id3: CHAP/CTOC frames in the published copy of each MP3
    markdown: str = "commonmark"  # site.markdown: the renderer of its notes
    markdown_extensions: list[str] = field(default_factory=list)  # site.markdownExtensions (Python-Markdown)
    episodes: list[Episode] = field(default_factory=list, repr=False)  # repr is a page cache key
    subscribers: list[Subscriber] = field(default_factory=list, repr=False)  # pages never show them
    channels: list[Channel] = field(default_factory=list, repr=False)
    tags: dict[str, Any] = field(default_factory=dict)  # the validated Podcasting 2.0 fields (load/namespace.py)
    trailers: dict[int, Asset] = field(default_factory=dict)  # trailers[i].file, probed


@dataclass
class Production:
    """Everything found under the folder a command was given."""

    root: Path
    shows: list[Show] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    # the loader's records (podops.load.snapshot.Snapshot) when it had a cache: saved again by the build
    # once later checks have found the positions their diagnostics needed
    loaded: Any = field(default=None, repr=False, compare=False)


@dataclass
class Release:
    """A show as this build publishes it: the visible episodes in feed order and its URLs."""

    show: Show
    episodes: list[Episode] = field(repr=False)  # pages that list episodes add them to their key
    base_url: str = ""
    feed_url: str = ""
    scheduled: list[Episode] = field(default_factory=list, repr=False)
    live: list[OnAir] = field(default_factory=list, repr=False)


@dataclass
class OnAir:
    """A public channel as this build announces it: its events in the feed, with statuses."""

    channel: Channel
    events: list[LiveEvent]
    page_url: str = ""
