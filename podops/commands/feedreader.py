"""Reading untrusted RSS: fetch it, parse it safely, and read its elements whatever namespace spelling.

lxml parses with entity expansion, DTD loading and network access off, and a feed that declares
entities is refused outright (``security.md`` §7). Hosts spell namespaces differently (the
podcast namespace has an official and an old GitHub URI; iTunes' is matched case-insensitively),
so elements are looked up by a canonical ``prefix:name``. :class:`FeedReader` turns values into
what the schema accepts and records a warning, at the feed's line, for everything it drops.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import re
import socket
import stat
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from podops import __version__
from podops.errors import Diagnostic, PodopsError
from podops.load.schema import MAX_TEXT
from podops.load.validate import check_url, language_code, parse_date, parse_rfc2822
from podops.load.vocabulary import CATEGORIES

MAX_FEED = 64 * 1024 * 1024
MAX_CHAPTERS = 4 * 1024 * 1024
NAMESPACES = {  # lower-cased namespace URI (no trailing slash) → the prefix used to look elements up
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "https://podcastindex.org/namespace/1.0": "podcast",
    "http://podcastindex.org/namespace/1.0": "podcast",
    "https://github.com/podcastindex-org/podcast-namespace/blob/main/docs/1.0.md": "podcast",
    "http://www.google.com/schemas/play-podcasts/1.0": "googleplay",
    "http://purl.org/rss/1.0/modules/content": "content",
    "http://podlove.org/simple-chapters": "psc",
    "http://www.w3.org/2005/atom": "atom",
}
LEGACY_CATEGORIES = {  # Apple's names before the 2019 revision → today's
    "Games & Hobbies": "Leisure", "Government & Organizations": "Government",
    "Health": "Health & Fitness", "News & Politics": "News", "Science & Medicine": "Science",
    "Sports & Recreation": "Sports",
}
LEGACY_SUBCATEGORIES = {  # old subcategory → the (category, subcategory) it became
    "Tech News": ("News", "Tech News"), "Business News": ("News", "Business News"),
    "Management & Marketing": ("Business", "Management"), "Training": ("Education", "Courses"),
    "Language Courses": ("Education", "Language Learning"), "Literature": ("Arts", "Books"),
    "Fitness & Nutrition": ("Health & Fitness", "Fitness"), "Medicine": ("Health & Fitness", "Medicine"),
    "Self-Help": ("Education", "Self-Improvement"), "Other Games": ("Leisure", "Games"),
    "Outdoor": ("Sports", "Wilderness"), "History": ("History", None),
    "Non-Profit": ("Business", "Non-Profit"),
}
_FLAGS = {"yes": True, "true": True, "explicit": True, "no": False, "false": False, "clean": False}


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only, and to private addresses only when they are allowed."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        scheme = urlsplit(newurl).scheme.lower()
        if scheme not in ("http", "https"):
            raise PodopsError(f"{req.full_url}: redirects to {newurl}, a {scheme or 'relative'}: URL; "
                              "only http(s) redirects are followed")
        check_host(newurl, self.allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def check_host(url: str, allow_private: bool) -> None:
    """Refuse a URL whose host is this machine or a private network, unless explicitly allowed.

    An import run in CI from someone else's feed must not reach the runner's own services or
    cloud metadata (169.254.169.254); ``--allow-private`` lifts this for local servers.
    """
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, urlsplit(url).port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise PodopsError(f"{url}: cannot resolve {host!r} ({getattr(exc, 'strerror', None) or exc})") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global or address.is_multicast:
            raise PodopsError(f"{url}: {host} is a loopback or private address ({address}); pass "
                              "--allow-private to fetch from it")


def _get(source: str, limit: int, timeout: float, allow_private: bool) -> bytes:
    check_host(source, allow_private)
    opener = urllib.request.OpenerDirector()  # http(s) only: no file:, ftp: or data: redirects
    for handler in (urllib.request.ProxyHandler(), urllib.request.HTTPHandler(),
                    urllib.request.HTTPSHandler(), _Redirects(allow_private),
                    urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    request = urllib.request.Request(source, headers={"User-Agent": f"podops/{__version__}"})
    try:
        with opener.open(request, timeout=timeout) as response:
            return bytes(response.read(limit + 1))
    except PodopsError:
        raise
    except urllib.error.HTTPError as exc:
        raise PodopsError(f"{source}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
        raise PodopsError(f"{source}: cannot fetch ({getattr(exc, 'reason', None) or exc})") from None


def fetch(source: str, limit: int = MAX_FEED, timeout: float = 30.0, allow_private: bool = False) -> bytes:
    """Read a local file or an http(s) URL (nothing else), refusing anything over ``limit`` bytes.

    ``timeout`` bounds the whole fetch, redirects and a trickling body included, not each read:
    the request runs in a daemon thread that is abandoned when the deadline passes.
    """
    if re.match(r"^https?://", source, re.IGNORECASE):
        result: list[bytes | BaseException] = []

        def run() -> None:
            try:
                result.append(_get(source, limit, timeout, allow_private))
            except BaseException as exc:  # handed to the caller's thread
                result.append(exc)

        worker = threading.Thread(target=run, name="podops-fetch", daemon=True)
        worker.start()
        worker.join(timeout)
        if not result:
            raise PodopsError(f"{source}: no complete answer within {timeout:g} s; gave up")
        if isinstance(result[0], BaseException):
            raise result[0]
        data = result[0]
    elif re.match(r"^[a-z][a-z0-9+.-]+:", source, re.IGNORECASE):
        raise PodopsError(f"{source}: only files and http(s) URLs can be imported")
    else:
        try:
            mode = os.stat(source).st_mode
            if not stat.S_ISREG(mode):  # a FIFO would block the read forever
                raise PodopsError(f"{source}: not a regular file (a FIFO, socket or device?): not read")
            with open(source, "rb") as handle:
                data = handle.read(limit + 1)
        except OSError as exc:
            raise PodopsError(f"{source}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise PodopsError(f"{source}: larger than {limit // (1024 * 1024)} MB; refusing it")
    return data


def parse_feed(data: bytes, display: str) -> Any:
    """Parse RSS safely and return its ``<channel>``; entity declarations are refused outright."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno or 0, 0)
        reason = re.sub(r",? line \d+, column \d+$", "", exc.msg)
        problem = Diagnostic(display, line, column, message=f"not well-formed XML: {reason}")
        raise PodopsError(problem) from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise PodopsError(Diagnostic(display, 1, 1, message="the feed declares XML entities (<!ENTITY>); "
                                     "refusing it (entity expansion and external entities are unsafe)"))
    channel = root.find("channel")
    if etree.QName(root).localname != "rss" or channel is None:
        raise PodopsError(Diagnostic(display, root.sourceline or 1, 1, message="not an RSS 2.0 feed "
                                     "(expected <rss><channel>)"))
    return channel


def tag_of(element: Any) -> str:
    """``itunes:duration`` whatever prefix or namespace spelling the feed used."""
    name = etree.QName(element)
    if name.namespace is None:
        return name.localname
    prefix = NAMESPACES.get(name.namespace.lower().rstrip("/"))
    return f"{prefix}:{name.localname}" if prefix else f"{{{name.namespace}}}{name.localname}"


def _written(element: Any) -> str:
    """The element's name as the feed wrote it (``media:content``), for warnings."""
    name = etree.QName(element)
    return f"{element.prefix}:{name.localname}" if element.prefix else tag_of(element)


def children(parent: Any, tag: str) -> list[Any]:
    """Child elements named ``prefix:name`` (or a plain RSS name), in document order."""
    return [child for child in parent if isinstance(child.tag, str) and tag_of(child) == tag]


def first(parent: Any, *tags: str) -> Any:
    """The first child with the first of ``tags`` present (hosts put the same value in several)."""
    return next((found[0] for tag in tags if (found := children(parent, tag))), None)


def text_of(parent: Any, *tags: str) -> str | None:
    """The first non-empty text among ``tags`` (CDATA included), stripped."""
    for tag in tags:
        for element in children(parent, tag):
            text = "".join(element.itertext()).strip()
            if text:
                return text
    return None


def whole_number(text: str, digits: int = 15) -> bool:
    """ASCII digits only, and not too many: ``²`` and Arabic-Indic digits pass ``isdigit`` but are no numbers here."""
    return bool(re.fullmatch(rf"[0-9]{{1,{digits}}}", text))


class FeedReader:
    """Reads values out of feed elements, collecting a warning for everything it drops or changes."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.warnings: list[Diagnostic] = []

    def warn(self, element: Any, tag: str, message: str) -> None:
        """Record something the import dropped or changed, at its line in the feed."""
        line = getattr(element, "sourceline", 0) or 0
        self.warnings.append(Diagnostic(self.display, line, 0, tag, message, "warning"))

    def leftovers(self, parent: Any, read: frozenset[str], kept: dict[str, str | None]) -> None:
        """Warn, at its line, about every child element the import did not carry into the production.

        ``read`` are the tags the import reads; ``kept`` maps alternative tags (itunes:title beside
        title) to the value kept, so an alternative saying the same is not reported.
        """
        counts: dict[str, int] = {}
        for child in parent:
            if not isinstance(child.tag, str):
                continue
            tag = tag_of(child)
            counts[tag] = counts.get(tag, 0) + 1
            shown = _written(child)
            if tag in kept:
                text = " ".join("".join(child.itertext()).split())
                if text and text != " ".join((kept[tag] or "").split()):
                    self.warn(child, shown, "differs from the value kept: not imported")
            elif tag in ("enclosure", "podcast:chapters") and counts[tag] > 1:
                self.warn(child, shown, f"only the first <{shown}> is imported: dropped")
            elif tag not in read:
                self.warn(child, shown, "podops has no field for it: dropped")

    def url(self, element: Any, tag: str, value: str | None) -> str | None:
        """An http(s) URL kept as written, or None (with a warning) when it is not one."""
        if not value:
            return None
        problem = check_url(value.strip())
        if problem:
            self.warn(element, tag, f"{value!r} dropped: {problem}")
            return None
        return value.strip()

    def text(self, element: Any, tag: str, value: str | None, limit: int = MAX_TEXT) -> str | None:
        """Text cut to the schema's limit (with a warning when cut)."""
        if value and len(value) > limit:
            self.warn(element, tag, f"longer than {limit} characters: cut")
            return value[:limit].rstrip()
        return value or None

    def flag(self, parent: Any, tag: str) -> bool | None:
        """yes/no/true/false/clean/explicit as a boolean, None when absent or unknown."""
        element = first(parent, tag)
        value = text_of(parent, tag)
        if value is None:
            return None
        if value.lower() not in _FLAGS:
            self.warn(element, tag, f"{value!r} is not yes/no/true/false: ignored")
            return None
        return _FLAGS[value.lower()]

    def number(self, parent: Any, *tags: str) -> int | None:
        """A positive whole number (season, episode), or None."""
        value = text_of(parent, *tags)
        if value is None:
            return None
        if not whole_number(value) or int(value) < 1:
            self.warn(first(parent, *tags), tags[0], f"{value!r} is not a positive whole number: ignored")
            return None
        return int(value)

    def date(self, parent: Any) -> datetime | None:
        """pubDate as an aware datetime; a date without a zone is taken as UTC, with a warning."""
        value, element = text_of(parent, "pubDate"), first(parent, "pubDate")
        if value is None:
            return None
        try:
            return parse_date(value)
        except ValueError as exc:
            if "no timezone" not in str(exc):
                self.warn(element, "pubDate", f"{value!r}: {exc}: ignored")
                return None
        try:
            parsed = parse_rfc2822(value).replace(tzinfo=UTC)
        except (TypeError, ValueError, IndexError, OverflowError):
            self.warn(element, "pubDate", f"{value!r} is not a usable RFC 2822 date: ignored")
            return None
        self.warn(element, "pubDate", f"{value!r} has no timezone: read as UTC")
        return parsed

    def language(self, element: Any, value: str | None) -> str | None:
        """The validator's language rule (``en-US`` → ``en-us``); an odd region is dropped, the language kept."""
        if not value:
            return None
        try:
            return language_code(value)
        except ValueError:
            pass
        try:
            kept = language_code(re.split(r"[-_]", value.strip(), maxsplit=1)[0])
        except ValueError:
            self.warn(element, "language", f"{value!r} is not an ISO 639 code: ignored")
            return None
        self.warn(element, "language", f"{value!r}: region not understood, kept {kept!r}")
        return kept

    def categories(self, channel: Any) -> list[dict[str, Any]]:
        """Apple categories as they are today; renamed ones mapped, obsolete ones dropped."""
        found: dict[str, list[str]] = {}
        elements = children(channel, "itunes:category") or children(channel, "googleplay:category")
        for element in elements:
            old = (element.get("text") or "").strip()
            name = old if old in CATEGORIES else LEGACY_CATEGORIES.get(old)
            if name is None:
                self.warn(element, tag_of(element), f"{old!r} is not an Apple Podcasts category: dropped")
                continue
            if name != old:
                self.warn(element, tag_of(element), f"{old!r} is now {name!r}")
            subs = found.setdefault(name, [])
            for child in children(element, tag_of(element)):
                sub = (child.get("text") or "").strip()
                moved = LEGACY_SUBCATEGORIES.get(sub)
                if sub in CATEGORIES[name]:
                    _add(subs, sub)
                elif moved:
                    self.warn(child, tag_of(child), f"{sub!r} is now {' › '.join(p for p in moved if p)}")
                    _add(found.setdefault(moved[0], []), moved[1])
                else:
                    self.warn(child, tag_of(child), f"{sub!r} is not a subcategory of {name!r}: dropped")
        if not found:
            self.warn(channel, "itunes:category", "no Apple Podcasts category could be kept: add one")
        return [{"name": n, **({"subcategory": s} if s else {})} for n, s in found.items()]

    def persons(self, parent: Any) -> list[dict[str, Any]]:
        """podcast:person credits."""
        out = []
        for element in children(parent, "podcast:person"):
            name = self.text(element, "podcast:person", "".join(element.itertext()).strip(), 128)
            if not name:
                continue
            person = {"name": name, "role": (element.get("role") or "").lower() or None,
                      "group": (element.get("group") or "").lower() or None,
                      "img": self.url(element, "podcast:person", element.get("img")),
                      "href": self.url(element, "podcast:person", element.get("href"))}
            out.append({k: v for k, v in person.items() if v})
        return out

    def funding(self, parent: Any) -> list[dict[str, Any]]:
        """podcast:funding links."""
        out = []
        for element in children(parent, "podcast:funding"):
            uri = self.url(element, "podcast:funding", element.get("url"))
            title = self.text(element, "podcast:funding", "".join(element.itertext()).strip(), 128)
            if uri:
                out.append({"uri": uri, **({"title": title} if title else {})})
        return out

    def image(self, parent: Any) -> dict[str, str] | None:
        """Artwork by URL: itunes:image (or googleplay:image), else the RSS <image>."""
        element = first(parent, "itunes:image", "googleplay:image")
        href = element.get("href") if element is not None else None
        rss_image = first(parent, "image")
        if not href and rss_image is not None:
            element, href = rss_image, text_of(rss_image, "url")
        uri = self.url(element, "itunes:image", href)
        return {"uri": uri, "rel": "external"} if uri else None


def _add(values: list[str], value: str | None) -> None:
    """Append once, keeping the feed's order."""
    if value and value not in values:
        values.append(value)
