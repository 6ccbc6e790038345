"""Find and load every resource of a production (or a folder of productions) and check references.

Discovery follows ``format.md``: ``show.yaml`` or ``show-<guid>.yaml`` marks a production; any
other ``*.yaml``/``*.yml`` below it is an episode or, with ``kind: channel``, a live channel.
YAML files without ``kind`` or ``apiVersion`` (CI workflows, tool configs) are not resources and
are skipped. Hidden folders and ``templates/``
are never searched.
"""

from __future__ import annotations

import os
import pickle
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podops.errors import Diagnostic, Problems, ResourceError
from podops.load.references import link_channels, link_episodes
from podops.load.resources import to_channel, to_episode, to_show, to_subscriber_list
from podops.load.schema import CHANNEL, EPISODE, SHOW, SUBSCRIBERS
from podops.load.snapshot import Record, Signature, Snapshot, dump, loads, signature
from podops.load.tagrules import check_tags
from podops.load.validate import NOWHERE, Validator, is_secret
from podops.load.yamlfile import MAX_BYTES, load_bytes, parse_fast, read
from podops.model import (
    Channel,
    Episode,
    Production,
    Show,
    SubscriberList,
)

if TYPE_CHECKING:
    from podops.write.caches import Caches

SKIPPED_DIRS = {"templates", "node_modules", "__pycache__"}
KINDS = {"show": "show", "shows": "show", "episode": "episode", "episodes": "episode",
         "subscribers": "subscribers", "subscriber": "subscribers", "channel": "channel", "channels": "channel"}
SPECS = {"show": SHOW, "episode": EPISODE, "subscribers": SUBSCRIBERS, "channel": CHANNEL}
SHOW_FILE = re.compile(r"^show(?:-[0-9a-f]{12})?\.ya?ml$")  # format.md: what marks a production


MAX_FOLDER_DEPTH = 32  # deeper than any real production; os.walk would exhaust the stack at ~1000


def discover(root: Path, problems: Problems | None = None) -> Iterator[Path]:
    """Yield YAML files under ``root`` in a stable, locale-independent order, never leaving it.

    The walk is iterative and stops :data:`MAX_FOLDER_DEPTH` folders down (a located error).
    """
    real_root = root.resolve()
    pending = [(os.fspath(root), 0)]
    while pending:
        folder, depth = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        dirs = [e for e in entries if e.is_dir(follow_symlinks=False)
                and not e.name.startswith((".", "_")) and e.name not in SKIPPED_DIRS]
        for entry in entries:
            name = entry.name
            wanted = name.endswith((".yaml", ".yml")) and not name.startswith(".")
            if wanted and not entry.is_dir(follow_symlinks=False):
                path = Path(folder, name)
                if entry.is_symlink() and not _inside(path.resolve(), real_root):
                    continue
                yield path
        if dirs and depth + 1 > MAX_FOLDER_DEPTH:
            if problems is not None:
                shown = Path(dirs[0].path).relative_to(root).as_posix()
                problems.add(shown, message=f"folders nested deeper than {MAX_FOLDER_DEPTH} levels: "
                             "not searched for resources")
            continue
        pending.extend((e.path, depth + 1) for e in reversed(dirs))


def _display(path: Path, base: str, root: Path) -> str:
    """``path`` relative to the production, as diagnostics show it (string slicing: pathlib is slow at 10,000)."""
    text = os.fspath(path)
    return text[len(base):].replace(os.sep, "/") if text.startswith(base) else path.relative_to(root).as_posix()


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _key_mark(node: dict[Any, Any], key: Any) -> tuple[int, int]:
    """Where ``key`` of a mapping stands: a yamlfile.Mapping knows, plain data (parse_fast) does not."""
    mark = getattr(node, "mark", None)
    return mark(key) if mark is not None else NOWHERE


def _move(source: dict[Any, Any], old: str, target: dict[Any, Any], new: str) -> None:
    target[new] = source.pop(old)
    if hasattr(target, "marks"):
        target.marks[new] = _key_mark(source, old)


def _legacy(data: dict[Any, Any]) -> None:
    """Move the PodOps legacy layout (guid, parent_guid, date in labels) to v1 places."""
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        return
    labels = metadata.get("labels")
    if not isinstance(labels, dict):
        return
    for old, new in (("guid", "guid"), ("parent_guid", "parent"), ("date", "date")):
        if old in labels and new not in metadata:
            _move(labels, old, metadata, new)
    description = data.get("description")
    if isinstance(description, dict) and "newFeed" in description and "newFeedLink" not in data:
        _move(description, "newFeed", data, "newFeedLink")


def load_production(root: Path, caches: Caches | None = None) -> Production:
    """Load, validate and link every resource under ``root``; raise with all problems at once.

    With ``caches``, each file's validated values are cached by its content hash (and the
    podops code that checked them), so unchanged files are not parsed again.
    """
    root = root.resolve()
    if not root.is_dir():
        raise ResourceError(f"{root}: not a folder")
    problems = Problems()
    shows: list[Show] = []
    episodes: list[Episode] = []
    broken = False  # a show file that is unreadable or has no usable GUID: its episodes cannot be linked
    lists: list[SubscriberList] = []
    channels: list[Channel] = []
    base = os.path.join(os.fspath(root), "")
    found = [(path, _display(path, base, root)) for path in discover(root, problems)]
    kept = _snapshot(caches, root)
    if caches is not None and kept is not None and not kept.old:
        caches.store.replace("resource", {})  # the per-file JSON records older podops kept in the store
    loads = _load_all_cached(found, caches, kept) if caches and kept else (_load(p, d) for p, d in found)
    for path, (kind, model, diagnostics) in zip((p for p, _d in found), loads, strict=True):
        problems.extend(diagnostics)
        if kind == "show":
            shows.append(model)
            broken = broken or not model.guid
        elif kind == "episode":
            episodes.append(model)
        elif kind == "subscribers":
            lists.append(model)
        elif kind == "channel":
            channels.append(model)
        elif SHOW_FILE.match(path.name) and any(d.severity == "error" for d in diagnostics):
            broken = True
    production = Production(root, sorted(shows, key=lambda s: (s.name, s.display)))
    link_episodes(production, episodes, problems, broken, lists)
    link_channels(production, episodes, channels, problems, broken)
    production.loaded = kept  # saved by the build once its checks are done
    if kept is not None and problems.errors:
        kept.save()  # the build stops here: the next one reads only the files fixed
    problems.raise_if_errors()
    production.warnings = problems.warnings
    return production


def load_shows(root: Path) -> list[Show]:
    """Only the show resources under ``root``, validated (for ``podops notify``: no media is read)."""
    root = root.resolve()
    if not root.is_dir():
        raise ResourceError(f"{root}: not a folder")
    problems = Problems()
    shows: list[Show] = []
    base = os.path.join(os.fspath(root), "")
    for path in discover(root, problems):
        display = _display(path, base, root)
        kind, values, marks, diagnostics = _read(path, display)
        if kind == "show":
            problems.extend(diagnostics)
            shows.append(to_show(values, path, display, marks))
    problems.raise_if_errors()
    return shows


Read = tuple[str | None, dict[str, Any], dict[str, Any], list[Diagnostic]]


class Marks(dict[str, tuple[int, int]]):
    """The fields of a resource read without positions, each found only when a diagnostic asks.

    A file read by :func:`podops.load.yamlfile.parse_fast` had no problem, so nothing needed a
    position then; a later check (a duplicate GUID, a damaged MP3, a placeholder host) that points
    at one of its fields reads the file again with the position-keeping loader, once. ``keep``,
    when set, is given the bytes read again and the positions found (the cache keeps them for the
    next build when the bytes are still those it was keyed by).
    """

    def __init__(self, fields: Iterable[str], path: Path, display: str) -> None:
        super().__init__(dict.fromkeys(fields, NOWHERE))
        self.source, self.display, self.found = path, display, False
        self.keep: Callable[[bytes, dict[str, tuple[int, int]]], None] | None = None

    def __getitem__(self, key: str) -> tuple[int, int]:
        if not self.found:
            self.find()
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        if not self.found:
            self.find()
        return super().get(key, default)

    def find(self) -> None:
        """Read the file again with positions (a file gone or changed since keeps what it can)."""
        self.found = True
        try:
            raw = read(self.source, self.display)
        except ResourceError:
            return
        self.update((k, v) for k, v in _positions(self.source, self.display, raw).items() if k in self)
        if self.keep is not None:
            self.keep(raw, dict(self))


def _read(path: Path, display: str, raw: bytes | None = None) -> Read:
    """Parse and validate one file: its kind (None when it is no resource), values, marks, problems.

    Clean files are read fast, without positions; a file with any problem (an error or a
    warning) is read again by the position-keeping loader, which reports each where it stands.
    """
    if raw is None:
        try:
            raw = read(path, display)
        except ResourceError as exc:
            return None, {}, {}, exc.diagnostics
    return _read_fast(path, display, raw) or _read_careful(path, display, raw)


def _read_fast(path: Path, display: str, raw: bytes) -> Read | None:
    """:func:`_read` of a clean file without positions, or None when anything needs one."""
    data = parse_fast(raw)
    if data is None:
        return None
    if "kind" not in data and "apiVersion" not in data:
        return None, {}, {}, []
    kind = KINDS.get(str(data.get("kind", "")).strip().lower())
    if kind is None:
        return None
    problems = Problems()
    _legacy(data)
    _drop_secrets(data, "", display, problems)
    validator = Validator(display, problems)
    values = validator.check(SPECS[kind], data, "", (1, 1)) or {}
    if problems.items or check_tags(kind, values):
        return None
    return kind, values, Marks(validator.marks, path, display), []


def _positions(path: Path, display: str, raw: bytes) -> dict[str, tuple[int, int]]:
    """The field positions of a file, as :func:`_read_careful` finds them (the same data, with marks,
    from libyaml's nodes when the file is clean; the careful read itself when it is not)."""
    data = parse_fast(raw, marked=True)
    kind = KINDS.get(str(data.get("kind", "")).strip().lower()) if data is not None else None
    if data is None or kind is None:
        return _read_careful(path, display, raw)[2]
    problems = Problems()
    _legacy(data)
    _drop_secrets(data, "", display, problems)
    validator = Validator(display, problems)
    validator.check(SPECS[kind], data, "", (1, 1))
    return validator.marks


def _read_careful(path: Path, display: str, raw: bytes) -> Read:
    """:func:`_read` with the position-keeping loader: every problem at its line and column."""
    problems = Problems()
    try:
        data = load_bytes(raw, display)
    except ResourceError as exc:
        return None, {}, {}, exc.diagnostics
    if "kind" not in data and "apiVersion" not in data:
        return None, {}, {}, []
    kind = KINDS.get(str(data.get("kind", "")).strip().lower())
    if kind is None:
        line, column = data.mark("kind")
        problems.add(display, line, column, "kind",
                     f"{data.get('kind')!r} is not a resource kind podops reads "
                     "(show, episode, channel or subscribers)")
        return None, {}, {}, problems.items
    _legacy(data)
    _drop_secrets(data, "", display, problems)
    validator = Validator(display, problems)
    values = validator.check(SPECS[kind], data, "", (1, 1)) or {}
    for field, message, severity in check_tags(kind, values):  # the namespace's rules across attributes
        line, column = _mark(validator.marks, field)
        problems.add(display, line, column, field, message, severity)
    return kind, values, validator.marks, problems.items


def _mark(marks: dict[str, Any], field: str) -> tuple[int, int]:
    """Position of a dotted field, or of its nearest known parent."""
    while field:
        if field in marks:
            return marks[field]
        field = field.rpartition(".")[0] if "." in field else ""
    return (1, 1)


def _drop_secrets(node: Any, path: str, display: str, problems: Problems) -> None:
    """Refuse passwords, stream keys and auth hashes wherever they are, and take them out of the
    data so that they are reported once, as secrets, and never as unknown fields."""
    if isinstance(node, dict):
        for key in list(node):
            dotted = f"{path}.{key}" if path else str(key)
            if is_secret(str(key)):
                line, column = _key_mark(node, key)
                problems.add(display, line, column, dotted,
                             "is a secret, and secrets do not belong in Git: remove it (keep it in the "
                             "streaming server, or in the environment of the tool that needs it)")
                del node[key]
            else:
                _drop_secrets(node[key], dotted, display, problems)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _drop_secrets(item, f"{path}[{i}]", display, problems)


Loaded = tuple[str | None, Any, list[Diagnostic]]  # kind (None: no resource), model, the file's own problems
MAKERS: dict[str, Callable[..., Any]] = {"show": to_show, "episode": to_episode, "subscribers": to_subscriber_list,
                                         "channel": to_channel}
MODELS: dict[str, type] = {"show": Show, "episode": Episode, "subscribers": SubscriberList, "channel": Channel}


def _load(path: Path, display: str, raw: bytes | None = None) -> Loaded:
    """:func:`_read` of one file, made into its model object."""
    kind, values, marks, diagnostics = _read(path, display, raw)
    return kind, MAKERS[kind](values, path, display, marks) if kind else None, diagnostics


def _snapshot(caches: Caches | None, root: Path) -> Snapshot | None:
    """The last build's loaded records, when the build has a usable cache folder."""
    if caches is None or caches.store.db is None or not caches.store.writable:
        return None
    return Snapshot(caches.store.path.parent, caches.code, root)


def _load_all_cached(found: list[tuple[Path, str]], caches: Caches, kept: Snapshot) -> Iterator[Loaded]:
    """:func:`_load` of every file, each taken from the last build's records when its bytes are the same.

    A file's stat signature vouches for its bytes (any write moves its ctime); a file whose
    signature moved is read and hashed, and its record is still used when the bytes are the same.
    """
    for path, display in found:
        try:
            st = os.stat(path)
        except OSError:
            yield _load(path, display)  # says why it cannot be read
            continue
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BYTES:
            yield _load(path, display)  # refused unopened, as a clean build refuses it
            continue
        sig = signature(st)
        record = kept.by_signature(os.fspath(path), sig)
        raw: bytes | None = None
        if record is None:
            try:
                raw = path.read_bytes()
            except OSError:
                yield _load(path, display)
                continue
            record = kept.by_key(os.fspath(path), caches.resource_key(raw))
        if record is not None:
            restored = _restore(record, path, display, caches, kept)
            if restored is not None:
                kept.keep(os.fspath(path), (sig, record[1], record[2], record[3]))
                yield restored
                continue
        yield _load_new(path, display, sig, raw, caches, kept)


def _load_new(path: Path, display: str, sig: Signature, raw: bytes | None, caches: Caches,
              kept: Snapshot) -> Loaded:
    """:func:`_load` of a file the records do not know (or hold damaged), its record kept."""
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError:
            return _load(path, display)
    result = _load(path, display, raw)
    kind, model, diagnostics = result
    marks = model.marks if model is not None else None
    fields = tuple(marks) if isinstance(marks, Marks) and not marks.found else dict(marks or {})
    kept.keep(os.fspath(path), (sig, caches.resource_key(raw), dump(kind, model, diagnostics), fields))
    if isinstance(marks, Marks):
        marks.keep = partial(_keep_positions, caches, kept, os.fspath(path))
    return result


def _restore(record: Record, path: Path, display: str, caches: Caches, kept: Snapshot) -> Loaded | None:
    """A record's model with its positions (found, or to be found on demand); None when damaged."""
    fields = record[3]
    try:
        kind, model, diagnostics = loads(record[2])
        if kind is not None and type(model) is not MODELS.get(kind):
            return None
        if model is not None:
            model.source = path
            if type(fields) is tuple:  # the fields only: positions are found when a diagnostic asks
                marks = Marks(fields, path, display)
                marks.keep = partial(_keep_positions, caches, kept, os.fspath(path))
                model.marks = marks
            elif type(fields) is dict:  # positions, as found (and pickled) by this code
                model.marks = fields
            else:
                return None
        return kind, model, list(diagnostics)
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            MemoryError):
        return None  # a damaged record: the file is read again


def _keep_positions(caches: Caches, kept: Snapshot, path: str, again: bytes,
                    positions: dict[str, tuple[int, int]]) -> None:
    """Keep the positions a diagnostic needed with the record of the bytes they were found in."""
    kept.positions(path, caches.resource_key(again), positions)
