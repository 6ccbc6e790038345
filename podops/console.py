"""What every podops command shares: diagnostics on the terminal, exit codes, progress bars.

Part of the CLI (the only click user besides :mod:`podops.cli`); the core never imports it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from podops.errors import Diagnostic, PodopsError, UsageError, to_json

FORMATS = click.Choice(["text", "json"])


def emit(diagnostics: Iterable[Diagnostic], fmt: str, root: Path | None) -> None:
    """Print diagnostics to stderr (text) or stdout (json); GitHub annotations when in Actions."""
    diagnostics = list(diagnostics)
    if fmt == "json":
        click.echo(to_json(diagnostics))
    else:
        for diagnostic in diagnostics:
            click.echo(str(diagnostic), err=True)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for diagnostic in diagnostics:
            path = diagnostic.path
            if root is not None and path and path != ".":
                with contextlib.suppress(ValueError):  # another drive on Windows: keep it as is
                    path = os.path.relpath(root / path)
            click.echo(diagnostic.github(path))


def run(action: Callable[[], Any], fmt: str = "text", root: Path | None = None) -> Any:
    """Run a core call; turn PodopsError into diagnostics and exit 1, never a traceback."""
    try:
        return action()
    except UsageError as exc:
        emit(exc.diagnostics, fmt, root)
        sys.exit(2)
    except PodopsError as exc:
        emit(exc.diagnostics, fmt, root)
        sys.exit(1)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"podops: {where}{exc.strerror or exc}", err=True)
        sys.exit(1)


class Progress:
    """A progress bar on a terminal for stages that take more than a moment; silent in CI."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty() and not os.environ.get("CI")
        self.bar: Any = None
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total < 20:
            return
        if self.bar is None or stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = click.progressbar(length=total, label=stage, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


PRODUCTION = click.Path(exists=True, file_okay=False, path_type=Path)  # a missing folder is a usage error


def base_url_option(value: str | None) -> None:
    """A --base-url that is no absolute http(s) URL is a usage error (exit 2)."""
    if not value:
        return  # the validator (and PyYAML with it) is imported only when there is a URL to check
    from podops.load.validate import check_url

    if problem := check_url(value):
        raise click.BadParameter(problem, param_hint="--base-url")
