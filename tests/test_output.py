"""The output plan refuses collisions and escapes; the commit swaps whole folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from podops.errors import OutputError
from podops.write.output import MARKER, Plan, check_output, commit


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a/../../b"])
def test_paths_cannot_escape_the_output(path: str) -> None:
    with pytest.raises(OutputError, match="escapes"):
        Plan().add(path, b"x")


def test_two_files_cannot_claim_one_path() -> None:
    plan = Plan()
    plan.add("a/index.html", "x")
    with pytest.raises(OutputError, match="same output file"):
        plan.add("a/index.html", "y")


def test_commit_replaces_the_whole_folder(tmp_path: Path) -> None:
    out = tmp_path / "site"
    plan = Plan()
    plan.add("a.txt", "1")
    commit(plan, out)
    second = Plan()
    second.add("b.txt", "2")
    stats, _ = commit(second, out)
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
    first = Plan()
    first.add("a.txt", "1")
    commit(first, out)
    second = Plan()
    second.add("a.txt", "2")
    commit(second, out)
    assert (out / "a.txt").read_text() == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]



def test_a_staged_plan_writes_each_file_as_it_is_added_and_holds_none(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = Plan()
    first.add("a/same.txt", "same")
    first.add("a/old.txt", "old")
    commit(first, out)
    plan = Plan()
    plan.stage(out)
    plan.add("a/same.txt", "same")
    plan.add("a/old.txt", "new")
    staging = Path(str(plan.staging))
    assert plan.files == {} and (staging / "a" / "old.txt").read_text() == "new"
    assert (staging / "a" / "same.txt").stat().st_ino == (out / "a" / "same.txt").stat().st_ino  # linked
    plan.amend("a/same.txt", lambda data: data + b", amended")  # never written through the shared inode
    assert (out / "a" / "same.txt").read_text() == "same"
    changed: list[str] = []
    stats, _ = commit(plan, out, changed=changed)
    assert (out / "a" / "old.txt").read_text() == "new" and (out / "a" / "same.txt").read_text() == "same, amended"
    assert stats == {"written": 2, "unchanged": 1, "copied": 0}  # the marker is the unchanged one
    assert changed == ["a/old.txt", "a/same.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_discarded_plan_leaves_the_output_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = Plan()
    first.add("a.txt", "1")
    commit(first, out)
    plan = Plan()
    plan.stage(out)
    plan.add("a.txt", "2")
    plan.discard()
    assert (out / "a.txt").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
