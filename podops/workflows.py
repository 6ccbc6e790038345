"""``podops new ci``: CI recipes that validate changes and publish the site on a schedule.

The recipes are data files shipped in the package (``podops/recipes/``) so they can be read,
diffed and tested as YAML. Scheduled runs matter for a podcast: an episode dated in the future
is published by the first build after its date, so the recipes build daily as well as on push.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from podops import __version__
from podops.yamlfile import create

# Where each recipe goes in a repository → its file in podops/recipes/.
RECIPES = {
    ".github/workflows/podops.yml": "github-pages.yml",
    ".gitlab-ci.yml": "gitlab-ci.yml",
}
VERSION_MARK = "@PODOPS_VERSION@"


def recipe(name: str) -> str:
    """A recipe's text, with this podops version pinned so CI builds what was tested locally."""
    text = files("podops").joinpath("recipes", name).read_text(encoding="utf-8")
    return text.replace(VERSION_MARK, __version__)


def write_ci(root: Path) -> list[Path]:
    """Write every recipe into ``root``; write none if any target already exists."""
    return create({root / target: recipe(name) for target, name in RECIPES.items()}, "not overwritten")
