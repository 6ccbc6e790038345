"""Write a whole site atomically: plan in memory, write a sibling folder, swap it in.

Nothing is written until everything rendered (``security.md`` §5). The new site is written to
``<out>.podops-tmp-<pid>`` beside the output, so the final rename stays on one filesystem; any
error removes it and leaves the previous output byte-identical. Unchanged files are hard-linked
from the previous output instead of rewritten. Media are copied from the production (never
hard-linked: an in-place edit of a production file must not reach the published site), and a
medium whose content hash matches what the previous build placed is hard-linked from there.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from podops.errors import OutputError

KEPT_NAMES = ("CNAME", ".nojekyll", ".well-known")  # user files kept across builds (like MkDocs' dotfiles)


def _normalise(path: str) -> str:
    """An output path as a clean relative POSIX path; one that could leave the output is refused."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if path.startswith("/") or "\\" in path or ".." in parts or not parts:
        raise OutputError(f"{path}: output path escapes the output folder")
    return "/".join(parts)


@dataclass
class Plan:
    """Every file of the site: output path → bytes, or → a source file to link or copy."""

    files: dict[str, bytes] = field(default_factory=dict)
    links: dict[str, tuple[Path, str]] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)  # unchanged files taken from the previous output

    def _claim(self, path: str) -> str:
        key = _normalise(path)
        if key in self.files or key in self.links or key in self.kept:
            raise OutputError(f"{key}: two things would be written to the same output file")
        return key

    def add(self, path: str, data: bytes | str) -> None:
        """Plan a file with the given content."""
        self.files[self._claim(path)] = data.encode() if isinstance(data, str) else data

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
        return sum(len(d) for d in self.files.values()) + sum(
            p.stat().st_size for p, _ in self.links.values())  # kept pages are not counted


def check_output(out: Path, production: Path) -> None:
    """Refuse an output folder that is, contains, or lies inside the production, or is / or $HOME."""
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
    for stale in out.parent.glob(f"{out.name}.podops-*"):
        shutil.rmtree(stale, ignore_errors=True)


def commit(plan: Plan, out: Path, placed: dict[str, str] | None = None,
           changed: list[str] | None = None) -> tuple[dict[str, int], dict[str, str]]:
    """Write the plan beside ``out`` and swap it in; on any error the old output stays as it was.

    ``placed`` maps media paths of the previous output to the content hash copied there; the
    returned map is the one to remember for the next build. ``changed`` collects the paths whose
    bytes differ from the previous output.
    """
    placed = placed or {}
    now_placed: dict[str, str] = {}
    out = out.absolute()
    _cleanup_stale(out)
    tmp = out.parent / f"{out.name}.podops-tmp-{os.getpid()}"
    stats = {"written": 0, "unchanged": 0, "copied": 0}
    made: set[str] = set()
    old, new = os.fspath(out), os.fspath(tmp)  # plain strings: tens of thousands of files

    def target_of(rel: str) -> str:
        folder = rel.rpartition("/")[0]
        if folder not in made:
            os.makedirs(os.path.join(new, folder), exist_ok=True)
            made.add(folder)
        return os.path.join(new, rel)

    try:
        tmp.mkdir(parents=True)
        for rel, data in sorted(plan.files.items()):
            target, previous = target_of(rel), os.path.join(old, rel)
            if _same(previous, data):
                _place(previous, target)  # unchanged bytes: no rewrite, same inode
                stats["unchanged"] += 1
            else:
                with open(target, "wb") as handle:
                    handle.write(data)
                stats["written"] += 1
                if changed is not None:
                    changed.append(rel)
        for rel in sorted(plan.kept):
            _place(os.path.join(old, rel), target_of(rel))
            stats["unchanged"] += 1
        for rel, (source, digest) in sorted(plan.links.items()):
            target, previous = target_of(rel), os.path.join(old, rel)
            if placed.get(rel) == digest and os.path.isfile(previous) and not os.path.islink(previous):
                _place(previous, target)
                stats["unchanged"] += 1
            else:
                shutil.copyfile(source, target)
                stats["copied"] += 1
                if changed is not None:
                    changed.append(rel)
            now_placed[rel] = digest
        for name in KEPT_NAMES:
            kept = out / name
            if kept.exists() and not (tmp / name).exists():
                (shutil.copytree if kept.is_dir() else shutil.copy2)(kept, tmp / name)
        _swap(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        reason = "disk full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise OutputError(f"{out}: cannot write the site ({reason}); the previous output is unchanged") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return stats, now_placed


def _swap(tmp: Path, out: Path) -> None:
    """Put ``tmp`` in place of ``out`` (two renames; the old tree is removed afterwards)."""
    if not out.exists():
        os.rename(tmp, out)
        return
    old = out.parent / f"{out.name}.podops-old-{os.getpid()}"
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except OSError:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
