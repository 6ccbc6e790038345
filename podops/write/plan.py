"""The plan of a site: every output file, written into a temporary folder the moment it is added.

A staged :class:`Plan` holds no page in memory: each file goes to ``<out>.podops-tmp-<pid>`` when it
is added. A whole build links an unchanged file from the previous output there; an incremental one
(:mod:`podops.write.delta`) leaves it where it is and stages only new bytes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from podops import urls
from podops.errors import OutputError
from podops.write import journal
from podops.write.record import Placed, stamp


def _normalise(path: str) -> str:
    """An output path as a clean relative POSIX path; one that could leave the output is refused."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if path.startswith("/") or "\\" in path or ".." in parts or not parts:
        raise OutputError(f"{path}: output path escapes the output folder")
    return "/".join(parts)


@dataclass
class Plan:
    """Every file of the site: output path → bytes, or → a source file to link or copy.

    A plan given :meth:`stage` writes each file into the temporary folder the moment it is
    added (a file equal to the previous output's is hard-linked from there instead, or, in an
    incremental build, left where it is), so rendered pages are never all held in memory; an
    unstaged plan keeps them in :attr:`files` until :func:`podops.write.output.commit`.
    """

    files: dict[str, bytes] = field(default_factory=dict)
    links: dict[str, tuple[Path, str]] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)  # unchanged files taken from the previous output
    staged: dict[str, tuple[int, str]] = field(default_factory=dict)  # every file added: size, sha256
    changed: list[str] = field(default_factory=list)  # staged paths whose bytes differ from the previous output
    stats: dict[str, int] = field(default_factory=lambda: {"written": 0, "unchanged": 0, "copied": 0})
    staging: str | None = None  # the temporary folder, once staged
    previous: str | None = None  # the output it will replace
    folders: set[str] = field(default_factory=set)  # folders already made in the temporary folder
    placed: Placed = field(default_factory=Placed)  # the previous output's record
    delta: bool = False  # staged: only new bytes are written, the rest is left in place

    def _claim(self, path: str) -> str:
        key = _normalise(path)
        if key in self.files or key in self.staged or key in self.links or key in self.kept:
            raise OutputError(f"{key}: two things would be written to the same output file")
        return key

    def add(self, path: str, data: bytes | str) -> None:
        """Plan a file with the given content (written at once when the plan is staged)."""
        key = self._claim(path)
        data = data.encode() if isinstance(data, str) else data
        if self.staging is None:
            self.files[key] = data
        else:
            self._write(key, data)

    def amend(self, path: str, change: Callable[[bytes], bytes]) -> None:
        """Replace a planned file's content by ``change`` of it; nothing happens if it is not planned."""
        key = _normalise(path)
        if key in self.files:
            self.files[key] = change(self.files[key])
        elif key in self.staged:
            target = os.path.join(self._staging(), key)
            rewritten = key in self.changed
            source = target if rewritten or not self.delta else f"{self.previous}/{key}"
            with open(source, "rb") as handle:
                data = change(handle.read())
            del self.staged[key]
            if rewritten:
                self.changed.remove(key)
                self.stats["written"] -= 1
            else:
                self.stats["unchanged"] -= 1
                self.placed.fresh.pop(key, None)
            if rewritten or not self.delta:
                os.unlink(target)  # never written in place: it may be a link to the previous output's file
            self._write(key, data)

    def keep(self, path: str) -> None:
        """Plan to reuse a file of the previous output whose inputs did not change."""
        self.kept.add(self._claim(path))

    def link(self, path: str, source: Path, sha256: str) -> None:
        """Plan a copy of a production file whose content hash is ``sha256``."""
        if self.links.get(_normalise(path)) == (source, sha256):
            return  # the same asset referenced twice
        self.links[self._claim(path)] = (source, sha256)

    def size(self) -> int:
        """Total bytes the site will hold."""
        return sum(len(d) for d in self.files.values()) + sum(n for n, _ in self.staged.values()) + sum(
            p.stat().st_size for p, _ in self.links.values())  # kept pages are not counted

    def stage(self, out: Path, placed: Placed | None = None) -> None:
        """Start writing into ``<out>.podops-tmp-<pid>`` (under the output's :func:`lock`).

        With ``placed``, the previous output's record (:func:`podops.write.record.load`) that covers
        its folders, and an output holding our marker, the build is incremental.
        """
        out = out.absolute()
        journal.roll_forward(out)  # a killed build's changes are finished before anything else
        _cleanup_stale(out)
        tmp = out.parent / f"{out.name}.podops-tmp-{os.getpid()}"
        tmp.mkdir(parents=True)
        self.staging, self.previous = os.fspath(tmp), os.fspath(out)  # plain strings: tens of thousands of files
        self.placed = placed if isinstance(placed, Placed) else Placed()
        marker = out / urls.MARKER
        self.delta = "/" in self.placed and marker.is_file() and not marker.is_symlink()
        self.folders = {""}
        files, self.files = self.files, {}
        for key, data in sorted(files.items()):
            self._write(key, data)

    def discard(self) -> None:
        """Remove the temporary folder of a build that failed: the output stays as it was."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None

    def _staging(self) -> str:
        assert self.staging is not None, "the plan is not staged"
        return self.staging

    def target(self, rel: str) -> str:
        """The path of ``rel`` in the temporary folder, its folder made."""
        folder = rel.rpartition("/")[0]
        if folder not in self.folders:
            os.makedirs(self._staging() + "/" + folder, exist_ok=True)
            self.folders.add(folder)
        return self._staging() + "/" + rel  # paths are normalised: plain joins, no os.path in the hot loop

    def _write(self, key: str, data: bytes) -> None:
        """Write one file into the temporary folder, or link the previous output's when its bytes are equal."""
        assert self.previous is not None
        if self.delta:
            self._write_new(key, data)
            return
        target, previous = self.target(key), self.previous + "/" + key
        self.staged[key] = (len(data), hashlib.sha256(data).hexdigest())
        if _same(previous, data):
            _place(previous, target)  # unchanged bytes: no rewrite, same inode
            self.stats["unchanged"] += 1
        else:
            with open(target, "xb") as handle:
                handle.write(data)
            self.stats["written"] += 1
            self.changed.append(key)

    def _write_new(self, key: str, data: bytes) -> None:
        """Stage a file whose bytes differ from the previous output's; leave an equal one untouched."""
        previous = f"{self.previous}/{key}"
        try:
            st = os.lstat(previous)
        except OSError:
            st = None
        if st is not None and stat.S_ISREG(st.st_mode) and st.st_size == len(data) and _holds(previous, data):
            now, entry = stamp(st), self.placed.get(key)
            if entry is not None and len(entry) == 6 and entry[:5] == now:
                self.staged[key] = (len(data), str(entry[5]))  # as the last build left it: its hash holds
            else:
                self.staged[key] = (len(data), hashlib.sha256(data).hexdigest())
                self.placed.fresh[key] = (*now, self.staged[key][1])
            self.stats["unchanged"] += 1
            return
        self.staged[key] = (len(data), hashlib.sha256(data).hexdigest())
        with open(self.target(key), "xb") as handle:
            handle.write(data)
        self.stats["written"] += 1
        self.changed.append(key)


def _same(path: str, data: bytes) -> bool:
    """True when the file at ``path`` holds exactly ``data`` (the size is compared first: no read)."""
    try:
        return os.stat(path).st_size == len(data) and _holds(path, data)
    except OSError:
        return False


def _holds(path: str, data: bytes) -> bool:
    """True when the file at ``path`` (already known to have the right size) holds ``data``."""
    try:
        with open(path, "rb") as handle:
            return handle.read() == data
    except OSError:
        return False


def _place(source: str, target: str) -> None:
    """Hard-link a file of the previous output (ours alone), or copy when links are not possible."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _cleanup_stale(out: Path) -> None:
    """Remove what killed builds left: temporary folders, and set-aside outputs once one is back."""
    for stale in out.parent.glob(f"{out.name}.podops-tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    if out.is_dir():
        for stale in out.parent.glob(f"{out.name}.podops-old-*"):
            shutil.rmtree(stale, ignore_errors=True)
