"""The output plan refuses collisions and escapes; a first commit swaps whole folders, later ones write what changed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import EPISODE, MEDIA, tree_hash

from podops import build as build_module
from podops.errors import OutputError
from podops.write import journal
from podops.write.output import MARKER, Plan, check_output, commit, recover

EP = "episodes/episode-6d1048a48504.yaml"


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


# Incremental builds: only what changed is written, through a journal, and the result is a clean build's


def site(folder: Path) -> tuple[dict[str, str], list[str]]:
    """Every file's hash and every folder (an empty folder left behind counts too)."""
    return tree_hash(folder), sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir())


def clean_build(prod: Path, tmp_path: Path) -> tuple[dict[str, str], list[str]]:
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    build_module.build(prod, clean)
    return site(clean)


SECOND = EPISODE
for old, new in (("first-episode", "second-episode"), ("6d1048a48504", "6d1048a48505"), ("Episode One", "Episode Two"),
                 ("episode: 1", "episode: 2"), ("04 Jun 2021", "11 Jun 2021"), ("ep.mp3", "ep2.mp3")):
    SECOND = SECOND.replace(old, new)
SECOND_PATH = "episodes/episode-6d1048a48505.yaml"


def test_an_edit_an_addition_and_a_removal_each_equal_a_clean_build(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "public"
    build_module.build(prod, out)
    feed, cover = out / "test-show" / "feed.xml", out / "test-show" / "media" / "assets" / "cover.png"
    cover_inode = cover.stat().st_ino
    (prod / EP).write_text(EPISODE.replace("Episode One", "Episode One, retitled"))
    report = build_module.build(prod, out)
    assert 0 < report.files["written"] < len(tree_hash(out)) // 2
    assert cover.stat().st_ino == cover_inode  # an unchanged file is not touched, not even linked
    assert site(out) == clean_build(prod, tmp_path)
    (prod / SECOND_PATH).write_text(SECOND)
    shutil.copyfile(MEDIA / "vbr.mp3", prod / "assets" / "ep2.mp3")
    build_module.build(prod, out)
    assert (out / "test-show" / "second-episode" / "index.html").is_file()
    assert site(out) == clean_build(prod, tmp_path)
    (prod / SECOND_PATH).unlink()
    (prod / "assets" / "ep2.mp3").unlink()
    build_module.build(prod, out, accept_changes=True)  # withdrawn on purpose
    assert not (out / "test-show" / "second-episode").exists()  # its folder goes with its files
    assert site(out) == clean_build(prod, tmp_path)
    assert "Episode One, retitled" in feed.read_text() and cover.stat().st_ino == cover_inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean", "prod", "public"]  # no journal, no staging


def test_a_build_killed_while_applying_its_journal_is_finished_by_the_next(production, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    prod, out = production(), tmp_path / "public"
    build_module.build(prod, out)
    (prod / SECOND_PATH).write_text(SECOND)
    shutil.copyfile(MEDIA / "vbr.mp3", prod / "assets" / "ep2.mp3")
    (prod / EP).write_text(EPISODE.replace("Episode One", "Episode One, retitled"))
    real_rename, renames = os.rename, []

    def killed(source, target, *args, **kwargs):  # the journal goes in place, then one file, then the kill
        renames.append(target)
        if len(renames) > 2:
            raise KeyboardInterrupt
        return real_rename(source, target, *args, **kwargs)

    monkeypatch.setattr(journal.os, "rename", killed)
    with pytest.raises(KeyboardInterrupt):
        build_module.build(prod, out)
    monkeypatch.setattr(journal.os, "rename", real_rename)
    assert journal.path_of(out).exists() and list(tmp_path.glob("public.podops-tmp-*"))
    assert recover(out)  # what the next build does before anything else
    assert not journal.path_of(out).exists() and not list(tmp_path.glob("public.podops-*"))
    expected = clean_build(prod, tmp_path)
    assert site(out) == expected
    build_module.build(prod, out)  # the record of the killed build was never saved: nothing is trusted blindly
    assert site(out) == expected


def test_a_journal_that_cannot_be_finished_is_dropped_and_the_next_build_writes_again(production, tmp_path: Path,
                                                                                     monkeypatch) -> None:
    prod, out = production(), tmp_path / "public"
    build_module.build(prod, out)
    (prod / EP).write_text(EPISODE.replace("Episode One", "Episode One, retitled"))
    monkeypatch.setattr(journal, "apply", lambda out, change: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        build_module.build(prod, out)
    monkeypatch.undo()
    shutil.rmtree(next(tmp_path.glob("public.podops-tmp-*")))  # its staged files lost
    build_module.build(prod, out)
    assert site(out) == clean_build(prod, tmp_path)
    assert not list(tmp_path.glob("public.podops-*"))


def test_files_dropped_into_the_output_do_not_survive_an_incremental_build(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "public"
    build_module.build(prod, out)
    (out / "test-show" / "first-episode" / "notes.txt").write_text("dropped")
    (out / "test-show" / "mine").mkdir()
    (out / "test-show" / "mine" / "deep.html").write_text("dropped")
    (out / "test-show" / "feed.xml.bak").symlink_to(out / "test-show" / "feed.xml")
    (out / "CNAME").write_text("podcast.example.com\n")  # kept names stay
    (out / ".well-known").mkdir()
    (out / ".well-known" / "security.txt").write_text("Contact: mailto:a@example.com\n")
    (prod / EP).write_text(EPISODE.replace("Episode One", "Episode One, retitled"))
    build_module.build(prod, out)
    files, folders = site(out)
    (out / "CNAME").unlink()
    shutil.rmtree(out / ".well-known")
    assert site(out) == clean_build(prod, tmp_path)
    assert files["CNAME"] and files[".well-known/security.txt"] and ".well-known" in folders


def test_a_file_edited_in_the_output_is_written_again_even_with_its_size_and_mtime(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "public"
    build_module.build(prod, out)
    page = out / "test-show" / "first-episode" / "index.html"
    before = page.stat()
    data = page.read_bytes()
    page.write_bytes(data.replace(b"Episode One", b"Episode 0ne"))  # same size, other bytes
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old mtime: only the ctime tells
    (prod / "README.md").write_text("not a resource\n")
    report = build_module.build(prod, out)
    assert page.read_bytes() == data and report.changed == ["test-show/first-episode/index.html"]
    assert site(out) == clean_build(prod, tmp_path)


def test_a_plan_committed_over_its_record_writes_only_new_bytes(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = Plan()
    first.add("a/same.txt", "same")
    first.add("a/old.txt", "old")
    first.add("b/gone.txt", "gone")
    _, record = commit(first, out)
    same = (out / "a" / "same.txt").stat()
    plan = Plan()
    plan.stage(out, record)
    assert plan.delta
    plan.add("a/same.txt", "same")
    plan.add("a/old.txt", "new")
    plan.add("c/new.txt", "new")
    assert (out / "a" / "old.txt").read_text() == "old"  # nothing reaches the output before the commit
    changed: list[str] = []
    stats, after = commit(plan, out, changed=changed)
    assert stats == {"written": 2, "unchanged": 2, "copied": 0}
    assert changed == ["a/old.txt", "c/new.txt"]
    assert (out / "a" / "same.txt").stat() == same  # not rewritten, not even re-linked
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        MARKER, "a", "a/old.txt", "a/same.txt", "c", "c/new.txt"]
    assert set(after.changed) == {"a/old.txt", "c/new.txt", "a/", "c/", "/"} and after.removed == {"b/gone.txt", "b/"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_folder_of_the_output_replaced_by_a_link_is_not_trusted_nor_followed(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "public"
    build_module.build(prod, out)
    outside = tmp_path / "elsewhere"
    shutil.move(out / "test-show" / "first-episode", outside)  # its files keep their signatures
    (outside / "mine.txt").write_text("not podops'")
    (out / "test-show" / "first-episode").symlink_to(outside)
    (prod / EP).write_text(EPISODE.replace("Episode One", "Episode One, retitled"))
    build_module.build(prod, out)
    assert not (out / "test-show" / "first-episode").is_symlink()
    assert site(out) == clean_build(prod, tmp_path)
    assert (outside / "mine.txt").read_text() == "not podops'" and (outside / "index.html").is_file()
