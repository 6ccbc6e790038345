"""``podops new ci``: CI recipes that validate changes and publish the site on a schedule.

The recipes are data files shipped in the package (``podops/recipes/``) so they can be read,
diffed and tested as YAML. Scheduled runs matter for a podcast: an episode dated in the future
is published by the first build after its date, and a live broadcast's podcast:liveItem status
moves with the build's "now", so the recipes build daily (or more often) as well as on push.
The install line names *this* podops, from where it was installed (PEP 610 ``direct_url.json``),
so CI runs what was tried locally; a copy CI cannot reach (a local folder) needs ``--install``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import metadata
from importlib.resources import files
from pathlib import Path
from typing import Any

from podops.commands.bucketplan import parse_target
from podops.errors import Diagnostic, PodopsError
from podops.load.yamlfile import create

GITHUB = ".github/workflows/podops.yml"
GITLAB = ".gitlab-ci.yml"
# Where each recipe goes in a repository → its file in podops/recipes/, per way of publishing.
RECIPES = {
    "pages": {GITHUB: "github-pages.yml", GITLAB: "gitlab-pages.yml"},
    "s3": {GITHUB: "github-s3.yml", GITLAB: "gitlab-s3.yml"},
}
INSTALL_MARK, TARGET_MARK = "@PODOPS_INSTALL@", "@PODOPS_PUBLISH_TARGET@"
# What may stand in an install line written into YAML and a shell command: a PEP 508 name with
# extras and a version, or a direct reference. No quotes, $, backticks or spaces but around @.
_SPEC = re.compile(r"^podops(\[[a-z0-9,_-]+\])?(\s*[=<>!~]=?\s*[A-Za-z0-9.*+!-]+(,\s*[=<>!~]=?\s*[A-Za-z0-9.*+!-]+)*"
                   r"|\s+@\s+[A-Za-z0-9+]+://[A-Za-z0-9._~:/?#\[\]@!&'()*+,;=%-]+)?$")
_TARGET = re.compile(r"^s3://[a-z0-9.-]+(/[A-Za-z0-9._/-]*)?$")
HINT = "pass --install SPEC, e.g. --install 'podops @ git+https://github.com/YOU/podops@v0.1.0'"


def install_spec(distribution: metadata.Distribution | None = None) -> str:
    """How pip reaches the running podops, from PEP 610's ``direct_url.json``; refused if CI cannot."""
    try:
        dist = distribution or metadata.distribution("podops")
    except metadata.PackageNotFoundError:
        raise PodopsError(Diagnostic("podops", message=f"podops runs from a source folder, not an install: {HINT}")) \
            from None
    text = dist.read_text("direct_url.json")
    if text is None:
        return f"podops=={dist.version}"  # from an index (PEP 610: no direct URL recorded)
    try:
        direct: dict[str, Any] = json.loads(text)
        url = str(direct["url"])
    except (ValueError, KeyError, TypeError):
        raise PodopsError(Diagnostic("podops", message=f"cannot read how podops was installed: {HINT}")) from None
    subdirectory = f"#subdirectory={direct['subdirectory']}" if direct.get("subdirectory") else ""
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict) and not url.startswith("file:"):
        commit = vcs.get("commit_id") or vcs.get("requested_revision")
        return f"podops @ {vcs.get('vcs', 'git')}+{url}{'@' + commit if commit else ''}{subdirectory}"
    if "archive_info" in direct and url.startswith(("https://", "http://")):
        return f"podops @ {url}{subdirectory}"
    how = "an editable install of" if (direct.get("dir_info") or {}).get("editable") else "installed from"
    raise PodopsError(Diagnostic("podops", message=f"podops is {how} {url}, which CI cannot reach: {HINT}"))


def _check(install: str, publish: str | None) -> None:
    problems = []
    if not _SPEC.match(install):
        problems.append(Diagnostic("--install", message=f"{install!r} is not a pip requirement for podops "
                                   "(e.g. podops==0.1.0 or 'podops @ git+https://…@COMMIT')"))
    if publish is not None:
        try:
            parse_target(publish)
        except PodopsError as exc:
            problems += exc.diagnostics
        else:
            if not _TARGET.match(publish):
                problems.append(Diagnostic(publish, message="the prefix may hold only A-Z a-z 0-9 . _ / -"))
    if problems:
        raise PodopsError(problems)


def render(install: str, publish: str | None = None) -> dict[str, str]:
    """Every recipe's text for one way of publishing: GitHub Pages/GitLab Pages, or S3 with ``publish``."""
    _check(install, publish)
    chosen = RECIPES["s3" if publish else "pages"]
    texts = {}
    for target, name in chosen.items():
        text = files("podops").joinpath("recipes", name).read_text(encoding="utf-8")
        texts[target] = text.replace(INSTALL_MARK, install).replace(TARGET_MARK, publish or "")
    return texts


def variants(install: str = "podops==0.1.0") -> Iterator[tuple[str, dict[str, str]]]:
    """Every combination ``podops new ci`` can write, named, so tests lint and run each one."""
    yield "pages", render(install)
    yield "s3", render(install, "s3://podcast-bucket/show/")


def write_ci(root: Path, install: str | None = None, publish: str | None = None) -> list[Path]:
    """Write every recipe into ``root``; write none if any target already exists."""
    texts = render(install or install_spec(), publish)
    return create({root / target: text for target, text in texts.items()}, "not overwritten")
