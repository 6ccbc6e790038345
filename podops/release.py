"""The release rules: what each show publishes now, and what a release must not carry.

``podops validate`` and ``podops build`` both call :func:`plan_releases`, so a production that
validates builds, and one that fails to build fails validation with the same diagnostics. Nothing
here writes: the rules read the loaded (and probed) production and return releases and problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlsplit

from podops import live, urls
from podops.errors import Problems
from podops.model import Channel, Episode, OnAir, Person, Production, Release, Show

# RFC 2606 §3 reserves these second-level domains (and §2 the TLD) for documentation.
PLACEHOLDER_DOMAINS = ("example.com", "example.org", "example.net")
PLACEHOLDER_TLDS = (".example", ".invalid")
# The texts `podops new` writes for a podcaster to replace.
SHOW_SUMMARY = "What *{title}* is about, in Markdown."
EPISODE_SUMMARY = "One or two sentences about this episode."
FALLBACK_BASE = "http://localhost/"  # only ever used when the base URL error already stops the run
# every value placeholder_host answers for holds one of these (its host is a piece of it, lower-cased):
# a cheap search first, so the URLs of 10,000 episodes are not all split (in placeholder_host)
_MAYBE = re.compile(r"example|\.invalid", re.IGNORECASE)


def _order(show: Show, episodes: list[Episode]) -> list[Episode]:
    """Newest first; serial shows in season and episode order (Apple's itunes:type)."""
    if show.type == "serial":
        return sorted(episodes, key=lambda e: (e.season or 0, e.number or 0, e.date or datetime.min, e.guid))
    return sorted(episodes, key=lambda e: (e.date.timestamp() if e.date else 0, e.guid), reverse=True)


def select(show: Show, now: datetime, drafts: bool, base_url: str) -> Release:
    """Choose what a show publishes now: no archived episodes, drafts only on request, none scheduled."""
    visible: list[Episode] = []
    scheduled: list[Episode] = []
    for episode in show.episodes:
        if episode.status == "archived" or (episode.status == "draft" and not drafts):
            continue
        if episode.date and episode.date > now:
            scheduled.append(episode)
        else:
            visible.append(episode)
    feed_url = "" if show.private else urls.absolute(base_url, urls.feed_path(show))  # private: one per listener
    # the broadcasts the feed and the live page announce now; a private show's channels stay unpublished
    on_air = [OnAir(c, live.announce(c, now, show.keep_ended_days), urls.absolute(base_url, urls.live_dir(show, c)))
              for c in show.channels if c.public and not show.private]
    return Release(show, _order(show, visible), base_url, feed_url, scheduled, on_air)


def base_url(show: Show, override: str | None, problems: Problems) -> str | None:
    """Where the output folder is published: --base-url, else site.baseUrl, else the show's link.

    Feeds need absolute URLs (Apple rejects relative enclosures). PodOps productions carry no
    site.baseUrl, so their description.link stands in, with a warning to say so.
    """
    base = override or show.base_url
    if not base and show.link:
        base = show.link
        line, column = show.mark("description.link.uri")
        problems.add(show.display, line, column, "site.baseUrl",
                     f"not set: publishing under the show's link {show.link} "
                     "(set site.baseUrl or pass --base-url to choose)", "warning")
    if not base:
        line, column = show.mark("site")
        problems.add(show.display, line, column, "site.baseUrl",
                     "is required to write absolute feed and enclosure URLs (or pass --base-url)")
        return None
    return base if base.endswith("/") else base + "/"


def check_podcast_guid(item: Release, problems: Problems) -> None:
    """podcast:guid is assigned once and kept when the feed moves (podcastindex namespace, guid tag).

    A show that does not pin it gets the derived value to pin; a pinned value that differs from
    the feed URL's is kept, with a warning, unless ``feedLink`` records the move.
    """
    show = item.show
    # A private show's personal feeds share the podcast:guid of the URL it would have in public.
    feed_url = item.feed_url or urls.public_feed_url(show, item.base_url)
    derived = urls.podcast_guid(feed_url)
    if not show.podcast_guid:
        line, column = show.mark("podcastGuid")
        problems.add(show.display, line, column, "podcastGuid",
                     f"not set: podcast:guid is derived from the feed URL {feed_url} and would change "
                     f"if the feed moves; pin it by adding `podcastGuid: {derived}` to the show", "warning")
    elif show.podcast_guid != derived and not show.moved_from:
        line, column = show.mark("podcastGuid")
        problems.add(show.display, line, column, "podcastGuid",
                     f"differs from {derived}, derived from {feed_url}; keeping the written value "
                     "(right after a move of the feed, wrong otherwise)", "warning")


def placeholder_host(url: str) -> str | None:
    """The host of ``url`` (or the domain of an e-mail address) when it is reserved for examples."""
    if not _MAYBE.search(url):
        return None  # the common case, without splitting the URL
    host = (url.rpartition("@")[2] if "://" not in url else urlsplit(url).hostname or "").lower().rstrip(".")
    if any(host == d or host.endswith("." + d) for d in PLACEHOLDER_DOMAINS) or host.endswith(PLACEHOLDER_TLDS):
        return host
    return None


def _people(persons: list[Person], prefix: str) -> Iterator[tuple[str, str | None]]:
    for i, person in enumerate(persons):
        yield f"{prefix}persons[{i}].href", person.href
        yield f"{prefix}persons[{i}].img", person.img


def _show_values(show: Show) -> Iterator[tuple[str, str | None]]:
    """Every URL and address of a show that reaches its feed, with its field."""
    yield "site.baseUrl", show.base_url
    yield "description.link.uri", show.link
    yield "description.owner.email", show.owner_email
    yield "description.license.uri", show.license.uri if show.license else None
    yield "newFeedLink.uri", show.new_feed_url
    if show.image and show.image.rel == "external":
        yield "image.uri", show.image.uri
    for i, link in enumerate(show.funding):
        yield f"funding[{i}].uri", link.uri
    yield from _people(show.persons, "")


def _episode_values(episode: Episode) -> Iterator[tuple[str, str | None]]:
    """Every URL of an episode that reaches the feed, with its field."""
    yield "description.link.uri", episode.link
    for asset in (episode.image, episode.enclosure, *episode.transcripts):
        if asset is not None and asset.rel == "external":
            yield asset.field, asset.uri
    for i, chapter in enumerate(episode.chapters):
        yield f"chapters[{i}].url", chapter.url
        yield f"chapters[{i}].img", chapter.img
    for i, link in enumerate(episode.funding):
        yield f"funding[{i}].uri", link.uri
    yield from _people(episode.persons, "")


def _channel_values(channel: Channel) -> Iterator[tuple[str, str | None]]:
    yield from (("stream.url", channel.stream_url), ("stream.secureUrl", channel.secure_url),
                ("stream.hlsUrl", channel.hls_url), ("stream.statusUrl", channel.status_url),
                ("chat", channel.chat), ("image", channel.image))
    yield from _people(channel.persons, "")


def check_live(item: Release, problems: Problems) -> None:
    """A live page on https can neither play an http stream nor read an http status URL (mixed content)."""
    if not item.base_url.lower().startswith("https:"):
        return
    for on_air in item.live:
        channel = on_air.channel
        if channel.stream_url.lower().startswith("http:") and not channel.secure_url:
            line, column = channel.mark("stream.url")
            problems.add(channel.display, line, column, "stream.url",
                         "is http and there is no stream.secureUrl: browsers will not play it on the https "
                         "live page (podcast apps still can)", "warning")
        if channel.status_url and channel.status_url.lower().startswith("http:"):
            line, column = channel.mark("stream.statusUrl")
            problems.add(channel.display, line, column, "stream.statusUrl",
                         "is http while the site is https: browsers will not let the live page read it, "
                         "so it shows no listeners (use the server's https port)", "warning")


def check_placeholders(item: Release, override: str | None, problems: Problems) -> None:
    """Warn when the feed would carry example hosts, a placeholder e-mail or `podops new`'s texts."""
    show = item.show
    if override and (placeholder := placeholder_host(override)):
        problems.add(show.display, 0, 0, "--base-url",
                     f"{override} is a placeholder host ({placeholder}): the feed would point "
                     "there", "warning")
    resources: list[tuple[Show | Episode | Channel, Iterator[tuple[str, str | None]]]] = [(show, _show_values(show))]
    resources += [(episode, _episode_values(episode)) for episode in item.episodes]
    resources += [(on_air.channel, _channel_values(on_air.channel)) for on_air in item.live]
    for resource, values in resources:
        for field, value in values:
            if field == "site.baseUrl" and override:
                continue  # --base-url wins; site.baseUrl does not reach the feed
            host = placeholder_host(value) if value else None
            if host:
                what = "a placeholder e-mail" if field.endswith("email") else "a placeholder host"
                line, column = resource.mark(field)
                problems.add(resource.display, line, column, field,
                             f"{value!r} is {what} ({host}): replace it before publishing", "warning")
    texts: list[tuple[Show | Episode, str]] = [(show, SHOW_SUMMARY.format(title=show.title))]
    texts += [(episode, EPISODE_SUMMARY) for episode in item.episodes]
    for resource, placeholder in texts:
        if resource.summary.strip() == placeholder:
            line, column = resource.mark("description.summary")
            problems.add(resource.display, line, column, "description.summary",
                         "still the text `podops new` wrote: replace it before publishing", "warning")


def plan_releases(production: Production, now: datetime, drafts: bool = False,
                  override: str | None = None) -> tuple[list[Release], Problems]:
    """Every show's release and every problem the release rules find (errors and warnings)."""
    problems = Problems()
    releases: list[Release] = []
    for show in production.shows:
        base = base_url(show, override, problems)
        item = select(show, now, drafts, base or FALLBACK_BASE)
        if base is not None:  # without a base URL every URL rule would only repeat that error
            check_podcast_guid(item, problems)
            check_placeholders(item, override, problems)
            check_live(item, problems)
        releases.append(item)
    return releases, problems
