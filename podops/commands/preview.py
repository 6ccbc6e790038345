"""``podops serve``: build into a temporary folder, serve it, rebuild on every change, reload open pages.

The build writes atomically (:mod:`podops.write.output`), so a failed rebuild leaves the last good
site in place and the server simply keeps serving it; the error is shown in the terminal (via
the ``notify`` callback) and in every open page, as an overlay the server injects into HTML
responses. Pages poll ``/__podops__/version`` and reload when the build counter moves.
"""

from __future__ import annotations

import fcntl
import html
import json
import os
import shutil
import signal
import stat
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

from watchfiles import DefaultFilter, watch

from podops.build import Report, build
from podops.commands.server import SiteHandler, start_server, stop_server
from podops.errors import PodopsError

PREFIX = "/__podops__/"
PREVIEW_PREFIX = "podops-serve-"
LOCK_NAME = ".preview-lock"
RELOAD_JS = b"""\
(() => {
  const me = document.currentScript;
  const seen = me && me.dataset.version;
  const poll = async () => {
    try {
      const answer = await fetch("/__podops__/version", {cache: "no-store"});
      const state = await answer.json();
      if (String(state.version) !== seen) { location.reload(); return; }
    } catch (error) { /* the server restarts or is gone: keep trying */ }
    setTimeout(poll, 500);
  };
  setTimeout(poll, 500);
})();
"""
OVERLAY = ('<div id="podops-error" role="alert" style="position:fixed;inset:0;z-index:2147483647;'
           'overflow:auto;margin:0;padding:2rem;background:rgba(20,0,0,.92);color:#fff;'
           'font:14px/1.5 ui-monospace,monospace"><h1 style="font-size:1.2rem">The last build failed; '
           'this is the last good site</h1><pre style="white-space:pre-wrap">{text}</pre></div>')
Notify = Callable[[Report | None, PodopsError | None], None]


@dataclass
class State:
    """What the preview tells open pages: a build counter and the last build's error, if any."""

    version: int = 0
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> tuple[int, str | None]:
        """Counter and error, read together."""
        with self.lock:
            return self.version, self.error

    def record(self, error: str | None) -> None:
        """Count one finished build (good or bad) so pages reload."""
        with self.lock:
            self.version += 1
            self.error = error


class LiveHandler(SiteHandler):
    """The site handler plus the live-reload endpoints and the script (and error overlay) in pages."""

    def __init__(self, *args: Any, state: State, **kwargs: Any) -> None:
        self.state = state  # set first: the base class handles the request inside __init__
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        """Answer the live-reload endpoints, else serve the site."""
        self._live(head=False)

    def do_HEAD(self) -> None:
        """The headers GET would send, for the live-reload endpoints too."""
        self._live(head=True)

    def _live(self, head: bool) -> None:
        path = urlsplit(self.path).path
        if not path.startswith(PREFIX):
            super().do_HEAD() if head else super().do_GET()
            return
        version, error = self.state.snapshot()
        endpoints = {
            "reload.js": (RELOAD_JS, "text/javascript; charset=utf-8"),
            "version": (json.dumps({"version": version, "error": error}).encode(), "application/json"),
        }
        body, ctype = endpoints.get(path[len(PREFIX):], (b"", ""))
        if not ctype:
            self.send_missing(head=head)
            return
        self.send_body(HTTPStatus.OK, body, ctype, head=head)

    def decorate(self, body: bytes) -> bytes:
        """Append the reload script (and the escaped error overlay) to an HTML page."""
        version, error = self.state.snapshot()
        extra = f'<script src="{PREFIX}reload.js" data-version="{version}"></script>'
        if error:
            extra = OVERLAY.format(text=html.escape(error)) + extra
        index = body.lower().rfind(b"</body>")
        cut = index if index >= 0 else len(body)
        return body[:cut] + extra.encode() + body[cut:]


def clean_stale(folder: Path | None = None) -> list[Path]:
    """Remove preview folders whose preview is gone (``kill -9`` skips every cleanup).

    A live preview holds an exclusive lock on its folder's :data:`LOCK_NAME`; a folder whose lock
    can be taken (or that has none and is over a minute old) belongs to no running preview.
    """
    removed = []
    for candidate in sorted((folder or Path(tempfile.gettempdir())).glob(f"{PREVIEW_PREFIX}*")):
        try:
            info = candidate.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                continue
            lock_path = candidate / LOCK_NAME
            if not lock_path.exists():
                if time.time() - info.st_mtime < 60:
                    continue  # being created right now
            else:
                with lock_path.open("a") as handle:
                    try:
                        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        continue  # a running preview's
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
        except OSError:
            continue
    return removed


def source_filter(ignored: Path) -> DefaultFilter:
    """Watch resources, assets and templates; ignore the probe cache, the output and editor files."""
    return DefaultFilter(ignore_dirs=(*DefaultFilter.ignore_dirs, ".podops"), ignore_paths=[ignored])


class Preview:
    """A running preview: the server, the temporary output, the watcher thread."""

    def __init__(self, root: Path, port: int = 0, drafts: bool = False,
                 notify: Notify | None = None) -> None:
        self.root = root.resolve()
        self.drafts = drafts
        self.notify = notify or (lambda report, error: None)
        self.state = State()
        clean_stale()
        self.workdir = Path(tempfile.mkdtemp(prefix=PREVIEW_PREFIX))
        self.claim = (self.workdir / LOCK_NAME).open("w")  # held while this preview lives
        fcntl.flock(self.claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.out = self.workdir / "site"
        self.stopping = threading.Event()
        self.watching = threading.Event()
        self.thread: threading.Thread | None = None
        try:
            self.server, self.url = start_server(self.out, port=port,
                                                 handler=_live_handler(self.state))
        except BaseException:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.claim.close()
            raise

    def rebuild(self) -> Report | None:
        """Build once; on failure keep the last good site and publish the error to pages."""
        try:
            report = build(self.root, self.out, base_url=self.url, drafts=self.drafts, permanent=False)  # a preview
        except PodopsError as exc:
            self.state.record(str(exc))
            self.notify(None, exc)
            return None
        except OSError as exc:
            error = PodopsError(f"{exc.filename or self.root}: {exc.strerror or exc}")
            self.state.record(str(error))
            self.notify(None, error)
            return None
        except Exception as exc:  # a podops bug must not end the preview: show it, keep watching
            where = traceback.extract_tb(exc.__traceback__)[-1]
            error = PodopsError(f"internal error while building ({exc.__class__.__name__}: {exc}) at "
                                f"{Path(where.filename).name}:{where.lineno}; the preview keeps watching, "
                                "please report this")
            self.state.record(str(error))
            self.notify(None, error)
            return None
        report.feeds = [self.url + Path(f).relative_to(self.out).as_posix() for f in report.feeds]
        self.state.record(None)
        self.notify(report, None)
        return report

    def start(self) -> Self:
        """Build once, then rebuild on every change from a background thread."""
        self.rebuild()
        self.thread = threading.Thread(target=self._watch, name="podops-watch", daemon=True)
        self.thread.start()
        self.watching.wait(timeout=10)  # edits made after start() returns are never missed
        return self

    def _watch(self) -> None:
        changes = watch(self.root, watch_filter=source_filter(self.workdir), stop_event=self.stopping,
                        debounce=400, step=50, rust_timeout=100, yield_on_timeout=True,
                        raise_interrupt=False)
        for changed in changes:  # the first (empty) yield comes once the watch is in place
            self.watching.set()
            if changed:
                try:
                    self.rebuild()
                except Exception as exc:  # noqa: BLE001 - e.g. the notify callback; the watch must go on
                    self.state.record(f"preview error: {exc.__class__.__name__}: {exc}")

    def wait(self, ready: Callable[[], None] | None = None) -> None:
        """Block until :meth:`close`, Ctrl-C or SIGTERM (so the temporary site is always removed).

        ``ready`` is called once SIGTERM is handled, so a signal sent on "serving" never kills
        the preview before it can clean up.
        """
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, lambda *_: self.stopping.set()) if main else None
        try:
            if ready:
                ready()
            while not self.stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)

    def close(self) -> None:
        """Stop watching and serving, and remove the temporary site."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
        stop_server(self.server)
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.claim.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _live_handler(state: State) -> Callable[..., SiteHandler]:
    def make(*args: Any, **kwargs: Any) -> SiteHandler:
        return LiveHandler(*args, state=state, **kwargs)

    return make


def serve(root: Path, port: int = 8000, drafts: bool = False, notify: Notify | None = None,
          ready: Callable[[str], None] | None = None) -> None:
    """Preview ``root`` at http://127.0.0.1:PORT/ until interrupted, rebuilding on every change."""
    if not root.is_dir():
        raise PodopsError(f"{root}: not a folder")
    with Preview(root, port, drafts, notify) as preview:
        preview.wait((lambda: ready(preview.url)) if ready else None)
