"""``podops new ci``: CI recipes that validate changes and publish the site on a schedule.

The recipes are data files shipped in the package (``podops/recipes/``) so they can be read,
diffed and tested as YAML. Scheduled runs matter for a podcast: an episode dated in the future
is published by the first build after its date, so the recipes build daily as well as on push.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from podops import __version__
from podops.errors import Diagnostic, PodopsError

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
    targets = {root / target: name for target, name in RECIPES.items()}
    existing = [path for path in targets if path.exists()]
    if existing:
        raise PodopsError([Diagnostic(str(path), message="already exists: not overwritten "
                                      "(nothing was written)") for path in existing])
    for path, name in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:
            handle.write(recipe(name))
    return list(targets)
