"""The resource format declared once: the validator walks it and ``podops schema`` prints it.

Keeping both behind one declaration is what makes the editor's squiggles and ``podops validate``
agree. Field names follow PodOps v1 (``research/podops.md`` §1); podops' additions keep its
camelCase style and are marked "podops" in their docs.
"""

from __future__ import annotations

from podops.load import namespace
from podops.load.fields import MAX_TITLE as MAX_TITLE  # noqa: F401 - imported from here by the commands
from podops.load.fields import Field
from podops.load.fields import choice as _choice
from podops.load.fields import items as _list
from podops.load.fields import struct as _struct
from podops.load.fields import text as _t
from podops.load.vocabulary import CATEGORIES, MEDIUMS

SCHEMA_ID = "https://podops.dev/schema/v1/resource.json"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{7,43}$"
GUID_PATTERN = r"^[0-9a-f]{12}$"
# An address as podops accepts it everywhere (owner, subscribers, imports): RFC 5322 dot-atom
# local part, RFC 1035 labels, at least one dot in the domain.
EMAIL_PATTERN = (r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                 r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
MAX_TEXT = 10_000
MAX_URL = 2_000
DEFAULT_PAGE_SIZE = 20  # API collection pages, as Autopod's limit: default 20, maximum 100
MAX_PAGE_SIZE = 100
# Cache-Control for `podops publish` (site.cacheControl): feeds and the API are polled and must
# change within minutes; pages may lag a little; media URLs never change their content.
CACHE_CONTROL = {
    "feeds": "public, max-age=300",
    "api": "public, max-age=300",
    "pages": "public, max-age=3600",
    "media": "public, max-age=31536000",
}
# Python-Markdown's own extensions, the only ones a show may name (site.markdownExtensions): an
# extension is Python code, and a production built in CI from a pull request must not choose
# which module podops imports.
MARKDOWN_EXTENSIONS = ("abbr", "admonition", "attr_list", "def_list", "extra", "fenced_code", "footnotes",
                       "legacy_attrs", "legacy_em", "md_in_html", "nl2br", "sane_lists", "smarty", "tables",
                       "toc", "wikilinks")
# What `podops notify` announces (README "Events"); live_* once live channels exist.
EVENT_TYPES = ("show_updated", "episode_published", "episode_updated", "episode_unpublished",
               "live_started", "live_ended")


def asset(doc: str, required: bool = False) -> Field:
    """A file of the production (``rel: local``) or a URL (``rel: external``)."""
    return _struct(
        doc,
        required,
        uri=Field("text", "Path relative to this file's production, or an https URL.", True, MAX_URL),
        rel=_choice("local (a file in the production) or external (a URL used as is).",
                    "local", "external", "import"),
        type=_t("MIME type; podops detects it from the content for local files."),
        etag=_t("Filled in by PodOps builds; ignored."),
        size=Field("int", "Bytes; podops measures local files itself.", minimum=0),
        duration=Field("duration", "Seconds; podops probes local MP3s itself."),
        timestamp=Field("int", "Filled in by PodOps builds; ignored.", minimum=0),
        title=_t("Link text."),
    )


PERSON = _struct(
    "A person credited (podcast:person).",
    name=_t("Full name (≤ 128 characters).", True, 128),
    role=_t("Role from the Podcast Taxonomy, e.g. host, guest, producer."),
    group=_t("Group from the Podcast Taxonomy, e.g. cast, writing."),
    img=Field("url", "Picture of the person (https)."),
    href=Field("url", "Page about the person (https)."),
)
FUNDING = _struct(
    "A way to support the show (podcast:funding).",
    uri=Field("url", "Donation or membership page.", True),
    title=_t("Link text (≤ 128 characters).", False, 128),
)
COMMON_LABELS = {
    "explicit": Field("flag", "Explicit content: yes/no/true/false (emitted as true/false)."),
    "block": Field("flag", "Hide from Apple Podcasts (itunes:block)."),
}

SHOW = _struct(
    "A show: one feed, one show page.",
    True,
    apiVersion=_choice("Always v1.", "v1"),
    kind=_choice("show", "show", "shows"),
    metadata=_struct(
        "Identity of the show.",
        True,
        name=Field("name", "URL segment: 8–44 of a-z 0-9 - _.", True),
        guid=Field("guid", "12 lowercase hex characters, never changes.", True),
        date=Field("date", "When the show was created (RFC 1123Z or ISO 8601 with timezone)."),
        tags=_t("Comma-separated keywords (itunes:keywords).", max=MAX_TEXT),
        labels=_struct(
            "Feed-wide switches.",
            language=Field("language", "ISO 639 language, e.g. en_US or en-us."),
            type=_choice("episodic (newest first) or serial (in episode order).",
                         "episodic", "serial"),
            complete=Field("flag", "No more episodes will be published (itunes:complete)."),
            locked=Field("flag", "podops: forbid other hosts from importing (podcast:locked)."),
            medium=_choice("podops: podcast:medium.", *MEDIUMS),
            **COMMON_LABELS,
        ),
    ),
    description=_struct(
        "What listeners see.",
        True,
        title=_t("Show title.", True),
        summary=_t("Markdown description (the feed keeps the first 4,000 bytes).", True, MAX_TEXT),
        link=asset("The show's website."),
        category=_list(
            "Apple Podcasts categories; the first one counts most.",
            _struct(
                "A category.",
                name=_choice("Apple category.", *CATEGORIES),
                subcategory=_list("Subcategories of that category.", _t("Subcategory.")),
            ),
            True,
        ),
        owner=_struct(
            "Who to contact about the feed (Apple and Spotify send mail here).",
            name=_t("Owner name."),
            email=Field("email", "Owner e-mail address.", True),
        ),
        author=_t("Author shown in apps (itunes:author)."),
        copyright=_t("Copyright line."),
        license=_struct(
            "podops: podcast:license.",
            name=_t("SPDX identifier or licence name.", True, 128),
            uri=Field("url", "Licence text (required for a custom licence)."),
        ),
    ),
    image=asset("Show artwork: JPEG or PNG, square, 1400–3000 px, RGB.", True),
    newFeedLink=asset("Moves subscribers to a new feed URL (itunes:new-feed-url)."),
    feedLink=asset("Where the feed was published before; informational."),
    podcastGuid=Field("uuid", "podops: podcast:guid (a UUID), assigned once and kept when the feed moves; "
                      "`podops new show` pins it, and without it validate and build warn with the value to pin."),
    private=Field("flag", "podops: only subscribers listen, each through a personal feed "
                  "(see kind: subscribers); nothing of the show is public."),
    site=_struct(
        "podops: where and how the site is published.",
        baseUrl=Field("url", "Public URL of the output folder, e.g. https://example.com/."),
        episodesPerPage=Field("int", "Episodes per show page.", minimum=1),
        markdown=_choice("How show notes are rendered: `commonmark` (default; CommonMark with GitHub's "
                         "tables, strikethrough and autolinks, as PodOps rendered them) or `python-markdown`.",
                         "commonmark", "python-markdown"),
        markdownExtensions=_list(
            "Python-Markdown's built-in extensions to use with `markdown: python-markdown` "
            "(default extra, sane_lists, smarty).",
            _choice("A Python-Markdown extension.", *MARKDOWN_EXTENSIONS)),
        links=_list(
            "Where else to subscribe (Apple Podcasts, Spotify, Overcast, …).",
            _struct("A platform link.", name=_t("Platform name.", True, 64),
                    uri=Field("url", "Link to the show there.", True)),
        ),
        cacheControl=_struct(
            "podops: Cache-Control headers `podops publish` sets, per kind of file.",
            feeds=_t(f"RSS feeds (default `{CACHE_CONTROL['feeds']}`).", max=200),
            api=_t(f"API documents under api/ (default `{CACHE_CONTROL['api']}`).", max=200),
            pages=_t(f"Pages, styles, transcripts, chapters (default `{CACHE_CONTROL['pages']}`).", max=200),
            media=_t(f"Audio and images (default `{CACHE_CONTROL['media']}`).", max=200),
        ),
    ),
    api=_struct(
        "podops: the static read API under api/v1/.",
        pageSize=Field("int", f"Items per page of the API's collections (1–{MAX_PAGE_SIZE}, default "
                       f"{DEFAULT_PAGE_SIZE}); the network-wide ones use the largest any show sets.",
                       minimum=1, max=MAX_PAGE_SIZE),
    ),
    funding=_list("podops: podcast:funding links.", FUNDING),
    persons=_list("podops: podcast:person credits.", PERSON),
    webhooks=_list(
        "podops: receivers `podops notify` POSTs signed events to (Standard Webhooks).",
        _struct(
            "A webhook receiver.",
            url=Field("url", "Where events are POSTed (http or https).", True),
            events=_list("Event types to send (default: all).", _choice("An event type.", *EVENT_TYPES)),
        ),
    ),
    websubHubs=_list("podops: WebSub hubs the feed names (atom:link rel=hub); `podops notify` pings them.",
                     Field("url", "A hub, e.g. https://pubsubhubbub.appspot.com/.")),
    podping=Field("flag", "podops: announce feed changes through Podping (podcast:podping)."),
    chapters=_struct(
        "podops: what the episodes' chapters produce besides podcast:chapters and psc:chapters.",
        descriptionTimestamps=Field("flag", "Timestamps in each episode's description, one per line, as "
                                    "Spotify reads them (default true; only when there are at least three "
                                    "chapters and the first starts at 0:00)."),
        id3=Field("flag", "Write the chapters as ID3v2 CHAP/CTOC frames into the published copy of each "
                  "local MP3, so they survive download (default false; the production's file is never changed)."),
    ),
    live=_struct(
        "podops: how the show's live channels appear in its feed.",
        keepEndedDays=Field("int", "Days an ended live event stays in the feed (default 7).", minimum=0),
    ),
    episodes=_list("PodOps single-file import output; ignored.", Field("any")),
    **namespace.SHOW_TAGS,
)

EPISODE = _struct(
    "An episode: one feed item, one page.",
    True,
    apiVersion=_choice("Always v1.", "v1"),
    kind=_choice("episode", "episode", "episodes"),
    metadata=_struct(
        "Identity of the episode.",
        True,
        name=Field("name", "URL segment: 8–44 of a-z 0-9 - _.", True),
        guid=Field("guid", "12 lowercase hex characters, never changes.", True),
        parent=Field("guid", "GUID of the show this episode belongs to.", True),
        date=Field("date", "Publication date (RFC 1123Z or ISO 8601 with timezone).", True),
        itemGuid=_t("podops: the <guid> this episode was first published with (imports)."),
        labels=_struct(
            "Episode switches.",
            season=Field("int", "Season number.", minimum=1),
            seasonName=_t("Name of the season (podcast:season name, ≤ 128 characters; default Season N).",
                          max=128),
            episode=Field("int", "Episode number.", minimum=1),
            episodeDisplay=_t("What apps show instead of the number, e.g. Ch.3 (podcast:episode display, "
                              "≤ 32 characters).", max=32),
            type=_choice("full, trailer or bonus.", "full", "trailer", "bonus"),
            status=_choice("podops: published, draft (never emitted) or archived (removed).",
                           "published", "draft", "archived"),
            **COMMON_LABELS,
        ),
    ),
    description=_struct(
        "What listeners see.",
        True,
        title=_t("Episode title.", True),
        summary=_t("Short Markdown summary.", True, MAX_TEXT),
        episodeText=_t("Markdown show notes.", max=MAX_TEXT),
        link=asset("A web page about the episode."),
        duration=Field("duration", "Seconds or H:MM:SS; podops probes local MP3s itself."),
    ),
    image=asset("Episode artwork (same rules as the show's)."),
    enclosure=asset("The audio: an MP3 in the production or an https URL.", True),
    chapters=_list(
        "podops: chapters: the podcast:chapters JSON file, psc:chapters, description timestamps, "
        "the page's chapter list, and ID3 frames with the show's chapters.id3.",
        _struct(
            "A chapter.",
            start=Field("duration", "Start: seconds or H:MM:SS.", True),
            title=_t("Chapter title.", True),
            url=Field("url", "A link for this chapter."),
            img=Field("url", "A picture for this chapter."),
            toc=Field("flag", "false hides the chapter from tables of contents."),
        ),
    ),
    transcripts=_list("podops: transcripts (podcast:transcript).", asset("A transcript file.")),
    persons=_list("podops: podcast:person credits (replace the show's).", PERSON),
    funding=_list("podops: podcast:funding links.", FUNDING),
    **namespace.EPISODE_TAGS,
)

# The transcript asset carries two extra fields.
EPISODE.fields["transcripts"].item.fields.update(  # type: ignore[union-attr]
    language=Field("language", "Language of the transcript."),
    captions=Field("flag", "Timed captions (rel=captions)."),
)

SUBSCRIBERS = _struct(
    "podops: who may listen to a private show; each subscriber gets a personal feed.",
    True,
    apiVersion=_choice("Always v1.", "v1"),
    kind=_choice("subscribers", "subscribers", "subscriber"),
    metadata=_struct(
        "Identity of the list.",
        True,
        name=Field("name", "8–44 of a-z 0-9 - _ (never published).", True),
        guid=Field("guid", "12 lowercase hex characters.", True),
        parent=Field("guid", "GUID of the private show these listeners may hear.", True),
    ),
    subscribers=_list(
        "One entry per listener; removing an entry revokes that listener's feed on the next build.",
        _struct(
            "A listener.",
            email=Field("email", "E-mail address: the key of the personal URLs, never published "
                        "(compared ignoring case and surrounding space).", True),
            name=_t("How the personal subscribe page greets them (≤ 128 characters).", max=128),
        ),
    ),
)

STREAM_FORMATS = ("mp3", "aac", "ogg", "opus", "flac")  # Streaming.Center s_format
STREAM_SERVERS = ("icecast", "icecast-kh", "shoutcast1", "shoutcast2", "shoutcast2.6")  # s_type
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Streaming.Center's authenticated channel fields (seed 004); a key matching one is a secret.
SECRET_FIELDS = ("password", "admin_password", "sc_authhash", "*_stream_key", "shoutcast_license_key",
                 "awstats_password")

EVENT = _struct(
    "A scheduled broadcast: one podcast:liveItem.",
    title=_t("What is on.", True),
    start=Field("date", "When it starts (ISO 8601 with timezone).", True),
    end=Field("date", "When it ends; after start.", True),
    description=_t("Markdown description.", max=MAX_TEXT),
    image=Field("url", "Artwork for this broadcast (https)."),
    guid=_t("The liveItem's <guid>; derived from the channel and the start when absent."),
    persons=_list("podcast:person credits for this broadcast (replace the channel's).", PERSON),
)

CHANNEL = _struct(
    "podops: a live stream (Icecast or Shoutcast) announced in the parent show's feed.",
    True,
    apiVersion=_choice("Always v1.", "v1"),
    kind=_choice("channel", "channel", "channels"),
    metadata=_struct(
        "Identity of the channel.",
        True,
        name=Field("name", "URL segment of the live page: 8–44 of a-z 0-9 - _.", True),
        guid=Field("guid", "12 lowercase hex characters, never changes.", True),
        parent=Field("guid", "GUID of the show whose feed announces this channel.", True),
    ),
    description=_struct(
        "What listeners see.",
        True,
        title=_t("Channel title.", True),
        summary=_t("Markdown description.", max=MAX_TEXT),
    ),
    stream=_struct(
        "Where the stream is (Streaming.Center stream_url, secure_stream_url, hls_url, …).",
        True,
        url=Field("url", "The stream (stream_url); the liveItem's enclosure.", True),
        secureUrl=Field("url", "The stream over https (secure_stream_url)."),
        hlsUrl=Field("url", "An HLS playlist of the stream (hls_url)."),
        format=_choice("Codec (s_format); decides the MIME type. Default mp3.", *STREAM_FORMATS),
        bitrate=Field("int", "Kilobits per second (bitrate).", minimum=1),
        server=_choice("Streaming server (s_type). Default icecast.", *STREAM_SERVERS),
        mountPoint=_t("Mount point (mount_point); the stream URL's path when absent.", max=200),
        statusUrl=Field("url", "Icecast status-json.xsl, read by the live page for listeners and title."),
    ),
    public=Field("flag", "false keeps the channel out of the feed, site and API (default true)."),
    chat=Field("url", "A chat room for listeners, linked from the live page and the feed."),
    image=Field("url", "Artwork for the channel's broadcasts (https); the show's when absent."),
    persons=_list("podcast:person credits for every broadcast.", PERSON),
    schedule=_list("One-off broadcasts.", EVENT),
    recurring=_list(
        "Weekly slots, expanded into broadcasts for the weeks around the build.",
        _struct(
            "A weekly slot.",
            title=_t("What is on.", True),
            days=_list("Weekdays, e.g. [monday, friday].",
                       _choice("A weekday.", *WEEKDAYS), True),
            time=_t("Local start time, HH:MM (24 h).", True, 5),
            duration=Field("duration", "Length: seconds or H:MM:SS.", True),
            timezone=_t("IANA time zone of time, e.g. Europe/Berlin (default UTC).", max=64),
            description=_t("Markdown description.", max=MAX_TEXT),
            image=Field("url", "Artwork for these broadcasts (https)."),
            since=Field("date", "First day the slot runs (ISO 8601 with timezone)."),
            until=Field("date", "Last day the slot runs (ISO 8601 with timezone)."),
        ),
    ),
)

RESOURCES = {"show": SHOW, "episode": EPISODE, "subscribers": SUBSCRIBERS, "channel": CHANNEL}


def field_at(spec: Field, dotted: str) -> Field:
    """The declaration of a dotted field, e.g. ``metadata.labels.type``."""
    for key in dotted.split("."):
        spec = spec.fields[key]
    return spec
