"""Headless Chromium over a locally served build of example-production, the Nu HTML Checker, screenshots.

The driver options are the ones ``oracles.md`` §4 found to work offline with Debian's chromium
and chromedriver. The site is served with HTTP Range support (``podops.commands.server``), because
Chromium cannot seek audio a server sends whole. Run as a script to refresh the pictures in
``docs/``::

    python tests/browser.py --screenshots docs/
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from podops.commands.server import start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "example-production"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SHOW = "the-static-signal"
EPISODE = "why-a-build-beats-a-server"
SHOTS = {  # file name → (page, viewport width, device pixel ratio)
    "show-desktop.png": (f"{SHOW}/", 1280, 1),
    "episode-desktop.png": (f"{SHOW}/{EPISODE}/", 1280, 1),
    "show-phone.png": (f"{SHOW}/", 375, 2),
    "episode-phone.png": (f"{SHOW}/{EPISODE}/", 375, 2),
}
MAX_SHOT_HEIGHT = 2200  # CSS pixels: enough for the top of a page, small enough for the repository
MAX_SHOT_BYTES = 300_000
VNU_VERSION = "26.9.27"
VNU_INSTALL = f'npm install --prefix "${{XDG_CACHE_HOME:-$HOME/.cache}}/podops-vnu" vnu-jar@{VNU_VERSION}'

AXE_VERSION = "4.14.1"
AXE_INSTALL = f'npm install --prefix "${{XDG_CACHE_HOME:-$HOME/.cache}}/podops-axe" axe-core@{AXE_VERSION}'


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when chromium, chromedriver and selenium exist."""
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not tool.exists():
            return f"{tool} is not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e .[test])"
    return None


def vnu_jar() -> Path | None:
    """vnu.jar from $PODOPS_VNU_JAR, or where VNU_INSTALL puts it; None when neither it nor java exists."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    default = cache / "podops-vnu/node_modules/vnu-jar/build/dist/vnu.jar"
    jar = Path(os.environ.get("PODOPS_VNU_JAR") or default)
    return jar if jar.is_file() and shutil.which("java") else None


def axe_script() -> Path | None:
    """axe.min.js from $PODOPS_AXE_JS, or where AXE_INSTALL puts it; None when it is not there."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    default = cache / "podops-axe/node_modules/axe-core/axe.min.js"
    script = Path(os.environ.get("PODOPS_AXE_JS") or default)
    return script if script.is_file() else None


def axe_violations(driver: Any, script: Path) -> list[str]:
    """Run axe-core on the page loaded in ``driver``: every violation as ``rule: target (summary)``."""
    driver.execute_script(script.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done(String(e)));")
    if isinstance(result, str):
        raise RuntimeError(f"axe-core failed: {result}")
    return [f"{v['id']}: {' '.join(node['target'])} ({v['help']})" for v in result for node in v["nodes"]]


def color_scheme(driver: Any, scheme: str) -> None:
    """Emulate the reader's light or dark preference (``prefers-color-scheme``)."""
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [{"name": "prefers-color-scheme", "value": scheme}]})


def html_errors(jar: Path, pages: list[Path]) -> list[str]:
    """The Nu HTML Checker's errors for ``pages`` (one Java start for all), as ``file:line: message``."""
    result = subprocess.run(["java", "-jar", str(jar), "--errors-only", "--format", "json", *map(str, pages)],
                            capture_output=True, text=True, timeout=300, check=False)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [f"{m.get('url')}:{m.get('lastLine')}: {m.get('message')}" for m in messages]
    return errors or ([] if result.returncode == 0 else [f"vnu exited with {result.returncode}"])


def start_driver(profile: Path) -> Any:
    """Headless Chromium that keeps the console log and may play audio without a click."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--autoplay-policy=no-user-gesture-required", f"--user-data-dir={profile}",
                     "--window-size=1280,900", "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def set_viewport(driver: Any, width: int, height: int = 900, scale: float = 1, mobile: bool = False) -> None:
    """Emulate a screen exactly (a window size would include browser chrome)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile})


def build_example(production: Path, out: Path, base_url: str | None) -> None:
    """Build a copy of example-production; ``base_url`` None keeps the show's own public one."""
    from podops.build import build

    shutil.copytree(EXAMPLE, production, ignore=shutil.ignore_patterns(".podops"))
    build(production, out, base_url=base_url, workers=1)


@contextmanager
def served_example(scratch: Path, local_urls: bool = True) -> Iterator[tuple[str, Path]]:
    """The example site built into ``scratch`` and served over HTTP: yields (base URL, site folder).

    With ``local_urls`` the absolute URLs (feed, share, embeds) point at the local server, so a
    browser can follow them; without, they stay the public ones, for pictures that never change.
    """
    site = scratch / "public"
    site.mkdir(parents=True)
    server, base_url = start_server(site)
    try:
        build_example(scratch / "example-production", site, base_url if local_urls else None)
        yield base_url, site
    finally:
        stop_server(server)


def wait_for_audio(driver: Any, timeout: float = 20) -> None:
    """Wait until every <audio> on the page knows its duration (or has failed)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('audio')].every(a => a.readyState >= 1 || a.error)"))


def wait_until(driver: Any, script: str, timeout: float = 10) -> None:
    """Wait until a JavaScript expression (a ``return`` statement) is true."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: d.execute_script(script))


def save_png(png: bytes, target: Path) -> int:
    """Write a screenshot as a palette PNG (a few hundred KB at most); return its size."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(target, format="PNG", optimize=True)
    return target.stat().st_size


def take_screenshots(driver: Any, base_url: str, folder: Path) -> list[Path]:
    """The show and an episode page at desktop and phone widths, as PNGs in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (page, width, scale) in SHOTS.items():
        set_viewport(driver, width, 900, scale, mobile=width < 600)
        driver.get(base_url + page)
        wait_for_audio(driver)
        height = int(driver.execute_script("return document.documentElement.scrollHeight"))
        height = min(MAX_SHOT_HEIGHT, height)
        set_viewport(driver, width, height, scale, mobile=width < 600)
        target = folder / name
        size = save_png(driver.get_screenshot_as_png(), target)
        if size > MAX_SHOT_BYTES:
            raise RuntimeError(f"{target}: {size} bytes is over {MAX_SHOT_BYTES}")
        written.append(target)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--screenshots DIR`` builds, serves and photographs the example site."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screenshots", type=Path, required=True, metavar="DIR")
    args = parser.parse_args(argv)
    reason = missing()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="podops-shots-") as scratch, \
            served_example(Path(scratch), local_urls=False) as (base_url, _site):
        driver = start_driver(Path(scratch) / "profile")
        try:
            for path in take_screenshots(driver, base_url, args.screenshots):
                print(f"{path} ({path.stat().st_size // 1024} KB)")
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
