"""The embedded cache under a production (``.podops/cache.sqlite``), kept out of Git.

Entries are keyed by content: a file's SHA-256 decides whether a probe result still holds, and
a file's stat signature (size, mtime, ctime, inode) only decides whether the hash must be
recomputed. Any write to a file changes its ctime, so a stale size or duration cannot reach a
feed even when a tool restores the mtime; after a fresh clone every signature is new and the
content hash finds the old entry again. A corrupt store is deleted and rebuilt, never trusted.
"""

from __future__ import annotations

import errno
import itertools
import json
import marshal
import os
import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, signature TEXT NOT NULL, sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                                    PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS tables (kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
                                   PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS changes (kind TEXT NOT NULL, key TEXT NOT NULL, path TEXT NOT NULL, value BLOB,
                                    PRIMARY KEY (kind, key, path)) WITHOUT ROWID;
"""
COMPACT_AFTER = 512  # changed rows kept apart from a table before it is written whole again (or an eighth of it)


def _marshalled(values: dict[str, Any], rows: int = 2048) -> Iterator[bytes]:
    """A table as marshal's format 2 writes it, less its opening ``{`` and closing ``0``, a few rows a piece.

    Format 2 shares no objects between rows (3 and later keep a reference table as large as the
    record), so the pieces joined between ``{`` and ``0`` are exactly ``marshal.dumps(values, 2)``.
    """
    items = iter(values.items())
    while chunk := dict(itertools.islice(items, rows)):
        yield marshal.dumps(chunk, 2)[1:-1]


def signature(path: Path) -> str:
    """What changes whenever the file's bytes may have changed."""
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"


class Store:
    """A small key-value store in SQLite; read-only stores never create or write anything."""

    def __init__(self, folder: Path, writable: bool = True, check_later: bool = False) -> None:
        self.path = folder / ".podops" / "cache.sqlite"
        self.writable = writable
        self.checked = not check_later  # else :meth:`check` runs SQLite's quick_check when asked
        self.db: sqlite3.Connection | None = None
        self.hits = self.misses = 0
        self.warning: str | None = None  # why the cache is not used, said once per run
        made = False
        try:
            if writable:
                made = not os.path.lexists(self.path.parent)
                self.path.parent.mkdir(exist_ok=True)
                ignore = self.path.parent / ".gitignore"
                if not ignore.exists():
                    ignore.write_text("# podops cache: safe to delete, never commit\n*\n")
            if self.path.exists() or writable:
                self._open()
        except (OSError, sqlite3.Error) as exc:
            self.db = None
            if made:  # leave nothing half-made behind
                shutil.rmtree(self.path.parent, ignore_errors=True)
            self._unusable(exc)

    def _unusable(self, exc: BaseException) -> None:
        """Carry on without the cache: slower, never wrong, and said once."""
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            reason = "disk full"
        elif isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
        else:
            reason = str(exc) or exc.__class__.__name__
        if self.writable and self.warning is None:
            self.warning = f"cannot use the cache {self.path} ({reason}): building without it"

    def _open(self) -> None:
        try:
            self.db = self._connect()
        except sqlite3.DatabaseError:
            if not self.writable:
                self.db = None
                return
            if self.path.is_dir() and not self.path.is_symlink():
                raise
            self.path.unlink(missing_ok=True)  # corrupt: rebuild from scratch
            self.db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        uri = self.path.as_uri() + ("" if self.writable else "?mode=ro")
        db = sqlite3.connect(uri, uri=True, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL" if self.writable else "PRAGMA query_only=1")
        if self.writable:
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
        row = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        if row is None or row[0] != str(SCHEMA_VERSION):
            if not self.writable:
                raise sqlite3.DatabaseError("old cache")
            db.executescript("DELETE FROM files; DELETE FROM entries;")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(SCHEMA_VERSION),))
        if self.checked:
            db.execute("PRAGMA quick_check").fetchone()
        if self.writable:
            db.execute("BEGIN")
        return db

    def check(self) -> None:
        """SQLite's quick_check of the whole store (it reads every page), deferred by ``check_later``
        until a build knows it has work to do: a no-op build reads one record, not 100 MB."""
        if self.checked:
            return
        self.checked = True
        if self.db is None:
            return
        try:
            self.db.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError:
            self.db.close()
            self.db = None
            self._open()  # corrupt: rebuilt from scratch, as at opening

    def content_hash(self, path: Path, compute: Any, recorded: dict[str, tuple[str, str]] | None = None) -> str:
        """The file's SHA-256, recomputed unless its stat signature is unchanged.

        ``recorded`` (from :meth:`recorded_hashes`) stands in for the query when a build checks
        many files; it learns each hash this computes.
        """
        sig = signature(path)
        key = os.fspath(path)
        row = recorded.get(key) if recorded is not None else \
            self._query("SELECT signature, sha256 FROM files WHERE path=?", (key,))
        if row and row[0] == sig:
            return str(row[1])
        digest = str(compute(path))
        self._write("INSERT OR REPLACE INTO files VALUES (?, ?, ?)", (key, sig, digest))
        if recorded is not None:
            recorded[key] = (sig, digest)
        return digest

    def recorded_hashes(self) -> dict[str, tuple[str, str]]:
        """Every file's recorded (signature, SHA-256) by path, in one query: for a build that checks most of them."""
        if self.db is None:
            return {}
        try:
            rows = self.db.execute("SELECT path, signature, sha256 FROM files")
            return {str(path): (str(sig), str(sha)) for path, sig, sha in rows}
        except sqlite3.Error as exc:
            self._unusable(exc)
            self.db = None
            return {}

    def known_hash(self, path: str, sig: list[int]) -> str | None:
        """The SHA-256 last recorded for ``path`` when it was recorded at stat signature ``sig``
        (size, mtime, ctime, inode), else None: what a file held when a build last hashed it."""
        row = self._query("SELECT signature, sha256 FROM files WHERE path=?", (path,))
        if not row or str(row[0]).split(":")[:4] != [str(n) for n in sig]:
            return None
        return str(row[1])

    def get(self, kind: str, key: str) -> Any:
        """A cached value, or None."""
        row = self._query("SELECT value FROM entries WHERE kind=? AND key=?", (kind, key))
        if row is None:
            self.misses += 1
            return None
        try:
            value = json.loads(row[0])
        except ValueError:
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, kind: str, key: str, value: Any) -> None:
        """Remember a value (no-op for read-only stores)."""
        self._write("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
                    (kind, key, json.dumps(value, sort_keys=True)))

    def put_text(self, kind: str, key: str, text: str) -> None:
        """Remember a value that is already JSON text (its key order kept), for :meth:`get_many` ``text``."""
        self._write("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", (kind, key, text))

    def get_many(self, kind: str, keys: list[str], text: bool = False) -> dict[str, Any]:
        """The cached values of ``keys`` that the store holds (a damaged one is left out), in few queries;
        with ``text``, as the JSON text :meth:`put_text` kept, for the caller to decode."""
        found: dict[str, Any] = {}
        for start in range(0, len(keys), 500):  # SQLite allows 999 parameters per statement
            chunk = keys[start:start + 500]
            sql = f"SELECT key, value FROM entries WHERE kind=? AND key IN ({','.join('?' * len(chunk))})"
            if self.db is None:
                return found
            try:
                rows = self.db.execute(sql, (kind, *chunk)).fetchall()
            except sqlite3.Error as exc:
                self._unusable(exc)
                self.db = None
                return found
            for key, value in rows:
                try:
                    found[key] = value if text else json.loads(value)
                except ValueError:
                    continue
        return found

    def replace(self, kind: str, values: dict[str, Any]) -> None:
        """Make ``values`` the whole cache of one kind, dropping entries no longer used."""
        if self.db is None or not self.writable:
            return
        try:
            self.db.execute("DELETE FROM entries WHERE kind=?", (kind,))
            self.db.executemany("INSERT INTO entries VALUES (?, ?, ?)",
                                [(kind, k, json.dumps(v, sort_keys=True)) for k, v in sorted(values.items())])
        except sqlite3.DatabaseError:
            self.db = None

    def table(self, kind: str, key: str) -> dict[str, Any]:
        """A large table of one build (path → value of str, int, tuple): the whole table as last
        written, with the changes written since; empty when it is missing or damaged."""
        if self.db is None:
            return {}
        try:
            row = self.db.execute("SELECT value FROM tables WHERE kind=? AND key=?", (kind, key)).fetchone()
            values = marshal.loads(row[0]) if row else {}
            if not isinstance(values, dict):
                return {}
            for path, value in self.db.execute("SELECT path, value FROM changes WHERE kind=? AND key=?",
                                               (kind, key)):
                if value is None:
                    values.pop(path, None)
                else:
                    values[path] = marshal.loads(value)
        except (sqlite3.Error, ValueError, EOFError, TypeError):
            return {}
        return values

    def put_table(self, kind: str, key: str, values: dict[str, Any], changed: dict[str, Any],
                  removed: Iterable[str] = (), whole: bool = False) -> None:
        """Keep the table ``values`` by writing only its ``changed`` and ``removed`` rows, or the whole
        table (in one compact record) when ``whole`` or once the changes kept apart grow large."""
        if self.db is None or not self.writable:
            return
        removed = list(removed)
        try:
            if not whole:
                (count,) = self.db.execute("SELECT count(*) FROM changes WHERE kind=? AND key=?",
                                           (kind, key)).fetchone()
                whole = count + len(changed) + len(removed) > max(COMPACT_AFTER, len(values) // 8)
            if whole:
                self.db.execute("DELETE FROM changes WHERE kind=? AND key=?", (kind, key))
                parts = list(_marshalled(values))  # the record in pieces: never one copy of it whole
                row = self.db.execute("INSERT OR REPLACE INTO tables VALUES (?, ?, zeroblob(?))",
                                      (kind, key, 2 + sum(map(len, parts))))
                with self.db.blobopen("tables", "value", row.lastrowid or 0) as blob:  # an INSERT sets it
                    for part in (b"{", *parts, b"0"):
                        blob.write(part)
                return
            self.db.executemany("INSERT OR REPLACE INTO changes VALUES (?, ?, ?, ?)",
                                [(kind, key, p, None) for p in removed] +
                                [(kind, key, p, marshal.dumps(v)) for p, v in changed.items()])
        except (sqlite3.Error, ValueError) as exc:
            self._unusable(exc)
            self.db = None

    def forget(self, kind: str, key: str) -> None:
        """Drop one value (a record kept in an older shape)."""
        self._write("DELETE FROM entries WHERE kind=? AND key=?", (kind, key))

    def _query(self, sql: str, args: tuple[Any, ...]) -> Any:
        if self.db is None:
            return None
        try:
            return self.db.execute(sql, args).fetchone()
        except sqlite3.Error as exc:
            self._unusable(exc)
            self.db = None
            return None

    def _write(self, sql: str, args: tuple[Any, ...]) -> None:
        if self.db is None or not self.writable:
            return
        try:
            self.db.execute(sql, args)
        except sqlite3.Error as exc:
            self._unusable(exc)
            self.db = None

    def close(self) -> None:
        """Flush and close; a cache that cannot be saved is only a slower next build."""
        if self.db is not None:
            try:
                if self.db.in_transaction:
                    self.db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._unusable(exc)
            finally:
                self.db.close()
                self.db = None
