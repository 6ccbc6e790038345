"""A first build stages the whole site beside the output and swaps it in; dangerous output folders are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import committed

from podops.errors import OutputError
from podops.write.output import MARKER, check_output


def test_commit_replaces_the_whole_folder(tmp_path: Path) -> None:
    out = tmp_path / "site"
    committed(out, {"a.txt": "1"})
    stats, _ = committed(out, {"b.txt": "2"})
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "b.txt"]
    assert stats["written"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_dangerous_output_folders_are_refused(tmp_path: Path) -> None:
    prod = tmp_path / "prod"
    prod.mkdir()
    for bad in (prod, prod / "public", tmp_path, Path("/"), Path.home()):
        with pytest.raises(OutputError):
            check_output(bad, prod)
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        check_output(tmp_path / "file", prod)
    check_output(tmp_path / "public", prod)


def test_without_an_atomic_exchange_the_swap_falls_back_to_two_renames(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from podops.write import output

    monkeypatch.setattr(output, "_exchange", lambda a, b: False)  # an old kernel or a filesystem without it
    out = tmp_path / "site"
    committed(out, {"a.txt": "1"})
    committed(out, {"a.txt": "2"})
    assert (out / "a.txt").read_text() == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
