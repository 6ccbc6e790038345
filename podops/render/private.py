"""Private shows: a personal feed and subscribe page per subscriber, pages and media under a prefix.

Nothing here reaches a public file. The show's episode pages, chapters and media live under
``private/<show prefix>/`` (see :mod:`podops.urls`); each subscriber's feed and subscribe page
live under ``private/<token>/``, so removing a subscriber removes exactly that folder on the next
build and leaves every other file byte-identical. Feeds carry ``itunes:block`` (Apple's tag
reference) and ``podcast:block`` (Podcasting 2.0) so no directory lists them; pages carry
``noindex`` and ``no-referrer`` so the capability URLs neither get indexed nor leak through the
``Referer`` header (W3C TAG, "Good Practices for Capability URLs").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from podops import capability, urls
from podops.model import Release
from podops.render import feed, markup
from podops.render.api import HEADERS
from podops.render.pagecache import PageCache
from podops.render.site import SiteRenderer
from podops.render.theme import Theme
from podops.write.output import Plan


@dataclass(frozen=True)
class Access:
    """One subscriber's personal URLs, as ``podops subscribers`` prints them and the build writes them."""

    email: str  # as the list writes it
    name: str | None
    token: str
    feed_path: str
    page_path: str
    feed_url: str
    subscribe_url: str


@dataclass(frozen=True)
class App:
    """A podcast app that follows a feed from a link, and how to add one by hand."""

    name: str
    link: Callable[[str], str]
    how: str


def _bare(url: str) -> str:
    return url.split("://", 1)[-1]


# URL schemes as each app documents them (Overcast: overcast.fm/podcasterinfo; Pocket Casts:
# support.pocketcasts.com "linking to my show"; AntennaPod: antennapod.org, "add-on AntennaPod");
# Apple Podcasts has no web link for private feeds, only podcast:// and "Follow a Show by URL".
APPS = (
    App("Apple Podcasts", lambda url: "podcast://" + _bare(url),
        "iPhone or iPad: Library → ⋯ → Follow a Show by URL. Mac: File → Follow a Show by URL."),
    App("Overcast", lambda url: "overcast://x-callback-url/add?url=" + quote(url, safe=""),
        "Tap + → Add URL and paste the feed URL."),
    App("Pocket Casts", lambda url: "pktc://subscribe/" + _bare(url),
        "Paste the feed URL into Search."),
    App("AntennaPod", lambda url: "antennapod-subscribe://" + _bare(url),
        "Tap + → Add podcast by RSS address and paste the feed URL."),
    App("Podcast Addict", lambda url: "podcastaddict://" + _bare(url),
        "Tap + → RSS feed and paste the feed URL."),
    App("Castro", lambda url: "castros://subscribe/" + _bare(url),
        "Paste the feed URL into Search."),
)


def app_links(feed_url: str) -> list[dict[str, str]]:
    """The "add to" links of a subscribe page, one per app."""
    return [{"name": app.name, "href": app.link(feed_url), "how": app.how} for app in APPS]


def accesses(release: Release, secret: bytes) -> list[Access]:
    """Every subscriber of a private show with their token and URLs, in the order they are listed."""
    show = release.show
    found = []
    for subscriber in show.subscribers:
        token = capability.subscriber_token(secret, show.guid, subscriber.email)
        folder = capability.subscriber_dir(token)
        found.append(Access(subscriber.address or subscriber.email, subscriber.name, token, folder + "feed.xml",
                            folder + "index.html", urls.absolute(release.base_url, folder + "feed.xml"),
                            urls.absolute(release.base_url, folder)))
    return found


def _close_to_robots(plan: Plan) -> None:
    """Add the private folder to Netlify's and Cloudflare's ``_headers``: noindex even for media files."""
    rules = (f"/{capability.PRIVATE_FOLDER}/*\n  X-Robots-Tag: noindex, nofollow\n"
             "  Referrer-Policy: no-referrer\n")
    plan.amend(HEADERS, lambda data: data.rstrip(b"\n") + b"\n\n" + rules.encode())


def render_private(releases: list[Release], plan: Plan, templates: Path | None, secret: bytes,
                   build_time: datetime | None, cache: PageCache | None = None) -> None:
    """Render every private show: its episode pages, and a feed and a subscribe page per subscriber."""
    if not releases:
        return
    _close_to_robots(plan)
    theme = Theme(templates)
    renderer = SiteRenderer(releases, plan, theme, cache, private=True)
    theme.env.globals["show_count"] = 1  # a private page links to no other show
    for release in releases:
        show = release.show
        renderer.page("private.html", urls.page_path(show, 1), release.base_url, None, lang=show.language,
                      release=release, show=show, title=show.title, description="")
        for position, episode in enumerate(release.episodes):
            renderer.render_episode(release, episode, position)
        image_url = urls.asset_url(release.base_url, show, show.image) if show.image else None
        subscribers = accesses(release, secret)
        # every personal feed holds the same items: rendered (or taken from any previous feed) once
        items = feed.render_items(show, release.episodes, release.base_url, cache, [a.feed_path for a in subscribers])
        for access in subscribers:
            feed.plan_feed(plan, show, release.episodes, release.base_url, build_time, access.feed_url,
                           access.subscribe_url, cache=cache, path=access.feed_path, items=items)
            renderer.page("subscribe.html", access.page_path, release.base_url, None, lang=show.language,
                          release=release, show=show, episodes=release.episodes, subscriber=access.name,
                          apps=app_links(access.feed_url), feed_url=access.feed_url, image_url=image_url,
                          title=f"{show.title}: your personal feed", description=markup.plain(show.summary))
