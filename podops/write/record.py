"""What the last build left in its output: each file's and folder's stat signature, size and hash.

The record is what lets a build trust the previous output without reading it. A file whose stat
signature (size, mtime, ctime, inode, device: any write moves the ctime, and ctime cannot be set
back) still matches is what the last build placed; one whose signature moved is checked against
its recorded size and SHA-256 before it is trusted. Folders are recorded too: adding, removing or
renaming an entry moves a folder's mtime and ctime, so a build lists only the folders whose
signature moved to find files a user dropped into the output. The record lives in the
production's store (``placed`` rows), and a build writes only the rows of what it changed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from podops.probe.media import file_hash

Entry = tuple[Any, ...]  # (size, mtime_ns, ctime_ns, inode, device, sha256); a folder's sha256 is ""
MASK = (1 << 63) - 1  # inodes and devices fit SQLite's signed integers


class Placed(dict[str, Entry]):
    """The record of one output: output path → :data:`Entry`; folders as ``"<path>/"`` (the root ``"/"``).

    ``moved`` lists the folders whose signature moved since the record was made (listed again at
    the commit), ``fresh`` the entries re-signed after a hash proved the file unchanged, and
    ``verified`` the files whose signature matched this build (not checked twice).
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.moved: set[str] = set()
        self.fresh: dict[str, Entry] = {}
        self.verified: set[str] = set()
        self.changed: dict[str, Entry] = {}  # rows the next save writes
        self.removed: set[str] = set()  # rows the next save drops
        self.whole = False  # the next save replaces every row

    def site_size(self) -> int:
        """Bytes of the site's files (folders not counted)."""
        return sum(int(v[0]) for k, v in self.items() if not k.endswith("/"))


def folder_key(rel: str) -> str:
    """A folder's key in the record: ``"a/b/"``, the output itself ``"/"``."""
    return rel + "/"


def stamp(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """A stat signature as a tuple: compared whole, in one step."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino & MASK, st.st_dev & MASK)


def entry_of(path: str, sha: str) -> Entry | None:
    """The entry of a file or folder now at ``path`` holding ``sha``, or None when it is neither."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        return None
    return (*stamp(st), sha)


def ancestors(paths: Iterable[str]) -> set[str]:
    """The folders holding ``paths``, up to the output itself (``""``); none for no paths."""
    folders: set[str] = set()
    for rel in paths:
        folder = rel.rpartition("/")[0]
        while folder not in folders:
            folders.add(folder)
            if not folder:
                break
            folder = folder.rpartition("/")[0]
    return folders


def untouched(placed: dict[str, Entry], rel: str, previous: str, digest: str | None = None) -> bool:
    """True when the previous output's file is what the last build placed there (and holds ``digest``).

    The stat signature recorded decides cheaply; when it moved, the file's size and content hash
    must still match the record (and the file is re-signed in :attr:`Placed.fresh`).
    """
    entry = placed.get(rel)
    if entry is None or len(entry) != 6 or (digest is not None and entry[5] != digest):
        return False
    try:
        st = os.lstat(previous)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False
    now = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino & MASK, st.st_dev & MASK)  # stamp(), inlined
    if now == entry[:5]:
        if isinstance(placed, Placed):
            placed.verified.add(rel)
        return True
    try:
        same = st.st_size == entry[0] and file_hash(Path(previous)) == entry[5]
    except OSError:
        return False
    if same and isinstance(placed, Placed):
        placed.fresh[rel] = (*now, entry[5])
        placed.verified.add(rel)
    return same


def load(rows: dict[str, Entry], out: str) -> Placed:
    """The record of ``out`` read from the store, its folders checked against the output.

    Any recorded folder that is no longer a real folder (a symbolic link, a file) makes the
    whole record untrusted: files reached through it would be vouched for by signatures of
    files elsewhere.
    """
    placed = Placed({k: v for k, v in rows.items() if isinstance(v, tuple) and len(v) == 6})
    if "/" not in placed:
        return placed  # a record of an older shape: good for page reuse, not for an incremental write
    base = out + "/"
    for key, entry in placed.items():
        if not key.endswith("/"):
            continue
        try:
            st = os.lstat(base + key[:-1] if key != "/" else out)
        except FileNotFoundError:
            placed.moved.add(key)  # its files are planned again; the folder is made again
            continue
        except OSError:
            return Placed()
        if not stat.S_ISDIR(st.st_mode):
            return Placed()
        if stamp(st) != entry[:5]:
            placed.moved.add(key)
    return placed
