"""Find and load every resource of a production (or a folder of productions) and check references.

Discovery follows ``format.md``: ``show.yaml`` or ``show-<guid>.yaml`` marks a production; any
other ``*.yaml``/``*.yml`` below it is an episode or, with ``kind: channel``, a live channel.
YAML files without ``kind`` or ``apiVersion`` (CI workflows, tool configs) are not resources and
are skipped. Hidden folders and ``templates/``
are never searched.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podops.errors import Diagnostic, Problems, ResourceError
from podops.load.references import link_channels, link_episodes
from podops.load.resources import to_channel, to_episode, to_show, to_subscriber_list
from podops.load.schema import CHANNEL, EPISODE, SHOW, SUBSCRIBERS
from podops.load.tagrules import check_tags
from podops.load.validate import NOWHERE, Validator, is_secret
from podops.load.yamlfile import MAX_BYTES, load_bytes, parse_fast, read, regular_size
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
    reads = _read_all_cached(found, caches) if caches else (_read(path, display) for path, display in found)
    for (path, display), (kind, values, marks, diagnostics) in zip(found, reads, strict=True):
        problems.extend(diagnostics)
        if kind == "show":
            shows.append(to_show(values, path, display, marks))
            broken = broken or not shows[-1].guid
        elif kind == "episode":
            episodes.append(to_episode(values, path, display, marks))
        elif kind == "subscribers":
            lists.append(to_subscriber_list(values, path, display, marks))
        elif kind == "channel":
            channels.append(to_channel(values, path, display, marks))
        elif SHOW_FILE.match(path.name) and any(d.severity == "error" for d in diagnostics):
            broken = True
    production = Production(root, sorted(shows, key=lambda s: (s.name, s.display)))
    link_episodes(production, episodes, problems, broken, lists)
    link_channels(production, episodes, channels, problems, broken)
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
        self.update((k, v) for k, v in _read_careful(self.source, self.display, raw)[2].items() if k in self)
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


def _read_all_cached(found: list[tuple[Path, str]], caches: Caches) -> list[Read]:
    """:func:`_read` of every file through the store, keyed by its bytes and the checking code.

    The files are read first and their records fetched in one query: at 10,000 episodes one
    query per file was a tenth of an edit build's load.
    """
    raws: list[bytes | Read] = []
    for path, display in found:
        try:
            size = regular_size(path, display)
        except ResourceError as exc:
            raws.append((None, {}, {}, exc.diagnostics))
            continue
        raws.append(path.read_bytes() if size <= MAX_BYTES else _read(path, display))
    keys = {id(raw): caches.resource_key(raw) for raw in raws if isinstance(raw, bytes)}
    cached = caches.store.get_many("resource", list(keys.values()), text=True)
    return [_read_cached(path, display, caches, raw, keys[id(raw)], cached.get(keys[id(raw)]))
            if isinstance(raw, bytes) else raw for (path, display), raw in zip(found, raws, strict=True)]


def _read_cached(path: Path, display: str, caches: Caches, raw: bytes, key: str, cached: Any) -> Read:
    """One file's record from the store when it holds one, else :func:`_read` (and the record kept)."""
    result: Read | None = None
    if cached is not None:
        try:
            kind, values, marks, diagnostics = json.loads(cached, object_hook=_decode)
            found = (Marks(map(str, marks), path, display) if isinstance(marks, list)
                     else {str(k): (int(v[0]), int(v[1])) for k, v in marks.items()})
            result = kind, dict(values), found, [Diagnostic(display, *d) for d in diagnostics]
        except (ValueError, TypeError, AttributeError, IndexError, KeyError):
            pass  # a damaged or foreign cache record: read the file again
    if result is None:
        result = _read(path, display, raw)
        marks = result[2]
        kept = list(marks) if isinstance(marks, Marks) else marks  # fields only: positions are found on demand
        caches.store.put_text("resource", key, _record(result, kept))
    marks = result[2]
    if isinstance(marks, Marks):  # positions found later are kept with the record, for the next build
        marks.keep = partial(_keep_positions, caches, key, os.getpid())
    return result


def _keep_positions(caches: Caches, key: str, owner: int, again: bytes, positions: dict[str, tuple[int, int]]) -> None:
    """Put the positions a diagnostic needed into the record of the bytes they were found in.

    Only in the process that opened the store: a forked worker (pages, probes) never uses its
    SQLite connection.
    """
    if os.getpid() != owner:
        return
    record = caches.store.get_many("resource", [key], text=True).get(key)
    if record is None or caches.resource_key(again) != key:
        return  # no record, or the file changed since it was read: nothing to vouch for
    try:
        kind, values, _fields, rows = json.loads(record, object_pairs_hook=dict)
    except (ValueError, TypeError):
        return
    caches.store.put_text("resource", key, json.dumps([kind, values, positions, rows]))


def _record(read: Read, marks: Any) -> str:
    """A validation cache record: kind, values (key order kept), marks (or only fields), diagnostics."""
    kind, values, _marks, diagnostics = read
    rows = [[d.line, d.column, d.field, d.message, d.severity] for d in diagnostics]
    return json.dumps([kind, values, marks, rows], default=_encode)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    raise TypeError(f"cannot cache {type(value).__name__}")


def _decode(value: dict[str, Any]) -> Any:
    return datetime.fromisoformat(value["$datetime"]) if set(value) == {"$datetime"} else value
