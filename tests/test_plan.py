"""A plan holds every file of the site: paths stay inside the output, and a staged plan writes as it goes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import committed

from podops.errors import OutputError
from podops.write.output import Plan, commit


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a/../../b"])
def test_paths_cannot_escape_the_output(path: str) -> None:
    with pytest.raises(OutputError, match="escapes"):
        Plan().add(path, b"x")


def test_two_files_cannot_claim_one_path() -> None:
    plan = Plan()
    plan.add("a/index.html", "x")
    with pytest.raises(OutputError, match="same output file"):
        plan.add("a/index.html", "y")


def test_a_staged_plan_writes_each_file_as_it_is_added_and_holds_none(tmp_path: Path) -> None:
    out = tmp_path / "site"
    committed(out, {"a/same.txt": "same", "a/old.txt": "old"})
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
    committed(out, {"a.txt": "1"})
    plan = Plan()
    plan.stage(out)
    plan.add("a.txt", "2")
    plan.discard()
    assert (out / "a.txt").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
