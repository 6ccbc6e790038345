"""A local preview server for a built site: loopback only, one fixed folder, byte ranges for audio.

Python's ``http.server`` ignores ``Range``, so browsers cannot seek in an MP3 it serves
(``oracles.md`` §4). :class:`SiteHandler` keeps its path translation (which drops ``..`` and
never leaves ``directory``) and answers single byte ranges with ``206 Partial Content``, the
MIME types a podcast site needs, and the site's own ``404.html``. Dev servers are a known CVE
source (``security.md`` §4), so :func:`start_server` refuses anything but a loopback address.
"""

from __future__ import annotations

import contextlib
import email.utils
import html
import ipaddress
import os
import posixpath
import re
import socket
import threading
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO, Literal
from urllib.parse import quote, unquote, urlsplit

from podops.errors import PodopsError

MIME_TYPES = {
    ".mp3": "audio/mpeg",
    ".json": "application/json",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".xml": "application/xml",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
}
FEED_NAMES = {"feed.xml", "rss.xml"}  # served as RSS so browsers and apps recognise them
API_TYPE = "application/vnd.api+json"  # documents under api/ (podops.render.api.MEDIA_TYPE), JSON:API 1.0 §5.1
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


IDLE_TIMEOUT = 30.0  # seconds a connection may stay silent before the server closes it
MAX_DIGITS = 18  # a byte position longer than this is past any file: read it as "too far"


def redirect_target(raw_path: str) -> str:
    """The ``Location`` for a folder asked without its slash: the normalised path, backslashes encoded.

    Echoing the raw path would turn ``/\\evil.example/../show`` or ``//evil.example/../show``
    into a redirect to another host (browsers read ``/\\`` as ``//``), so the folder's own
    normalised path is sent instead, percent-encoded, with exactly one leading slash.
    """
    clean = posixpath.normpath("/" + unquote(raw_path)).lstrip("/")
    return "/" + quote(clean, safe="/!$&'()*+,;=:@~-._") + ("/" if clean else "")


def _position(digits: str) -> int:
    return int(digits) if len(digits) <= MAX_DIGITS else 10 ** MAX_DIGITS


def byte_range(header: str | None, size: int) -> tuple[int, int] | Literal[False] | None:
    """Read a ``Range`` header: (first, last) to send, None to send everything, False if unsatisfiable."""
    if not header:
        return None
    match = _RANGE.match(header)
    if not match or match.group(1) == match.group(2) == "":
        return None  # several ranges, other units or bad syntax: RFC 9110 lets us send the whole file
    first, last = match.groups()
    if first == "":  # bytes=-n: the last n bytes
        length = _position(last)
        return (max(size - length, 0), size - 1) if length and size else False
    start = _position(first)
    end = min(_position(last), size - 1) if last else size - 1
    if last and _position(last) < start:
        return None  # an invalid range is ignored, not refused
    return (start, end) if start < size else False


class SiteHandler(SimpleHTTPRequestHandler):
    """Serve one folder: index.html for folders, 404.html when missing, byte ranges, quiet logs."""

    server_version = "podops"

    def version_string(self) -> str:
        """Name the server without advertising the Python version."""
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the terminal belongs to build diagnostics."""

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        """The site's MIME types: feeds as RSS, audio as MPEG, transcripts by format."""
        name = os.path.basename(path).lower()
        if name in FEED_NAMES:
            return "application/rss+xml"
        inside = os.path.relpath(path, self.directory).replace(os.sep, "/")
        if inside.startswith("api/") and name.endswith(".json") and name != "openapi.json":
            return API_TYPE
        return MIME_TYPES.get(os.path.splitext(name)[1]) or super().guess_type(path)

    def end_headers(self) -> None:
        """Ask browsers to revalidate: a preview changes under them at every build."""
        self.send_header("Cache-Control", "no-cache")
        if urlsplit(self.path).path.startswith("/api/"):
            self.send_header("Access-Control-Allow-Origin", "*")  # as the build's _headers asks of hosts
        super().end_headers()

    def do_GET(self) -> None:
        """Send a file (or the requested part of it)."""
        self._respond(head=False)

    def do_HEAD(self) -> None:
        """Send the headers a GET would send."""
        self._respond(head=True)

    def decorate(self, body: bytes) -> bytes:
        """Change an HTML page before it is sent; subclasses inject scripts here."""
        return body

    def find(self) -> str | None:
        """The file a request path names (index.html for folders), or None when there is none."""
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        root = os.path.realpath(self.directory)
        inside = os.path.commonpath([root, os.path.realpath(path)]) == root  # no symlinks out
        return path if inside and os.path.isfile(path) else None

    def setup(self) -> None:
        """Give every connection an idle deadline, so idle sockets cannot pile up forever."""
        self.timeout = getattr(self.server, "idle_timeout", IDLE_TIMEOUT)  # type: ignore[misc]
        super().setup()

    def handle_one_request(self) -> None:
        """Answer every request with a status: a handler failure is a 500, never a dropped connection."""
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        except Exception:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR)

    def _respond(self, head: bool) -> None:
        raw_path = urlsplit(self.path).path
        if "\0" in unquote(raw_path) or "\0" in self.path:
            self.send_error(HTTPStatus.BAD_REQUEST, "NUL byte in the path")
            return
        local = self.translate_path(self.path)
        if os.path.isdir(local) and not raw_path.endswith("/"):
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", redirect_target(raw_path))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = self.find()
        if path is None:
            self.send_missing(head)
            return
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed by the with below
        except OSError:
            self.send_missing(head)
            return
        with handle:
            ctype = self.guess_type(path)
            stat = os.fstat(handle.fileno())
            if ctype.startswith("text/html"):
                self.send_body(HTTPStatus.OK, self.decorate(handle.read()), ctype, head, stat.st_mtime)
            else:
                self.send_file(handle, stat.st_size, ctype, head, stat.st_mtime)

    def send_missing(self, head: bool) -> None:
        """Answer 404 with the site's own 404.html when it has one."""
        page = Path(self.directory) / "404.html"
        if page.is_file():
            body = page.read_bytes()
        else:
            body = (f"<!doctype html><html><head><meta charset=utf-8><title>Not found</title></head>"
                    f"<body><h1>Not found</h1><p>{html.escape(urlsplit(self.path).path)}</p></body>"
                    f"</html>").encode()
        self.send_body(HTTPStatus.NOT_FOUND, self.decorate(body), MIME_TYPES[".html"], head)

    def send_body(self, status: int, body: bytes, ctype: str, head: bool, mtime: float | None = None) -> None:
        """Send bytes held in memory, honouring a byte range on 200 responses."""
        part = byte_range(self.headers.get("Range"), len(body)) if status == HTTPStatus.OK else None
        if part is False:
            self._unsatisfiable(len(body))
            return
        first, last = part or (0, len(body) - 1)
        self._headers(status if part is None else HTTPStatus.PARTIAL_CONTENT, ctype, len(body),
                      first, last, part is not None, mtime)
        if not head:
            self.wfile.write(body[first:last + 1])

    def send_file(self, handle: BinaryIO, size: int, ctype: str, head: bool, mtime: float) -> None:
        """Stream a file, or the byte range the request asked for."""
        part = byte_range(self.headers.get("Range"), size)
        if part is not None and self.headers.get("If-Range") not in (None, self._last_modified(mtime)):
            part = None  # the client's copy is stale: send the whole new file
        if part is False:
            self._unsatisfiable(size)
            return
        first, last = part or (0, size - 1)
        self._headers(HTTPStatus.OK if part is None else HTTPStatus.PARTIAL_CONTENT, ctype, size,
                      first, last, part is not None, mtime)
        if head:
            return
        handle.seek(first)
        remaining = last - first + 1
        try:
            while remaining > 0:
                chunk = handle.read(min(64 * 1024, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a browser seeking elsewhere drops the connection mid-file

    def _headers(self, status: int, ctype: str, size: int, first: int, last: int, ranged: bool,
                 mtime: float | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Accept-Ranges", "bytes")
        if ranged:
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.send_header("Content-Length", str(max(last - first + 1, 0)))
        if mtime is not None:
            self.send_header("Last-Modified", self._last_modified(mtime))
        self.end_headers()

    def _unsatisfiable(self, size: int) -> None:
        self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
        self.send_header("Content-Range", f"bytes */{size}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    @staticmethod
    def _last_modified(mtime: float) -> str:
        return email.utils.formatdate(mtime, usegmt=True)


def check_loopback(host: str) -> None:
    """Refuse to listen beyond this machine: a preview serves drafts and unpublished media."""
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except socket.gaierror as exc:
        raise PodopsError(f"cannot listen on {host!r}: {exc.strerror}") from None
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise PodopsError(f"refusing to listen on {host!r}: the preview server only binds to 127.0.0.1")


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # browsers open many connections at once; a backlog of 5 drops them


def start_server(root: Path, host: str = "127.0.0.1", port: int = 0,
                 handler: Callable[..., SiteHandler] = SiteHandler,
                 idle_timeout: float = IDLE_TIMEOUT) -> tuple[ThreadingHTTPServer, str]:
    """Serve ``root`` from a daemon thread; return the server and its base URL (ending in "/")."""
    check_loopback(host)
    try:
        server = _Server((host, port), partial(handler, directory=os.fspath(root)))
    except OSError as exc:
        raise PodopsError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    server.daemon_threads = True
    server.idle_timeout = idle_timeout  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="podops-server", daemon=True)
    thread.start()
    bound_host, bound_port = str(server.server_address[0]), int(server.server_address[1])
    return server, f"http://{bound_host}:{bound_port}/"


def stop_server(server: ThreadingHTTPServer) -> None:
    """Stop serving and release the port."""
    server.shutdown()
    server.server_close()

