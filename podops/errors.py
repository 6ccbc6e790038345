"""One family of exceptions: every problem carries the file, line, column and field it is about."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A single problem, printable as ``path:line:column: field: message``."""

    path: str
    line: int = 0
    column: int = 0
    field: str = ""
    message: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = self.path or "podops"  # a problem of no file: say who is talking
        if self.line:
            where += f":{self.line}:{self.column or 1}"
        prefix = f"{where}: "
        if self.severity == "warning":
            prefix += "warning: "
        if self.field:
            prefix += f"{self.field}: "
        return prefix + self.message

    def github(self, path: str | None = None) -> str:
        """Render as a GitHub Actions workflow command so pull requests show it inline."""
        kind = "warning" if self.severity == "warning" else "error"
        where = path or self.path
        props = [f"file={where}"] if where else []
        if where and self.line:
            props += [f"line={self.line}", f"col={self.column or 1}"]
        text = (f"{self.field}: " if self.field else "") + self.message
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::{kind} {','.join(props)}::{text}" if props else f"::{kind}::{text}"

    def as_dict(self) -> dict[str, object]:
        """Plain data for ``--format json``."""
        return asdict(self)


class PodopsError(Exception):
    """Base of every error podops reports to a user; carries one or more diagnostics."""

    def __init__(self, diagnostics: Diagnostic | Iterable[Diagnostic] | str) -> None:
        if isinstance(diagnostics, str):
            diagnostics = Diagnostic("", message=diagnostics)
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class UsageError(PodopsError):
    """A command was asked for something it refuses before doing anything (exit code 2)."""


class ResourceError(PodopsError):
    """A YAML resource is unreadable or invalid."""


class OutputError(PodopsError):
    """The output folder cannot be written safely."""


class TemplateError(PodopsError):
    """A page template is broken."""


@dataclass
class Problems:
    """Collects diagnostics across a whole run so one run reports everything."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(
        self,
        path: str | Path,
        line: int = 0,
        column: int = 0,
        field: str = "",
        message: str = "",
        severity: str = "error",
    ) -> None:
        """Record one problem."""
        self.items.append(Diagnostic(str(path), line, column, field, message, severity))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Record problems raised elsewhere."""
        self.items.extend(diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        """Errors only, in a stable order (by file, then position)."""
        return sorted({d for d in self.items if d.severity == "error"})

    @property
    def warnings(self) -> list[Diagnostic]:
        """Warnings only, in a stable order."""
        return sorted({d for d in self.items if d.severity == "warning"})

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(sorted(set(self.items)))

    def raise_if_errors(self, kind: type[PodopsError] = ResourceError) -> None:
        """Stop the run if anything is wrong, reporting every error at once."""
        if self.errors:
            raise kind(self.errors)


def to_json(diagnostics: Iterable[Diagnostic]) -> str:
    """Serialise diagnostics for machines (editors, CI)."""
    return json.dumps([d.as_dict() for d in diagnostics], indent=2, sort_keys=True)
