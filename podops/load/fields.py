"""The vocabulary the format is declared in: a :class:`Field` and the helpers that build one.

Its own module so that :mod:`podops.load.schema` and :mod:`podops.load.namespace` (the
Podcasting 2.0 tags) declare fields alike without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_TITLE = 499


@dataclass(frozen=True)
class Field:
    """One field of a resource: its kind, limits and documentation."""

    kind: str  # text name guid uuid date url email flag choice int duration language struct list any
    doc: str = ""
    required: bool = False
    max: int | None = None  # characters for text, the largest value for int
    minimum: int | None = None
    choices: tuple[str, ...] = ()
    fields: dict[str, Field] = field(default_factory=dict)
    item: Field | None = None


def text(doc: str, required: bool = False, max: int = MAX_TITLE) -> Field:
    """A text field of at most ``max`` characters."""
    return Field("text", doc, required, max)


def choice(doc: str, *choices: str) -> Field:
    """One of ``choices`` (compared ignoring case)."""
    return Field("choice", doc, choices=choices)


def struct(doc: str, required: bool = False, /, **fields: Field) -> Field:
    """A mapping of named fields."""
    return Field("struct", doc, required, fields=fields)


def items(doc: str, item: Field, required: bool = False) -> Field:
    """A list whose entries are all ``item``."""
    return Field("list", doc, required, item=item)
