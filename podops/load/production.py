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
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podops.errors import Diagnostic, Problems, ResourceError
from podops.load.references import link_channels, link_episodes
from podops.load.resources import to_channel, to_episode, to_show, to_subscriber_list
from podops.load.schema import CHANNEL, EPISODE, SHOW, SUBSCRIBERS
from podops.load.tagrules import check_tags
from podops.load.validate import Validator, is_secret
from podops.load.yamlfile import MAX_BYTES, Mapping, load, load_bytes, regular_size
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
                if path.is_symlink() and not _inside(path.resolve(), real_root):
                    continue
                yield path
        if dirs and depth + 1 > MAX_FOLDER_DEPTH:
            if problems is not None:
                shown = Path(dirs[0].path).relative_to(root).as_posix()
                problems.add(shown, message=f"folders nested deeper than {MAX_FOLDER_DEPTH} levels: "
                             "not searched for resources")
            continue
        pending.extend((e.path, depth + 1) for e in reversed(dirs))


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _legacy(data: Mapping) -> None:
    """Move the PodOps legacy layout (guid, parent_guid, date in labels) to v1 places."""
    metadata = data.get("metadata")
    if not isinstance(metadata, Mapping):
        return
    labels = metadata.get("labels")
    if not isinstance(labels, Mapping):
        return
    for old, new in (("guid", "guid"), ("parent_guid", "parent"), ("date", "date")):
        if old in labels and new not in metadata:
            metadata[new] = labels.pop(old)
            metadata.marks[new] = labels.marks.get(old, (labels.line, labels.column))
    description = data.get("description")
    if isinstance(description, Mapping) and "newFeed" in description and "newFeedLink" not in data:
        data["newFeedLink"] = description.pop("newFeed")
        data.marks["newFeedLink"] = description.marks["newFeed"]


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
    for path in discover(root, problems):
        display = path.relative_to(root).as_posix()
        kind, values, marks, diagnostics = _read_cached(path, display, caches) if caches else _read(path, display)
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
    for path in discover(root, problems):
        display = path.relative_to(root).as_posix()
        kind, values, marks, diagnostics = _read(path, display)
        if kind == "show":
            problems.extend(diagnostics)
            shows.append(to_show(values, path, display, marks))
    problems.raise_if_errors()
    return shows


Read = tuple[str | None, dict[str, Any], dict[str, Any], list[Diagnostic]]


def _read(path: Path, display: str, raw: bytes | None = None) -> Read:
    """Parse and validate one file: its kind (None when it is no resource), values, marks, problems."""
    problems = Problems()
    try:
        data = load_bytes(raw, display) if raw is not None else load(path, display)
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
    if isinstance(node, Mapping):
        for key in list(node):
            dotted = f"{path}.{key}" if path else str(key)
            if is_secret(str(key)):
                line, column = node.mark(key)
                problems.add(display, line, column, dotted,
                             "is a secret, and secrets do not belong in Git: remove it (keep it in the "
                             "streaming server, or in the environment of the tool that needs it)")
                del node[key]
            else:
                _drop_secrets(node[key], dotted, display, problems)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _drop_secrets(item, f"{path}[{i}]", display, problems)


def _read_cached(path: Path, display: str, caches: Caches) -> Read:
    """:func:`_read` through the store, keyed by the file's bytes and the checking code."""
    try:
        size = regular_size(path, display)
    except ResourceError as exc:
        return None, {}, {}, exc.diagnostics
    if size > MAX_BYTES:
        return _read(path, display)
    raw = path.read_bytes()
    key, store = caches.resource_key(raw), caches.store
    cached = store.get("resource", key)
    if cached is not None:
        try:
            kind, values, marks, diagnostics = json.loads(cached, object_hook=_decode)
            return (kind, dict(values), {str(k): (int(v[0]), int(v[1])) for k, v in marks.items()},
                    [Diagnostic(display, *d) for d in diagnostics])
        except (ValueError, TypeError, AttributeError, IndexError, KeyError):
            pass  # a damaged or foreign cache record: read the file again
    kind, values, marks, diagnostics = _read(path, display, raw)
    rows = [[d.line, d.column, d.field, d.message, d.severity] for d in diagnostics]
    store.put("resource", key, json.dumps([kind, values, marks, rows], default=_encode))  # order kept
    return kind, values, marks, diagnostics


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    raise TypeError(f"cannot cache {type(value).__name__}")


def _decode(value: dict[str, Any]) -> Any:
    return datetime.fromisoformat(value["$datetime"]) if set(value) == {"$datetime"} else value
