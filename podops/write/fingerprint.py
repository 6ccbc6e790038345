"""Recognise a build that would change nothing, so it can stop before loading anything.

Inputs are judged as make and git judge them: every file of the production by its stat
signature (size, mtime, ctime, inode). Any write moves the ctime, which no tool can set back,
so an edit that keeps size and mtime is still seen. A file whose signature moved but whose
bytes are those of the last build (a ``touch``, a checkout that wrote the same bytes) is
hashed and found unchanged: the build stays a no-op. Added, removed or renamed files, the
podops code and theme, and the build options are compared as they are.

The output folder is podops' own, written whole and swapped in by each build. The check
trusts it as make trusts its targets, folder by folder: each folder's signature moves when a
file in it is added, removed, renamed or replaced (editors and most tools write a new file and
rename it), and the files at the top (feeds, marker, home page) are checked one by one. A file
edited in place deep inside the output is not noticed by a no-op build; any build that does
run verifies every file it reuses by hash. This keeps a no-op of 10,000 episodes at about
11,000 stat calls for the output instead of 64,000.

podops' own code and theme and the versions of the libraries that shape output salt every
fingerprint; the salt is remembered with the stat signatures of what it was made from, so a
check reads no module and imports no importlib.metadata while none of them moved.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import re
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SKIPPED = {".podops", ".git"}
_PACKAGE = Path(__file__).resolve().parent.parent  # podops/, above this stage's folder
_THEME = _PACKAGE.parent / "templates"  # a source checkout keeps the theme beside the package
LIBRARIES = ("cmarkgfm", "markdown", "nh3", "feedgen", "jinja2", "mutagen", "pillow", "lxml", "pyyaml", "pagefind_bin")
HASHED_BELOW = 256 * 1024  # resources, templates: hashed for the record; media and artwork by the probe store
PROBED = (".mp3", ".m4a", ".m4b", ".mp4", ".opus", ".ogg", ".flac", ".png", ".jpg", ".jpeg")  # the probe hashes these
REHASH_BUDGET = 64 * 1024 * 1024  # more bytes than this to re-hash at a check: just build
TOP_DEPTH = 1  # output files this many folders down (and above) are checked one by one
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
MARSHAL = 2  # marshal's format 2 writes equal values as equal bytes (3 and later share repeated objects by identity)

Signature = list[int]  # size, mtime_ns, ctime_ns, inode


@lru_cache(maxsize=1)
def code_salt() -> str:
    """Hash of podops itself (code, theme, recipes) and the versions of the libraries that shape output."""
    from importlib import metadata  # only here: a no-op build finds the salt by :func:`salt`

    digest = hashlib.sha256()
    for name in LIBRARIES:
        try:
            digest.update(f"{name} {metadata.version(name)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} -\n".encode())
    files = sorted(p for p in _PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    if _THEME.is_dir():
        files += sorted(p for p in _THEME.rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def salt(get: Callable[[str, str], Any], put: Callable[[str, str, Any], None]) -> str:
    """:func:`code_salt`, taken from the record ``get`` holds while nothing it was made from moved.

    Reading every module and asking importlib.metadata for ten versions costs more than the rest
    of a no-op check; a few hundred stat calls say whether any of it can have changed.
    """
    key = hashlib.sha256(marshal.dumps([sys.executable, sys.path, os.fspath(_PACKAGE)], MARSHAL)).hexdigest()
    basis = code_basis()
    last = get("code", key)
    remembered = last.get("salt") if isinstance(last, dict) and last.get("basis") == basis else None
    if basis is not None and isinstance(remembered, str):
        return remembered
    getattr(code_salt, "cache_clear", lambda: None)()  # a long-running process (preview) may hold an old one
    value = code_salt()
    if basis is not None:  # taken before the salt: a file changed meanwhile moves the next basis
        put("code", key, {"basis": basis, "salt": value})
    return value


_NAME = re.compile(r"[-_.]+")
_DISTRIBUTIONS = {_NAME.sub("_", name) for name in LIBRARIES}


def code_basis() -> str | None:
    """One hash of what :func:`code_salt` reads, by stat signature: every file of the package and
    theme, and where importlib.metadata finds the libraries (the sys.path entries, their metadata
    folders of those names, and the files holding the version); None when a link is in the way.

    Any write moves a file's ctime and any new or removed metadata folder changes the listing, so
    an equal basis means an equal salt.
    """
    finders = [f"{type(f).__module__}.{type(f).__qualname__}" for f in sys.meta_path]  # who may find metadata
    found: list[Any] = [sys.executable, sys.path, finders]
    for top in (_PACKAGE, _THEME):
        pending = [os.fspath(top)] if top.is_dir() else []
        found.append([os.fspath(top), bool(pending)])
        while pending:  # folders by their entries' names (Python adding __pycache__ changes nothing)
            try:
                with os.scandir(pending.pop()) as entries:
                    for entry in entries:
                        if entry.is_symlink():
                            return None  # code_salt follows links; a signature of the link would not
                        if entry.is_dir():
                            if entry.name != "__pycache__":
                                found.append([entry.path])
                                pending.append(entry.path)
                        else:
                            found.append([entry.path, _sig(entry.stat())])
            except OSError:
                return None
    for place in sys.path:
        folder = place or "."
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            found.append([place, _stat(folder)])  # a zip file, or nothing (yet)
            continue
        for name in names:
            low = name.lower()
            if low == "egg-info" or (low.endswith((".dist-info", ".egg-info"))
                                     and _NAME.sub("_", low.rpartition(".")[0].partition("-")[0]) in _DISTRIBUTIONS):
                path = os.path.join(folder, name)
                found.append([path, _stat(path), _stat(os.path.join(path, "METADATA")),
                              _stat(os.path.join(path, "PKG-INFO"))])
    return hashlib.sha256(marshal.dumps(found, MARSHAL)).hexdigest()


def _stat(path: str) -> Signature | None:
    try:
        return _sig(os.stat(path))
    except OSError:
        return None


def _sig(st: os.stat_result) -> Signature:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def scan(root: Path, skipped: set[str] = SKIPPED) -> dict[str, Signature] | None:
    """Every file's relative path and stat signature, or None when a linked folder hides some.

    Each folder is opened once and its files are stat-ed by name relative to it (one path step
    for the kernel instead of the whole path).
    """
    found: dict[str, Signature] = {}
    try:
        pending = [("", os.open(root, _DIR))]
    except OSError:
        return None
    try:
        while pending:
            prefix, fd = pending.pop()
            try:
                with os.scandir(fd) as entries:
                    for entry in entries:
                        if not entry.is_file(follow_symlinks=False):  # the type from the listing: no stat
                            name = entry.name
                            if entry.is_dir(follow_symlinks=False):
                                if name not in skipped:
                                    pending.append((prefix + name + "/",
                                                    os.open(name, _DIR | os.O_NOFOLLOW, dir_fd=fd)))
                                continue
                            if entry.is_symlink() and entry.is_dir():
                                return None  # a linked folder's contents are not walked: no fingerprint, build
                        st = entry.stat()
                        found[prefix + entry.name] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
            finally:
                os.close(fd)
    except OSError:
        return None
    finally:
        for _prefix, fd in pending:
            os.close(fd)
    return found


@dataclass
class Inputs:
    """What a build of a production reads: the code and options (``key``) and every file's signature."""

    key: str
    files: dict[str, Signature]

    def digest(self) -> str:
        """One hash of every path and signature, in the order found: equal means nothing moved.

        marshal is the fastest serialiser of plain data; its format may change with Python, which
        only sends one check down the slow path (:func:`settle`). Nothing is ever unmarshalled.
        """
        return hashlib.sha256(marshal.dumps(self.files, MARSHAL)).hexdigest()


def inputs(root: Path, salt: str, options: Mapping[str, object]) -> Inputs | None:
    """The inputs of a build of ``root`` as they are now, or None when they cannot be taken."""
    files = scan(root)
    if files is None:
        return None
    return Inputs(hashlib.sha256(f"{salt}\0{json.dumps(options, sort_keys=True)}".encode()).hexdigest(), files)


def _hash(path: str) -> str | None:
    """SHA-256 of a regular file; None for anything else (a FIFO or device would block or never end)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO opens without a writer, and is refused
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        with open(fd, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def record(root: Path, now: Inputs, last: Mapping[str, Any] | None) -> dict[str, list[Any]]:
    """The files of ``now`` as the next check compares them: signatures, and hashes of small files.

    A hash is kept from ``last`` while the signature holds, else taken now, and only kept when the
    file still has the signature the build started from (a file written during the build is not
    vouched for, so the next build runs).
    """
    last = last if isinstance(last, Mapping) else {}
    base = os.fspath(root)
    files: dict[str, list[Any]] = {}
    for rel, sig in now.files.items():
        old = last.get(rel)
        if isinstance(old, list) and len(old) == 5 and old[:4] == sig:
            files[rel] = old
        elif sig[0] <= HASHED_BELOW and not rel.lower().endswith(PROBED):
            path = os.path.join(base, rel)
            digest = _hash(path)
            try:
                still = _sig(os.stat(path)) == sig
            except OSError:
                still = False
            files[rel] = [*sig, digest] if digest and still else list(sig)
        else:
            files[rel] = list(sig)
    return files


def settle(root: Path, now: Inputs, last: Any, known: Callable[[str, Signature], str | None]) -> dict[str, Any] | None:
    """The record of ``last`` brought up to ``now`` when no file's bytes changed, else None.

    Files whose signature moved are hashed and compared with their last hash (small files carry
    it; ``known(path, signature)`` gives a medium's from the probe store).
    """
    if not isinstance(last, dict) or last.keys() != now.files.keys():
        return None  # a file added, removed or renamed (or no record)
    moved = [rel for rel, sig in now.files.items() if last[rel][:4] != sig]
    if not moved:
        return last
    if sum(now.files[rel][0] for rel in moved) > REHASH_BUDGET:
        return None
    settled = dict(last)
    for rel in moved:
        old = last[rel]
        path = os.path.join(os.fspath(root), rel)
        before = old[4] if len(old) == 5 else known(path, old[:4])
        if before is None or _hash(path) != before:
            return None
        settled[rel] = [*now.files[rel], before]
    return settled


def outputs(out: Path) -> dict[str, Any] | None:
    """What the next check stats: every folder of the output and its top files, named under their
    folder, and one hash of their signatures; None when there is no output."""
    if not out.is_dir():
        return None
    folders: list[list[Any]] = []
    pending = [("", os.fspath(out), 0)]
    while pending:
        prefix, folder, depth = pending.pop()
        names: list[str] = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        names.append(entry.name)
                        pending.append((prefix + entry.name + "/", entry.path, depth + 1))
                    elif depth <= TOP_DEPTH:
                        names.append(entry.name)
        except OSError:
            return None
        if names:
            folders.append([prefix, names])
    digest = _outputs_digest(out, folders)
    return {"folders": folders, "digest": digest} if digest else None


def _outputs_digest(out: Path, folders: list[list[Any]]) -> str | None:
    """The output folder's own signature and those of the entries named, each folder opened once
    and its entries stat-ed by name (not followed: a link put in place of a folder is a change)."""
    base = os.fspath(out)
    try:
        signatures = [_sig(os.stat(os.path.join(base, ""), follow_symlinks=False))]
        for prefix, names in folders:
            fd = os.open(os.path.join(base, prefix), _DIR)
            try:
                signatures += [_sig(os.stat(name, dir_fd=fd, follow_symlinks=False)) for name in names]
            finally:
                os.close(fd)
    except (OSError, TypeError, ValueError):
        return None
    return hashlib.sha256(marshal.dumps([folders, signatures], MARSHAL)).hexdigest()


def outputs_unchanged(out: Path, last: Any) -> bool:
    """Whether every folder and top file of the output still has the signature the last build recorded."""
    if not isinstance(last, dict) or not isinstance(last.get("folders"), list) or not last.get("digest"):
        return False
    return _outputs_digest(out, last["folders"]) == last["digest"]
