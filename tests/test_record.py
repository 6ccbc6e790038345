"""The record of an output vouches for a file only while it is provably what the last build left."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from podops.write import record


def recorded(folder: Path, *names: str) -> dict[str, record.Entry]:
    """A record of ``names`` below ``folder`` and of the folder itself, as a build leaves it."""
    rows: dict[str, record.Entry] = {}
    for name in names:
        path = os.fspath(folder / name)
        entry = record.entry_of(path, hashlib.sha256((folder / name).read_bytes()).hexdigest())
        assert entry is not None
        rows[name] = entry
    root = record.entry_of(os.fspath(folder), "")
    assert root is not None
    rows["/"] = root
    return rows


def test_an_unchanged_file_is_vouched_for_by_its_signature_alone(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("page")
    placed = record.load(recorded(tmp_path, "a.html"), os.fspath(tmp_path))
    assert record.untouched(placed, "a.html", os.fspath(tmp_path / "a.html"))
    assert placed.verified == {"a.html"} and not placed.fresh and not placed.moved


def test_a_file_rewritten_with_other_bytes_is_not_vouched_for_even_with_its_size_and_mtime(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text("page")
    placed = record.load(recorded(tmp_path, "a.html"), os.fspath(tmp_path))
    before = page.stat()
    page.write_text("PAGE")
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))  # only the ctime moved
    assert not record.untouched(placed, "a.html", os.fspath(page))


def test_a_file_touched_with_the_same_bytes_is_vouched_for_by_its_hash_and_signed_again(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text("page")
    placed = record.load(recorded(tmp_path, "a.html"), os.fspath(tmp_path))
    page.write_text("page")  # the same bytes written again: the signature moved
    assert record.untouched(placed, "a.html", os.fspath(page))
    assert placed.fresh["a.html"][:5] == record.stamp(page.stat())


def test_a_digest_the_build_expects_must_be_the_recorded_one(tmp_path: Path) -> None:
    (tmp_path / "a.mp3").write_bytes(b"audio")
    placed = record.load(recorded(tmp_path, "a.mp3"), os.fspath(tmp_path))
    assert not record.untouched(placed, "a.mp3", os.fspath(tmp_path / "a.mp3"), digest="0" * 64)


def test_a_symbolic_link_in_place_of_a_file_is_never_vouched_for(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("page")
    placed = record.load(recorded(tmp_path, "a.html"), os.fspath(tmp_path))
    (tmp_path / "elsewhere.html").write_text("page")
    (tmp_path / "a.html").unlink()
    (tmp_path / "a.html").symlink_to(tmp_path / "elsewhere.html")
    assert not record.untouched(placed, "a.html", os.fspath(tmp_path / "a.html"))


def test_a_folder_whose_entries_changed_is_listed_again(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("page")
    rows = recorded(tmp_path, "a.html")
    (tmp_path / "dropped.txt").write_text("a user's file")  # moves the folder's mtime and ctime
    assert record.load(rows, os.fspath(tmp_path)).moved == {"/"}


def test_a_recorded_folder_replaced_by_a_link_makes_the_whole_record_untrusted(tmp_path: Path) -> None:
    site, outside = tmp_path / "site", tmp_path / "outside"
    (site / "show").mkdir(parents=True)
    (site / "show" / "a.html").write_text("page")
    rows = recorded(site, "show/a.html")
    show = record.entry_of(os.fspath(site / "show"), "")
    assert show is not None
    rows[record.folder_key("show")] = show
    (site / "show").rename(outside)
    (site / "show").symlink_to(outside)
    assert record.load(rows, os.fspath(site)) == {}


def test_a_record_of_an_older_shape_is_not_trusted_for_an_incremental_write(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("page")
    rows = recorded(tmp_path, "a.html")
    del rows["/"]
    placed = record.load(rows, os.fspath(tmp_path))
    assert "/" not in placed and placed.site_size() == 4
