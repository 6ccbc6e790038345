"""The loaded resources of the last build, in one file, so an edit reads and checks only what changed.

``.podops/loaded.pickle`` keeps, per resource file, what :func:`podops.load.production.load_production`
made of it: the model object (show, episode, channel, subscribers) before any cross-file check
touched it, the file's own diagnostics, and its field positions (found ones, or only the fields
when none was asked for yet). A record is reused while the file's stat signature (size, mtime,
ctime, inode, device: any write moves ctime) is the one it was made at, or, after a touch or a
fresh clone, while the file's bytes hash to the same key; the whole file is dropped when podops'
code (:func:`podops.write.fingerprint.code_salt`), the format or the production's folder differ.
So a cached record is used only for the very bytes and code that made it, and an incremental
build equals a clean one.

The file is read with a restricted unpickler that builds only podops' model classes, paths,
dates and diagnostics (Python's "Restricting Globals" recipe): a planted file can make a build
slower, never run code.
"""

from __future__ import annotations

import io
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

FILE = "loaded.pickle"
FORMAT = 1
MAX_BYTES = 1 << 30  # larger than any production's records; a bigger file is not read
Signature = tuple[int, int, int, int, int]
# (signature, key of the bytes and code, pickled (kind, model, diagnostics), fields (a tuple) or positions)
Record = tuple[Signature, str, bytes, Any]

_ALLOWED = {
    "podops.model": {"Asset", "Person", "Link", "Webhook", "Chapter", "Episode", "Subscriber", "SubscriberList",
                     "LiveEvent", "Slot", "Channel", "Show"},
    "podops.errors": {"Diagnostic"},
    "podops.load.yamlfile": {"OctalLooking"},
    "datetime": {"datetime", "date", "time", "timedelta", "timezone"},
    "pathlib": {"PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath", "Path"},
}


class _Unpickler(pickle.Unpickler):
    """Only the classes a record holds; anything else is a damaged (or planted) record."""

    def find_class(self, module: str, name: str) -> Any:
        if name in _ALLOWED.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a loaded record")


def loads(blob: bytes) -> Any:
    """A record's value, built only from allowed classes."""
    return _Unpickler(io.BytesIO(blob)).load()


def signature(st: os.stat_result) -> Signature:
    """What changes whenever a file's bytes may have changed (as the probe store's signature)."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


class Snapshot:
    """The records of one production, as read at the start of a build and kept for the next."""

    def __init__(self, folder: Path, code: str, root: Path) -> None:
        self.path = folder / FILE
        self.header = (FORMAT, code, os.fspath(root))
        self.old: dict[str, Record] = {}
        self.new: dict[str, Record] = {}  # every file this build loaded (only these are kept)
        self.dirty = False
        self.fields: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.owner = os.getpid()  # a forked worker never writes the file
        try:
            if self.path.stat().st_size <= MAX_BYTES:
                header, records = loads(self.path.read_bytes())
                if header == self.header and isinstance(records, dict):
                    self.old = records
        except (OSError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
                pickle.UnpicklingError, MemoryError):
            self.old = {}  # no file, a damaged one or another code's: everything is read afresh

    def by_signature(self, path: str, sig: Signature) -> Record | None:
        """The record of ``path`` when the file has not been written since it was made."""
        record = self.old.get(path)
        return record if record is not None and record[0] == sig else None

    def by_key(self, path: str, key: str) -> Record | None:
        """The record of ``path`` when its bytes (and the code) are those it was made from."""
        record = self.old.get(path)
        return record if record is not None and record[1] == key else None

    def keep(self, path: str, record: Record) -> None:
        """This build's record of ``path`` (new or reused)."""
        if type(record[3]) is tuple:  # the same fields in many files: pickled once
            record = (record[0], record[1], record[2], self.fields.setdefault(record[3], record[3]))
        old = self.old.get(path)
        if old is None or old[:2] != record[:2] or old[3] != record[3]:
            self.dirty = True
        self.new[path] = record

    def positions(self, path: str, key: str, found: dict[str, tuple[int, int]]) -> None:
        """Positions a diagnostic needed, found in the bytes of ``key``: kept with its record."""
        record = self.new.get(path)
        if os.getpid() != self.owner or record is None or record[1] != key:
            return  # a forked worker, or the file changed since it was loaded
        self.new[path] = (record[0], record[1], record[2], dict(found))
        self.dirty = True

    def close(self) -> None:
        """Save, then let the records go: rendering needs the models, not their pickles."""
        self.save()
        self.old, self.new, self.fields = {}, {}, {}
        self.owner = -1  # nothing more is kept or written

    def save(self) -> None:
        """Write the records atomically when anything changed; a cache that cannot be written is only slower."""
        if os.getpid() != self.owner or not (self.dirty or self.new.keys() != self.old.keys()):
            return
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=".loaded.", dir=self.path.parent)
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((self.header, self.new), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
            tmp = None
            self.old, self.dirty = dict(self.new), False
        except OSError:
            pass
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)


def dump(kind: str | None, model: Any, diagnostics: list[Any]) -> bytes:
    """A record's pickled value; the model's file and positions are left out (they are set when it is read)."""
    if model is None:
        return pickle.dumps((kind, None, diagnostics), protocol=pickle.HIGHEST_PROTOCOL)
    marks, source = model.marks, model.source
    model.marks = model.source = None
    try:
        return pickle.dumps((kind, model, diagnostics), protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        model.marks, model.source = marks, source
