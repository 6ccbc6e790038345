"""Markdown to safe HTML: Python-Markdown renders, nh3 (ammonia) sanitises with an allow-list.

Python-Markdown passes raw HTML and ``javascript:`` links through on purpose, so its output is
never trusted (``security.md`` §1). The same sanitised HTML goes to pages and feeds.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

import markdown
import nh3

if TYPE_CHECKING:
    from podops.model import Episode

EXTENSIONS = ["extra", "sane_lists", "smarty"]
TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
RENDERER = f"markdown {markdown.__version__}, nh3 {getattr(nh3, '__version__', '?')}, v1"
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_ITEM_GAP = re.compile(r"</li>\s*<li\b[^>]*>")  # "sun; water; patience", not "sun water patience"
_BLOCK_END = re.compile(r"</(?:p|li|ul|ol|h[1-6]|blockquote|pre|dt|dd|tr|th|td)>|<br\s*/?>")
_md = markdown.Markdown(extensions=EXTENSIONS, output_format="html")


def sanitize(html: str) -> str:
    """Keep only allow-listed tags, attributes and URL schemes (no script, no on*, no javascript:)."""
    return str(nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                         link_rel="noopener noreferrer nofollow", strip_comments=True))


# Rendered notes by content hash; the build seeds it from the store and saves what is new,
# so an unchanged episode is never rendered twice, across runs too.
_rendered: dict[str, str] = {}
_new: dict[str, str] = {}
_used: set[str] = set()
PARALLEL_FROM = 64  # below this many new texts a process pool costs more than it saves


def _convert(text: str) -> str:
    _md.reset()
    return sanitize(_md.convert(text)).strip()


def render(text: str) -> str:
    """Render Markdown to sanitised HTML, once per distinct text."""
    key = digest(text)
    _used.add(key)
    html = _rendered.get(key)
    if html is None:
        html = _rendered[key] = _new[key] = _convert(text)
    return html


def seed(cached: dict[str, str]) -> None:
    """Start a run from previously rendered notes (keyed by :func:`digest`)."""
    _new.clear()
    _used.clear()
    _rendered.clear()
    _rendered.update(cached)


def fresh() -> dict[str, str]:
    """Notes rendered in this run, to be remembered."""
    return dict(_new)


def used() -> dict[str, str]:
    """Every note this run needed, rendered: what is worth keeping for the next run."""
    return {key: _rendered[key] for key in _used if key in _rendered}


def prerender(texts: list[str], workers: int) -> None:
    """Render the texts not rendered yet, in parallel when there are many (a cold build)."""
    todo = sorted({t for t in texts if digest(t) not in _rendered})
    if len(todo) < PARALLEL_FROM or workers < 2:
        for text in todo:
            render(text)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        for text, html in zip(todo, pool.map(_convert, todo, chunksize=64), strict=True):
            _rendered[digest(text)] = _new[digest(text)] = html


def episode_html(episode: Episode) -> str:
    """Show notes as sanitised HTML: the summary, then the longer notes if any."""
    parts = [render(episode.summary)]
    if episode.text:
        parts.append(render(episode.text))
    return "\n".join(p for p in parts if p)


def plain(text: str) -> str:
    """Markdown reduced to plain text, for summaries and meta descriptions; list items stay apart."""
    separated = _BLOCK_END.sub(" ", _ITEM_GAP.sub("; ", render(text)))
    stripped = nh3.clean(separated, tags=set())
    import html

    return _SPACE.sub(" ", html.unescape(stripped)).strip()


def digest(text: str) -> str:
    """Content hash used as a cache key for rendered notes (renderer settings included)."""
    return hashlib.sha256(f"{RENDERER}\0{text}".encode()).hexdigest()


def truncate_bytes(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes at a word boundary, marking the cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    cut = data[: limit - 3].decode("utf-8", "ignore")
    return cut.rsplit(" ", 1)[0].rstrip() + "…"
