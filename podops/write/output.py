"""Write a site atomically: a whole new folder swapped in, or only what changed, through a journal.

Nothing reaches the output until everything rendered (``security.md`` §5). Every file that must be
written goes first to ``<out>.podops-tmp-<pid>`` beside the output as it is rendered (a staged
:class:`Plan` writes each file when it is added, so no build holds its pages in memory); any error
until then removes it and leaves the previous output byte-identical.

A first build, or one without a usable record of the previous output, stages the whole site there
and swaps the folders: one ``renameat2(RENAME_EXCHANGE)`` where the kernel has it (no moment
without a site), else two renames; a build killed between those leaves ``<out>.podops-old-<pid>``,
which the next build puts back before anything else. Every output holds a marker, :data:`MARKER`:
a non-empty folder without one is not podops' to replace (unless forced), since replacing it
deletes its files.

An incremental build (the output is ours and its record, :mod:`podops.write.record`, is whole)
stages only the files whose bytes are new, then applies a journal (:mod:`podops.write.journal`):
each staged file is renamed over its target (a reader sees the old file or the new, never part of
one), files no longer planned and files a user dropped into the output are removed, and folders
left empty go. Files whose bytes are unchanged are not touched at all, so their recorded stat
signatures stay valid; a file whose signature moved is checked against its recorded size and
SHA-256, or else written again. Media are copied from the production (never hard-linked to it: an
in-place edit of a production file must not reach the published site).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from podops import urls
from podops.errors import OutputError
from podops.write import delta, journal
from podops.write.plan import Plan, _place
from podops.write.record import Entry, Placed, ancestors, entry_of, folder_key, untouched

__all__ = ["Entry", "Placed", "Plan", "untouched"]

KEPT_NAMES = ("CNAME", ".nojekyll", ".well-known")  # user files kept across builds (like MkDocs' dotfiles)
MARKER = urls.MARKER  # "podops wrote this folder": `publish` refuses folders without it
MARKER_DATA = (json.dumps({"format": 1, "generator": "podops"}, sort_keys=True) + "\n").encode()
RENAME_EXCHANGE = 2  # linux/fs.h
AT_FDCWD = -100


def real_output(out: Path) -> Path:
    """The folder a build writes: a symlinked output is followed to its real folder, never replaced."""
    if out.is_symlink():
        target = out.resolve()
        if not target.is_dir():
            raise OutputError(f"{out}: is a symbolic link to {target}, which is not a folder; "
                              "point it at a folder or remove it")
        return target
    return out.absolute()


def check_output(out: Path, production: Path, force: bool = False) -> None:
    """Refuse an output folder that overlaps the production, is / or $HOME, a mount point, or not ours."""
    out_real, prod_real = out.resolve(), production.resolve()
    home = Path.home().resolve()
    if out_real == prod_real or out_real.is_relative_to(prod_real) or prod_real.is_relative_to(out_real):
        raise OutputError(
            f"output folder {out} overlaps the production {production}: choose a folder outside it"
        )
    if out_real in (Path(out_real.anchor), home):
        raise OutputError(f"refusing to replace {out_real} with a site")
    if out_real.exists() and not out_real.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    if out_real.is_dir() and os.path.ismount(out_real):
        raise OutputError(f"{out}: is a mount point, and a build replaces its output folder as a whole; "
                          f"build into a folder inside it instead (e.g. -o {out / 'site'})")
    if out_real.is_dir() and not force and not is_ours(out_real):
        raise OutputError(f"{out}: the folder is not empty and holds no {MARKER}, so podops did not write "
                          "it; a build would delete its files: choose another folder, or pass --force "
                          "to replace its contents")


def is_ours(folder: Path) -> bool:
    """True when ``folder`` is empty (but for kept files) or holds the marker of a podops build."""
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    marker = folder / MARKER
    if marker.is_file() and not marker.is_symlink():
        return True
    return all(name in KEPT_NAMES for name in names)


def recover(out: Path) -> bool:
    """Finish what a killed build began: its journal rolled forward, or the output it had moved
    aside (``<out>.podops-old-<pid>``) put back; True if it did.

    Runs under the output's lock, before anything else: a build that holds the lock is mid-swap
    and its leftovers are its own.
    """
    out = out.absolute()
    if journal.path_of(out).exists():
        try:
            with lock(out):
                return journal.roll_forward(out)
        except OutputError:
            return False  # another build is applying it right now
    if out.exists() or out.is_symlink():
        return False
    leftovers = sorted(out.parent.glob(f"{out.name}.podops-old-*"), key=lambda p: p.stat().st_mtime_ns)
    if not leftovers:
        return False
    try:
        with lock(out):
            if out.exists():
                return False
            os.rename(leftovers[-1], out)
    except OutputError:
        return False  # another build is swapping right now
    return True


@contextmanager
def lock(out: Path) -> Iterator[None]:
    """Hold ``.<out>.podops-lock`` so two builds cannot interleave; removed when the build ends."""
    path = out.parent / f".{out.name}.podops-lock"
    out.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(f"{out}: another podops build is writing this folder") from None
        try:
            # The file is removed after each build, so a lock taken on a file already unlinked
            # by the previous holder locks nothing: only the file still at ``path`` counts.
            if not path.exists() or not os.path.samestat(os.fstat(handle.fileno()), path.stat()):
                raise OutputError(f"{out}: another podops build is writing this folder")
            try:
                yield
            finally:
                path.unlink(missing_ok=True)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _copy_kept(source: Path, target: Path) -> None:
    """Copy a kept user file or folder: regular files and folders only, never through a symlink."""
    mode = os.lstat(source).st_mode
    if stat.S_ISREG(mode):
        shutil.copy2(source, target)
    elif stat.S_ISDIR(mode):
        target.mkdir()
        for child in sorted(os.listdir(source)):
            _copy_kept(source / child, target / child)


def commit(plan: Plan, out: Path, placed: Placed | None = None,
           changed: list[str] | None = None) -> tuple[dict[str, int], Placed]:
    """Finish the plan and put it in place; on any error before that the old output stays as it was.

    ``placed`` is the previous build's record of its files (see :func:`untouched`), used when the
    plan is staged here (a plan given :meth:`Plan.stage` has its own). The returned record is the
    one to remember for the next build, with the rows that changed. ``changed`` collects the
    paths whose bytes differ from the previous output. The :data:`MARKER` file is added to every
    output.
    """
    out = out.absolute()
    try:
        if plan.staging is None:
            plan.stage(out, placed)
        if MARKER not in plan.staged and MARKER not in plan.kept:
            plan._write(MARKER, MARKER_DATA)
        record = delta.commit(plan, out) if plan.delta else _commit_whole(plan, out)
    except OSError as exc:
        plan.discard()
        raise written_error(out, exc) from None
    except BaseException:
        plan.discard()
        raise
    if changed is not None:
        changed += sorted(plan.changed)
    return dict(plan.stats), record


def _commit_whole(plan: Plan, out: Path) -> Placed:
    """Complete the temporary folder (kept pages, media, the user's kept files) and swap it in."""
    placed, old = plan.placed, os.fspath(out)
    tmp = Path(plan._staging())
    stats = plan.stats
    digests = dict(plan.staged)
    for rel in sorted(plan.kept):
        previous = old + "/" + rel
        if not untouched(placed, rel, previous):
            raise OutputError(f"{rel}: changed in the output since the last build; build again")
        _place(previous, plan.target(rel))
        digests[rel] = (int(placed[rel][0]), str(placed[rel][5]))
        stats["unchanged"] += 1
    for rel, (source, digest) in sorted(plan.links.items()):
        target, previous = plan.target(rel), old + "/" + rel
        if untouched(placed, rel, previous, digest):
            _place(previous, target)
            stats["unchanged"] += 1
        else:
            shutil.copyfile(source, target)
            stats["copied"] += 1
            plan.changed.append(rel)
        digests[rel] = (os.path.getsize(target), digest)
    for name in KEPT_NAMES:
        kept = out / name
        if os.path.lexists(kept) and not os.path.lexists(tmp / name):
            _copy_kept(kept, tmp / name)
    _swap(tmp, out)
    plan.staging = None
    record = Placed()
    for rel, (_size, sha) in digests.items():
        entry = entry_of(old + "/" + rel, sha)
        if entry is not None:
            record[rel] = entry
    for folder in folders_of(digests):
        entry = entry_of(old + "/" + folder if folder else old, "")
        if entry is not None:
            record[folder_key(folder)] = entry
    record.changed, record.whole = record, True
    return record


def folders_of(paths: Iterable[str]) -> set[str]:
    """Every folder holding one of ``paths``, and the output itself (``""``) always."""
    return ancestors(paths) | {""}


def written_error(out: Path, exc: OSError) -> OutputError:
    """The error of a site that could not be written (the previous output is still in place)."""
    reason = "disk full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return OutputError(f"{out}: cannot write the site ({reason}); the previous output is unchanged")


_libc: Any = None  # a ctypes.CDLL, loaded at the first swap (a no-op build never imports ctypes)


def _exchange(a: str, b: str) -> bool:
    """Swap two paths in one step with ``renameat2(RENAME_EXCHANGE)``; False where it is unsupported."""
    import ctypes

    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = _libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EPERM):
        return False  # an old kernel, a filesystem without it, or a seccomp filter: use two renames
    raise OSError(code, os.strerror(code), b)


def _swap(tmp: Path, out: Path) -> None:
    """Put ``tmp`` in place of ``out``: one atomic exchange where possible, else two renames."""
    if not out.exists():
        os.rename(tmp, out)
        return
    if _exchange(os.fspath(tmp), os.fspath(out)):
        shutil.rmtree(tmp, ignore_errors=True)  # now the previous output
        return
    old = out.parent / f"{out.name}.podops-old-{os.getpid()}"
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except OSError:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
