"""Shared fixtures: small real productions on disk, the CLI runner, and tree hashing."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from seaweed import s3  # noqa: F401  (the SeaweedFS S3 server, one per session)

from podops.build import build as build_production
from podops.cli import main
from podops.write.output import Plan, commit
from podops.write.record import Placed

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
MEDIA = DATA / "media"
IMAGES = DATA / "images"
EXAMPLE = ROOT / "example-production"

SHOW = """\
apiVersion: v1
kind: show
metadata:
  name: test-show
  guid: aaa94297acfc
  labels:
    language: en_US
    explicit: "no"
description:
  title: Test Show
  summary: A show for tests.
  category:
    - name: Technology
  owner:
    name: Tester
    email: test@example.com
image:
  uri: assets/cover.png
site:
  baseUrl: https://example.com/
"""

EPISODE = """\
apiVersion: v1
kind: episode
metadata:
  name: first-episode
  guid: 6d1048a48504
  parent: aaa94297acfc
  date: Fri, 04 Jun 2021 20:10:35 +0000
  labels:
    season: 1
    episode: 1
description:
  title: Episode One
  summary: The first one.
enclosure:
  uri: assets/ep.mp3
"""

CHANNEL = """\
apiVersion: v1
kind: channel
metadata:
  name: morning-live-radio
  guid: 0c4a11ce0001
  parent: aaa94297acfc
description:
  title: Morning Live
  summary: The *morning* show, live.
stream:
  url: http://radio.example.org:8000/live
  secureUrl: https://radio.example.org:8443/live
  hlsUrl: https://radio.example.org/hls/live.m3u8
  format: mp3
  bitrate: 128
  server: icecast
  statusUrl: https://radio.example.org:8443/status-json.xsl
public: true
schedule:
  - title: Monday morning
    start: 2026-11-30T08:00:00+01:00
    end: 2026-11-30T10:00:00+01:00
  - title: Tuesday morning
    start: 2026-12-01T08:00:00+01:00
    end: 2026-12-01T10:00:00+01:00
    description: With a *guest*.
  - title: Wednesday morning
    start: 2026-12-02T08:00:00+01:00
    end: 2026-12-02T10:00:00+01:00
"""
# SOURCE_DATE_EPOCHs around CHANNEL's events: before all, during the second, after the last
BEFORE, DURING, AFTER = 1796018400, 1796109600, 1796216400  # 30 Nov 06:00Z, 1 Dec 07:20Z, 2 Dec 13:00Z (2026)

Files = dict[str, "str | bytes | Path | None"]


def write_production(root: Path, files: Files | None = None) -> Path:
    """Write the base production, then apply ``files`` (text, bytes, a file to copy, or None to delete)."""
    base: Files = {
        "show.yaml": SHOW,
        "episodes/episode-6d1048a48504.yaml": EPISODE,
        "assets/cover.png": IMAGES / "ok.png",
        "assets/ep.mp3": MEDIA / "cbr.mp3",
    }
    base.update(files or {})
    for rel, content in base.items():
        target = root / rel
        if content is None:
            target.unlink(missing_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def production(tmp_path: Path) -> Callable[..., Path]:
    """Factory: a valid production under tmp_path, with overrides."""

    def make(files: Files | None = None, name: str = "prod") -> Path:
        return write_production(tmp_path / name, files)

    return make


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A private copy of example-production (builds write a cache into the production)."""
    target = tmp_path / "example-production"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".podops"))
    return target


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run the podops CLI in-process, as a user would type it."""
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def tree_hash(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with the SHA-256 of its bytes (empty when absent)."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true",
                     help="Rewrite tests/golden/ from a fresh build of example-production.")


# Incremental builds must equal clean ones (tests of the write stage)


def site_of(folder: Path) -> tuple[dict[str, str], list[str]]:
    """Every file's hash and every folder (an empty folder left behind counts too)."""
    return tree_hash(folder), sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir())


def clean_build(prod: Path, tmp_path: Path) -> tuple[dict[str, str], list[str]]:
    """A clean build of ``prod`` into ``tmp_path/clean``: what every incremental build must equal."""
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    build_production(prod, clean)
    return site_of(clean)


def committed(out: Path, files: dict[str, str]) -> tuple[dict[str, int], Placed]:
    """Commit a plan of ``files`` (output path → text) into ``out``: a build's output for a test to work on."""
    plan = Plan()
    for path, text in files.items():
        plan.add(path, text)
    return commit(plan, out)


SECOND = EPISODE  # a second episode of the test show, with its own name, guid, date and medium
for old, new in (("first-episode", "second-episode"), ("6d1048a48504", "6d1048a48505"), ("Episode One", "Episode Two"),
                 ("episode: 1", "episode: 2"), ("04 Jun 2021", "11 Jun 2021"), ("ep.mp3", "ep2.mp3")):
    SECOND = SECOND.replace(old, new)
SECOND_PATH = "episodes/episode-6d1048a48505.yaml"
