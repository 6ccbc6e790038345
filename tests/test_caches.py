"""The incremental caches: one object per build, every cache keyed by the one hash of podops' code."""

from __future__ import annotations

from pathlib import Path

from conftest import invoke, tree_hash

from podops.probe.store import Store
from podops.render import markup
from podops.write import fingerprint
from podops.write.caches import Caches


def test_every_cache_is_keyed_by_the_one_code_hash(production, tmp_path: Path, monkeypatch) -> None:
    store = Store(production())
    try:
        caches = Caches(store)
        assert caches.code == fingerprint.code_salt()
        notes, pages = caches.start_notes(), caches.start_pages(None, tmp_path / "out", "k")
        assert notes.code == caches.code and markup.render("*x*") == "<p><em>x</em></p>"
        monkeypatch.setattr(fingerprint, "code_salt", lambda: "another podops")
        other = Caches(store)
        assert other.resource_key(b"same bytes") != caches.resource_key(b"same bytes")
        assert other.start_notes().key("*x*") != notes.key("*x*")
        assert other.start_pages(None, tmp_path / "out", "k").key("m") != pages.key("m")
    finally:
        markup.use(markup.Notes())
        store.close()


def test_a_build_under_another_code_hash_equals_a_clean_build(production, tmp_path: Path, monkeypatch) -> None:
    prod = production()
    assert invoke("build", prod, "-o", tmp_path / "clean").exit_code == 0
    incremental = tmp_path / "incremental"
    assert invoke("build", prod, "-o", incremental).exit_code == 0
    monkeypatch.setattr(fingerprint, "code_salt", lambda: "an upgrade")  # every cache is stale now
    (prod / "README.md").write_text("a change outside the resources: the build runs\n")
    assert invoke("build", prod, "-o", incremental).exit_code == 0
    assert tree_hash(incremental) == tree_hash(tmp_path / "clean")


def test_notes_of_reused_pages_stay_cached_and_only_new_ones_are_written(production, tmp_path: Path) -> None:
    from podops import build as build_module

    prod, out = production(), tmp_path / "out"

    def notes() -> set[str]:
        store = Store(prod)
        try:
            return set(store.table("notes", ""))
        finally:
            store.close()

    build_module.build(prod, out)
    first = notes()
    assert first
    (prod / "README.md").write_text("not a resource: every page is reused\n")
    build_module.build(prod, out)
    assert notes() == first  # a note no page needed this time is still there for the build that does
    episode = prod / "episodes" / "episode-6d1048a48504.yaml"
    episode.write_text(episode.read_text().replace("The first one.", "The first one, edited."))
    build_module.build(prod, out)
    assert first < notes()  # the edited summary's note is added; the old ones are dropped with another podops
