"""The public website: a home page, paginated show pages, episode pages, embeds and a sitemap.

Every page is rendered into the build's :class:`~podops.write.output.Plan` through :class:`Theme`, so a
template error stops the build before anything is written. Links between pages are relative, so
the site works from any folder; canonical, share and feed URLs are absolute, from the release's
base URL. Nothing reads the clock: dates come from episodes, so rebuilds are byte-identical.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from podops import live, urls
from podops.errors import Diagnostic, TemplateError
from podops.model import Asset, Episode, OnAir, Release, Show
from podops.render import markup, pagepool, search
from podops.render.pagecache import PageCache
from podops.render.theme import Links, Theme, complete_html, href, iso_date, iso_duration
from podops.render.transcript import read_transcript
from podops.urls import embed_path, episode_path, show_path
from podops.write.output import Plan

EMBED_HEIGHT = 180  # pixels; the embed page is laid out for this height


@dataclass
class SitemapEntry:
    """One public URL and when its content last changed (empty when nothing dates it)."""

    url: str
    lastmod: str = ""


def http_url(value: str | None) -> str:
    """An http(s) URL or nothing: a second guard behind the validator for every outside link."""
    if value and urlsplit(value).scheme.lower() in ("http", "https"):
        return value
    return ""


def embed_snippet(url: str, title: str) -> str:
    """The ``<iframe>`` a listener pastes into their own page (shown as text, never rendered here)."""
    return (f'<iframe src="{html.escape(url)}" title="{html.escape(title)}" width="100%" '
            f'height="{EMBED_HEIGHT}" loading="lazy" style="border:0;border-radius:12px"></iframe>')


# The built-in embed.html renders its dark twin differently in these two places only (both come
# before any of the episode's data), so the dark page is the light one with them swapped.
THEMES = (('class="embed-page theme-light"', 'class="embed-page theme-dark"'),
          ('<meta name="color-scheme" content="light">', '<meta name="color-scheme" content="dark">'))


def dark_embed(light: str) -> str | None:
    """The built-in dark embed page made from the light one, or None when a marker is missing."""
    for before, after in THEMES:
        if before not in light:
            return None
        light = light.replace(before, after, 1)
    return light


def series_data(release: Release) -> dict[str, Any]:
    """schema.org PodcastSeries for the show page."""
    show = release.show
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "PodcastSeries", "name": show.title,
        "description": markup.plain(show.summary), "webFeed": release.feed_url, "inLanguage": show.language,
        "url": urls.absolute(release.base_url, urls.show_dir(show)),
    }
    if show.image:
        data["image"] = urls.asset_url(release.base_url, show, show.image)
    if show.author:
        data["author"] = {"@type": "Person", "name": show.author}
    return data


def episode_data(release: Release, episode: Episode) -> dict[str, Any]:
    """schema.org PodcastEpisode, its audio as a MediaObject, part of the PodcastSeries."""
    show, base = release.show, release.base_url
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "PodcastEpisode", "name": episode.title,
        "description": markup.plain(episode.summary), "inLanguage": show.language,
        "url": urls.absolute(base, urls.episode_dir(show, episode)),
        "partOfSeries": {"@type": "PodcastSeries", "name": show.title,
                         "url": urls.absolute(base, urls.show_dir(show)), "webFeed": release.feed_url},
    }
    if episode.date:
        data["datePublished"] = iso_date(episode.date)
    if episode.number is not None:
        data["episodeNumber"] = episode.number
    if episode.season is not None:
        data["partOfSeason"] = {"@type": "PodcastSeason", "seasonNumber": episode.season}
    image = episode.image or show.image
    if image:
        data["image"] = urls.asset_url(base, show, image)
    if episode.enclosure:
        media: dict[str, Any] = {"@type": "MediaObject",
                                 "contentUrl": urls.asset_url(base, show, episode.enclosure),
                                 "encodingFormat": episode.enclosure.type or "audio/mpeg"}
        if episode.duration is not None:
            media["duration"] = iso_duration(episode.duration)
            data["timeRequired"] = media["duration"]
        if episode.enclosure.size:
            media["contentSize"] = str(episode.enclosure.size)
        data["associatedMedia"] = media
    return data


def episode_label(show: Show, episode: Episode) -> str:
    """``Season 1 · Episode 2``, ``Episode 2``, ``Trailer`` or ``Bonus``: what a listener looks for."""
    parts = []
    if episode.season is not None:
        parts.append(f"Season {episode.season}")
    if episode.number is not None:
        parts.append(f"Episode {episode.number}")
    if episode.type != "full":
        parts.append(episode.type.capitalize())
    return " · ".join(parts)


def link_asset(links: Callable[[str], str], show: Show, asset: Asset | None) -> str:
    """A link to an asset: ``links`` of its output path for local files, as written for external ones."""
    if asset is None:
        return ""
    if asset.rel == "external" or asset.path is None:
        return http_url(asset.uri)
    return str(links(urls.asset_path(show, asset)))


@jinja2.pass_context
def asset_link(context: Any, show: Show, asset: Asset | None) -> str:
    """Template helper: link to an asset, relative for local files, as written for external ones."""
    return link_asset(lambda target: href(context, target), show, asset)


def player_chapters(episode: Episode) -> list[dict[str, Any]]:
    """The chapters the player marks on its timeline (the table-of-contents ones), as JSON data."""
    return [{"start": chapter.start, "title": chapter.title} for chapter in episode.chapters if chapter.toc]


def newest(episodes: list[Episode], fallback: datetime | None) -> str:
    """The newest episode date as ``YYYY-MM-DD`` (the sitemap's lastmod), else the fallback's."""
    return iso_date(max((e.date for e in episodes if e.date), default=fallback))


def blame_data(exc: TemplateError, resource: Episode | Show | None, path: str) -> TemplateError:
    """Point a failure inside a built-in template at the resource whose data caused it.

    The built-in theme is tested; when it fails, the data is the cause, and the podcaster
    needs the YAML file to fix, not a line in podops' own templates. Override templates
    (``templates/…``) are the author's code and keep their own location.
    """
    if resource is None or all(d.path.startswith("templates/") for d in exc.diagnostics):
        return exc
    line, column = resource.mark("metadata.name")
    return TemplateError([
        Diagnostic(resource.display, line, column, "",
                   f"cannot render {path} from this resource: {d.message} (in the built-in template "
                   f"{Path(d.path).name}:{d.line})") for d in exc.diagnostics])


class SiteRenderer:
    """Renders every page of one build into a plan and remembers their URLs for the sitemap."""

    def __init__(self, releases: list[Release], plan: Plan, theme: Theme, cache: PageCache | None = None,
                 private: bool = False, base_url: str | None = None) -> None:
        self.releases, self.plan, self.theme = releases, plan, theme
        self.private = private  # private shows' pages: noindex, no sitemap, no embeds, no feed links
        self.cache = cache or PageCache(None, None, "", enabled=False)
        self.base_url = releases[0].base_url if releases else base_url or "/"
        self.disallow: list[str] = []  # URL paths robots.txt keeps crawlers out of
        self.sitemap: list[SitemapEntry] = []
        self.indexed = {r.show.name for r in search.public(releases) if r.episodes}  # shows in the search index
        self.bundles: dict[str, list[str]] = {}  # search_paths by show name
        theme.env.globals.update(episode_path=episode_path, show_path=show_path,
                                 label=episode_label, http_url=http_url, asset_link=asset_link,
                                 player_chapters=player_chapters, searchable=self.searchable,
                                 search_paths=self.search_paths,
                                 show_count=len(releases))
        theme.env.filters.update(http_url=http_url)

    def searchable(self, show: Show) -> bool:
        """Template helper: whether a show's episodes are in the search index (never a private show)."""
        return show.name in self.indexed

    def search_paths(self, show: Show) -> list[str]:
        """Template helper: output paths of the scripts that search a show's indexes.

        Worked out once per show and build: every page of a show's list asks, and a large show's
        buckets hash every episode.
        """
        paths = self.bundles.get(show.name)
        if paths is None:
            paths = self.bundles[show.name] = next(search.bundle_paths(r) for r in self.releases
                                                   if r.show.name == show.name)
        return list(paths)

    def describe(self, *items: object) -> str:
        """The page-key material for model objects, each repr taken once per build."""
        return self.cache.describe(*items)

    def reuse(self, paths: Sequence[tuple[str, str | None, str | None]], material: str) -> bool:
        """Keep pages (path, base URL, lastmod) from the previous output when their inputs are unchanged."""
        if not self.cache.reusable_together([path for path, _, _ in paths], self.cache.key(material)):
            return False  # pages made from the same inputs: one key, the first path's
        for path, base_url, lastmod in paths:
            self.plan.keep(path)
            if lastmod is not None and not self.private:
                self.sitemap.append(SitemapEntry(urls.absolute(base_url or self.base_url, path), lastmod))
        return True

    def page(self, template: str, path: str, base_url: str | None, lastmod: str | None,
             canonical: str | None = None, **context: Any) -> str:
        """Render one page into the plan, and return it; list it in the sitemap unless ``lastmod`` is None."""
        canonical = canonical or urls.absolute(base_url or self.base_url, path)
        context.setdefault("feed_url", None)
        context.setdefault("jsonld", None)
        context.setdefault("image_url", None)
        context.setdefault("audio_url", None)
        context.setdefault("private", self.private)
        links = Links(path, context.get("absolute_base"))  # what `href` and `asset_link` link with
        try:
            text = self.theme.render(template, page_path=path, canonical=canonical, href=links,
                                     asset_link=partial(link_asset, links), **context)
        except TemplateError as exc:
            raise blame_data(exc, context.get("episode") or context.get("show"), path) from None
        self.plan.add(path, text)
        if lastmod is not None and not self.private:
            self.sitemap.append(SitemapEntry(canonical, lastmod))
        return text

    def render(self) -> None:
        """Every page, static file, the sitemap and robots.txt."""
        for name, source in self.theme.static_files():
            self.plan.add(f"{urls.STATIC}/{name}", source.read_bytes())
        languages = sorted({r.show.language for r in self.releases})
        lang = languages[0] if len(languages) == 1 else "en"
        everything = [e for r in self.releases for e in r.episodes]
        fallback = max((r.show.date for r in self.releases if r.show.date), default=None)
        if len(self.releases) == 1:  # one show: the home page is that show's first page
            self.render_home(self.releases[0])
        else:
            self.page("index.html", "index.html", None, newest(everything, fallback),
                      lang=lang, releases=self.releases, title="Podcasts", description="")
        for number, release in enumerate(self.releases):
            jobs: list[pagepool.Job] = [("list", number, page) for page in self.stale_pages(release)]
            jobs += [("episode", number, position) for position, episode in enumerate(release.episodes)
                     if not self.reuse_episode(release, episode, position)]
            pagepool.render_pages(self, jobs)
            for on_air in release.live:
                self.render_live(release, on_air)
        one = self.releases[0] if len(self.releases) == 1 else None
        single: dict[str, Any] = {"show": one.show, "feed_url": one.feed_url} if one else {}
        self.page("404.html", "404.html", None, None, lang=lang, title="Page not found", description="",
                  absolute_base=self.base_url, **single)
        self.sitemap.sort(key=lambda entry: entry.url)
        self.plan.add("sitemap.xml", self.theme.render("sitemap.xml", entries=self.sitemap))
        sitemap_url = urls.absolute(self.base_url, "sitemap.xml") if self.base_url != "/" else ""
        self.plan.add("robots.txt", self.theme.render("robots.txt", sitemap_url=sitemap_url, disallow=self.disallow))

    def show_context(self, release: Release, number: int) -> dict[str, Any]:
        """What the show template needs for page ``number`` of a show's episode list."""
        show, per_page = release.show, max(1, release.show.per_page)
        count = max(1, -(-len(release.episodes) // per_page))
        return {
            "lang": show.language, "release": release, "show": show,
            "episodes": release.episodes[(number - 1) * per_page: number * per_page],
            "page": {"number": number, "count": count,
                     "newer": urls.page_path(show, number - 1) if number > 1 else None,
                     "older": urls.page_path(show, number + 1) if number < count else None},
            "title": show.title if number == 1 else f"{show.title} (page {number} of {count})",
            "description": markup.plain(show.summary), "feed_url": release.feed_url,
            "image_url": urls.asset_url(release.base_url, show, show.image) if show.image else None,
            "jsonld": series_data(release) if number == 1 else None,
            "live_pages": [(on_air.channel, urls.live_path(show, on_air.channel), live.sections(on_air.events))
                           for on_air in release.live],
        }

    def render_home(self, release: Release) -> None:
        """The home page of a one-show site: the show's first page, whose URL stays the canonical one."""
        context = self.show_context(release, 1)
        material = self.describe("home", release, *context["episodes"], context["page"]["count"],
                                 len(release.episodes), *release.live)
        if self.reuse([("index.html", release.base_url, None)], material):
            return
        self.page("show.html", "index.html", release.base_url, None,
                  canonical=urls.absolute(release.base_url, urls.show_dir(release.show)), **context)

    def stale_pages(self, release: Release) -> list[int]:
        """The numbers of the show's list pages (``per_page`` episodes each, newest first) to render:
        those the previous output does not hold as they would be now."""
        show, per_page = release.show, max(1, release.show.per_page)
        count = max(1, -(-len(release.episodes) // per_page))
        stale = []
        for number in range(1, count + 1):
            episodes = release.episodes[(number - 1) * per_page: number * per_page]
            material = self.describe("show", release, *episodes, number, count, len(release.episodes),
                                     *release.live)
            if not self.reuse([(urls.page_path(show, number), release.base_url, newest(episodes, show.date))],
                              material):
                stale.append(number)
        return stale

    def render_list_page(self, release: Release, number: int) -> None:
        """Page ``number`` of the show's episode list."""
        show, per_page = release.show, max(1, release.show.per_page)
        episodes = release.episodes[(number - 1) * per_page: number * per_page]
        self.page("show.html", urls.page_path(show, number), release.base_url, newest(episodes, show.date),
                  **self.show_context(release, number))

    def reuse_episode(self, release: Release, episode: Episode, position: int) -> bool:
        """Keep an episode's page and embeds from the previous output when nothing they show changed.

        The three files are made from the same inputs, so one key (the page's) stands for them all.
        """
        show = release.show
        material = self.describe("episode", release, episode, *_neighbours(release.episodes, position),
                                 self.base_url, len(self.releases))
        pages: list[tuple[str, str | None, str | None]] = [(episode_path(show, episode), release.base_url,
                                                            iso_date(episode.date))]
        if not self.private:
            pages += [(embed_path(show, episode, dark), None, None) for dark in (False, True)]
        return self.reuse(pages, material)

    def render_episode(self, release: Release, episode: Episode, position: int) -> None:
        """An episode page with player, notes, chapters, transcript and sharing, plus its embeds."""
        show, base = release.show, release.base_url
        path = episode_path(show, episode)
        neighbours = _neighbours(release.episodes, position)
        audio = episode.enclosure
        audio_url = urls.asset_url(base, show, audio) if audio else None
        image = episode.image or show.image
        readable = (read_transcript(show, asset, base) for asset in episode.transcripts)
        transcript = next((t for t in readable if t), None)  # the page shows the first readable one
        before, after = neighbours
        previous, following = (before, after) if show.type == "serial" else (after, before)
        title = f"{episode.title} – {show.title}"
        image_url = urls.asset_url(base, show, image) if image else None
        common: dict[str, Any] = {
            "lang": show.language, "release": release, "show": show, "episode": episode, "title": title,
            "audio_url": audio_url, "feed_url": release.feed_url, "image_url": image_url,
            "description": markup.plain(episode.summary),
        }
        embeds = {False: "", True: ""}  # a private episode is not for other sites to embed
        if not self.private:
            light = self.page("embed.html", embed_path(show, episode, False), base, None, dark=False, image=image,
                              episode_url=urls.absolute(base, path), **common)
            dark = dark_embed(light) if self.theme.builtin("embed.html") else None
            if dark is None:  # an override template decides what `dark` changes
                self.page("embed.html", embed_path(show, episode, True), base, None, dark=True, image=image,
                          episode_url=urls.absolute(base, path), **common)
            else:  # one Jinja render for both themes of the built-in page
                self.plan.add(embed_path(show, episode, True), dark)
            for theme in (False, True):
                embeds[theme] = embed_snippet(urls.absolute(base, embed_path(show, episode, theme)), title)
        self.page(
            "episode.html", path, base, iso_date(episode.date), **common,
            image=image, notes=complete_html(markup.episode_html(episode)), transcript=transcript,
            embed_light=embeds[False], embed_dark=embeds[True], share_url=urls.absolute(base, path),
            previous=previous, following=following,
            jsonld=None if self.private else episode_data(release, episode),
        )

    def render_live(self, release: Release, on_air: OnAir) -> None:
        """A channel's live page: the stream's player, its schedule, listeners read in the browser.

        The page is rendered on every build: its schedule moves with the build's "now".
        """
        show, channel, base = release.show, on_air.channel, release.base_url
        secure = base.lower().startswith("https:") and channel.secure_url
        self.page(
            "live.html", urls.live_path(show, channel), base, "", lang=show.language, release=release,
            show=show, channel=channel, schedule=live.sections(on_air.events), feed_url=release.feed_url,
            title=f"{channel.title} – {show.title} live", description=markup.plain(channel.summary),
            stream_url=channel.secure_url if secure else channel.stream_url,
            image_url=channel.image or (urls.asset_url(base, show, show.image) if show.image else None),
        )


def render_site(releases: list[Release], plan: Plan, templates: Path | None,
                cache: PageCache | None = None, base_url: str | None = None,
                disallow: list[str] | None = None) -> None:
    """Render the website of every show into the plan (templates in ``templates`` override ours).

    ``base_url`` places the home page when no show is public; ``disallow`` lists the URL paths
    (the private folder) that robots.txt closes to crawlers.
    """
    renderer = SiteRenderer(releases, plan, Theme(templates), cache, base_url=base_url)
    renderer.disallow = disallow or []
    renderer.render()


def _neighbours(listed: list[Episode], position: int) -> tuple[Episode | None, Episode | None]:
    """The episodes before and after ``position`` in the list a page is part of (None at either end)."""
    return (listed[position - 1] if position > 0 else None,
            listed[position + 1] if position + 1 < len(listed) else None)
