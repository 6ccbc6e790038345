"""Placeholder until the theme lands: no pages yet."""

from __future__ import annotations

from pathlib import Path

from podops.model import Release
from podops.output import Plan


def render_site(releases: list[Release], plan: Plan, templates: Path | None) -> None:
    """Render pages into the plan."""
