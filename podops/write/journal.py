"""Apply an incremental build's changes to the output in a way a kill cannot leave half done.

Everything an incremental build writes is staged in ``<out>.podops-tmp-<pid>`` first; only then is
a journal written beside the output (``<out>.podops-journal``, made durable with fsync, put in place
with a rename so it is whole or absent) listing what to remove and which staged files to rename into
place. Applying it is idempotent: each step checks whether it was already done, so the next build
rolls an interrupted journal forward (:func:`roll_forward`) before anything else. Each file reaches
its place by one rename, so a reader sees the old file or the new one, never part of one.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from podops.errors import OutputError

SUFFIX = ".podops-journal"


@dataclass
class Journal:
    """The changes of one build, in the order they are made: output files to remove, stray files
    and folders to remove whole, staged files to rename into place, then folders to remove if that
    left them empty (deepest first)."""

    staging: str
    renames: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    trees: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)


def path_of(out: Path) -> Path:
    """Where the journal of ``out`` is kept: beside it, on the same filesystem."""
    return out.parent / (out.name + SUFFIX)


def write(out: Path, journal: Journal) -> None:
    """Make the journal durable beside ``out``: after this the change happens, kill or not."""
    target = path_of(out)
    temporary = target.parent / (target.name + ".tmp")
    data = json.dumps({"format": 1, "staging": journal.staging, "renames": journal.renames,
                       "files": journal.files, "trees": journal.trees, "folders": journal.folders})
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(temporary, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def apply(out: Path, journal: Journal) -> None:
    """Carry the journal out (again, if a killed build began it), then remove it and the staging folder."""
    base = os.fspath(out) + "/"
    for rel in journal.files:
        try:
            os.unlink(base + rel)
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            shutil.rmtree(base + rel)
    for rel in journal.trees:
        _remove_tree(base + rel)
    staging = journal.staging + "/"
    made: set[str] = set()
    for rel in journal.renames:
        folder = rel.rpartition("/")[0]
        if folder and folder not in made:
            os.makedirs(base + folder, exist_ok=True)
            made.add(folder)
        try:
            os.rename(staging + rel, base + rel)
        except FileNotFoundError:
            if not os.path.lexists(base + rel):
                raise
    for rel in journal.folders:  # deepest first; one still holding files stays
        try:
            os.rmdir(base + rel)
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.ENOTEMPTY, errno.EEXIST):
                raise
    shutil.rmtree(journal.staging, ignore_errors=True)
    path_of(out).unlink(missing_ok=True)


def _remove_tree(path: str) -> None:
    """Remove a stray file or folder inside the output; a symbolic link is removed, never followed."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def roll_forward(out: Path) -> bool:
    """Finish the journal a killed build left beside ``out`` (under its lock); True if there was one.

    A journal that cannot be finished is dropped: the build that wrote it never saved its record,
    so no file it changed is vouched for, and the next build writes each of them again."""
    target = path_of(out)
    target.with_name(target.name + ".tmp").unlink(missing_ok=True)  # a journal never finished: nothing began
    if not target.exists():
        return False
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
        journal = _checked(out, data)
    except (OSError, ValueError, TypeError, KeyError, OutputError) as exc:
        raise OutputError(f"{target}: the journal of an interrupted build is unreadable ({exc}); "
                          f"remove it and {out} to build afresh") from None
    try:
        apply(out, journal)
    except OSError:  # what stays half done is not in the record, so the next build writes it again
        shutil.rmtree(journal.staging, ignore_errors=True)
        target.unlink(missing_ok=True)
    return True


def _checked(out: Path, data: dict[str, object]) -> Journal:
    """A journal read back, refused unless every path stays inside the output and its staging folder."""
    from podops.write.plan import _normalise

    staging = str(data["staging"])
    if os.path.dirname(staging) != os.fspath(out.parent) or \
            not os.path.basename(staging).startswith(f"{out.name}.podops-tmp-"):
        raise ValueError(f"staging folder {staging} is not beside the output")
    lists = {}
    for name in ("renames", "files", "trees", "folders"):
        value = data[name]
        if not isinstance(value, list):
            raise TypeError(f"{name} is not a list")
        lists[name] = [_normalise(str(rel)) for rel in value]
    return Journal(staging, **lists)
