"""Write a whole site atomically: stream it into a sibling folder, swap that in.

Nothing reaches the output until everything rendered (``security.md`` §5). The new site is written
to ``<out>.podops-tmp-<pid>`` beside the output as it is rendered (a staged :class:`Plan` writes
each file when it is added, so no build holds its pages in memory), and the final rename stays on
one filesystem; any error removes it and leaves the previous output byte-identical. The swap is one
``renameat2(RENAME_EXCHANGE)`` where the kernel has it (no moment without a site), else two
renames; a build killed between those leaves ``<out>.podops-old-<pid>``, which the next build
puts back before anything else. Every output holds a marker, :data:`MARKER`: a non-empty folder
without one is not podops' to replace (unless forced), since replacing it deletes its files.

Unchanged files are hard-linked from the previous output instead of rewritten, but only when
they are provably what the last build left: each file's stat signature (size, mtime, ctime,
inode: any write moves the ctime) is recorded after the swap, and a file whose signature moved
is checked against its recorded size and SHA-256, or else taken from the production. Media are
copied from the production (never hard-linked to it: an in-place edit of a production file must
not reach the published site).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podops import urls
from podops.errors import OutputError

KEPT_NAMES = ("CNAME", ".nojekyll", ".well-known")  # user files kept across builds (like MkDocs' dotfiles)
MARKER = urls.MARKER  # "podops wrote this folder": `publish` refuses folders without it
MARKER_DATA = (json.dumps({"format": 1, "generator": "podops"}, sort_keys=True) + "\n").encode()
RENAME_EXCHANGE = 2  # linux/fs.h
AT_FDCWD = -100
Placed = dict[str, list[object]]  # output path → [stat signature, size, sha256]


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
    added (a file equal to the previous output's is hard-linked from there instead), so rendered
    pages are never all held in memory; an unstaged plan keeps them in :attr:`files` until
    :func:`commit`.
    """

    files: dict[str, bytes] = field(default_factory=dict)
    links: dict[str, tuple[Path, str]] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)  # unchanged files taken from the previous output
    staged: dict[str, tuple[int, str]] = field(default_factory=dict)  # written to the temporary folder: size, sha256
    changed: list[str] = field(default_factory=list)  # staged paths whose bytes differ from the previous output
    stats: dict[str, int] = field(default_factory=lambda: {"written": 0, "unchanged": 0, "copied": 0})
    staging: str | None = None  # the temporary folder, once staged
    previous: str | None = None  # the output it will replace
    folders: set[str] = field(default_factory=set)  # folders already made in the temporary folder

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
            with open(target, "rb") as handle:
                data = change(handle.read())
            del self.staged[key]
            if key in self.changed:
                self.changed.remove(key)
                self.stats["written"] -= 1
            else:
                self.stats["unchanged"] -= 1
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

    def stage(self, out: Path) -> None:
        """Start writing into ``<out>.podops-tmp-<pid>`` (under the output's :func:`lock`)."""
        out = out.absolute()
        _cleanup_stale(out)
        tmp = out.parent / f"{out.name}.podops-tmp-{os.getpid()}"
        tmp.mkdir(parents=True)
        self.staging, self.previous = os.fspath(tmp), os.fspath(out)  # plain strings: tens of thousands of files
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
    """Put back the output a killed build had moved aside (``<out>.podops-old-<pid>``); True if it did.

    Runs under the output's lock, before anything else: a build that holds the lock is mid-swap
    and its leftovers are its own.
    """
    out = out.absolute()
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


def _same(path: str, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
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


def signature(path: str) -> str | None:
    """What changes whenever a file's bytes may have changed (any write moves the ctime)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"


def sha256_of(path: str) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def untouched(placed: Placed, rel: str, previous: str, digest: str | None = None) -> bool:
    """True when the previous output's file is what the last build placed there (and holds ``digest``).

    The stat signature recorded after the last swap decides cheaply; when it moved, the file's
    size and content hash must still match the record.
    """
    record = placed.get(rel)
    if not isinstance(record, list) or len(record) != 3:
        return False
    sig, size, sha = record
    if digest is not None and sha != digest:
        return False
    now = signature(previous)
    if now is None:
        return False
    if now == sig:
        return True
    try:
        return os.path.getsize(previous) == size and sha256_of(previous) == sha
    except OSError:
        return False


def valid_placed(value: object) -> Placed:
    """The previous build's record of its files, or nothing when it is damaged or of an old shape."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, list) and len(v) == 3}


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
    """Finish the plan beside ``out`` and swap it in; on any error the old output stays as it was.

    ``placed`` is the previous build's record of its files (see :func:`untouched`); the returned
    record is the one to remember for the next build. ``changed`` collects the paths whose bytes
    differ from the previous output. The :data:`MARKER` file is added to every output. A plan
    not yet given :meth:`Plan.stage` is staged now.
    """
    placed = valid_placed(placed)
    out = out.absolute()
    old = os.fspath(out)
    try:
        if plan.staging is None:
            plan.stage(out)
        if MARKER not in plan.staged and MARKER not in plan.kept:
            plan._write(MARKER, MARKER_DATA)
        tmp = Path(plan._staging())
        stats = plan.stats
        digests = dict(plan.staged)
        for rel in sorted(plan.kept):
            previous = old + "/" + rel
            if not untouched(placed, rel, previous):
                raise OutputError(f"{rel}: changed in the output since the last build; build again")
            _place(previous, plan.target(rel))
            size, sha = placed[rel][1:]
            digests[rel] = (int(size), str(sha))  # type: ignore[call-overload]
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
    except OSError as exc:
        plan.discard()
        raise written_error(out, exc) from None
    except BaseException:
        plan.discard()
        raise
    if changed is not None:
        changed += sorted(plan.changed)
    record: Placed = {}
    for rel, (size, sha) in digests.items():
        sig = signature(old + "/" + rel)
        if sig is not None:
            record[rel] = [sig, size, sha]
    return dict(stats), record


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
