"""The built example site in headless Chromium: it loads, plays, seeks, fits a phone, logs no errors.

One browser and one served build for the whole module keep this to a few seconds. Set
``PODOPS_SCREENSHOTS=docs`` to refresh the pictures in ``docs/`` on the way.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import browser
import pytest

from podops.probe.audio import probe_audio

pytestmark = [pytest.mark.browser, pytest.mark.skipif(browser.missing() is not None,
                                                      reason=browser.missing() or "")]

ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
EPISODE = f"{browser.SHOW}/{browser.EPISODE}/"
PAGES = ["", f"{browser.SHOW}/", EPISODE, f"{EPISODE}embed.html", f"{EPISODE}embed-dark.html",
         f"{browser.SHOW}/feeds-every-app-accepts/", f"{browser.SHOW}/welcome-trailer/", "404.html"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The example production built with its base URL set to a local Range-capable server."""
    with browser.served_example(tmp_path_factory.mktemp("served")) as served:
        yield served


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium for the module."""
    chromium = browser.start_driver(tmp_path_factory.mktemp("chromium-profile"))
    yield chromium
    chromium.quit()


@pytest.fixture
def desktop(driver: Any) -> Any:
    """The browser at a desktop size, its console log emptied."""
    browser.set_viewport(driver, 1280, 900)
    driver.get_log("browser")
    return driver


def open_episode(driver: Any, base_url: str) -> None:
    """Load the episode page with chapters and wait until its player knows the duration."""
    driver.get(base_url + EPISODE)
    browser.wait_for_audio(driver)


def player_time(driver: Any) -> float:
    """Where the episode page's player is now."""
    return float(driver.execute_script("return document.getElementById('player').currentTime"))


def assert_at_chapter(driver: Any, start: float) -> None:
    """A chapter link seeks to its start and plays on: the position is the start or a little past it.

    Playback keeps moving between the seek and the reading, by more on a loaded machine, so the
    window is open forward (2.5 s) and tight backward (0.3 s).
    """
    position = player_time(driver)
    assert start - 0.3 <= position <= start + 2.5, position


def test_an_episode_page_loads_with_its_player(site: tuple[str, Path], desktop: Any) -> None:
    base_url, _ = site
    open_episode(desktop, base_url)
    assert desktop.title == "Why a build beats a server – The Static Signal"
    state = desktop.execute_script("const a = document.getElementById('player');"
                                   "return {ready: a.readyState, error: a.error && a.error.code};")
    assert state["error"] is None and state["ready"] >= 1


def test_the_player_duration_agrees_with_the_feed_and_the_probe(site: tuple[str, Path], desktop: Any) -> None:
    base_url, folder = site
    open_episode(desktop, base_url)
    duration = float(desktop.execute_script("return document.getElementById('player').duration"))
    feed = ElementTree.parse(folder / browser.SHOW / "feed.xml")
    item = next(i for i in feed.iter("item") if i.findtext("title") == "Why a build beats a server")
    assert abs(duration - int(item.findtext(f"{ITUNES}duration") or 0)) <= 0.5
    probed = probe_audio(browser.EXAMPLE / "assets/audio/episode-01.mp3").duration
    assert abs(duration - probed) <= 0.1


def test_clicking_a_chapter_moves_the_player_to_its_start(site: tuple[str, Path], desktop: Any) -> None:
    base_url, _ = site
    open_episode(desktop, base_url)
    desktop.find_element("css selector", '.chapters a[data-start="5"]').click()
    browser.wait_until(desktop, "return !document.getElementById('player').seeking")
    assert_at_chapter(desktop, 5)
    desktop.find_element("css selector", '.chapters a[data-start="3"]').click()
    browser.wait_until(desktop, "return !document.getElementById('player').seeking")
    assert_at_chapter(desktop, 3)


def test_the_chapter_list_works_from_the_keyboard(site: tuple[str, Path], desktop: Any) -> None:
    from selenium.webdriver.common.keys import Keys

    base_url, _ = site
    open_episode(desktop, base_url)
    link = desktop.find_element("css selector", '.chapters a[data-start="5"]')
    desktop.execute_script("arguments[0].focus()", link)
    assert desktop.switch_to.active_element == link
    desktop.switch_to.active_element.send_keys(Keys.ENTER)
    browser.wait_until(desktop, "return !document.getElementById('player').seeking")
    assert_at_chapter(desktop, 5)
    outline = desktop.execute_script("return getComputedStyle(arguments[0]).outlineStyle", link)
    assert outline != "none"  # a visible focus ring


def fresh_episode(driver: Any, base_url: str) -> None:
    """The episode page with nothing remembered from an earlier test (position, speed)."""
    # Leave the player first: its pagehide handler remembers the position, and would do so after
    # a clear made on its own page. The feed is on the same origin and runs no script of podops'.
    driver.get(base_url + f"{browser.SHOW}/feed.xml")
    driver.execute_script("localStorage.clear()")
    open_episode(driver, base_url)
    browser.wait_until(driver, "return document.querySelector('.pp') !== null")


def press(driver: Any, selector: str) -> None:
    """Click one of the player's controls and let the audio settle."""
    driver.find_element("css selector", selector).click()
    browser.wait_until(driver, "return !document.getElementById('player').seeking")


def test_the_player_replaces_the_native_controls(site: tuple[str, Path], desktop: Any) -> None:
    base_url, _ = site
    fresh_episode(desktop, base_url)
    state = desktop.execute_script(
        "const a = document.getElementById('player');"
        "return {controls: a.controls, shown: getComputedStyle(a).display,"
        " buttons: [...document.querySelectorAll('.pp button')].map(b => b.getAttribute('aria-label'))}")
    assert state["controls"] is False and state["shown"] == "none"
    assert state["buttons"][:3] == ["Play", "Back 15 seconds", "Forward 30 seconds"]
    assert "Playback speed 1×, change" in state["buttons"]


def test_the_skip_buttons_move_back_15_and_forward_30_seconds(site: tuple[str, Path], desktop: Any) -> None:
    base_url, _ = site
    fresh_episode(desktop, base_url)
    duration = float(desktop.execute_script("return document.getElementById('player').duration"))
    assert 6 < duration < 30  # the example's episode is short: the skips stop at either end
    desktop.execute_script("document.getElementById('player').currentTime = 6")
    browser.wait_until(desktop, "return !document.getElementById('player').seeking")
    press(desktop, ".pp__back")
    assert player_time(desktop) == 0
    press(desktop, ".pp__ahead")
    assert abs(player_time(desktop) - duration) <= 0.1
    press(desktop, ".pp__back")
    assert player_time(desktop) == 0


def test_the_speed_button_cycles_and_is_remembered(site: tuple[str, Path], desktop: Any) -> None:
    base_url, _ = site
    fresh_episode(desktop, base_url)
    rate = "return document.getElementById('player').playbackRate"
    seen = []
    for _ in range(6):
        press(desktop, ".pp__speed")
        seen.append(desktop.execute_script(rate))
    assert seen == [1.25, 1.5, 1.75, 2, 0.75, 1]
    press(desktop, ".pp__speed")
    open_episode(desktop, base_url)  # a reload, or another episode: the same speed
    browser.wait_until(desktop, "return document.querySelector('.pp__speed') !== null")
    assert desktop.execute_script(rate) == 1.25
    assert desktop.find_element("css selector", ".pp__speed").text == "1.25×"


def test_a_chapter_mark_on_the_timeline_seeks_and_names_the_chapter(site: tuple[str, Path], desktop: Any) -> None:
    base_url, _ = site
    fresh_episode(desktop, base_url)
    marks = desktop.find_elements("css selector", ".pp__mark")
    assert [m.get_attribute("aria-label") for m in marks] == [
        "Chapter 1: Introduction (0:00)", "Chapter 2: The problem (0:03)", "Chapter 3: The build (0:05)"]
    press(desktop, '.pp__mark[data-start="5"]')
    assert 4.9 <= player_time(desktop) <= 6.5  # it plays from there: a slow machine may be a moment on
    browser.wait_until(desktop, "return document.querySelector('.pp__chapter').textContent.includes('The build')")
    assert desktop.find_element("css selector", ".pp__chapter").text == "Chapter 3 of 3 · The build"
    desktop.execute_script("document.getElementById('player').pause()")


def test_the_position_is_remembered_per_episode_and_offered_after_a_reload(site: tuple[str, Path],
                                                                          desktop: Any) -> None:
    base_url, _ = site
    fresh_episode(desktop, base_url)
    desktop.execute_script("const a = document.getElementById('player'); a.currentTime = 4.2;")
    browser.wait_until(desktop, "return localStorage.getItem('podops:position:1f2e3d4c5b6a') === '4.2'")
    open_episode(desktop, base_url)
    browser.wait_until(desktop, "return Math.abs(document.getElementById('player').currentTime - 4.2) < 0.3")
    resume = desktop.find_element("css selector", ".pp__resume-at")
    assert resume.is_displayed() and resume.text == "Resume at 0:04"
    desktop.get(base_url + f"{browser.SHOW}/welcome-trailer/")  # another episode starts at its beginning
    browser.wait_for_audio(desktop)
    assert player_time(desktop) == 0
    assert not desktop.find_element("css selector", ".pp__resume").is_displayed()
    open_episode(desktop, base_url)
    browser.wait_until(desktop, "return document.querySelector('.pp__restart') !== null")
    press(desktop, ".pp__restart")
    assert player_time(desktop) == 0
    assert desktop.execute_script("return localStorage.getItem('podops:position:1f2e3d4c5b6a')") is None


def test_the_lock_screen_gets_title_show_artwork_and_seek_handlers(site: tuple[str, Path], desktop: Any) -> None:
    base_url, _ = site
    fresh_episode(desktop, base_url)
    metadata = desktop.execute_script(
        "const m = navigator.mediaSession.metadata;"
        "return {title: m.title, artist: m.artist, album: m.album, artwork: m.artwork.map(a => a.src)};")
    assert metadata["title"] == "Why a build beats a server"
    assert metadata["artist"] == metadata["album"] == "The Static Signal"
    assert metadata["artwork"] == [base_url + f"{browser.SHOW}/media/assets/cover.png"]


def test_space_and_the_arrow_keys_control_the_player_but_not_inside_a_field(site: tuple[str, Path],
                                                                            desktop: Any) -> None:
    from selenium.webdriver.common.keys import Keys

    base_url, _ = site
    fresh_episode(desktop, base_url)
    desktop.execute_script("const a = document.getElementById('player'); a.muted = true; a.currentTime = 3;")
    browser.wait_until(desktop, "return !document.getElementById('player').seeking")
    body = desktop.find_element("css selector", "body")
    body.send_keys(Keys.ARROW_LEFT)
    assert player_time(desktop) == 0
    body.send_keys(Keys.SPACE)
    browser.wait_until(desktop, "return !document.getElementById('player').paused")
    body.send_keys(Keys.SPACE)
    browser.wait_until(desktop, "return document.getElementById('player').paused")
    desktop.find_element("css selector", "#feed-url").send_keys(Keys.ARROW_RIGHT, Keys.SPACE)  # typing
    assert desktop.execute_script("return document.getElementById('player').paused")
    assert player_time(desktop) < 1


def test_the_player_can_be_used_by_keyboard_alone(site: tuple[str, Path], desktop: Any) -> None:
    from selenium.webdriver.common.keys import Keys

    base_url, _ = site
    fresh_episode(desktop, base_url)
    desktop.execute_script("document.getElementById('player').muted = true;"
                           "document.querySelector('.eyebrow a').focus()")
    visited = []
    for _ in range(9):
        desktop.switch_to.active_element.send_keys(Keys.TAB)
        element = desktop.switch_to.active_element
        # the element's own class, not a BEM modifier such as pp__mark--current (the chapter playing)
        visited.append([c for c in element.get_attribute("class").split() if "--" not in c][-1])
        name = element.get_attribute("aria-label") or element.text
        assert name, element.get_attribute("outerHTML")
        outline = desktop.execute_script("return getComputedStyle(arguments[0]).outlineStyle", element)
        assert outline != "none", visited[-1]  # a visible focus ring on each control
    assert visited == ["pp__play", "pp__back", "pp__ahead", "pp__seek", "pp__mark", "pp__mark", "pp__mark",
                       "pp__speed", "chapter__seek"]
    for _ in range(8):  # back to the play button
        desktop.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)
    assert "pp__play" in desktop.switch_to.active_element.get_attribute("class")
    desktop.switch_to.active_element.send_keys(Keys.ENTER)
    browser.wait_until(desktop, "return !document.getElementById('player').paused")
    assert desktop.switch_to.active_element.get_attribute("aria-label") == "Pause"
    desktop.switch_to.active_element.send_keys(Keys.SPACE)
    browser.wait_until(desktop, "return document.getElementById('player').paused")
    desktop.switch_to.active_element.send_keys(Keys.TAB, Keys.TAB, Keys.TAB)  # the timeline slider
    desktop.execute_script("document.getElementById('player').currentTime = 0")
    desktop.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    browser.wait_until(desktop, "return document.getElementById('player').currentTime >= 1")


@pytest.mark.parametrize("page", ["", f"{browser.SHOW}/"])
def test_a_word_only_a_transcript_holds_finds_its_episode(site: tuple[str, Path], desktop: Any, page: str) -> None:
    base_url, folder = site
    episode = (folder / EPISODE / "index.html").read_text()
    notes = episode.split('id="transcript-title"')[0]
    assert "listening" in episode and "listening" not in notes  # only the transcript says it
    desktop.get(base_url + page)
    box = desktop.find_element("css selector", ".search input")
    assert box.is_displayed()
    box.send_keys("listening")
    browser.wait_until(desktop, "return document.querySelectorAll('.search__result a').length > 0")
    links = desktop.find_elements("css selector", ".search__result a")
    assert [link.get_attribute("href") for link in links] == [base_url + EPISODE]
    assert links[0].text == "Why a build beats a server"
    assert "listening" in desktop.find_element("css selector", ".search__excerpt mark").text
    assert desktop.find_element("css selector", ".search__status").text == "1 episode found for “listening”"
    links[0].click()
    browser.wait_until(desktop, f"return location.pathname === '/{EPISODE}'")
    desktop.get(base_url + page)
    desktop.find_element("css selector", ".search input").send_keys("zebrafish")
    browser.wait_until(desktop, "return document.querySelector('.search__status').textContent !== ''")
    assert desktop.find_element("css selector", ".search__status").text == "No episode mentions “zebrafish”."


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Three shows in one production (test_api's network), built and served: yields the base URL."""
    from test_api import write_network

    from podops.build import build
    from podops.commands.server import start_server, stop_server

    scratch = tmp_path_factory.mktemp("network")
    site = scratch / "public"
    site.mkdir()
    server, base_url = start_server(site)
    try:
        build(write_network(scratch / "network"), site, base_url=base_url, workers=1)
        yield base_url
    finally:
        stop_server(server)


def test_the_home_page_of_a_network_searches_every_show(network: str, desktop: Any) -> None:
    desktop.get(network)
    assert desktop.find_element("css selector", "h1").text == "Podcasts"
    desktop.find_element("css selector", ".search input").send_keys("Episode")
    browser.wait_until(desktop, "return document.querySelectorAll('.search__result').length >= 5")
    shows = {e.text for e in desktop.find_elements("css selector", ".search__show")}
    assert shows == {"Alpha-Show-One", "Beta-Show-Two"}  # both indexes answered, each result names its show
    links = {e.get_attribute("href") for e in desktop.find_elements("css selector", ".search__result a")}
    assert network + "beta-show-two/beta-first/" in links and network + "alpha-show-one/alpha-first/" in links
    assert [e for e in desktop.get_log("browser") if e["level"] == "SEVERE"] == []


def test_a_show_page_of_a_network_searches_that_show_only(network: str, desktop: Any) -> None:
    desktop.get(network + "beta-show-two/")
    desktop.find_element("css selector", ".search input").send_keys("Episode")
    browser.wait_until(desktop, "return document.querySelectorAll('.search__result').length > 0")
    links = sorted(e.get_attribute("href") for e in desktop.find_elements("css selector", ".search__result a"))
    assert links == [network + "beta-show-two/beta-first/", network + "beta-show-two/beta-second/"]


@pytest.mark.parametrize("page", ["", "gamma-show-three/", "404.html"])
def test_axe_finds_nothing_on_a_network_s_pages(network: str, driver: Any, axe: Path, page: str) -> None:
    problems = []
    try:
        for scheme in ("light", "dark"):
            browser.color_scheme(driver, scheme)
            driver.get(network + page)
            problems += [f"{scheme}: {p}" for p in accessibility_problems(driver, axe)]
    finally:
        browser.color_scheme(driver, "light")
    assert problems == []


@pytest.fixture(scope="module")
def private_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """test_private's network (a public and a private show with subscribers), built and served."""
    import test_private

    from podops.commands.server import start_server, stop_server

    scratch = tmp_path_factory.mktemp("private")
    site = scratch / "public"
    site.mkdir()
    server, base_url = start_server(site)
    try:
        test_private.build(test_private.make_network(scratch / "network"), site)
        yield base_url, site
    finally:
        stop_server(server)


def test_axe_finds_nothing_on_subscribe_pages_and_private_show_pages(private_site: tuple[str, Path],
                                                                     driver: Any, axe: Path) -> None:
    base_url, folder = private_site
    pages = sorted(p.relative_to(folder).as_posix() for p in (folder / "private").rglob("*.html"))
    assert any(page.endswith("/index.html") for page in pages) and len(pages) >= 4
    problems = []
    try:
        for scheme in ("light", "dark"):
            browser.color_scheme(driver, scheme)
            for page in pages:
                driver.get(base_url + page)
                browser.wait_for_audio(driver)
                problems += [f"{scheme} {page}: {p}" for p in accessibility_problems(driver, axe)]
                problems += [f"{scheme} {page}: {e['message']}" for e in driver.get_log("browser")
                             if e["level"] == "SEVERE"]
    finally:
        browser.color_scheme(driver, "light")
    assert problems == []


def test_axe_finds_nothing_on_a_live_channel_page(driver: Any, axe: Path, tmp_path: Path) -> None:
    import icecast
    import test_live

    nowhere = f"http://127.0.0.1:{icecast.free_port()}"  # no station: the page shows its schedule
    with test_live.served_live_page(tmp_path, nowhere + "/live", nowhere + "/status-json.xsl") as url:
        problems = []
        try:
            for scheme in ("light", "dark"):
                browser.color_scheme(driver, scheme)
                for width in (1280, 360):
                    browser.set_viewport(driver, width, 900, mobile=width < 600)
                    driver.get(url)
                    problems += [f"{scheme} {width}px: {p}" for p in accessibility_problems(driver, axe)]
        finally:
            browser.color_scheme(driver, "light")
            browser.set_viewport(driver, 1280, 900)
    assert problems == []


def test_the_embedded_player_plays(site: tuple[str, Path], desktop: Any) -> None:
    base_url, _ = site
    desktop.get(base_url + EPISODE + "embed.html")
    browser.wait_for_audio(desktop)
    position = desktop.execute_async_script(
        "const done = arguments[arguments.length - 1]; const a = document.querySelector('audio');"
        "a.muted = true;"
        "a.play().then(() => setTimeout(() => done(a.currentTime), 800), e => done(String(e)));")
    assert isinstance(position, float) and position > 0.2, position


def test_the_embed_snippets_show_a_light_and_a_dark_player_whatever_the_visitor_prefers(site: tuple[str, Path],
                                                                                      desktop: Any) -> None:
    # The snippets as the episode page offers them, pasted into another site's page.
    base_url, folder = site
    page = (folder / EPISODE / "index.html").read_text()
    snippets = dict(re.findall(r'<textarea id="embed-(light|dark)"[^>]*>(.*?)</textarea>', page, re.DOTALL))
    assert set(snippets) == {"light", "dark"}
    blog = folder / "a-blog.html"  # served beside the site for the length of the test
    blog.write_text('<!doctype html><html lang="en"><title>A blog</title>' + "".join(
        html.unescape(snippets[theme]).replace("<iframe ", f'<iframe id="{theme}" ') for theme in ("light", "dark")))
    seen = {}
    try:
        for scheme in ("light", "dark"):
            browser.color_scheme(desktop, scheme)
            desktop.get(base_url + blog.name)
            for theme in ("light", "dark"):
                desktop.switch_to.frame(desktop.find_element("id", theme))
                browser.wait_for_audio(desktop)
                seen[scheme, theme] = desktop.execute_script(
                    "const s = getComputedStyle(document.body); return [s.backgroundColor, s.colorScheme,"
                    " getComputedStyle(document.documentElement).colorScheme];")
                desktop.switch_to.default_content()
    finally:
        browser.color_scheme(desktop, "light")
        blog.unlink()
    for scheme in ("light", "dark"):
        assert seen[scheme, "light"] == ["rgb(255, 255, 255)", "light", "light"], seen
        assert seen[scheme, "dark"] == ["rgb(28, 27, 25)", "dark", "dark"], seen  # --surface of the dark theme


def test_no_page_logs_an_error_in_the_console(site: tuple[str, Path], desktop: Any) -> None:
    base_url, _ = site
    errors = []
    for page in PAGES:
        desktop.get(base_url + page)
        browser.wait_for_audio(desktop)
        errors += [f"{page}: {e['message']}" for e in desktop.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


@pytest.fixture(scope="module")
def axe() -> Path:
    """axe-core's script, installed as .ci/run does (the test fails in CI without it)."""
    script = browser.axe_script()
    if script is None:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"needs axe-core: {browser.AXE_INSTALL}")
    assert script is not None
    return script


def accessibility_problems(driver: Any, script: Path) -> list[str]:
    """axe-core's violations, and any text whose contrast it could not decide (AA must be certain)."""
    problems = browser.axe_violations(driver, script)
    undecided = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: ['color-contrast'], resultTypes: ['incomplete']})"
        ".then(r => done(r.incomplete.flatMap(v => v.nodes.map(n => n.target.join(' ')))));")
    return problems + [f"color-contrast undecided: {target}" for target in undecided]


@pytest.mark.parametrize("page", PAGES)
def test_axe_finds_no_accessibility_problem_light_or_dark_wide_or_narrow(site: tuple[str, Path], driver: Any,
                                                                         axe: Path, page: str) -> None:
    base_url, _ = site
    problems = []
    try:
        for scheme in ("light", "dark"):
            browser.color_scheme(driver, scheme)
            for width in (1280, 360):
                browser.set_viewport(driver, width, 900, mobile=width < 600)
                driver.get(base_url + page)
                browser.wait_for_audio(driver)
                problems += [f"{scheme} {width}px: {p}" for p in accessibility_problems(driver, axe)]
    finally:
        browser.color_scheme(driver, "light")
    assert problems == []


def test_axe_finds_nothing_in_search_results_or_the_resume_prompt(site: tuple[str, Path], desktop: Any,
                                                                  axe: Path) -> None:
    base_url, _ = site
    fresh_episode(desktop, base_url)
    desktop.execute_script("document.getElementById('player').currentTime = 4")
    browser.wait_until(desktop, "return localStorage.getItem('podops:position:1f2e3d4c5b6a') === '4.0'")
    open_episode(desktop, base_url)
    browser.wait_until(desktop, "return !document.querySelector('.pp__resume').hidden")
    desktop.find_element("css selector", ".share summary").click()  # the share panel, open
    assert accessibility_problems(desktop, axe) == []
    desktop.get(base_url + f"{browser.SHOW}/")
    desktop.find_element("css selector", ".search input").send_keys("build")
    browser.wait_until(desktop, "return document.querySelectorAll('.search__result').length > 0")
    assert accessibility_problems(desktop, axe) == []


@pytest.mark.parametrize("page", PAGES)
def test_a_320_pixel_wide_phone_needs_no_sideways_scrolling(site: tuple[str, Path], driver: Any,
                                                            page: str) -> None:
    base_url, _ = site
    browser.set_viewport(driver, 320, 640, mobile=True)
    driver.get(base_url + page)
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 320


def test_screenshots_for_the_docs(driver: Any, tmp_path: Path) -> None:
    folder = os.environ.get("PODOPS_SCREENSHOTS")
    if not folder:
        pytest.skip("set PODOPS_SCREENSHOTS=docs to refresh the pictures")
    with browser.served_example(tmp_path, local_urls=False) as (base_url, _):
        written = browser.take_screenshots(driver, base_url, browser.ROOT / folder)
    assert all(path.stat().st_size < browser.MAX_SHOT_BYTES for path in written)


def test_the_site_opened_from_disk_navigates_index_show_episode(site: tuple[str, Path], desktop: Any) -> None:
    from selenium.webdriver.common.by import By

    _, folder = site
    desktop.get((folder / "index.html").as_uri())
    desktop.find_element(By.CSS_SELECTOR, f'a.brand[href$="{browser.SHOW}/index.html"]').click()
    assert desktop.current_url == (folder / browser.SHOW / "index.html").as_uri()
    assert desktop.find_elements(By.CSS_SELECTOR, ".episode-card__title a")  # a show page, not a listing
    desktop.find_element(By.CSS_SELECTOR, f'.episode-card__title a[href^="{browser.EPISODE}/"]').click()
    assert desktop.current_url == (folder / EPISODE / "index.html").as_uri()
    assert desktop.title == "Why a build beats a server – The Static Signal"
    desktop.find_element(By.CSS_SELECTOR, ".eyebrow a").click()  # back up to the show
    assert desktop.current_url == (folder / browser.SHOW / "index.html").as_uri()


def test_the_copy_button_on_a_subscribe_page_copies_the_personal_feed_url(
        driver: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_private import SECRET, make_network, tokens_of

    from podops.build import build
    from podops.commands.server import start_server, stop_server

    monkeypatch.setenv("PODOPS_SECRET", SECRET)
    site = tmp_path / "public"
    site.mkdir()
    server, base_url = start_server(site)
    try:
        build(make_network(tmp_path / "net"), site, base_url=base_url, workers=1)
        token = tokens_of(SECRET, "grace@example.org")[0]
        feed_url = f"{base_url.rstrip('/')}/private/{token}/feed.xml"
        origin = base_url.rstrip("/")
        driver.execute_cdp_cmd("Browser.grantPermissions", {
            "origin": origin, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
        browser.set_viewport(driver, 1280, 900)
        driver.get_log("browser")
        driver.get(f"{origin}/private/{token}/")
        assert driver.title.startswith("Members Only Hour")
        assert driver.find_element("id", "feed-url").get_attribute("value") == feed_url
        driver.find_element("css selector", 'button[data-copy="feed-url"]').click()
        browser.wait_until(driver, "return document.querySelector('button[data-copy=\"feed-url\"]')"
                                   ".textContent === 'Copied'")
        copied = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "navigator.clipboard.readText().then(done, e => done('error: ' + e));")
        assert copied == feed_url
        links = [a.get_attribute("href") for a in driver.find_elements("css selector", ".platforms a")]
        assert len(links) == 6 and all(feed_url.split("://", 1)[1] in link or
                                       feed_url.replace(":", "%3A").replace("/", "%2F") in link for link in links)
        driver.find_element("link text", "Secret Plans").click()
        browser.wait_for_audio(driver)
        assert driver.execute_script("return document.querySelector('meta[name=robots]').content") == \
            "noindex, nofollow"
        errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
    finally:
        stop_server(server)
