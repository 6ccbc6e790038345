"""Debian's icecast2 on a free loopback port, fed by ffmpeg: a real live stream for the live-page tests.

The server runs from a config written here. Run as root, Icecast refuses to keep root and drops
to ``nobody`` (``<changeowner>``), so its log folder is world-writable. The source password is
a throwaway made up per run; it exists only in that config and ffmpeg's command line.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ICECAST = shutil.which("icecast2") or "/usr/bin/icecast2"
WEBROOT = Path("/usr/share/icecast2/web")
ADMINROOT = Path("/usr/share/icecast2/admin")
MOUNT = "/live"


@dataclass
class Station:
    """A running Icecast with one source on ``MOUNT``."""

    port: int
    folder: Path
    password: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stream_url(self) -> str:
        return self.base + MOUNT

    @property
    def status_url(self) -> str:
        return self.base + "/status-json.xsl"

    def status(self) -> dict[str, Any]:
        """The server's status-json.xsl, parsed."""
        with urllib.request.urlopen(self.status_url, timeout=5) as response:
            return dict(json.loads(response.read()))

    def source(self) -> dict[str, Any] | None:
        """The status of ``MOUNT`` (``icestats.source`` is an object for one mount, a list for more)."""
        sources = self.status().get("icestats", {}).get("source") or []
        for source in sources if isinstance(sources, list) else [sources]:
            if str(source.get("listenurl", "")).endswith(MOUNT):
                return dict(source)
        return None

    def set_title(self, title: str) -> None:
        """Set the mount's current title, as a playout system does (admin/metadata, updinfo)."""
        query = urllib.parse.urlencode({"mount": MOUNT, "mode": "updinfo", "song": title})
        request = urllib.request.Request(f"{self.base}/admin/metadata?{query}")
        token = base64.b64encode(f"admin:{self.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()

    def log(self) -> str:
        """Icecast's error log, for failure messages."""
        path = self.folder / "error.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else "(no error log)"


def missing() -> str | None:
    """Why no station can run here, or None."""
    if not Path(ICECAST).exists():
        return "icecast2 is not installed (apt-get install icecast2)"
    if not shutil.which("ffmpeg"):
        return "ffmpeg is not installed"
    if not (WEBROOT / "status-json.xsl").exists():
        return f"{WEBROOT}/status-json.xsl is missing"
    return None


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def config(port: int, folder: Path, password: str) -> str:
    """An icecast.xml for one loopback listener, logs in ``folder``, CORS open for the live page."""
    owner = ("<changeowner><user>nobody</user><group>nogroup</group></changeowner>"
             if os.geteuid() == 0 else "")
    return f"""<icecast>
  <location>test</location><admin>test@localhost</admin>
  <limits><clients>20</clients><sources>2</sources><source-timeout>10</source-timeout>
    <burst-on-connect>1</burst-on-connect></limits>
  <authentication>
    <source-password>{escape(password)}</source-password>
    <admin-user>admin</admin-user><admin-password>{escape(password)}</admin-password>
  </authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>{port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <http-headers><header name="Access-Control-Allow-Origin" value="*" /></http-headers>
  <fileserve>1</fileserve>
  <paths>
    <basedir>{folder}</basedir><logdir>{folder}</logdir><pidfile>{folder}/icecast.pid</pidfile>
    <webroot>{WEBROOT}</webroot><adminroot>{ADMINROOT}</adminroot>
  </paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>3</loglevel></logging>
  <security><chroot>0</chroot>{owner}</security>
</icecast>
"""


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it does not go within five seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def wait_for(check: Any, timeout: float, what: Callable[[], str]) -> Any:
    """Poll ``check`` until it returns something true, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except (OSError, ValueError):  # not up yet; Icecast 2.4 also serves half a JSON while starting
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError(f"{what()} (waited {timeout} s)")


@contextmanager
def station(audio: Path) -> Iterator[Station]:
    """Icecast on a free loopback port with ffmpeg looping ``audio`` into ``MOUNT``; stopped after.

    Its folder is made right in the system's temporary folder: pytest's own are private to
    root, and ``nobody`` could not reach a log folder inside them.
    """
    folder = Path(tempfile.mkdtemp(prefix="podops-icecast-"))
    folder.chmod(0o777)  # Icecast writes its logs as nobody
    password = secrets.token_hex(8)
    port = free_port()
    (folder / "icecast.xml").write_text(config(port, folder, password))
    (folder / "icecast.xml").chmod(0o644)
    server = subprocess.Popen([ICECAST, "-c", str(folder / "icecast.xml")], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    feeder: subprocess.Popen[bytes] | None = None
    live = Station(port, folder, password)
    try:
        wait_for(live.status, 15, lambda: f"Icecast did not answer on {live.base}: {live.log()}")
        feeder = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1",
             "-i", str(audio), "-c", "copy", "-content_type", "audio/mpeg", "-f", "mp3",
             f"icecast://source:{password}@127.0.0.1:{port}{MOUNT}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(live.source, 15, lambda: f"ffmpeg did not connect to {live.stream_url}: {live.log()}")
        yield live
    finally:
        if feeder is not None:
            stop(feeder)
        stop(server)
        shutil.rmtree(folder, ignore_errors=True)
