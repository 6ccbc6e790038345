"""The probe cache: keyed by content, refreshed on any write, rebuilt when corrupt."""

from __future__ import annotations

from pathlib import Path

from podops.probe.media import file_hash
from podops.probe.store import Store


def test_values_survive_reopening(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.put("probe", "k", {"a": 1})
    store.close()
    again = Store(tmp_path)
    assert again.get("probe", "k") == {"a": 1}
    assert (tmp_path / ".podops" / ".gitignore").read_text().endswith("*\n")


def test_content_hash_is_recomputed_after_any_write(tmp_path: Path) -> None:
    store = Store(tmp_path)
    target = tmp_path / "a.bin"
    target.write_bytes(b"one")
    first = store.content_hash(target, file_hash)
    st = target.stat()
    target.write_bytes(b"two")  # same size
    import os

    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime; ctime still moves
    assert store.content_hash(target, file_hash) != first


def test_read_only_store_creates_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path, writable=False)
    store.put("probe", "k", 1)
    assert store.get("probe", "k") is None
    assert not (tmp_path / ".podops").exists()


def test_corrupt_store_is_replaced(tmp_path: Path) -> None:
    (tmp_path / ".podops").mkdir()
    (tmp_path / ".podops" / "cache.sqlite").write_bytes(b"garbage" * 1000)
    store = Store(tmp_path)
    store.put("probe", "k", 2)
    assert store.get("probe", "k") == 2


def test_many_values_come_in_few_queries_and_a_damaged_one_is_left_out(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for i in range(1200):  # more than one statement's worth of parameters
        store.put("resource", f"k{i}", [i])
    store._write("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", ("resource", "bad", "{not json"))
    found = store.get_many("resource", [f"k{i}" for i in range(0, 1200, 3)] + ["bad", "missing"])
    assert found == {f"k{i}": [i] for i in range(0, 1200, 3)}
    assert store.get_many("markdown", ["k1"]) == {}
    store.put_text("resource", "text", "[1, {\"b\": 2, \"a\": 1}]")  # kept as written: key order too
    assert store.get_many("resource", ["text"], text=True) == {"text": "[1, {\"b\": 2, \"a\": 1}]"}
    store.close()


def test_the_whole_store_check_can_wait_until_a_build_has_work(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.put("fingerprint", "out", {"inputs": "x"})
    store.close()
    later = Store(tmp_path, check_later=True)
    assert not later.checked and later.get("fingerprint", "out") == {"inputs": "x"}
    later.check()
    assert later.checked and later.get("fingerprint", "out") == {"inputs": "x"}
    later.close()
    (tmp_path / ".podops" / "cache.sqlite").write_bytes(b"this is not a database" * 100)
    broken = Store(tmp_path, check_later=True)  # a store that cannot even open is rebuilt at once
    broken.check()
    assert broken.get("fingerprint", "out") is None
    broken.put("fingerprint", "out", {"inputs": "y"})
    assert broken.get("fingerprint", "out") == {"inputs": "y"}
    broken.close()


def test_a_large_table_is_written_by_its_changes_and_whole_once_they_grow(tmp_path: Path) -> None:
    import sqlite3

    from podops.probe import store as store_module

    store = Store(tmp_path)
    values = {f"page/{n}.html": (n, "sha") for n in range(2000)}
    store.put_table("placed", "/out", values, values, whole=True)
    values["page/1.html"] = (1, "other")
    del values["page/2.html"]
    store.put_table("placed", "/out", values, {"page/1.html": (1, "other")}, ["page/2.html"])
    store.close()
    db = sqlite3.connect(tmp_path / ".podops" / "cache.sqlite")
    assert db.execute("SELECT count(*) FROM changes").fetchone() == (2,)  # two rows, not 2,000
    db.close()
    again = Store(tmp_path)
    assert again.table("placed", "/out") == values
    many = {f"page/{n}.html": (n, "new") for n in range(store_module.COMPACT_AFTER + 1)}
    values.update(many)
    again.put_table("placed", "/out", values, many)  # more changes than worth keeping apart: written whole
    assert again.table("placed", "/out") == values
    assert again.db is not None and again.db.execute("SELECT count(*) FROM changes").fetchone() == (0,)
    again.db.execute("UPDATE tables SET value = ?", (b"\x00damaged",))
    assert again.table("placed", "/out") == {}  # a damaged table is no table
    again.close()
