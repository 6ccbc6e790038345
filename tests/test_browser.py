"""The built example site in headless Chromium: it loads, plays, seeks, fits a phone, logs no errors.

One browser and one served build for the whole module keep this to a few seconds. Set
``PODOPS_SCREENSHOTS=docs`` to refresh the pictures in ``docs/`` on the way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import browser
import pytest

from podops.media import probe_audio

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
    assert abs(player_time(desktop) - 5) <= 0.3
    desktop.find_element("css selector", '.chapters a[data-start="3"]').click()
    browser.wait_until(desktop, "return !document.getElementById('player').seeking")
    assert abs(player_time(desktop) - 3) <= 0.3


def test_the_chapter_list_works_from_the_keyboard(site: tuple[str, Path], desktop: Any) -> None:
    from selenium.webdriver.common.keys import Keys

    base_url, _ = site
    open_episode(desktop, base_url)
    link = desktop.find_element("css selector", '.chapters a[data-start="5"]')
    desktop.execute_script("arguments[0].focus()", link)
    assert desktop.switch_to.active_element == link
    desktop.switch_to.active_element.send_keys(Keys.ENTER)
    browser.wait_until(desktop, "return !document.getElementById('player').seeking")
    assert abs(player_time(desktop) - 5) <= 0.3
    outline = desktop.execute_script("return getComputedStyle(arguments[0]).outlineStyle", link)
    assert outline != "none"  # a visible focus ring


def test_the_embedded_player_plays(site: tuple[str, Path], desktop: Any) -> None:
    base_url, _ = site
    desktop.get(base_url + EPISODE + "embed.html")
    browser.wait_for_audio(desktop)
    position = desktop.execute_async_script(
        "const done = arguments[arguments.length - 1]; const a = document.querySelector('audio');"
        "a.muted = true;"
        "a.play().then(() => setTimeout(() => done(a.currentTime), 800), e => done(String(e)));")
    assert isinstance(position, float) and position > 0.2, position


def test_no_page_logs_an_error_in_the_console(site: tuple[str, Path], desktop: Any) -> None:
    base_url, _ = site
    errors = []
    for page in PAGES:
        desktop.get(base_url + page)
        browser.wait_for_audio(desktop)
        errors += [f"{page}: {e['message']}" for e in desktop.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


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
