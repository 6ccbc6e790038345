"""The build as a whole: reproducible bytes, atomic replacement, locking, and a cache that never lies."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EPISODE, EXAMPLE, MEDIA, invoke, tree_hash

from podops import build as build_module
from podops.errors import OutputError
from podops.render import site as site_module
from podops.write import output

EP = "episodes/episode-6d1048a48504.yaml"


def copy_reversed(source: Path, target: Path) -> None:
    """Copy a tree creating files in reverse order, so directory order differs from the original."""
    files = sorted((p for p in source.rglob("*") if p.is_file() and ".podops" not in p.parts), reverse=True)
    for path in files:
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)


def run_build(prod: Path, out: Path, **env: str) -> None:
    environment = {**os.environ, "SOURCE_DATE_EPOCH": "1735689600", **env}
    subprocess.run([sys.executable, "-m", "podops", "build", str(prod), "-o", str(out), "-q"],
                   check=True, env=environment)


def test_two_builds_are_byte_identical_across_hash_seed_locale_and_file_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "example", tmp_path / "b" / "example"
    shutil.copytree(EXAMPLE, first, ignore=shutil.ignore_patterns(".podops"))
    copy_reversed(EXAMPLE, second)
    run_build(first, tmp_path / "out-a", PYTHONHASHSEED="1", LC_ALL="C.UTF-8", TZ="UTC")
    run_build(second, tmp_path / "out-b", PYTHONHASHSEED="4242", LC_ALL="de_DE.UTF-8", TZ="Asia/Kolkata")
    a, b = tree_hash(tmp_path / "out-a"), tree_hash(tmp_path / "out-b")
    assert a and a == b
    feed = (tmp_path / "out-b" / "the-static-signal" / "feed.xml").read_text()
    assert "<lastBuildDate>Wed, 01 Jan 2025 00:00:00 +0000</lastBuildDate>" in feed


def test_without_source_date_epoch_last_build_date_is_the_newest_episode(example, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    subprocess.run([sys.executable, "-m", "podops", "build", str(example), "-o", str(out), "-q"], check=True, env=env)
    feed = (out / "the-static-signal" / "feed.xml").read_text()
    assert "<lastBuildDate>Mon, 30 Sep 2024 07:00:00 +0000</lastBuildDate>" in feed


def test_a_failure_mid_render_leaves_the_old_output_intact(production, tmp_path: Path, monkeypatch) -> None:
    prod, out = production(), tmp_path / "public"
    assert invoke("build", prod, "-o", out).exit_code == 0
    before = tree_hash(out)
    (prod / EP).write_text(EPISODE.replace("Episode One", "Episode Renamed"))

    def explode(*args, **kwargs):
        raise RuntimeError("injected failure while rendering")

    monkeypatch.setattr(site_module, "render_site", explode)
    with pytest.raises(RuntimeError):
        build_module.build(prod, out)
    assert tree_hash(out) == before
    assert not list(tmp_path.glob("public.podops-*"))


def test_a_full_disk_while_writing_leaves_the_old_output_intact(production, tmp_path: Path, monkeypatch) -> None:
    prod, out = production(), tmp_path / "public"
    assert invoke("build", prod, "-o", out).exit_code == 0
    before = tree_hash(out)
    (prod / EP).write_text(EPISODE.replace("Episode One", "Episode Renamed"))
    real_copy = shutil.copyfile

    def full_disk(src, dst, *args, **kwargs):
        if str(dst).endswith(".mp3"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_copy(src, dst, *args, **kwargs)

    monkeypatch.setattr(output.shutil, "copyfile", full_disk)
    (tmp_path / "public" / "test-show" / "media" / "assets" / "ep.mp3").unlink()  # force a fresh copy
    before = tree_hash(out)
    with pytest.raises(OutputError, match="disk full"):
        build_module.build(prod, out)
    assert tree_hash(out) == before
    assert not list(tmp_path.glob("public.podops-*"))


def test_a_second_build_on_the_same_output_is_refused_while_one_runs(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "public"
    with output.lock(out):
        result = invoke("build", prod, "-o", out)
    assert result.exit_code == 1
    assert "another podops build is writing this folder" in result.stderr
    assert not out.exists()


def test_user_files_such_as_cname_survive_a_rebuild(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "public"
    assert invoke("build", prod, "-o", out).exit_code == 0
    (out / "CNAME").write_text("podcast.example.com\n")
    (out / "stray.html").write_text("old")
    assert invoke("build", prod, "-o", out).exit_code == 0
    assert (out / "CNAME").read_text() == "podcast.example.com\n"
    assert not (out / "stray.html").exists()  # everything else is the build's own


def test_media_changed_in_place_with_same_size_and_mtime_is_probed_again(production, tmp_path: Path) -> None:
    prod, out = production({"assets/ep.mp3": MEDIA / "vbr.mp3"}), tmp_path / "public"
    assert invoke("build", prod, "-o", out).exit_code == 0
    target = prod / "assets" / "ep.mp3"
    stat = target.stat()
    replacement = (MEDIA / "cbr.mp3").read_bytes()
    replacement = replacement + b"\0" * (stat.st_size - len(replacement))  # same size; zero padding is harmless
    with target.open("r+b") as handle:  # in place: same inode, same size
        handle.write(replacement)
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the old mtime
    assert invoke("build", prod, "-o", out).exit_code == 0
    feed = (out / "test-show" / "feed.xml").read_text()
    assert "<itunes:duration>4</itunes:duration>" in feed  # cbr.mp3 lasts 4 s, vbr.mp3 6 s
    assert (out / "test-show" / "media" / "assets" / "ep.mp3").read_bytes() == replacement


def test_a_corrupt_cache_is_rebuilt_not_trusted(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "public"
    assert invoke("build", prod, "-o", out).exit_code == 0
    (prod / ".podops" / "cache.sqlite").write_bytes(b"this is not a database" * 100)
    assert invoke("build", prod, "-o", out).exit_code == 0
    assert "<itunes:duration>4</itunes:duration>" in (out / "test-show" / "feed.xml").read_text()


def test_cache_survives_a_fresh_clone_where_every_mtime_is_new(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "public"
    assert invoke("build", prod, "-o", out).exit_code == 0
    clone = tmp_path / "clone"
    shutil.copytree(prod, clone)  # new inodes and ctimes; the cache folder comes along (as with actions/cache)
    report = build_module.build(clone, tmp_path / "public2")
    assert report.cache_misses == 0 and report.cache_hits >= 2


def test_unchanged_files_are_not_rewritten(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "public"
    build_module.build(prod, out)
    inode = (out / "test-show" / "feed.xml").stat().st_ino
    (prod / "README.md").write_text("not a resource: the site does not change\n")
    report = build_module.build(prod, out)
    assert not report.skipped
    assert report.files["written"] == 0
    assert (out / "test-show" / "feed.xml").stat().st_ino == inode


def test_html_transcripts_are_published_sanitised_not_verbatim(production, tmp_path: Path) -> None:
    episode = EPISODE + "transcripts:\n  - uri: assets/ep.html\n"
    prod = production({EP: episode,
                       "assets/ep.html": "<p>Hello <script>alert(1)</script>"
                                         "<a href='javascript:x()' onclick='y()'>x</a></p>"})
    out = tmp_path / "public"
    assert invoke("build", prod, "-o", out).exit_code == 0
    published = (out / "test-show" / "media" / "assets" / "ep.html").read_text()
    assert "Hello" in published
    assert "<script" not in published and "javascript:" not in published and "onclick" not in published


def test_a_show_may_render_its_notes_with_python_markdown_and_switching_back_equals_a_clean_build(
        production, tmp_path: Path) -> None:
    notes = "  episodeText: |\n    Tides[^1] -- high and low.\n\n    [^1]: Twice a day.\n"
    summary = "  summary: The first one.\n"
    prod = production({"episodes/episode-6d1048a48504.yaml": EPISODE.replace(summary, summary + notes)})
    out = tmp_path / "public"
    page = out / "test-show" / "first-episode" / "index.html"
    build_module.build(prod, out)
    assert "Tides[^1] – high and low." in page.read_text()  # CommonMark: no footnotes, smart dashes
    show = prod / "show.yaml"
    plain = show.read_text()
    show.write_text(plain.replace("  baseUrl: https://example.com/\n", "  baseUrl: https://example.com/\n"
                                  "  markdown: python-markdown\n  markdownExtensions: [footnotes]\n"))
    build_module.build(prod, out)
    assert 'href="#fn:1"' in page.read_text() and "Tides" in page.read_text()
    show.write_text(plain)
    build_module.build(prod, out)
    clean = tmp_path / "clean"
    build_module.build(prod, clean)
    assert tree_hash(out) == tree_hash(clean)


def test_a_touched_resource_with_the_same_bytes_is_a_no_op_and_an_edit_is_not(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "public"
    build_module.build(prod, out)
    assert build_module.build(prod, out).skipped
    episode = prod / EP
    episode.write_bytes(episode.read_bytes())  # a checkout or an editor wrote the same bytes: new ctime
    assert build_module.build(prod, out).skipped
    assert build_module.build(prod, out).skipped  # the new signature was remembered
    audio = prod / "assets" / "ep.mp3"
    audio.write_bytes(audio.read_bytes())  # media: vouched for by the probe store's hash
    assert build_module.build(prod, out).skipped
    episode.write_text(episode.read_text().replace("Episode One", "Episode Uno"))
    report = build_module.build(prod, out)
    assert not report.skipped and "Episode Uno" in (out / "test-show" / "feed.xml").read_text()


def test_a_no_op_build_reports_the_warnings_and_tallies_of_the_build_it_stands_for(production,
                                                                                 tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "public"
    first = build_module.build(prod, out)
    again = build_module.build(prod, out)
    assert again.skipped and first.warnings and again.warnings == first.warnings  # the show has placeholders
    assert (again.published, again.feeds, again.size) == (first.published, first.feeds, first.size)


def test_a_no_op_build_notices_output_folders_and_top_files_changed(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "public"
    build_module.build(prod, out)
    clean = tree_hash(out)
    page = next(p for p in out.rglob("index.html") if len(p.relative_to(out).parts) > 2)
    page.unlink()  # deep in the output: its folder's signature moves
    assert not build_module.build(prod, out).skipped and tree_hash(out) == clean
    feed = out / "test-show" / "feed.xml"
    with feed.open("r+b") as handle:  # a top file edited in place
        handle.write(b"<!-- x -->")
    assert not build_module.build(prod, out).skipped and tree_hash(out) == clean
    assert build_module.build(prod, out).skipped


def test_a_clean_build_never_reads_a_resource_again_for_positions(production, tmp_path: Path,
                                                                   monkeypatch) -> None:
    """Positions are for diagnostics: a file without any is never read again to find one."""
    from podops.load import production as loading

    prod = production({EP: EPISODE + "chapters:\n  - start: 0\n    title: One\n  - start: 2\n    title: Two\n"})
    found: list[str] = []
    monkeypatch.setattr(loading.Marks, "find", lambda self: found.append(self.display))
    report = build_module.build(prod, tmp_path / "public")
    assert set(found) <= {d.path for d in report.warnings} and EP not in found  # the show has placeholders
