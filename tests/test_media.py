"""What audio and artwork probing share: a published name agrees with its content; hashes are of bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from podops.probe.media import file_hash, name_problem


@pytest.mark.parametrize("name, mime, ok", [
    ("ep.mp3", "audio/mpeg", True), ("EP.MP3", "audio/mpeg", True), ("ep.svg", "audio/mpeg", False),
    ("ep", "audio/mpeg", False), ("cover.jpeg", "image/jpeg", True), ("cover.jpg", "image/jpeg", True),
    ("cover.png", "image/jpeg", False), ("cover.png", "image/png", True), ("cover.html", "image/png", False),
])
def test_a_published_name_must_agree_with_its_content(name: str, mime: str, ok: bool) -> None:
    problem = name_problem(Path(name), mime)
    assert (problem is None) is ok
    if not ok:
        assert "must" in problem


def test_an_enclosure_with_a_foreign_suffix_is_told_why() -> None:
    problem = name_problem(Path("ep.svg"), "audio/mpeg")
    assert problem is not None and "'.svg'" in problem and "another type" in problem


def test_the_content_hash_is_sha256_of_the_bytes(tmp_path: Path) -> None:
    target = tmp_path / "blob.bin"
    target.write_bytes(b"x" * (3 << 20))  # several read blocks
    assert file_hash(target) == hashlib.sha256(target.read_bytes()).hexdigest()
