"""Probing a production: the cache, the process pool and progress reports."""

from __future__ import annotations

from conftest import EPISODE, MEDIA

from podops.load.production import load_production
from podops.probe import inventory
from podops.probe.store import Store


def episodes(count: int) -> dict:
    files: dict = {"episodes/episode-6d1048a48504.yaml": None}
    for i in range(count):
        guid = f"{i:012x}"
        files[f"episodes/e{i}.yaml"] = EPISODE.replace("6d1048a48504", guid).replace(
            "first-episode", f"episode-number-{i}").replace("assets/ep.mp3", f"assets/ep{i}.mp3")
        files[f"assets/ep{i}.mp3"] = MEDIA / ("cbr.mp3" if i % 2 else "vbr.mp3")
    return files


def test_many_misses_are_probed_in_parallel_and_reported(production, monkeypatch) -> None:
    prod = production(episodes(10))
    monkeypatch.setattr(inventory, "PARALLEL_FROM", 4)
    production_ = load_production(prod)
    store = Store(prod)
    seen: list[tuple[str, int, int]] = []
    probed: list[str] = []
    problems = inventory.probe_production(production_, store, workers=2, progress=lambda *a: seen.append(a),
                                          probed=probed)
    store.close()
    assert not problems.errors
    durations = sorted(e.duration for e in production_.shows[0].episodes)
    assert durations == [4.0] * 5 + [6.114] * 5
    assert seen[-1] == ("probing media", 11, 11)  # ten MP3s and the cover
    assert len(probed) == 11


def test_a_second_probe_comes_from_the_cache(production) -> None:
    prod = production()
    for expected_misses in (2, 0):
        production_ = load_production(prod)
        store = Store(prod)
        inventory.probe_production(production_, store)
        store.close()
        assert store.misses == expected_misses


def test_probe_workers_collect_garbage_though_the_build_forks_them_with_the_collector_off() -> None:
    import gc

    from podops.probe.inventory import worker_pool

    gc.disable()
    try:
        with worker_pool(1) as pool:
            assert pool.submit(gc.isenabled).result(timeout=60) is True
    finally:
        gc.enable()
