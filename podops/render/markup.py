"""Markdown to safe HTML: CommonMark (cmarkgfm) or Python-Markdown renders, nh3 sanitises.

CommonMark with GitHub's extensions (tables, strikethrough, autolinks) is the default: PodOps
rendered its notes with goldmark, a CommonMark implementation, and cmarkgfm (GitHub's C
implementation) is about fifty times faster than Python-Markdown. A show may choose
``site.markdown: python-markdown`` with a list of its built-in extensions instead.

Both renderers pass raw HTML and ``javascript:`` links through (cmarkgfm is run with
``CMARK_OPT_UNSAFE`` so that inline HTML behaves as Python-Markdown's does), so their output is
never trusted (``security.md`` §1): nh3 keeps only the allow-list below. The same sanitised
HTML goes to pages, feeds and the API.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import TYPE_CHECKING, Any

import markdown
import nh3
from cmarkgfm import _cmark
from cmarkgfm.cmark import Options

from podops.load.schema import MARKDOWN_EXTENSIONS

if TYPE_CHECKING:
    from podops.model import Episode

COMMONMARK = "commonmark"
PYTHON_MARKDOWN = "python-markdown"
EXTENSIONS = ["extra", "sane_lists", "smarty"]  # Python-Markdown's, when a show names none
_CMARK_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_SMART  # smart quotes, as "smarty" did
# GitHub's extensions but "tagfilter": it turns <script> into visible text, where nh3 drops the
# element with its content, as it does for Python-Markdown's output.
GFM_EXTENSIONS = ["table", "strikethrough", "autolink"]
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
_ITEM_GAP = re.compile(r"</li>\s*<li\b[^>]*>")  # "sun; water; patience", not "sun water patience"
_BLOCK_END = re.compile(r"</(?:p|li|ul|ol|h[1-6]|blockquote|pre|dt|dd|tr|th|td)>|<br\s*/?>")
_converters: dict[str, markdown.Markdown] = {}


# Characters XML 1.0 cannot carry (§2.2 Char): a reference like "&#12;" in a note decodes to one,
# and a feed (CDATA) or a page's repair through lxml would refuse the whole build.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def sanitize(html: str) -> str:
    """Keep only allow-listed tags, attributes and URL schemes (no script, no on*, no javascript:)."""
    return _NOT_XML.sub("", str(nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                                          link_rel="noopener noreferrer nofollow", strip_comments=True)))


PARALLEL_FROM = 64  # below this many new texts a process pool costs more than it saves


def flavour(renderer: str = COMMONMARK, extensions: list[str] | None = None) -> str:
    """The name of a renderer with its settings, as notes are keyed and converted by it."""
    if renderer != PYTHON_MARKDOWN:
        return COMMONMARK
    return f"{PYTHON_MARKDOWN}:{','.join(extensions or EXTENSIONS)}"


def _python_markdown(name: str) -> markdown.Markdown:
    converter = _converters.get(name)
    if converter is None:
        extensions = [e for e in name.partition(":")[2].split(",") if e in MARKDOWN_EXTENSIONS]
        converter = _converters[name] = markdown.Markdown(extensions=extensions, output_format="html")
    return converter


def _commonmark(text: str) -> str:
    """cmarkgfm's ``markdown_to_html_with_extensions``, step by step, freeing what it leaves allocated.

    cmarkgfm (2025.10) frees neither the parsed document nor the rendered buffer: about 5 kB of C
    memory a text, 114 MB of the largest process for the 20,000 notes of 10,000 episodes.
    """
    lib, ffi = _cmark.lib, _cmark.ffi
    lib.cmark_gfm_core_extensions_ensure_registered()
    parser = lib.cmark_parser_new(_CMARK_OPTIONS)
    try:
        for name in GFM_EXTENSIONS:
            lib.cmark_parser_attach_syntax_extension(parser, lib.cmark_find_syntax_extension(name.encode()))
        data = text.encode("utf-8")
        lib.cmark_parser_feed(parser, data, len(data))
        root = lib.cmark_parser_finish(parser)  # the caller's to free (cmark.h)
        try:
            if lib.cmark_node_get_type(root) == lib.CMARK_NODE_NONE:
                raise ValueError("Error parsing markdown!")
            raw = lib.cmark_render_html(root, _CMARK_OPTIONS, lib.cmark_parser_get_syntax_extensions(parser))
            try:
                return str(ffi.string(raw).decode("utf-8"))
            finally:
                _release()[1](int(ffi.cast("uintptr_t", raw)))  # cmark's default allocator is libc's
        finally:
            _release()[0](int(ffi.cast("uintptr_t", root)))
    finally:
        lib.cmark_parser_free(parser)


@functools.cache
def _release() -> tuple[Any, Any]:
    """cmark_node_free (compiled into cmarkgfm, not in its cffi interface) and libc's free, by ctypes."""
    import ctypes

    node_free = ctypes.CDLL(_cmark.__file__).cmark_node_free  # dlopen: the copy of cmark already loaded
    free = ctypes.CDLL(None).free
    for function in (node_free, free):
        function.argtypes, function.restype = [ctypes.c_void_p], None
    return node_free, free


def _convert(job: tuple[str, str]) -> str:
    text, name = job
    if name == COMMONMARK:
        html = _commonmark(text)
    else:
        converter = _python_markdown(name)
        converter.reset()
        html = converter.convert(text)
    return sanitize(html).strip()


class Notes:
    """Rendered notes by content: reused from the last build, rendered once when new, kept when used.

    ``code`` (the build's one code hash, :mod:`podops.write.caches`) is part of every key, so a change
    of podops or of Markdown/nh3 never reuses HTML rendered by another version.
    """

    def __init__(self, code: str = "", cached: dict[str, str] | None = None) -> None:
        self.code = code
        self.rendered: dict[str, str] = dict(cached or {})
        self.loaded = len(self.rendered)
        self.new: dict[str, str] = {}
        self.used: set[str] = set()
        self.plain: dict[str, str] = {}  # plain() by source text: pages, feeds and the API ask alike
        self.flavours: dict[str, str] = {}  # text → the flavour of the show it belongs to

    def assign(self, texts: list[str], name: str) -> None:
        """Render ``texts`` with the flavour ``name`` (a show's ``site.markdown``).

        Pages, feeds and the API ask for a text's HTML by the text alone; the build tells which
        show's renderer each text belongs to first. A text two shows share verbatim takes the
        flavour of the first show that names a non-default renderer.
        """
        for text in texts:
            if self.flavours.get(text, COMMONMARK) == COMMONMARK:
                self.flavours[text] = name

    def key(self, text: str, name: str = COMMONMARK) -> str:
        """The cache key of a text rendered by the flavour ``name``."""
        return hashlib.sha256(f"{self.code}\0{name}\0{text}".encode()).hexdigest()

    def render(self, text: str) -> str:
        """Sanitised HTML of ``text``, rendered once per distinct text."""
        name = self.flavours.get(text, COMMONMARK)
        key = self.key(text, name)
        self.used.add(key)
        html = self.rendered.get(key)
        if html is None:
            html = self.rendered[key] = self.new[key] = _convert((text, name))
        return html

    def prerender(self, texts: list[str], workers: int) -> None:
        """Render the texts not rendered yet, in parallel when there are many (a cold build)."""
        jobs = sorted({(t, self.flavours.get(t, COMMONMARK)) for t in texts})
        todo = [job for job in jobs if self.key(*job) not in self.rendered]
        if len(todo) < PARALLEL_FROM or workers < 2 or all(name == COMMONMARK for _, name in todo):
            for text, _ in todo:  # CommonMark costs microseconds a text: a pool would cost more
                self.render(text)
            return
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            for job, html in zip(todo, pool.map(_convert, todo, chunksize=64), strict=True):
                self.rendered[self.key(*job)] = self.new[self.key(*job)] = html

    def kept(self) -> dict[str, str]:
        """Every note this run needed, rendered: what is worth keeping for the next run."""
        return {key: self.rendered[key] for key in self.used if key in self.rendered}

    def changed(self) -> bool:
        """Whether what is worth keeping differs from what was loaded."""
        return bool(self.new) or len(self.kept()) != self.loaded


_notes = Notes()  # the notes of the build under way (pages and feeds call render() without a handle)


def use(notes: Notes) -> Notes:
    """Make ``notes`` the ones :func:`render` reads and fills, for the build under way."""
    global _notes
    _notes = notes
    return notes


def render(text: str) -> str:
    """Render Markdown to sanitised HTML, once per distinct text of the build under way."""
    return _notes.render(text)


def episode_html(episode: Episode) -> str:
    """Show notes as sanitised HTML: the summary, then the longer notes if any."""
    parts = [render(episode.summary)]
    if episode.text:
        parts.append(render(episode.text))
    return "\n".join(p for p in parts if p)


def plain(text: str) -> str:
    """Markdown reduced to plain text, for summaries and meta descriptions; list items stay apart."""
    done = _notes.plain.get(text)
    if done is None:
        separated = _BLOCK_END.sub(" ", _ITEM_GAP.sub("; ", render(text)))
        stripped = nh3.clean(separated, tags=set())
        import html

        done = _notes.plain[text] = _SPACE.sub(" ", html.unescape(stripped)).strip()
    return done


def truncate_bytes(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes at a word boundary, marking the cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    cut = data[: limit - 3].decode("utf-8", "ignore")
    return cut.rsplit(" ", 1)[0].rstrip() + "…"
