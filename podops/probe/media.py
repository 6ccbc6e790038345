"""What audio and artwork probing share without a library: the error, the content hash, name rules."""

from __future__ import annotations

import hashlib
from pathlib import Path

AUDIO_MIME = "audio/mpeg"
# What podops publishes, by content type, and the file suffixes a web server serves as that type:
# a published name must agree with its content, or a host would serve it as something else
# (an "MP3" named .svg is served as image/svg+xml, with its script live on the site's origin).
SUFFIXES = {"audio/mpeg": (".mp3",), "image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",),
            # other versions of an episode and trailers (podcast:alternateEnclosure, podcast:trailer)
            "audio/mp4": (".m4a", ".m4b", ".mp4"), "video/mp4": (".mp4", ".m4v"), "audio/opus": (".opus",),
            "audio/ogg": (".ogg", ".oga"), "audio/flac": (".flac",)}


class ProbeError(Exception):
    """A file cannot be used; the message says why in a podcaster's words."""


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes: the cache key that survives a fresh clone."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def name_problem(path: Path, mime: str) -> str | None:
    """Why a file's suffix does not agree with its content type (from the content), or None."""
    allowed = SUFFIXES.get(mime, ())
    suffix = path.suffix.lower()
    if suffix in allowed:
        return None
    want = " or ".join(allowed) or "a known suffix"
    shown = f"'{suffix}'" if suffix else "no suffix"
    if mime == AUDIO_MIME:
        return (f"an enclosure must be an MP3 named {want} (podops publishes MPEG audio); this name has "
                f"{shown}, which a web server would serve as another type")
    return f"the content is {mime}, so the name must end in {want}, not {shown}"
