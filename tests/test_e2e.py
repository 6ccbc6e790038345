"""End to end: the project installed as a wheel into a fresh venv, run as the ``podops`` command."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import EXAMPLE, ROOT

CLEAN = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with podops installed non-editable; its dependencies come from the test environment.

    The venv sees the site-packages of the interpreter running pytest (a venv or not) through a
    ``.pth`` file, after its own, so the installed copy of podops wins over any other.
    """
    env = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True, env=CLEAN).stdout.strip()
    ours = [*site.getsitepackages(), site.getusersitepackages()]
    (Path(purelib) / "podops-test-deps.pth").write_text("\n".join(p for p in ours if Path(p).is_dir()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-build-isolation", str(ROOT)], check=True, capture_output=True, env=CLEAN)
    return env / "bin"


def run(*args: str | Path, check: bool = False, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run an installed command as a user would: no PYTHONPATH pointing at the checkout."""
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, env=CLEAN, check=check, cwd=cwd)


def test_the_wheel_ships_the_templates(installed: Path) -> None:
    code = ("import importlib.util, pathlib; spec = importlib.util.find_spec('podops'); "
            "root = pathlib.Path(spec.origin).parent; print(root); "
            "print(sorted(p.name for p in (root / 'templates').iterdir()))")
    result = run(installed / "python", "-P", "-c", code, check=True, cwd=installed)
    location, names = result.stdout.splitlines()
    assert str(ROOT) not in location  # really the installed copy, not the checkout
    assert names != "[]"


def test_installed_command_validates_and_builds_the_example(installed: Path, tmp_path: Path) -> None:
    prod = tmp_path / "example-production"
    shutil.copytree(EXAMPLE, prod, ignore=shutil.ignore_patterns(".podops"))
    check = run(installed / "podops", "validate", prod)
    assert check.returncode == 0, check.stderr
    assert "ok: 1 show(s), 5 episode(s), no errors" in check.stderr
    out = tmp_path / "public"
    build = run(installed / "podops", "build", prod, "-o", out)
    assert build.returncode == 0, build.stderr
    assert f"feed: {out / 'the-static-signal' / 'feed.xml'}" in build.stderr
    assert (out / "the-static-signal" / "feed.xml").is_file()


def test_installed_command_reports_bad_input_without_traceback(installed: Path, tmp_path: Path) -> None:
    prod = tmp_path / "broken"
    shutil.copytree(EXAMPLE, prod, ignore=shutil.ignore_patterns(".podops"))
    show = prod / "show.yaml"
    show.write_text(show.read_text().replace("  title: The Static Signal", "  titel: The Static Signal"))
    result = run(installed / "podops", "validate", prod)
    assert result.returncode == 1
    assert "show.yaml:18:3: description.titel: unknown field (did you mean 'title'?)" in result.stderr
    assert "Traceback" not in result.stderr
    usage = run(installed / "podops", "build", "--no-such-option")
    assert usage.returncode == 2
