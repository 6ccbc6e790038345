"""Markdown to safe HTML: Python-Markdown renders, nh3 (ammonia) sanitises with an allow-list.

Python-Markdown passes raw HTML and ``javascript:`` links through on purpose, so its output is
never trusted (``security.md`` §1). The same sanitised HTML goes to pages and feeds.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import markdown
import nh3

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
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_md = markdown.Markdown(extensions=EXTENSIONS, output_format="html")


def sanitize(html: str) -> str:
    """Keep only allow-listed tags, attributes and URL schemes (no script, no on*, no javascript:)."""
    return str(nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                         link_rel="noopener noreferrer nofollow", strip_comments=True))


@lru_cache(maxsize=4096)
def render(text: str) -> str:
    """Render Markdown to sanitised HTML (cached by content within a run)."""
    _md.reset()
    return sanitize(_md.convert(text)).strip()


def plain(text: str) -> str:
    """Markdown reduced to plain text, for summaries and meta descriptions."""
    stripped = nh3.clean(render(text), tags=set())
    import html

    return _SPACE.sub(" ", html.unescape(stripped)).strip()


def digest(text: str) -> str:
    """Content hash used as a cache key for rendered notes."""
    return hashlib.sha256(text.encode()).hexdigest()


def truncate_bytes(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes at a word boundary, marking the cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    cut = data[: limit - 3].decode("utf-8", "ignore")
    return cut.rsplit(" ", 1)[0].rstrip() + "…"
