"""Fingerprints change with any write, and only then."""

from __future__ import annotations

import os
from pathlib import Path

from podops.write import fingerprint


def test_fingerprint_moves_with_content_names_and_options(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("one")
    (tmp_path / ".podops").mkdir()
    first = fingerprint.inputs(tmp_path, "salt", {"drafts": False})
    (tmp_path / ".podops" / "cache").write_text("ignored")
    assert fingerprint.inputs(tmp_path, "salt", {"drafts": False}) == first
    assert fingerprint.inputs(tmp_path, "salt", {"drafts": True}) != first
    assert fingerprint.inputs(tmp_path, "other", {"drafts": False}) != first
    st = (tmp_path / "a.yaml").stat()
    (tmp_path / "a.yaml").write_text("two")  # same size
    os.utime(tmp_path / "a.yaml", ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime: the ctime still moves
    assert fingerprint.inputs(tmp_path, "salt", {"drafts": False}) != first


def test_linked_folders_refuse_a_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "media").symlink_to(tmp_path / "real")
    assert fingerprint.inputs(tmp_path / "prod", "salt", {}) is None
    assert fingerprint.outputs(tmp_path / "missing") is None
