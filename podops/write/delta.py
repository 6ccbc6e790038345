"""Commit an incremental build: only new bytes are moved into the output, through a journal.

What the build kept is checked by one ``lstat`` a file against the previous output's record; what
it no longer plans is removed, and so is anything a user dropped into the output, found by listing
only the folders whose recorded signature moved (adding, removing or renaming an entry moves a
folder's mtime and ctime). The result equals a clean build byte for byte; the user's
:data:`~podops.write.output.KEPT_NAMES` stay.

Limits, on purpose: a folder's signature is taken again right after the journal is applied, so a
file dropped into a folder this build changed, in the milliseconds between the check before the
journal and that ``lstat``, is not noticed until something else moves the folder. Staged files
are not fsynced one by one (the journal is): a kill is always finished by the next build, while
after a power loss a renamed file's bytes are as durable as the filesystem makes a rename over a
file (ext4's default ``auto_da_alloc`` flushes them).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Callable
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from podops.errors import OutputError
from podops.write import journal
from podops.write.record import Entry, Placed, ancestors, entry_of, folder_key, stamp, untouched

if TYPE_CHECKING:
    from podops.write.output import Plan


def commit(plan: Plan, out: Path) -> Placed:
    """Verify the kept files, stage changed media, apply the journal; the record with its changed rows."""
    from podops.write.output import KEPT_NAMES, folders_of

    placed, old = plan.placed, os.fspath(out)
    base, stats = old + "/", plan.stats
    for rel in plan.kept:
        if rel not in placed.verified and not untouched(placed, rel, base + rel):
            raise OutputError(f"{rel}: changed in the output since the last build; build again")
        stats["unchanged"] += 1
    copied: dict[str, str] = {}
    for rel, (source, digest) in sorted(plan.links.items()):
        if untouched(placed, rel, base + rel, digest):
            stats["unchanged"] += 1
        else:
            shutil.copyfile(source, plan.target(rel))
            stats["copied"] += 1
            plan.changed.append(rel)
            copied[rel] = digest
    staged, kept, links = plan.staged, plan.kept, plan.links

    def planned(rel: str) -> bool:
        return rel in staged or rel in kept or rel in links

    gone = [rel for rel in placed if rel not in staged and rel not in kept and rel not in links]  # no calls: 75k rows
    gone = [rel for rel in gone if not rel.endswith("/") and rel.partition("/")[0] not in KEPT_NAMES]
    touched = ancestors(chain(plan.changed, gone))
    scan = {key[:-1] for key in placed.moved}
    trees: list[str] = []
    for folder in touched:
        try:
            st = os.lstat(base + folder if folder else old)
        except FileNotFoundError:
            continue
        entry = placed.get(folder_key(folder))
        if not stat.S_ISDIR(st.st_mode):
            if not planned(folder):
                trees.append(folder)  # a file where a folder belongs
        elif entry is None or stamp(st) != entry[:5]:
            scan.add(folder)  # something other than the last build changed it: list it
    trees += [rel for rel in plan.changed if folder_key(rel) in placed]  # a folder becomes a file
    trees += _unkept(base, [name for name in KEPT_NAMES if not planned(name)])
    scanned: set[str] = set()
    if scan:
        folders = folders_of(chain(staged, kept, links))
        pending = sorted(scan)
        while pending:
            folder = pending.pop()
            if folder in scanned:
                continue
            scanned.add(folder)
            if folder not in folders:  # no longer planned: whatever it still holds goes with it
                if os.path.lexists(base + folder):
                    trees.append(folder)
                continue
            pending += _strays(base + folder if folder else old, folder, folders, planned, placed, trees,
                               KEPT_NAMES)
    ours = [rel for rel in trees if rel.partition("/")[0] not in KEPT_NAMES]  # a kept folder stays, as copied
    empties = sorted(ancestors(chain(gone, ours)) - {""}, key=lambda f: (-f.count("/"), f))
    change = journal.Journal(plan._staging(), sorted(plan.changed), sorted(gone), sorted(set(trees)), empties)
    if change.renames or change.files or change.trees:
        journal.write(out, change)
        plan.staging = None  # the journal owns the staging folder now: a failure is finished by the next build
        try:
            journal.apply(out, change)
        except OSError as exc:
            reason = "disk full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
            raise OutputError(f"{out}: the site was left partly updated ({reason}); "
                              "the next build finishes the change") from None
    else:
        plan.discard()
    return _recorded(plan, base, copied, gone, change.trees, touched | scanned | scan)


def _unkept(base: str, names: list[str]) -> list[str]:
    """What of the user's kept files is neither a regular file nor a folder (a symlink could
    publish what it points to): removed, as a whole build does not copy it."""
    found, pending = [], list(names)
    while pending:
        rel = pending.pop()
        try:
            mode = os.lstat(base + rel).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(mode):
            pending += [rel + "/" + name for name in os.listdir(base + rel)]
        elif not stat.S_ISREG(mode):
            found.append(rel)
    return found


def _strays(path: str, folder: str, folders: set[str], planned: Callable[[str], bool], placed: Placed, trees: list[str],
            kept_names: tuple[str, ...]) -> list[str]:
    """Add to ``trees`` what ``folder`` holds that the build does not plan; the planned folders
    in it that the record does not vouch for, to be listed in turn."""
    prefix = folder + "/" if folder else ""
    deeper = []
    with os.scandir(path) as entries:
        for item in entries:
            rel = prefix + item.name
            if not folder and item.name in kept_names:
                continue
            if item.is_dir(follow_symlinks=False):
                if rel not in folders:
                    trees.append(rel)
                elif folder_key(rel) not in placed:
                    deeper.append(rel)  # a folder new to the record: nothing vouches for what it holds
            elif not planned(rel):
                trees.append(rel)
    return deeper


def _recorded(plan: Plan, base: str, copied: dict[str, str], gone: list[str], trees: list[str],
              folders: set[str]) -> Placed:
    """The previous record brought up to the output as it now is, with the rows that changed."""
    placed = plan.placed
    changed: dict[str, Entry] = dict(placed.fresh)
    for rel in plan.changed:
        entry = entry_of(base + rel, copied.get(rel) or plan.staged[rel][1])
        if entry is not None:
            changed[rel] = entry
    removed = set(gone)
    if trees:
        prefixes, whole = tuple(t + "/" for t in trees), set(trees)
        removed |= {key for key in placed if key in whole or key.startswith(prefixes)}
    for folder in folders:
        key = folder_key(folder)
        entry = entry_of(base + folder if folder else base[:-1], "")
        if entry is None:
            if key in placed:
                removed.add(key)
        elif placed.get(key) != entry:
            changed[key] = entry
    for key in removed:
        placed.pop(key, None)
        changed.pop(key, None)
    placed.update(changed)
    placed.changed, placed.removed = changed, removed
    return placed
