"""A golden build of example-production: every text file byte for byte, every medium by hash.

After an intended change of output, regenerate with ``python -m pytest tests/test_golden.py
--regen-golden`` and review the diff of ``tests/golden/`` like any other change.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE, invoke, tree_hash

GOLDEN = Path(__file__).parent / "golden"
TEXT = {".xml", ".json", ".html", ".txt", ".css", ".js", ".vtt", ".srt"}
TEXT_NAMES = {"_headers"}


def is_text(path: str) -> bool:
    """Compared byte for byte (the rest by hash)."""
    return Path(path).suffix in TEXT or Path(path).name in TEXT_NAMES
EPOCH = "1735689600"


def test_example_production_builds_exactly_as_committed(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    prod = tmp_path / "example-production"
    shutil.copytree(EXAMPLE, prod, ignore=shutil.ignore_patterns(".podops"))
    out = tmp_path / "public"
    result = invoke("build", prod, "-o", out, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.exit_code == 0, result.output
    hashes = tree_hash(out)
    media = {path: digest for path, digest in hashes.items() if not is_text(path)}
    texts = sorted(path for path in hashes if is_text(path))

    if request.config.getoption("--regen-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for path in texts:
            (GOLDEN / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / path, GOLDEN / path)
        (GOLDEN / "media.json").write_text(json.dumps(media, indent=2, sort_keys=True) + "\n")
        pytest.skip("golden files regenerated")

    expected = sorted(p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*")
                      if p.is_file() and p.name != "media.json")
    assert texts == expected
    for path in texts:
        assert (out / path).read_text() == (GOLDEN / path).read_text(), path
    assert media == json.loads((GOLDEN / "media.json").read_text())
