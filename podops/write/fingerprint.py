"""Recognise a build that would change nothing, so it can stop before loading anything.

The inputs' fingerprint covers every file of the production (path, size, mtime, ctime, inode:
any write moves the ctime), the podops code and theme, and the build options. The output's
fingerprint covers every file of the output folder as the last build left it. When both match
what the last build recorded, and no scheduled episode has come due since, the output is
already exactly what a build would write.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from functools import lru_cache
from importlib import metadata
from pathlib import Path

SKIPPED = {".podops", ".git"}
_PACKAGE = Path(__file__).resolve().parent.parent  # podops/, above this stage's folder
LIBRARIES = ("cmarkgfm", "markdown", "nh3", "feedgen", "jinja2", "mutagen", "pillow", "lxml", "pyyaml", "pagefind_bin")


@lru_cache(maxsize=1)
def code_salt() -> str:
    """Hash of podops itself (code, theme, recipes) and the versions of the libraries that shape output."""
    digest = hashlib.sha256()
    for name in LIBRARIES:
        try:
            digest.update(f"{name} {metadata.version(name)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} -\n".encode())
    files = sorted(p for p in _PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    checkout_theme = _PACKAGE.parent / "templates"  # a source checkout keeps the theme beside the package
    if checkout_theme.is_dir():
        files += sorted(p for p in checkout_theme.rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _walk(root: Path, skipped: set[str]) -> str | None:
    """Hash every file's relative path and stat signature, or None when a linked folder hides some."""
    digest = hashlib.sha256()
    pending = [("", os.fspath(root))]
    while pending:
        prefix, folder = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return None
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in skipped:
                    pending.append((rel + "/", entry.path))
                continue
            if entry.is_symlink() and entry.is_dir():
                return None  # a linked folder's contents are not walked: no fingerprint, build
            try:
                st = entry.stat()
            except OSError:
                return None
            digest.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\n".encode())
    return digest.hexdigest()


def inputs(root: Path, salt: str, options: Mapping[str, object]) -> str | None:
    """Fingerprint of everything a build of ``root`` reads, or None when it cannot be taken."""
    files = _walk(root, SKIPPED)
    if files is None:
        return None
    return hashlib.sha256(f"{salt}\0{json.dumps(options, sort_keys=True)}\0{files}".encode()).hexdigest()


def outputs(out: Path) -> str | None:
    """Fingerprint of the output folder as it is now."""
    return _walk(out, set()) if out.is_dir() else None
