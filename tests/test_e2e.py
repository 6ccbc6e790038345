"""End to end: the project installed as a wheel into a fresh venv, run as the ``podops`` command."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import EXAMPLE, ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with podops installed non-editable (dependencies come from the test environment)."""
    env = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env)
    python = env / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-build-isolation", str(ROOT)], check=True, capture_output=True)
    return env / "bin"


def test_the_wheel_ships_the_templates(installed: Path) -> None:
    code = ("import importlib.util, pathlib; spec = importlib.util.find_spec('podops'); "
            "root = pathlib.Path(spec.origin).parent; print(root); "
            "print(sorted(p.name for p in (root / 'templates').iterdir()))")
    result = subprocess.run([installed / "python", "-P", "-c", code], capture_output=True, text=True, check=True,
                            cwd=installed)
    location, names = result.stdout.splitlines()
    assert str(ROOT) not in location  # really the installed copy, not the checkout
    assert names != "[]"


def test_installed_command_validates_and_builds_the_example(installed: Path, tmp_path: Path) -> None:
    prod = tmp_path / "example-production"
    shutil.copytree(EXAMPLE, prod, ignore=shutil.ignore_patterns(".podops"))
    check = subprocess.run([installed / "podops", "validate", str(prod)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert "ok: 1 show(s), 5 episode(s), no errors" in check.stderr
    out = tmp_path / "public"
    build = subprocess.run([installed / "podops", "build", str(prod), "-o", str(out)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    assert f"feed: {out / 'the-static-signal' / 'feed.xml'}" in build.stderr
    assert (out / "the-static-signal" / "feed.xml").is_file()


def test_installed_command_reports_bad_input_without_traceback(installed: Path, tmp_path: Path) -> None:
    prod = tmp_path / "broken"
    shutil.copytree(EXAMPLE, prod, ignore=shutil.ignore_patterns(".podops"))
    show = prod / "show.yaml"
    show.write_text(show.read_text().replace("  title: The Static Signal", "  titel: The Static Signal"))
    result = subprocess.run([installed / "podops", "validate", str(prod)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "show.yaml:18:3: description.titel: unknown field (did you mean 'title'?)" in result.stderr
    assert "Traceback" not in result.stderr
    usage = subprocess.run([installed / "podops", "build", "--no-such-option"], capture_output=True, text=True)
    assert usage.returncode == 2
