"""The page theme: a Jinja environment over the production's templates, then the built-in ones.

A production's ``templates/`` folder shadows any built-in template or static file by name (the
MkDocs and Pelican override path). Autoescaping is on for HTML and XML and undefined names fail,
so a typo never publishes an empty field; every Jinja failure becomes a :class:`TemplateError`
naming ``templates/<file>:<line>``. Templates are trusted code (``security.md`` §0); the data they
render is not, and only sanitised HTML is ever marked safe.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
import stat
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import lxml.html
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, nodes, select_autoescape
from jinja2.ext import Extension
from markupsafe import Markup

from podops import urls
from podops.errors import Diagnostic, TemplateError
from podops.load.yamlfile import describe_mode
from podops.render import markup

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # English names without the locale (security.md §6)


def builtin_templates() -> Path:
    """The theme shipped with podops: package data in a wheel, the top-level folder in a checkout."""
    package = Path(__file__).resolve().parent.parent  # podops/, above this stage's folder
    for folder in (package / "templates", package.parent / "templates"):
        if (folder / "base.html").is_file():
            return folder
    raise TemplateError(Diagnostic(str(package / "templates"), message="the built-in theme is missing"))


def long_date(value: datetime | None) -> str:
    """A date readers understand everywhere, e.g. ``30 September 2024`` (UTC, no locale)."""
    if value is None:
        return ""
    day = value.astimezone(UTC)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def broadcast_time(start: datetime, end: datetime) -> str:
    """When a broadcast runs, e.g. ``Wednesday 2 December 2026, 08:00–10:00 UTC`` (no locale)."""
    first, last = start.astimezone(UTC), end.astimezone(UTC)
    span = f"{first:%H:%M}–{last:%H:%M}" if first.date() == last.date() else \
        f"{first:%H:%M}–{long_date(last)} {last:%H:%M}"
    return f"{WEEKDAY_NAMES[first.weekday()]} {long_date(first)}, {span} UTC"


def iso_instant(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``, for ``<time datetime>`` of a moment."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_date(value: datetime | None) -> str:
    """``YYYY-MM-DD`` in UTC, for ``<time datetime>``, sitemaps and JSON-LD."""
    return value.astimezone(UTC).strftime("%Y-%m-%d") if value else ""


def hms(seconds: float | None) -> str:
    """A duration as ``H:MM:SS``, in whole seconds like the feed's itunes:duration."""
    if seconds is None:
        return ""
    total = round(seconds)
    return f"{total // 3600}:{total // 60 % 60:02d}:{total % 60:02d}"


def clock(seconds: float) -> str:
    """A position in an episode as ``M:SS`` (or ``H:MM:SS`` past the hour), for chapter lists."""
    total = int(seconds)
    if total >= 3600:
        return hms(total)
    return f"{total // 60}:{total % 60:02d}"


def iso_duration(seconds: float | None) -> str:
    """ISO 8601 duration (``PT1H2M3S``) as schema.org expects."""
    if seconds is None:
        return ""
    total = round(seconds)
    hours, minutes, secs = total // 3600, total // 60 % 60, total % 60
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{secs}S"


def seconds(value: float) -> str:
    """A start time for ``#t=`` media fragments: no trailing ``.0``, at most millisecond precision."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"


_LINK_OR_IMAGE = re.compile(r"<(a|img)\b[^>]*>")  # nh3 writes ">" in attribute values as "&gt;"
_LINK = re.compile(r"<a\b[^>]*>(.*?)</a>", re.DOTALL)
_TAG_NAME = re.compile(r"</?([a-z0-9]+)")
PHRASING = {"abbr", "b", "br", "code", "del", "em", "i", "img", "s", "strong", "sub", "sup", "u"}  # of markup.TAGS


def _valid(tag: re.Match[str]) -> bool:
    """Whether one ``<a>`` or ``<img>`` start tag written by nh3 needs no repair."""
    text = tag.group(0)
    if tag.group(1) == "img":
        return ' alt="' in text  # values are double-quoted, a quote in them is "&quot;"
    return ' href="' in text or ' rel="' not in text


def complete_html(sanitised: str) -> Markup:
    """Sanitised HTML made valid HTML5: images get an empty alt, links whose URL was dropped lose rel."""
    if "<img" not in sanitised and "<a" not in sanitised:
        return Markup(sanitised)
    if "&nbsp;" not in sanitised and "&quot;" not in sanitised and all(
            _valid(tag) for tag in _LINK_OR_IMAGE.finditer(sanitised)) and _simple_links(sanitised):
        return Markup(sanitised)  # nothing to repair: lxml would write nh3's markup back as it is
    return _repaired(sanitised)


def _simple_links(sanitised: str) -> bool:
    """Whether every link holds phrasing content only (lxml's HTML 4 parser moves blocks out of links)."""
    links = _LINK.findall(sanitised)
    return len(links) == len(re.findall(r"<a\b", sanitised)) and all(
        set(_TAG_NAME.findall(inner)) <= PHRASING for inner in links)


def _repaired(sanitised: str) -> Markup:
    """The repair through lxml's tree (which writes ``&nbsp;`` as the character, and a value holding
    ``"`` in single quotes)."""
    root = lxml.html.fragment_fromstring(sanitised, create_parent="div")
    for image in root.iter("img"):
        if image.get("alt") is None:
            image.set("alt", "")
    for link in root.iter("a"):
        if link.get("href") is None and "rel" in link.attrib:
            del link.attrib["rel"]
    children = "".join(lxml.html.tostring(child, encoding="unicode") for child in root)
    return Markup(html.escape(root.text or "", quote=False) + children)  # leading text is text: escaped


def render_markdown(text: str | None) -> Markup:
    """Markdown as sanitised HTML: the only filter whose output is trusted in a page."""
    return complete_html(markup.render(text or ""))


PLAIN = re.compile(r"[A-Za-z0-9_.~/#-]*")  # what quote(…, safe="/#") leaves as it is: most links


def relative(target: str, page: str) -> str:
    """Link from the output file ``page`` to the output file ``target``.

    Links name the file, ``index.html`` included: a folder link opens a directory listing when
    the site is opened from disk (``file://``), and every static host serves the file as well.
    """
    if target.endswith("/") or not target:
        target += "index.html"
    # Output paths are clean relative POSIX paths, so this is relpath without its getcwd calls.
    if "//" in target or "//" in page or target[0] == "/" or page[:1] == "/":
        start = [part for part in posixpath.dirname(page).split("/") if part]
        parts = [part for part in target.split("/") if part]
    else:  # no empty parts to drop (every path podops makes)
        start, parts = page.split("/"), target.split("/")
        start.pop()
    common, most = 0, min(len(start), len(parts) - 1)
    while common < most and start[common] == parts[common]:
        common += 1
    rel = "/".join([".."] * (len(start) - common) + parts[common:])
    return rel if PLAIN.fullmatch(rel) else quote(rel, safe="/#")


@jinja2.pass_context
def href(context: Any, target: str) -> str:
    """Template helper: link from the page being rendered to an output path (absolute on 404 pages)."""
    base = context.get("absolute_base")
    if base:
        return urls.absolute(base, target)  # a 404 page is served at any depth
    return relative(target, context["page_path"])


class Links:
    """``href`` bound to one page, passed with its context: Jinja calls it without deriving a context
    for every call inside a block or loop (what a ``pass_context`` global costs)."""

    __slots__ = ("base", "page")

    def __init__(self, page: str, base: str | None = None) -> None:
        self.page, self.base = page, base

    def __call__(self, target: str) -> str:
        """The link from this page to the output path ``target``."""
        if self.base:
            return urls.absolute(self.base, target)  # a 404 page is served at any depth
        return relative(target, self.page)


def check_overrides(folder: Path, root: Path) -> list[Diagnostic]:
    """Refuse what a theme override must not publish: symlinks leaving the production, FIFOs, devices.

    Everything under ``templates/`` (and ``_static/``) ends up in pages or is copied verbatim, so
    a link to ``/proc/self/environ`` would publish the build's environment (``security.md`` §4).
    Links that stay inside the production are followed; nothing here is opened.
    """
    root = root.resolve()
    problems: list[Diagnostic] = []
    seen: set[str] = set()
    pending = [(os.fspath(folder), "templates")]
    while pending:
        current, shown = pending.pop()
        real_folder = os.path.realpath(current)
        if real_folder in seen:
            continue
        seen.add(real_folder)
        try:
            names = sorted(os.listdir(current))
        except OSError as exc:
            problems.append(Diagnostic(shown, message=f"cannot read folder ({exc.strerror})"))
            continue
        for name in names:
            path, display = os.path.join(current, name), f"{shown}/{name}"
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                real = Path(os.path.realpath(path))
                if not real.is_relative_to(root):
                    problems.append(Diagnostic(display, message=f"symbolic link to {real}, outside the "
                                               "production: refused (it would be published)"))
                    continue
                try:
                    mode = os.stat(path).st_mode
                except OSError:
                    problems.append(Diagnostic(display, message="broken symbolic link"))
                    continue
            if stat.S_ISDIR(mode):
                pending.append((path, display))
            elif not stat.S_ISREG(mode):
                problems.append(Diagnostic(display, message=f"is {describe_mode(mode)}: refused without opening it"))
    return sorted(problems)


class Fragments(Extension):
    """``{% cache key, … %}…{% endcache %}``: a fragment rendered once per build for each key.

    Jinja's documented fragment-cache extension, without expiry: a theme names in the key every
    value the fragment shows (a show's name, its feed URL), so the many pages of one show render
    their shared parts once. Each :class:`Theme` (one per build) holds its own fragments.
    """

    tags = {"cache"}

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.fragments: dict[tuple[Any, ...], Markup] = {}

    def parse(self, parser: Any) -> nodes.Node:
        """Read ``cache`` and the key expressions, then the body up to ``endcache``."""
        lineno = next(parser.stream).lineno
        key = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            key.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        call = self.call_method("_fragment", [nodes.Tuple(key, "load")])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _fragment(self, key: tuple[Any, ...], caller: Any) -> Markup:
        found = self.fragments.get(key)
        if found is None:
            found = self.fragments[key] = caller()
        return found


class Theme:
    """Templates and static files, looked up in the production's folder first."""

    def __init__(self, overrides: Path | None) -> None:
        self.folders = [overrides.resolve()] if overrides else []
        self.folders.append(builtin_templates())
        self.overrides = self.folders[0] if overrides else None
        self._builtin: dict[str, bool] = {}  # a build's templates do not change while it runs
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(folder)) for folder in self.folders]),
            autoescape=select_autoescape(["html", "xml"]),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # templates do not change during a build: no stat of each per page
            extensions=[Fragments],
        )
        self.env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
        self.env.filters.update(long_date=long_date, iso_date=iso_date, hms=hms, clock=clock,
                                iso_duration=iso_duration, seconds=seconds, markdown=render_markdown,
                                iso_instant=iso_instant,
                                plain=markup.plain)
        self.env.globals.update(href=href, broadcast_time=broadcast_time)

    def render(self, name: str, **context: Any) -> str:
        """Render one template, turning any failure inside a template into a TemplateError."""
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateSyntaxError as exc:
            where = self._display(exc.filename, exc.name or name)
            message = f"template syntax error: {exc.message}"
            raise TemplateError(Diagnostic(where, exc.lineno, 0, "", message)) from None
        except jinja2.TemplateNotFound as exc:
            where, line = self._innermost(exc) or (f"templates/{name}", 0)
            raise TemplateError(Diagnostic(where, line, 0, "", f"template not found: {exc.name}")) from None
        except jinja2.UndefinedError as exc:
            where, line = self._innermost(exc) or (f"templates/{name}", 0)
            raise TemplateError(Diagnostic(where, line, 0, "", f"undefined value: {exc.message}")) from None
        except Exception as exc:  # a template's own mistake, e.g. {{ 1 / 0 }}; podops bugs re-raise
            found = self._innermost(exc)
            if found is None:
                raise
            raise TemplateError(Diagnostic(found[0], found[1], 0, "", f"template error: {exc}")) from None

    def builtin(self, name: str) -> bool:
        """Whether ``name`` is podops' own template, not shadowed by the production's (one stat a name)."""
        if name not in self._builtin:
            self._builtin[name] = self.overrides is None or not (self.overrides / name).exists()
        return self._builtin[name]

    def static_files(self) -> Iterator[tuple[str, Path]]:
        """Every file under ``_static/``, by path relative to it, an override winning by name."""
        found: dict[str, Path] = {}
        for folder in reversed(self.folders):
            static = folder / urls.STATIC
            if static.is_dir():
                found.update({p.relative_to(static).as_posix(): p for p in static.rglob("*") if p.is_file()})
        yield from sorted(found.items())

    def _innermost(self, exc: BaseException) -> tuple[str, int] | None:
        """The deepest traceback frame that is a template file (Jinja rewrites frames to them)."""
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            path = Path(frame.filename)
            if any(path.is_relative_to(folder) for folder in self.folders):
                return self._display(frame.filename, None), frame.lineno or 0
        return None

    def _display(self, filename: str | None, name: str | None) -> str:
        """``templates/<name>`` for a production's own template; the full path for a built-in one."""
        if filename:
            path = Path(filename).resolve()
            if self.overrides and path.is_relative_to(self.overrides):
                return f"templates/{path.relative_to(self.overrides).as_posix()}"
            return str(path)
        return f"templates/{name}"
