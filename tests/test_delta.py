"""An incremental build writes only what changed, and its output equals a clean build's byte for byte."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import EPISODE, MEDIA, SECOND, SECOND_PATH, clean_build, committed, site_of, tree_hash

from podops import build as build_module
from podops.write.output import MARKER, Plan, commit

EP = "episodes/episode-6d1048a48504.yaml"


def test_an_edit_an_addition_and_a_removal_each_equal_a_clean_build(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "public"
    build_module.build(prod, out)
    feed, cover = out / "test-show" / "feed.xml", out / "test-show" / "media" / "assets" / "cover.png"
    cover_inode = cover.stat().st_ino
    (prod / EP).write_text(EPISODE.replace("Episode One", "Episode One, retitled"))
    report = build_module.build(prod, out)
    assert 0 < report.files["written"] < len(tree_hash(out)) // 2
    assert cover.stat().st_ino == cover_inode  # an unchanged file is not touched, not even linked
    assert site_of(out) == clean_build(prod, tmp_path)
    (prod / SECOND_PATH).write_text(SECOND)
    shutil.copyfile(MEDIA / "vbr.mp3", prod / "assets" / "ep2.mp3")
    build_module.build(prod, out)
    assert (out / "test-show" / "second-episode" / "index.html").is_file()
    assert site_of(out) == clean_build(prod, tmp_path)
    (prod / SECOND_PATH).unlink()
    (prod / "assets" / "ep2.mp3").unlink()
    build_module.build(prod, out, accept_changes=True)  # withdrawn on purpose
    assert not (out / "test-show" / "second-episode").exists()  # its folder goes with its files
    assert site_of(out) == clean_build(prod, tmp_path)
    assert "Episode One, retitled" in feed.read_text() and cover.stat().st_ino == cover_inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean", "prod", "public"]  # no journal, no staging


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
    files, folders = site_of(out)
    (out / "CNAME").unlink()
    shutil.rmtree(out / ".well-known")
    assert site_of(out) == clean_build(prod, tmp_path)
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
    assert site_of(out) == clean_build(prod, tmp_path)


def test_a_plan_committed_over_its_record_writes_only_new_bytes(tmp_path: Path) -> None:
    out = tmp_path / "site"
    _, record = committed(out, {"a/same.txt": "same", "a/old.txt": "old", "b/gone.txt": "gone"})
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
    assert site_of(out) == clean_build(prod, tmp_path)
    assert (outside / "mine.txt").read_text() == "not podops'" and (outside / "index.html").is_file()
