"""Safe YAML reading that remembers where every key stands (the only module that imports PyYAML).

Resources are written by hand, so each value keeps the line and column of its key and every
error can point an editor at the right place. Positions cost time, and a clean file never
needs them, so :func:`parse_fast` reads plain data with libyaml's C parser and declines (None)
every file it is not sure about; :func:`parse`, the position-keeping loader, then reads it and
reports its problems. Both give the same values for every file ``parse_fast`` accepts.

PyYAML's YAML 1.1 surprises are handled on purpose (see ``security.md`` §3): timestamps stay
strings (a naive date must never take the build machine's timezone), octal-looking numbers are
refused, anchors and aliases are refused, duplicate keys are errors that name both lines.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
from pathlib import Path
from typing import Any

import yaml

from podops.errors import Diagnostic, PodopsError, ResourceError

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 20
MAX_DIGITS = 30
_OCTAL = re.compile(r"^[-+]?0[0-9_]+$")

try:  # the C parser is several times faster; the constructors below stay in Python
    _Base: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml: same results, slower
    _Base = yaml.SafeLoader
_RESOLVERS = {  # YAML 1.1 without implicit timestamps: a naive date must never take the machine's timezone
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class OctalLooking(str):
    """An unquoted number with a leading zero (``010``): YAML 1.1 reads octal, people mean text.

    Text fields (a GUID such as ``012345678901``) take it as written; number fields refuse it
    with a hint, rather than silently reading 010 as 8.
    """


class Mapping(dict):
    """A YAML mapping that knows the position of each of its keys."""

    line: int = 0
    column: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.marks: dict[Any, tuple[int, int]] = {}

    def mark(self, key: Any) -> tuple[int, int]:
        """Line and column (1-based) of ``key``, or of the mapping itself when absent."""
        return self.marks.get(key, (self.line, self.column))


class Sequence(list):
    """A YAML sequence that knows the position of each item."""

    line: int = 0
    column: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[tuple[int, int]] = []

    def mark(self, index: int) -> tuple[int, int]:
        """Line and column (1-based) of item ``index``."""
        return self.marks[index] if index < len(self.marks) else (self.line, self.column)


def _position(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Loader(_Base):
    """SafeLoader with positions, no timestamps, no octal, no aliases, no duplicate keys."""

    yaml_implicit_resolvers = _RESOLVERS

    def construct_document(self, node: yaml.Node) -> Any:
        _check_tree(node)
        return super().construct_document(node)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (TypeError, AttributeError, KeyError):  # a standard tag on a value it cannot read (!!bool abc)
            raise yaml.constructor.ConstructorError(
                None, None, f"the value does not fit its tag {node.tag}", node.start_mark
            ) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int | OctalLooking:
        if _OCTAL.match(node.value):
            return OctalLooking(node.value)
        if len(node.value) > MAX_DIGITS:  # int() of thousands of digits raises, and no field needs it
            raise yaml.constructor.ConstructorError(
                None, None, f"number with {len(node.value)} digits is too long", node.start_mark)
        return int(super().construct_yaml_int(node))

    def construct_yaml_map(self, node: yaml.MappingNode) -> Any:
        if not isinstance(node, yaml.MappingNode):  # !!map on a list or a scalar
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping node, but found {node.id}", node.start_mark)
        data = Mapping()
        data.line, data.column = _position(node)
        yield data
        self.flatten_mapping(node)
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                raise yaml.constructor.ConstructorError(
                    None, None, "keys must be plain text", key_node.start_mark
                )
            line, column = _position(key_node)
            if key in first_line:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first defined on line {first_line[key]})",
                    key_node.start_mark,
                )
            first_line[key] = line
            data[key] = self.construct_object(value_node, deep=True)
            data.marks[key] = (line, column)

    def construct_yaml_seq(self, node: yaml.SequenceNode) -> Any:
        if not isinstance(node, yaml.SequenceNode):  # !!seq on a mapping or a scalar
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a sequence node, but found {node.id}", node.start_mark)
        data = Sequence()
        data.line, data.column = _position(node)
        yield data
        for item in node.value:
            data.append(self.construct_object(item, deep=True))
            data.marks.append(_position(item))


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_yaml_seq)


def _check_tree(root: yaml.Node) -> None:
    """Refuse aliases (shared nodes) and deep nesting before anything walks the tree."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases are not allowed", node.start_mark
            )
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nesting too deep (more than {MAX_DEPTH} levels)", node.start_mark
            )
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend(((key, depth + 1), (value, depth + 1)))


class _Composer(_Base):
    """The parser and resolver of :class:`_Loader` without its constructor: nodes for :func:`parse_fast`."""

    yaml_implicit_resolvers = _RESOLVERS


_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ = (f"tag:yaml.org,2002:{t}" for t in
                                               ("str", "int", "float", "bool", "null", "map", "seq"))
_SCALARS = yaml.constructor.SafeConstructor()  # its int and float readers only look at the node's text
_KEY_TYPES = (str, int, float, bool)


class _Decline(Exception):
    """The fast reader meets something only the position-keeping loader reports exactly."""


def _visit(node: yaml.Node, seen: set[int]) -> None:
    """Decline a node met a second time (an alias shares it): the careful loader reads such a text."""
    if id(node) in seen:
        raise _Decline
    seen.add(id(node))


def _plain(node: yaml.Node, depth: int, seen: set[int] | None) -> Any:
    """Plain data from a node, exactly as :class:`_Loader` builds it, or :class:`_Decline`.

    Declined: aliases (a node seen twice), nesting past MAX_DEPTH (counted as ``_check_tree``
    counts), any tag but str/int/float/bool/null/map/seq (merge keys, ``=``, timestamps, sets,
    binary, unknown tags) or one on the wrong kind of node, long numbers, keys that are not
    plain text, duplicate keys.
    """
    if depth > MAX_DEPTH:
        raise _Decline
    if seen is not None:  # only a text with an anchor (&) can share a node
        _visit(node, seen)
    tag, kind = node.tag, type(node)
    if isinstance(node, yaml.ScalarNode) and kind is yaml.ScalarNode:
        if tag == _STR:
            return node.value
        if tag == _INT:
            if _OCTAL.match(node.value):
                return OctalLooking(node.value)
            if len(node.value) > MAX_DIGITS:
                raise _Decline
            return int(_SCALARS.construct_yaml_int(node))
        if tag == _FLOAT:
            return _SCALARS.construct_yaml_float(node)
        if tag == _BOOL:
            return _SCALARS.construct_yaml_bool(node)
        if tag == _NULL:
            return None
    elif kind is yaml.MappingNode and tag == _MAP:
        data: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _key(key_node, depth, seen, data)
            data[key] = _plain(value_node, depth + 1, seen)
        return data
    elif kind is yaml.SequenceNode and tag == _SEQ:
        return [_plain(item, depth + 1, seen) for item in node.value]
    raise _Decline


def _key(node: yaml.Node, depth: int, seen: set[int] | None, taken: dict[Any, Any]) -> Any:
    """A mapping's key as plain data, or :class:`_Decline`: not a plain scalar, null, not text-like, or a duplicate."""
    if type(node) is not yaml.ScalarNode:
        raise _Decline
    key = _plain(node, depth + 1, seen)
    if key is None or not isinstance(key, _KEY_TYPES) or key in taken:
        raise _Decline
    return key


def _marked(node: yaml.Node, depth: int, seen: set[int] | None) -> Any:
    """:func:`_plain` with the positions :class:`_Loader` gives (a Mapping's keys, a Sequence's items)."""
    kind = type(node)
    if kind is yaml.MappingNode and node.tag == _MAP and depth <= MAX_DEPTH:
        if seen is not None:
            _visit(node, seen)
        data = Mapping()
        data.line, data.column = _position(node)
        for key_node, value_node in node.value:
            key = _key(key_node, depth, seen, data)
            data[key] = _marked(value_node, depth + 1, seen)
            data.marks[key] = _position(key_node)
        return data
    if kind is yaml.SequenceNode and node.tag == _SEQ and depth <= MAX_DEPTH:
        if seen is not None:
            _visit(node, seen)
        items = Sequence()
        items.line, items.column = _position(node)
        for item in node.value:
            items.append(_marked(item, depth + 1, seen))
            items.marks.append(_position(item))
        return items
    return _plain(node, depth, seen)


def parse_fast(raw: bytes, marked: bool = False) -> dict[Any, Any] | None:
    """A resource's top-level mapping as plain data, or None when :func:`load_bytes` must read it.

    None for anything that is not clean, UTF-8 YAML holding one mapping: every file with a
    problem is read again by the position-keeping loader, which reports it where it stands.
    ``marked`` gives what :func:`load_bytes` gives, positions and all, for a diagnostic that needs
    one in a clean file: several times faster than the loader's Python constructor.
    """
    try:
        text = decode(raw, "")
        if _depth_bound(text) > MAX_DEPTH:  # the careful loader scans these token by token
            return None
        loader = _Composer(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
        data = (_marked if marked else _plain)(root, 1, set() if "&" in text else None) if root is not None else None
    except Exception:  # noqa: BLE001 - any failure at all: the careful loader reads it and says why
        return None
    return data if isinstance(data, dict) else None


def decode(raw: bytes, display: str) -> str:
    """Decode a resource as UTF-8 (a BOM is fine); anything else is a clear error."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ResourceError(
            Diagnostic(display, 1, 1, message="file is UTF-16; save it as UTF-8")
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ResourceError(
            Diagnostic(display, line, column, message=f"not valid UTF-8 at byte {exc.start}")
        ) from None


_OPEN = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken,
         yaml.FlowSequenceStartToken)
_CLOSE = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


_INDICATORS = re.compile(r"^( *)((?:[-?:] +)*)", re.MULTILINE)


def _depth_bound(text: str) -> int:
    """A cheap upper bound of the nesting depth, so only suspicious files are scanned token by token.

    Block collections start at a line's indentation or after leading ``- ``/``? ``/``: ``
    indicators; along any path a column repeats at most twice (an indentless sequence under a
    mapping), and every flow collection needs its own bracket.
    """
    starts = set(_INDICATORS.findall(text))  # (indentation, indicators): few distinct pairs per file
    columns = {len(indent) for indent, _ in starts} | {len(indent) + len(marks) for indent, marks in starts}
    return 2 * len(columns) + text.count("[") + text.count("{")


def _check_depth(text: str) -> None:
    """Refuse deep nesting from the token stream, before the parser (and its own limits) sees it.

    PyYAML releases differ in whether and where they stop deep nesting (libyaml runs ahead and
    stops at its own limit), and in their words; this check uses the pure-Python scanner, fires at
    the token that goes too deep, and so never depends on them.
    """
    if _depth_bound(text) <= MAX_DEPTH:
        return
    scanner = yaml.SafeLoader(text)
    depth = 0
    try:
        while scanner.check_token():
            token = scanner.get_token()
            if isinstance(token, _OPEN):
                depth += 1
                if depth > MAX_DEPTH:
                    raise yaml.composer.ComposerError(
                        None, None, f"nesting too deep (more than {MAX_DEPTH} levels)", token.start_mark
                    )
            elif isinstance(token, _CLOSE):
                depth -= 1
    finally:
        scanner.dispose()


def parse(text: str, display: str) -> Any:
    """Parse one YAML document, turning every parser failure into a positioned error."""
    loader = _Loader(text)
    try:
        _check_depth(text)
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or "YAML syntax error"
        if "maximum nesting depth" in problem:  # libyaml's own limit on flow collections
            problem = f"nesting too deep (more than {MAX_DEPTH} levels)"
        elif "could not determine a constructor" in problem:
            problem = f"unsupported YAML tag {problem.split('tag ')[-1]}"
        elif exc.context and "duplicate" not in problem and "alias" not in problem:
            problem = f"YAML syntax error: {exc.context}, {problem}"
        elif not problem.startswith(("duplicate", "anchors", "nesting", "keys", "number")):
            problem = f"YAML syntax error: {problem}"
        raise ResourceError(Diagnostic(display, line, column, message=problem)) from None
    except yaml.reader.ReaderError as exc:  # a NUL or other control character: point at it
        index = max(0, min(exc.position, len(text)))
        line = text.count("\n", 0, index) + 1
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        raise ResourceError(Diagnostic(display, line, column, message=f"control character U+{exc.character:04X} "
                                       "not allowed in YAML")) from None
    except yaml.YAMLError as exc:
        raise ResourceError(Diagnostic(display, 1, 1, message=f"YAML error: {exc}")) from None
    except (ValueError, RecursionError) as exc:
        raise ResourceError(Diagnostic(display, 1, 1, message=f"YAML error: {exc}")) from None
    finally:
        loader.dispose()


def describe_mode(mode: int) -> str | None:
    """What a file that is not a regular file is (a FIFO, socket or device), or None for a regular one."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def regular_size(path: Path, display: str) -> int:
    """The size of a regular file; anything else (a FIFO would block a read forever) is refused unopened."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ResourceError(Diagnostic(display, message=f"cannot read ({exc.strerror})")) from None
    what = describe_mode(st.st_mode)
    if what is not None:
        raise ResourceError(Diagnostic(display, message=f"is {what}, not a regular file: refused without "
                                       "opening it"))
    return st.st_size


def read(path: Path, display: str) -> bytes:
    """A resource file's bytes, refused unread when it is no regular file or larger than MAX_BYTES."""
    size = regular_size(path, display)
    if size > MAX_BYTES:
        raise ResourceError(
            Diagnostic(display, message=f"file too large ({size} bytes, limit {MAX_BYTES})")
        )
    return path.read_bytes()


def load(path: Path, display: str) -> Mapping:
    """Read one resource file: size cap first, then UTF-8, then YAML; the top level must be a mapping."""
    return load_bytes(read(path, display), display)


def load_bytes(raw: bytes, display: str) -> Mapping:
    """Parse one resource already read (and size-checked); the top level must be a mapping."""
    data = parse(decode(raw, display), display)
    if not isinstance(data, Mapping):
        got = "nothing" if data is None else ("a list" if isinstance(data, list) else "a scalar")
        raise ResourceError(
            Diagnostic(display, 1, 1, message=f"expected a mapping at top level, got {got}")
        )
    return data


class _Dumper(yaml.SafeDumper):
    """Block style, with multi-line text as literal blocks (``|``) that people can edit."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not any(c in value for c in "\r\t") and value == value.rstrip(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump(data: Any) -> str:
    """Write plain data as block-style YAML that round-trips through :func:`parse`."""
    return str(yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100))


def document(data: Any, schema: str | None = None) -> str:
    """A resource file's text: the editors' schema comment (when given), then the data as YAML."""
    header = f"# yaml-language-server: $schema={schema}\n" if schema else ""
    return header + dump(data)


def create(files: dict[Path, str], advice: str) -> list[Path]:
    """Write new YAML files, all or none: an existing file is never overwritten (``advice`` says why).

    Everything is written into a hidden staging folder first and renamed into place afterwards,
    show resources last, so a full disk or a kill leaves no half-written production behind.
    """
    existing = [path for path in files if path.exists()]
    if existing:
        raise PodopsError([Diagnostic(str(path), message=f"already exists: {advice} (nothing was written)")
                           for path in existing])
    if not files:
        return []
    root = Path(os.path.commonpath([os.fspath(path.parent.absolute()) for path in files]))
    while not root.exists() and root.parent != root:
        root = root.parent  # stage inside the deepest folder that exists: one rename puts it in place
    for stale in root.glob(".podops-new-*"):
        if not _alive(stale.name.rsplit("-", 1)[-1]):
            shutil.rmtree(stale, ignore_errors=True)
    staging = root / f".podops-new-{os.getpid()}"
    order = sorted(files, key=lambda p: (p.name.startswith("show"), os.fspath(p)))
    try:
        for path in order:
            target = staging / path.absolute().relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("x", encoding="utf-8") as handle:
                handle.write(files[path])
        for path in order:
            _move_in(staging, root, path.absolute().relative_to(root))
    except OSError as exc:
        reason = "disk full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise PodopsError(Diagnostic(str(exc.filename or root), message=f"cannot write ({reason}); "
                                     "nothing was written")) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return list(files)


def _move_in(staging: Path, root: Path, rel: Path) -> None:
    """Rename a staged file into place, moving its highest new folder whole when it is all new."""
    parts = rel.parts
    for depth in range(1, len(parts)):
        if not (root / Path(*parts[:depth])).exists():
            os.rename(staging / Path(*parts[:depth]), root / Path(*parts[:depth]))
            return
    if (root / rel).exists():
        return  # moved already, with its new folder
    os.rename(staging / rel, root / rel)


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True
