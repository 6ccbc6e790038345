"""The loaded records of the last build: reused only for the same bytes and code, never trusted blindly."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from conftest import EPISODE, tree_hash

from podops import build as build_module
from podops.errors import ResourceError
from podops.load import production as loading
from podops.load import snapshot
from podops.load.production import load_production
from podops.probe.store import Store
from podops.write.caches import Caches

EP = "episodes/episode-6d1048a48504.yaml"


def _load(prod: Path) -> tuple[loading.Production, list[str]]:
    """Load through the cache; the files that were parsed (not taken from the records)."""
    parsed: list[str] = []
    original = loading._read

    def counting(path: Path, display: str, raw: bytes | None = None) -> loading.Read:
        parsed.append(display)
        return original(path, display, raw)

    loading._read = counting  # type: ignore[assignment]
    store = Store(prod)
    try:
        loaded = load_production(prod, Caches(store))
        loaded.loaded.close()  # as the build does once its checks are done
        return loaded, parsed
    finally:
        loading._read = original  # type: ignore[assignment]
        store.close()


def test_an_unchanged_file_is_not_parsed_again_and_an_edited_one_is(production) -> None:
    prod = production()
    first, parsed = _load(prod)
    assert EP in parsed and (prod / ".podops" / snapshot.FILE).is_file()
    again, parsed = _load(prod)
    assert parsed == [] and again.shows[0].episodes[0] == first.shows[0].episodes[0]
    (prod / EP).write_text(EPISODE.replace("title: ", "title: Edited ", 1))
    edited, parsed = _load(prod)
    assert parsed == [EP] and edited.shows[0].episodes[0].title.startswith("Edited ")


def test_a_touched_file_with_the_same_bytes_uses_its_record(production) -> None:
    prod = production()
    _load(prod)
    os.utime(prod / EP, ns=(1, 1))
    _, parsed = _load(prod)
    assert parsed == []


def test_another_code_or_a_damaged_or_planted_file_reads_everything_again(production, monkeypatch) -> None:
    prod = production()
    clean, _ = _load(prod)
    kept = prod / ".podops" / snapshot.FILE
    kept.write_bytes(kept.read_bytes()[:100])  # damaged
    loaded, parsed = _load(prod)
    assert EP in parsed and loaded.shows[0].episodes[0] == clean.shows[0].episodes[0]

    class Planted:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, ("touch planted",))

    kept.write_bytes(pickle.dumps(Planted()))
    loaded, parsed = _load(prod)
    assert EP in parsed and not (prod / "planted").exists() and not Path("planted").exists()
    monkeypatch.setattr("podops.write.fingerprint.code_salt", lambda: "another podops")
    _, parsed = _load(prod)
    assert EP in parsed


def test_a_file_with_problems_reports_them_again_from_its_record(production) -> None:
    prod = production({EP: EPISODE.replace("title: ", "titel: ", 1)})
    messages = []
    for _ in range(2):
        with pytest.raises(ResourceError) as info:
            _load(prod)
        messages.append(str(info.value))
    assert messages[0] == messages[1] and f"{EP}:" in messages[0] and "titel" in messages[0]


def test_an_incremental_build_with_records_equals_a_clean_one(production, tmp_path: Path) -> None:
    prod = production()
    out = tmp_path / "public"
    build_module.build(prod, out)
    (prod / EP).write_text(EPISODE.replace("title: ", "title: Edited ", 1))
    build_module.build(prod, out)
    incremental = tree_hash(out)
    for cache in (prod / ".podops").iterdir():
        cache.unlink()
    build_module.build(prod, tmp_path / "clean")
    assert tree_hash(tmp_path / "clean") == incremental
