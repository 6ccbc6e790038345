"""Fingerprints: stat signatures, hashes when a signature moves, folders of the output."""

from __future__ import annotations

import os
from pathlib import Path

from podops.write import fingerprint


def nothing_known(path: str, sig: list[int]) -> None:
    return None


def test_fingerprint_moves_with_content_names_and_options(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("one")
    (tmp_path / ".podops").mkdir()
    first = fingerprint.inputs(tmp_path, "salt", {"drafts": False})
    assert first is not None
    (tmp_path / ".podops" / "cache").write_text("ignored")
    assert fingerprint.inputs(tmp_path, "salt", {"drafts": False}) == first
    assert fingerprint.inputs(tmp_path, "salt", {"drafts": True}).key != first.key  # type: ignore[union-attr]
    assert fingerprint.inputs(tmp_path, "other", {"drafts": False}).key != first.key  # type: ignore[union-attr]
    st = (tmp_path / "a.yaml").stat()
    (tmp_path / "a.yaml").write_text("two")  # same size
    os.utime(tmp_path / "a.yaml", ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime: the ctime still moves
    assert fingerprint.inputs(tmp_path, "salt", {"drafts": False}) != first


def test_every_file_in_every_folder_counts_but_the_cache_and_git(tmp_path: Path) -> None:
    (tmp_path / "episodes" / "2024").mkdir(parents=True)
    (tmp_path / "episodes" / "2024" / "one.yaml").write_text("a")
    (tmp_path / ".podops").mkdir()
    (tmp_path / ".git").mkdir()
    first = fingerprint.inputs(tmp_path, "salt", {})
    assert first is not None and list(first.files) == ["episodes/2024/one.yaml"]
    (tmp_path / ".podops" / "cache.sqlite").write_text("x")
    (tmp_path / ".git" / "index").write_text("x")
    assert fingerprint.inputs(tmp_path, "salt", {}) == first
    (tmp_path / "episodes" / "2024" / "one.yaml").write_text("b")  # deep, same size: the ctime moved
    edited = fingerprint.inputs(tmp_path, "salt", {})
    assert edited is not None and edited.digest() != first.digest()
    os.mkfifo(tmp_path / "episodes" / "pipe")  # not a regular file: listed, never opened
    piped = fingerprint.inputs(tmp_path, "salt", {})
    assert piped is not None and "episodes/pipe" in piped.files
    (tmp_path / "link.yaml").symlink_to(tmp_path / "episodes" / "2024" / "one.yaml")  # a linked file: its target
    linked = fingerprint.inputs(tmp_path, "salt", {})
    assert linked is not None and linked.files["link.yaml"] == linked.files["episodes/2024/one.yaml"]
    assert fingerprint.inputs(tmp_path / "missing", "salt", {}) is None


def test_a_touched_file_with_the_same_bytes_settles_and_an_edit_does_not(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("one")
    (tmp_path / "b.yaml").write_text("two")
    first = fingerprint.inputs(tmp_path, "salt", {})
    assert first is not None
    last = fingerprint.record(tmp_path, first, None)
    assert fingerprint.settle(tmp_path, first, last, nothing_known) is last
    (tmp_path / "a.yaml").write_text("one")  # the same bytes written again: signature moves
    now = fingerprint.inputs(tmp_path, "salt", {})
    assert now is not None and now != first
    settled = fingerprint.settle(tmp_path, now, last, nothing_known)
    assert settled is not None and settled["a.yaml"][:4] == now.files["a.yaml"]  # new signature kept
    st = (tmp_path / "a.yaml").stat()
    (tmp_path / "a.yaml").write_text("ONE")  # same size, same mtime, other bytes
    os.utime(tmp_path / "a.yaml", ns=(st.st_atime_ns, st.st_mtime_ns))
    edited = fingerprint.inputs(tmp_path, "salt", {})
    assert edited is not None and fingerprint.settle(tmp_path, edited, settled, nothing_known) is None
    (tmp_path / "c.yaml").write_text("new")
    added = fingerprint.inputs(tmp_path, "salt", {})
    assert added is not None and fingerprint.settle(tmp_path, added, settled, nothing_known) is None


def test_large_files_are_vouched_for_by_the_probe_stores_hash(tmp_path: Path) -> None:
    big = tmp_path / "ep.mp3"
    big.write_bytes(b"\xff" * (fingerprint.HASHED_BELOW + 1))
    first = fingerprint.inputs(tmp_path, "salt", {})
    assert first is not None
    last = fingerprint.record(tmp_path, first, None)
    assert len(last["ep.mp3"]) == 4  # not hashed for the record: the probe stage hashes media
    big.write_bytes(big.read_bytes())
    now = fingerprint.inputs(tmp_path, "salt", {})
    assert now is not None
    assert fingerprint.settle(tmp_path, now, last, nothing_known) is None
    digest = fingerprint._hash(os.fspath(big))

    def known(path: str, sig: list[int]) -> str | None:
        return digest if path == os.fspath(big) and sig == first.files["ep.mp3"] else None

    assert fingerprint.settle(tmp_path, now, last, known) is not None


def test_a_file_written_during_the_build_is_not_vouched_for(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("one")
    first = fingerprint.inputs(tmp_path, "salt", {})
    assert first is not None
    (tmp_path / "a.yaml").write_text("two")  # after the build read its inputs
    last = fingerprint.record(tmp_path, first, None)
    assert len(last["a.yaml"]) == 4
    (tmp_path / "a.yaml").write_text("two")
    now = fingerprint.inputs(tmp_path, "salt", {})
    assert now is not None and fingerprint.settle(tmp_path, now, last, nothing_known) is None


def test_output_folders_and_top_files_are_checked(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "show" / "episode").mkdir(parents=True)
    (out / "index.html").write_text("home")
    (out / "show" / "feed.xml").write_text("feed")
    (out / "show" / "episode" / "index.html").write_text("page")
    last = fingerprint.outputs(out)
    named = {prefix + name for prefix, names in last["folders"] for name in names} if last else set()
    assert {"index.html", "show", "show/feed.xml", "show/episode"} <= named and "show/episode/index.html" not in named
    assert fingerprint.outputs_unchanged(out, last)
    (out / "show" / "feed.xml").write_text("FEED")  # in place, a top file
    assert not fingerprint.outputs_unchanged(out, last)
    last = fingerprint.outputs(out)
    (out / "show" / "episode" / "extra.html").write_text("added")  # the folder's signature moves
    assert not fingerprint.outputs_unchanged(out, last)
    last = fingerprint.outputs(out)
    (out / "show" / "episode" / "extra.html").unlink()
    assert not fingerprint.outputs_unchanged(out, last)
    last = fingerprint.outputs(out)
    (tmp_path / "new.html").write_text("replaced")
    os.replace(tmp_path / "new.html", out / "show" / "episode" / "index.html")  # a new file renamed in
    assert not fingerprint.outputs_unchanged(out, last)
    last = fingerprint.outputs(out)
    (out / "show" / "episode").rename(tmp_path / "aside")
    (out / "show" / "episode").symlink_to(tmp_path / "aside")  # a link in place of a folder, same contents
    assert not fingerprint.outputs_unchanged(out, last)
    assert not fingerprint.outputs_unchanged(out, {**last, "folders": [["../", ["x"]]]})  # a damaged record
    assert not fingerprint.outputs_unchanged(out, None) and fingerprint.outputs(tmp_path / "missing") is None


def test_linked_folders_refuse_a_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "media").symlink_to(tmp_path / "real")
    assert fingerprint.inputs(tmp_path / "prod", "salt", {}) is None
    assert fingerprint.outputs(tmp_path / "missing") is None


def test_the_code_salt_is_remembered_until_what_it_is_made_of_moves(tmp_path: Path, monkeypatch) -> None:
    package, theme, site = tmp_path / "podops", tmp_path / "templates", tmp_path / "site"
    (package / "render").mkdir(parents=True)
    (package / "render" / "feed.py").write_text("one\n")
    theme.mkdir()
    (theme / "base.html").write_text("<html>\n")
    site.mkdir()
    monkeypatch.setattr(fingerprint, "_PACKAGE", package)
    monkeypatch.setattr(fingerprint, "_THEME", theme)
    monkeypatch.setattr("sys.path", [*__import__("sys").path, os.fspath(site)])
    records: dict[tuple[str, str], object] = {}
    computed: list[str] = []

    def salt() -> str:
        monkeypatch.setattr(fingerprint, "code_salt", lambda: computed.append("x") or f"salt {len(computed)}")
        return fingerprint.salt(lambda kind, key: records.get((kind, key)),
                                lambda kind, key, value: records.__setitem__((kind, key), value))

    assert salt() == "salt 1" and salt() == "salt 1" and len(computed) == 1  # remembered: nothing read
    changes = [
        lambda: (package / "render" / "feed.py").write_text("two\n"),  # a module edited
        lambda: (package / "render" / "feed.py").write_text("two\n"),  # the same bytes again: a new ctime
        lambda: (package / "render" / "new.py").write_text(""),  # a module added
        lambda: (theme / "base.html").write_text("<html lang=en>\n"),  # the theme
        lambda: (site / "Jinja2-9.9.dist-info").mkdir(),  # another version of a library on sys.path
        lambda: (site / "Jinja2-9.9.dist-info" / "METADATA").write_text("Version: 9.9\n"),
        lambda: (site / "Jinja2-9.9.dist-info" / "METADATA").write_text("Version: 9.8\n"),  # edited in place
    ]
    for number, change in enumerate(changes, start=2):
        change()
        assert salt() == f"salt {number}" and salt() == f"salt {number}"
    (site / "unrelated-1.0.dist-info").mkdir()  # not a library that shapes output
    (package / "__pycache__").mkdir()
    assert salt() == f"salt {len(changes) + 1}"
    (package / "linked").symlink_to(site)  # code_salt follows links, a signature would not: never remembered
    assert salt() != salt()


def test_a_salt_made_anew_is_never_one_a_long_running_process_remembered(tmp_path: Path, monkeypatch) -> None:
    package = tmp_path / "podops"
    package.mkdir()
    (package / "build.py").write_text("one\n")
    monkeypatch.setattr(fingerprint, "_PACKAGE", package)
    monkeypatch.setattr(fingerprint, "_THEME", tmp_path / "no-theme")
    records: dict[tuple[str, str], object] = {}

    def salt() -> str:
        return fingerprint.salt(lambda kind, key: records.get((kind, key)),
                                lambda kind, key, value: records.__setitem__((kind, key), value))

    fingerprint.code_salt.cache_clear()
    first = salt()
    assert fingerprint.code_salt() == first  # cached, as a preview server keeps it
    (package / "build.py").write_text("two\n")  # the code changes under the running process
    assert salt() != first and salt() == fingerprint.code_salt()
    fingerprint.code_salt.cache_clear()
