"""The website: pages, overrides, template errors, sitemap, structured data, hostile text, valid HTML."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import browser
import lxml.html
import pytest
from conftest import MEDIA, SHOW, tree_hash
from defusedxml import ElementTree

from podops.build import build
from podops.errors import TemplateError
from podops.render.site import embed_snippet
from podops.render.theme import builtin_templates, clock, hms, iso_duration, long_date, relative

Production = Callable[..., Path]
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def episode(name: str, guid: str, date: str, title: str = "An episode", extra: str = "",
            audio: str = "assets/ep.mp3") -> str:
    """An episode resource of the test show, with ``extra`` YAML appended."""
    return (f"apiVersion: v1\nkind: episode\nmetadata:\n  name: {name}\n  guid: {guid}\n"
            f"  parent: aaa94297acfc\n  date: {date}\ndescription:\n  title: {json.dumps(title)}\n"
            f"  summary: Summary of {name}.\nenclosure:\n  uri: {audio}\n{extra}")


def first_episode(extra: str = "", title: str = "Episode One") -> dict[str, str]:
    """The base production's episode file, with another title or ``extra`` YAML."""
    return {"episodes/episode-6d1048a48504.yaml": episode("first-episode", "6d1048a48504",
                                                          "2021-06-04T20:10:35+00:00", title, extra)}


def built(prod: Path, out: Path, **options: object) -> Path:
    """Build ``prod`` into ``out`` and return ``out``."""
    build(prod, out, **options)  # type: ignore[arg-type]
    return out


def html_files(site: Path) -> list[Path]:
    """Every generated page, in a stable order (not the media copied from the production)."""
    return sorted(p for p in site.rglob("*.html") if "media" not in p.relative_to(site).parts)


def json_ld(page: str) -> dict[str, object]:
    """The JSON-LD block of a page, parsed."""
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL)
    return json.loads(match.group(1) if match else "null")  # type: ignore[no-any-return]


# Pages and their contents


def test_the_example_production_gets_a_home_page_show_page_episode_pages_and_embeds(example: Path,
                                                                                   tmp_path: Path) -> None:
    site = built(example, tmp_path / "public")
    pages = {p.relative_to(site).as_posix() for p in html_files(site)}
    assert {"index.html", "404.html", "the-static-signal/index.html",
            "the-static-signal/why-a-build-beats-a-server/index.html",
            "the-static-signal/why-a-build-beats-a-server/embed.html",
            "the-static-signal/why-a-build-beats-a-server/embed-dark.html"} <= pages
    assert not any("episode-three-draft" in p or "scheduled-episodes" in p for p in pages)
    home = (site / "index.html").read_text()  # one show: the home page is the show's page
    assert '<h1 id="show-title" class="hero__title">The Static Signal</h1>' in home
    assert '<link rel="canonical" href="https://static-signal.example.org/the-static-signal/">' in home
    assert 'href="the-static-signal/why-a-build-beats-a-server/index.html"' in home
    for name in ("style.css", "player.js", "favicon.svg"):
        assert (site / "_static" / name).is_file()


def test_a_show_page_offers_the_feed_the_platforms_and_every_episode(production: Production,
                                                                      tmp_path: Path) -> None:
    show = SHOW.replace("site:\n", "site:\n  links:\n  - name: Overcast\n    uri: https://overcast.fm/x\n")
    page = (built(production({"show.yaml": show}), tmp_path / "out") / "test-show/index.html").read_text()
    assert '<html lang="en-us">' in page
    assert '<link rel="alternate" type="application/rss+xml"' in page
    assert 'href="https://example.com/test-show/feed.xml"' in page
    assert 'readonly value="https://example.com/test-show/feed.xml"' in page
    assert '<a class="platform" href="https://overcast.fm/x" rel="noopener">Overcast</a>' in page
    assert '<link rel="canonical" href="https://example.com/test-show/">' in page
    assert '<meta property="og:title" content="Test Show">' in page
    assert '<meta name="twitter:card" content="summary">' in page
    assert '<img class="hero__art art" src="media/assets/cover.png" alt="Cover art of Test Show"' in page
    assert 'href="first-episode/index.html">Episode One</a>' in page
    assert '<time datetime="2021-06-04">4 June 2021</time>' in page
    assert "Season 1 · Episode 1" in page


def test_a_show_without_episodes_yet_still_gets_a_page_and_a_sitemap_entry(production: Production,
                                                                         tmp_path: Path) -> None:
    site = built(production({"episodes/episode-6d1048a48504.yaml": None}), tmp_path / "out")
    assert "No episodes yet." in (site / "test-show/index.html").read_text()
    assert "<loc>https://example.com/test-show/</loc>\n  </url>" in (site / "sitemap.xml").read_text()


def test_the_404_page_links_absolutely_because_it_is_served_at_any_depth(production: Production,
                                                                        tmp_path: Path) -> None:
    page = (built(production(), tmp_path / "out") / "404.html").read_text()
    assert '<link rel="stylesheet" href="https://example.com/_static/style.css">' in page
    assert '<meta name="robots" content="noindex">' in page


def test_an_episode_page_has_a_player_chapters_that_seek_notes_and_sharing(production: Production,
                                                                           tmp_path: Path) -> None:
    extra = "chapters:\n  - start: 0\n    title: Hello\n  - start: \"1:02\"\n    title: Later\n"
    prod = production(first_episode(extra))
    page = (built(prod, tmp_path / "out") / "test-show/first-episode/index.html").read_text()
    audio = "../media/assets/ep.mp3"
    assert f'<audio id="player" controls preload="metadata" src="{audio}"' in page
    assert f'href="{audio}" download>Download' in page
    assert f'<a class="chapter__seek" href="{audio}#t=62" data-start="62">' in page
    assert '<span class="chapter__time">1:02</span>' in page
    assert 'value="https://example.com/test-show/first-episode/"' in page
    assert "&lt;iframe src=&#34;https://example.com/test-show/first-episode/embed.html&#34;" in page
    assert "embed-dark.html" in page
    assert "<p>Summary of first-episode.</p>" in page
    assert "0:00:04" in page  # probed duration of cbr.mp3, as H:MM:SS
    assert '<script src="../../_static/player.js" defer></script>' in page


def test_an_embed_page_is_a_minimal_player_in_light_and_dark(production: Production, tmp_path: Path) -> None:
    folder = built(production(), tmp_path / "out") / "test-show/first-episode"
    light, dark = (folder / "embed.html").read_text(), (folder / "embed-dark.html").read_text()
    for page in (light, dark):
        assert '<audio class="embed__audio" controls preload="metadata" src="../media/assets/ep.mp3"' in page
        assert 'data-player data-guid="' in page  # the same player as the episode page
        assert '<meta name="robots" content="noindex">' in page
        assert re.findall(r"<script[^>]*>", page) == ['<script src="../../_static/player.js" defer>']
    assert 'class="embed-page theme-light"' in light and 'class="embed-page theme-dark"' in dark


def test_the_dark_embed_is_the_light_one_in_dark_as_jinja_would_render_it(production: Production,
                                                                          tmp_path: Path) -> None:
    # The built-in dark embed is made from the light page by swapping two markers instead of a second
    # render; a copy of the same template as an override is rendered twice by Jinja: both agree,
    # with the markers themselves in the title to show the episode's data is never swapped.
    title = 'class="embed-page theme-light" <meta name="color-scheme" content="light">'
    builtin = production(first_episode(title=title), name="builtin")
    copied = production({**first_episode(title=title),
                         "templates/embed.html": (builtin_templates() / "embed.html").read_text()}, name="copied")
    folders = [built(root, tmp_path / f"{root.name}-out") / "test-show/first-episode" for root in (builtin, copied)]
    for name in ("embed.html", "embed-dark.html"):
        assert (folders[0] / name).read_text() == (folders[1] / name).read_text()
    dark = (folders[0] / "embed-dark.html").read_text()
    assert dark.count("theme-dark") == 1 and 'content="dark"' in dark and "&#34;light&#34;" in dark


def test_an_override_of_the_embed_decides_what_dark_changes(production: Production, tmp_path: Path) -> None:
    site = built(production({"templates/embed.html": "<p>{{ 'night' if dark else 'day' }}</p>\n"}),
                 tmp_path / "out")
    folder = site / "test-show/first-episode"
    assert (folder / "embed.html").read_text() == "<p>day</p>\n"
    assert (folder / "embed-dark.html").read_text() == "<p>night</p>\n"


def test_the_embed_snippet_escapes_the_title() -> None:
    snippet = embed_snippet("https://example.com/s/e/embed.html", 'A "quoted" <title>')
    assert 'src="https://example.com/s/e/embed.html" title="A &quot;quoted&quot; &lt;title&gt;"' in snippet


def test_dates_and_durations_read_the_same_in_every_locale() -> None:
    assert long_date(datetime(2024, 9, 30, 7, tzinfo=UTC)) == "30 September 2024"
    assert [hms(3723.4), hms(8.05), clock(65), clock(3725)] == ["1:02:03", "0:00:08", "1:05", "1:02:05"]
    assert [iso_duration(3723), iso_duration(8.05)] == ["PT1H2M3S", "PT8S"]


def test_links_between_pages_are_relative_so_the_site_works_from_any_folder() -> None:
    assert relative("show/index.html", "show/episode/index.html") == "../index.html"
    assert relative("show/page/2/index.html", "show/index.html") == "page/2/index.html"
    assert relative("show/index.html", "show/page/2/index.html") == "../../index.html"
    assert relative("_static/style.css", "index.html") == "_static/style.css"
    assert relative("show/media/a b.mp3", "show/ep/index.html") == "../media/a%20b.mp3"


# Transcripts


def test_the_episode_page_shows_the_transcript_text(production: Production, tmp_path: Path) -> None:
    vtt = "WEBVTT\n\n00:00:02.000 --> 00:00:03.000\n<v Host>Welcome to the show.\n"
    prod = production({**first_episode("transcripts:\n  - uri: assets/ep.vtt\n"), "assets/ep.vtt": vtt})
    page = (built(prod, tmp_path / "out") / "test-show/first-episode/index.html").read_text()
    assert '<strong class="cue__speaker">Host</strong>' in page
    assert '<span class="cue__text">Welcome to the show.</span>' in page
    assert 'href="../media/assets/ep.mp3#t=2" data-start="2"' in page
    assert "-->" not in page


# Pagination, sitemap, robots.txt, structured data


def paginated(production: Production, count: int = 5, per_page: int = 2) -> Path:
    """A show with ``count`` weekly episodes, ``per_page`` to a page."""
    files: dict[str, str | Path | None] = {
        "show.yaml": SHOW.replace("site:\n", f"site:\n  episodesPerPage: {per_page}\n"),
        "episodes/episode-6d1048a48504.yaml": None,
    }
    for n in range(1, count + 1):
        guid, name, day = f"abcdef{n:06x}", f"episode-{n:03d}", date(2024, 1, 7) + timedelta(weeks=n - 1)
        files[f"episodes/episode-{guid}.yaml"] = episode(name, guid, f"{day}T09:00:00+00:00", f"Number {n}",
                                                         audio=f"assets/{name}.mp3")
        files[f"assets/{name}.mp3"] = MEDIA / "cbr.mp3"
    return production(files, name="paged")  # a folder of its own: no other test production's podops.lock


def test_a_long_show_is_split_into_pages_newest_first_with_links_both_ways(production: Production,
                                                                          tmp_path: Path) -> None:
    show = built(paginated(production), tmp_path / "out") / "test-show"
    pages = [show / "index.html", show / "page/2/index.html", show / "page/3/index.html"]
    titles = [re.findall(r'href="[^"]*/index.html">(Number \d)</a></h3>', p.read_text()) for p in pages]
    assert titles == [["Number 5", "Number 4"], ["Number 3", "Number 2"], ["Number 1"]]
    assert not (show / "page/1").exists() and not (show / "page/4").exists()
    first, middle, last = (p.read_text() for p in pages)
    assert 'rel="next" href="page/2/index.html"' in first and 'rel="prev"' not in first
    assert 'rel="prev" href="../../index.html"' in middle and 'rel="next" href="../3/index.html"' in middle
    assert 'rel="prev" href="../2/index.html"' in last and 'rel="next"' not in last
    assert "Page 2 of 3" in middle
    assert 'href="../../episode-003/index.html">Number 3</a>' in middle


def test_the_sitemap_lists_every_page_with_its_date_and_robots_txt_points_to_it(production: Production,
                                                                                tmp_path: Path) -> None:
    site = built(paginated(production), tmp_path / "out")
    tree = ElementTree.parse(site / "sitemap.xml")
    entries = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod") for u in tree.getroot()}
    episodes = {f"https://example.com/test-show/episode-00{n}/": f"2024-{day}"
                for n, day in enumerate(["01-07", "01-14", "01-21", "01-28", "02-04"], 1)}
    assert entries == {  # the home page of a one-show site is that show's page: listed once, as the show
        "https://example.com/test-show/": "2024-02-04",
        "https://example.com/test-show/page/2/": "2024-01-21",
        "https://example.com/test-show/page/3/": "2024-01-07",
        **episodes,
    }
    robots = (site / "robots.txt").read_text()
    assert robots == "User-agent: *\nDisallow:\n\nSitemap: https://example.com/sitemap.xml\n"


def test_json_ld_describes_the_series_and_each_episode(production: Production, tmp_path: Path) -> None:
    site = built(production(), tmp_path / "out")
    series = json_ld((site / "test-show/index.html").read_text())
    assert (series["@type"], series["url"]) == ("PodcastSeries", "https://example.com/test-show/")
    assert series["webFeed"] == "https://example.com/test-show/feed.xml"
    item = json_ld((site / "test-show/first-episode/index.html").read_text())
    assert (item["@type"], item["datePublished"]) == ("PodcastEpisode", "2021-06-04")
    assert item["url"] == "https://example.com/test-show/first-episode/"
    assert item["associatedMedia"] == {"@type": "MediaObject", "duration": "PT4S", "contentSize": "32599",
                                       "contentUrl": "https://example.com/test-show/media/assets/ep.mp3",
                                       "encodingFormat": "audio/mpeg"}
    assert item["partOfSeries"]["@type"] == "PodcastSeries"  # type: ignore[index]
    assert item["partOfSeason"] == {"@type": "PodcastSeason", "seasonNumber": 1}


def test_structured_data_cannot_close_its_script_tag(production: Production, tmp_path: Path) -> None:
    title = "</script><script>alert(1)</script> & <!--"
    prod = production(first_episode(title=title))
    page = (built(prod, tmp_path / "out") / "test-show/first-episode/index.html").read_text()
    block = page.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block and ">" not in block and "&" not in block
    assert json_ld(page)["name"] == title


def test_rebuilds_are_byte_identical_whatever_the_clock_says(production: Production, tmp_path: Path) -> None:
    prod = paginated(production)
    first = built(prod, tmp_path / "one", now=datetime(2025, 1, 1, tzinfo=UTC))
    second = built(prod, tmp_path / "two", now=datetime(2031, 6, 1, tzinfo=UTC))
    assert tree_hash(first) == tree_hash(second)


# A production's own templates


def test_a_production_template_replaces_the_builtin_one_of_the_same_name(production: Production,
                                                                          tmp_path: Path) -> None:
    override = '{% extends "base.html" %}{% block main %}<p id="mine">{{ episode.title }}!</p>{% endblock %}'
    site = built(production({"templates/episode.html": override,
                             "templates/_static/style.css": "body { color: teal; }\n"}), tmp_path / "out")
    assert '<p id="mine">Episode One!</p>' in (site / "test-show/first-episode/index.html").read_text()
    assert 'class="hero"' in (site / "test-show/index.html").read_text()  # others stay built in
    assert (site / "_static/style.css").read_text() == "body { color: teal; }\n"
    assert (site / "_static/player.js").is_file()


def template_error(production: Production, tmp_path: Path, templates: dict[str, str]) -> TemplateError:
    """Build with broken templates; the error, after checking nothing was written."""
    files: dict[str, str | None] = {f"templates/{name}": text for name, text in templates.items()}
    out = tmp_path / "out"
    with pytest.raises(TemplateError) as caught:
        build(production(files), out)
    assert not out.exists()
    return caught.value


def test_a_syntax_error_in_an_override_names_file_and_line(production: Production, tmp_path: Path) -> None:
    error = template_error(production, tmp_path, {"show.html": "<h1>\n{{ show.title }}\n{% for x in %}\n"})
    assert str(error).startswith("templates/show.html:3:1: template syntax error: ")


def test_an_undefined_value_names_the_template_and_line(production: Production, tmp_path: Path) -> None:
    error = template_error(production, tmp_path, {"episode.html": "a\nb\n{{ episode.titel }}\n"})
    assert error.diagnostics[0].path == "templates/episode.html"
    assert error.diagnostics[0].line == 3
    assert "titel" in error.diagnostics[0].message


def test_an_undefined_value_in_an_included_template_names_that_template(production: Production,
                                                                        tmp_path: Path) -> None:
    error = template_error(production, tmp_path, {"episode.html": "x\n{% include 'part.html' %}\n",
                                                  "part.html": "a\nb\n{{ nothing }}\n"})
    assert (error.diagnostics[0].path, error.diagnostics[0].line) == ("templates/part.html", 3)


def test_a_missing_included_template_is_named(production: Production, tmp_path: Path) -> None:
    error = template_error(production, tmp_path, {"episode.html": "x\n{% include 'nowhere.html' %}\n"})
    assert str(error) == "templates/episode.html:2:1: template not found: nowhere.html"


def test_a_template_that_divides_by_zero_is_reported_not_a_traceback(production: Production,
                                                                       tmp_path: Path) -> None:
    error = template_error(production, tmp_path, {"404.html": "\n{{ 1 // 0 }}\n"})
    assert str(error).startswith("templates/404.html:2:1: template error: ")


# Hostile text (security.md §1–2, §8)

XSS_TITLE = '<script>alert("title")</script> & "Q" ]]>'
XSS_NOTES = """\
Hi <script>alert(1)</script> <img src=x onerror=alert(2)> <svg onload=alert(3)></svg> [d](data:text/html,x)
<iframe src="javascript:alert(4)"></iframe>

[a](javascript:alert(5)) [b](JaVaScRiPt:alert(6)) <a href="javascript&#58;alert(7)">c</a>

## Heading {: onclick="alert(8)" }
"""
OURS = re.compile(r'<script (?:type="application/ld\+json"|type="application/json" id="chapters-[0-9a-f]{12}"'
                  r'|src="[^"]*_static/(?:player|search)\.js" defer)>')  # src or data only


def hostile(production: Production) -> Path:
    """A production whose every free-text field carries an attack."""
    notes = json.dumps(XSS_NOTES)
    show = (SHOW.replace("title: Test Show", f"title: {json.dumps(XSS_TITLE)}")
                .replace("summary: A show for tests.", f"summary: {notes}")
                .replace("site:\n", "site:\n  links:\n    - name: '<b onmouseover=alert(9)>x</b>'\n"
                                    "      uri: https://example.org/x\n")
            + "persons:\n  - name: '<script>alert(10)</script>'\n    role: host\n")
    chapters = ("chapters:\n  - start: 0\n    title: '<script>alert(11)</script>'\n"
                "  - start: 1\n    title: '<img src=x onerror=alert(12)>'\n")
    files: dict[str, str | Path | None] = {"show.yaml": show, "episodes/episode-6d1048a48504.yaml": None}
    transcripts = {
        "vtt": "WEBVTT\n\n00:00.000 --> 00:01.000\n<v E<img src=x onerror=alert(13)>>&lt;script&gt;alert(14)",
        "html": '<p>ok</p><script>alert(15)</script><img src=x onerror=alert(16)><a href="javascript:x">',
        "txt": "<script>alert(18)</script>\n\n]]> {: onclick=alert(19) }\n",
        "json": json.dumps({"segments": [{"speaker": "<script>alert(20)</script>", "startTime": 0,
                                          "body": "<img src=x onerror=alert(21)>"}]}),
    }
    for n, (kind, text) in enumerate(transcripts.items(), start=1):
        guid = f"abcdef{n:06x}"
        extra = f"{chapters}transcripts:\n  - uri: assets/t.{kind}\n"
        body = episode(f"hostile-{kind}", guid, f"2024-01-0{n}T09:00:00+00:00", XSS_TITLE, extra,
                       audio=f"assets/{kind}.mp3")
        files[f"assets/{kind}.mp3"] = MEDIA / "cbr.mp3"
        files[f"episodes/episode-{guid}.yaml"] = body.replace(f"summary: Summary of hostile-{kind}.",
                                                              f"summary: {notes}\n  episodeText: {notes}")
        files[f"assets/t.{kind}"] = text
    return production(files)


def test_hostile_titles_notes_chapters_and_transcripts_never_run_in_a_page(production: Production,
                                                                          tmp_path: Path) -> None:
    site = built(hostile(production), tmp_path / "out")
    pages = html_files(site)
    assert len(pages) == 2 + 1 + 4 * 3  # home, 404, show, and per episode a page and two embeds
    for path in pages:
        text = path.read_text()
        tags = re.findall(r"<[^>]+>", text)  # escaped text holds no "<", so these are all real tags
        handlers = [(e.tag, a) for e in lxml.html.fromstring(text).iter() if isinstance(e.tag, str)
                    for a in e.attrib if a.lower().startswith("on")]  # attributes, not text that names them
        assert handlers == [], path
        assert [t for t in tags if re.search(r"(?i)(?:href|src)=\W*(?:data|vbscript):", t)] == [], path
        assert [t for t in tags if re.match(r"<(?:iframe|object|embed|svg|style|base|form)\b", t)] == [], path
        assert [t for t in tags if t.startswith("<script") and not OURS.fullmatch(t)] == [], path
        assert "javascript:" not in text.lower(), path
    page = (site / "test-show/hostile-vtt/index.html").read_text()
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; &amp; &#34;Q&#34; ]]&gt;" in page
    assert "&lt;script&gt;alert(14)</span>" in page
    assert "<p>ok</p>" in (site / "test-show/hostile-html/index.html").read_text()
    published = (site / "test-show/media/assets/t.html").read_text()  # the transcript file itself
    assert "<script" not in published and "onerror" not in published and "javascript:" not in published
    assert "&lt;script&gt;alert(18)&lt;/script&gt;" in (site / "test-show/hostile-txt/index.html").read_text()


# Valid HTML (the Nu HTML Checker, oracles.md §4)


def test_every_page_is_valid_html5(production: Production, example: Path, tmp_path: Path) -> None:
    jar = browser.vnu_jar()
    if jar is None:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"needs java, vnu.jar: {browser.VNU_INSTALL}")
    pages = html_files(built(example, tmp_path / "example-site"))
    pages += html_files(built(hostile(production), tmp_path / "hostile-site"))
    pages += html_files(built(paginated(production), tmp_path / "paged-site"))
    assert browser.html_errors(jar, pages) == []


@pytest.mark.parametrize("target, page, expected", [
    ("a/b/index.html", "a/c/index.html", "../b/index.html"),
    ("a/media/x y.mp3", "a/b/index.html", "../media/x%20y.mp3"),
    ("index.html", "a/b/index.html", "../../index.html"),
    ("_static/style.css", "index.html", "_static/style.css"),
    ("a/page/2/index.html", "a/index.html", "page/2/index.html"),
    ("a/b/index.html", "a/b/index.html", "index.html"),
    ("a/", "index.html", "a/index.html"),
])
def test_links_between_pages_are_relative(target: str, page: str, expected: str) -> None:
    from podops.render.theme import relative

    assert relative(target, page) == expected


# The player script


def test_the_player_stays_under_15_kb_minified() -> None:
    import rjsmin

    from podops.render.theme import builtin_templates

    source = (builtin_templates() / "_static/player.js").read_text()
    assert len(rjsmin.jsmin(source).encode()) < 15_000


def test_every_relative_link_of_the_built_site_reaches_a_file(example: Path, production: Production,
                                                              tmp_path: Path) -> None:
    """From file:// a link to a folder opens a directory listing: every link names a file that exists."""
    from urllib.parse import unquote, urlsplit

    import lxml.html

    sites = [built(example, tmp_path / "example-site"), built(paginated(production), tmp_path / "paged-site")]
    checked = 0
    for page in (page for folder in sites for page in html_files(folder)):
        for element, _attribute, link, _pos in lxml.html.parse(str(page)).getroot().iterlinks():
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path or element.tag in ("iframe",):
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{page}: {link} does not name a file"
            checked += 1
    assert checked > 50


def test_a_cached_fragment_is_rendered_once_per_key_and_build(tmp_path: Path) -> None:
    from podops.render.theme import Theme

    (tmp_path / "part.html").write_text('{% cache "part", key %}{{ value }}{% endcache %}')
    theme = Theme(tmp_path)
    assert theme.render("part.html", key=1, value="<a>") == "&lt;a&gt;"
    assert theme.render("part.html", key=1, value="b") == "&lt;a&gt;"  # the key names all it shows
    assert theme.render("part.html", key=2, value="b") == "b"
    assert Theme(tmp_path).render("part.html", key=1, value="b") == "b"  # a new build, a new cache


TRICKY_NOTES = [
    "[a link](https://example.com/?a=1&b=2 \"a \\\"title\\\" > here\") and <https://auto.example/x?y=1&z=2>",
    "![cover](https://example.com/c.png) ![with alt](https://example.com/d.png \"t\") <img src=\"x.png\">",
    "<a href=\"javascript:alert(1)\">dropped URL</a> <a name=\"anchor\">no URL</a> <abbr title=\"a<b\">ab</abbr>",
    "Café “quotes” — &copy; &amp; &lt;tag&gt; a&nbsp;b <br> line<br/>break",
    "| a | b |\n|---|:-:|\n| [x](https://x.example/) | ![i](https://i.example/i.png) |\n\n~~gone~~",
    "```\n<a href=\"https://x\">in code</a> & \"q\"\n```\n\n> quote [q](mailto:a@b.example)\n\n1. one\n2. two",
    "<p title='single &quot; quoted'>raw <b>html</b> <script>alert(1)</script> <u>u</u></p>",
    "[empty]() [space](<https://example.com/a b>) [unicode](https://example.com/é?q=ü#frag)",
    "<div>d</div> `<a href=\"x\">` <table><tr><td>c</td></tr></table> <a href=\"https://e.example\">h</a>",
    "<a href=\"https://y.example\"> <p>p</p> <h2>h</h2> <em><a href=\"https://z.example\">z</a></em>",
]


@pytest.mark.parametrize("text", TRICKY_NOTES)
def test_notes_needing_no_repair_are_what_the_lxml_repair_writes(text: str) -> None:
    from podops.render import markup
    from podops.render.theme import _repaired, complete_html

    sanitised = markup.render(text)
    through_lxml = _repaired(sanitised) if "<a" in sanitised or "<img" in sanitised else sanitised
    assert str(complete_html(sanitised)) == str(through_lxml)


def test_text_before_the_first_element_stays_escaped_when_links_are_repaired() -> None:
    from podops.render import markup
    from podops.render.theme import complete_html

    html = str(complete_html(markup.render("<div>&lt;script&gt;alert(1)&lt;/script&gt;</div> <a title='x'>y</a>")))
    assert "<script>" not in html and html.startswith("&lt;script&gt;alert(1)")
    assert "rel=" not in html  # the link that lost its URL lost its rel too
