"""The permanence lock: a published episode keeps its <guid>, enclosure URL and date until told otherwise."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import EPISODE, MEDIA, invoke, tree_hash

LOCK = "podops.lock"
EPISODE_FILE = "episodes/episode-6d1048a48504.yaml"


def build(prod: Path, out: Path, *extra: str):
    return invoke("build", prod, "-o", out, "-q", *extra, env={"SOURCE_DATE_EPOCH": "1735689600"})


def locked(prod: Path) -> dict:
    return json.loads((prod / LOCK).read_text())["episodes"]


def line_of(prod: Path, rel: str, text: str) -> int:
    return next(n for n, row in enumerate((prod / rel).read_text().splitlines(), 1) if text in row)


def test_a_build_records_each_published_episode_sorted_and_deterministic(production, tmp_path: Path) -> None:
    prod = production()
    assert build(prod, tmp_path / "out").exit_code == 0
    assert locked(prod) == {"6d1048a48504": {
        "enclosure": "https://example.com/test-show/media/assets/ep.mp3", "guid": "6d1048a48504",
        "name": "first-episode", "published": "2021-06-04T20:10:35+00:00", "show": "test-show"}}
    text = (prod / LOCK).read_text()
    assert text == json.dumps(json.loads(text), indent=1, sort_keys=True) + "\n"
    assert build(prod, tmp_path / "out2").exit_code == 0
    assert (prod / LOCK).read_text() == text  # the same input, the same lock


def test_a_changed_enclosure_url_fails_at_the_episodes_line_and_leaves_the_output(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "out"
    assert build(prod, out).exit_code == 0
    before, lock = tree_hash(out), (prod / LOCK).read_bytes()
    shutil.copyfile(MEDIA / "cbr.mp3", prod / "assets/renamed.mp3")
    (prod / EPISODE_FILE).write_text(EPISODE.replace("assets/ep.mp3", "assets/renamed.mp3"))
    result = build(prod, out)
    assert result.exit_code == 1
    line = line_of(prod, EPISODE_FILE, "uri: assets/renamed.mp3")
    assert f"{EPISODE_FILE}:{line}:" in result.output
    assert "enclosure.uri: changes the published enclosure URL https://example.com/test-show/media/assets/ep.mp3" \
        in result.output
    assert "podops build --accept-changes" in result.output
    assert tree_hash(out) == before and (prod / LOCK).read_bytes() == lock
    assert invoke("validate", prod, "--no-media").exit_code == 1  # validate applies the same lock


def test_an_intended_change_is_accepted_into_the_lock(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "out"
    assert build(prod, out).exit_code == 0
    shutil.copyfile(MEDIA / "cbr.mp3", prod / "assets/renamed.mp3")
    (prod / EPISODE_FILE).write_text(EPISODE.replace("assets/ep.mp3", "assets/renamed.mp3"))
    result = invoke("build", prod, "-o", out, "--accept-changes", env={"SOURCE_DATE_EPOCH": "1735689600"})
    assert result.exit_code == 0, result.output
    assert "warning: enclosure.uri: changes the published enclosure URL" in result.output
    assert locked(prod)["6d1048a48504"]["enclosure"] == "https://example.com/test-show/media/assets/renamed.mp3"
    assert build(prod, out).exit_code == 0  # accepted: the next build passes without the flag


def test_a_vanished_episode_fails_until_archived(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "out"
    assert build(prod, out).exit_code == 0
    (prod / EPISODE_FILE).unlink()
    result = build(prod, out)
    assert result.exit_code == 1
    assert f"{LOCK}:{line_of(prod, LOCK, '6d1048a48504')}:3: 6d1048a48504: published episode " \
           "test-show/first-episode (<guid> 6d1048a48504) has disappeared" in result.output
    assert "status: archived" in result.output
    (prod / EPISODE_FILE).write_text(EPISODE.replace("    season: 1", "    status: archived\n    season: 1"))
    assert build(prod, out).exit_code == 0
    assert "6d1048a48504" in locked(prod)  # withdrawn on purpose, still remembered


def test_a_published_episode_turned_draft_fails_at_its_status(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "out"
    assert build(prod, out).exit_code == 0
    (prod / EPISODE_FILE).write_text(EPISODE.replace("    season: 1", "    status: draft\n    season: 1"))
    result = build(prod, out)
    assert result.exit_code == 1
    assert f"{EPISODE_FILE}:{line_of(prod, EPISODE_FILE, 'status: draft')}:" in result.output


def test_a_changed_guid_is_refused_with_the_itemguid_to_pin(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "out"
    assert build(prod, out).exit_code == 0
    (prod / EPISODE_FILE).write_text(EPISODE.replace("guid: 6d1048a48504", "guid: 6d1048a48505"))
    result = build(prod, out)
    assert result.exit_code == 1
    assert "`metadata.itemGuid: 6d1048a48504`" in result.output
    pinned = EPISODE.replace("guid: 6d1048a48504", "guid: 6d1048a48505\n  itemGuid: 6d1048a48504")
    (prod / EPISODE_FILE).write_text(pinned)
    assert build(prod, out).exit_code == 0


def test_a_preview_under_another_base_url_neither_checks_nor_records(production, tmp_path: Path) -> None:
    prod = production()
    assert build(prod, tmp_path / "out", "--base-url", "http://localhost:8000/").exit_code == 0
    assert not (prod / LOCK).exists()


def test_a_damaged_lock_is_a_located_error(production, tmp_path: Path) -> None:
    prod = production({LOCK: '{"episodes": \n'})
    result = build(prod, tmp_path / "out")
    assert result.exit_code == 1 and f"{LOCK}:2:1: not JSON" in result.output
