"""The build's manifest, the events between two manifests, and the event feed's rolling log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from conftest import DATA, EPISODE, MEDIA, invoke, tree_hash, write_production

from podops.render import events

JSONAPI = json.loads((DATA / "schemas" / "jsonapi-1.0.schema.json").read_text())  # the specification's own
EPOCH = "1735689600"
SECOND = EPISODE.replace("first-episode", "second-episode").replace("6d1048a48504", "b0b0b0b0b0b0") \
    .replace("Episode One", "Episode Two").replace("2021", "2022").replace("episode: 1", "episode: 2") \
    .replace("assets/ep.mp3", "assets/ep2.mp3")


def build(prod: Path, out: Path, *extra: str, epoch: str = EPOCH) -> dict[str, Any]:
    # these tests change and remove published episodes on purpose: accepted into podops.lock
    result = invoke("build", prod, "-o", out, "--accept-changes", *extra, env={"SOURCE_DATE_EPOCH": epoch})
    assert result.exit_code == 0, result.output
    return json.loads((out / events.MANIFEST_PATH).read_text())


def production(tmp_path: Path) -> Path:
    return write_production(tmp_path / "prod", {"assets/ep2.mp3": MEDIA / "vbr.mp3"})


def state(prod: Path, tmp_path: Path, name: str) -> dict[str, Any]:
    return build(prod, tmp_path / name)["state"]


def test_without_previous_the_manifest_is_a_baseline_and_a_function_of_the_inputs(tmp_path: Path) -> None:
    prod = production(tmp_path)
    first = build(prod, tmp_path / "a")
    build(prod, tmp_path / "b")
    assert tree_hash(tmp_path / "a") == tree_hash(tmp_path / "b")
    assert first["basis"] is None and first["events"] == [] and first["latest"] == []
    show = first["state"]["shows"]["aaa94297acfc"]
    assert show["feed"] == "https://example.com/test-show/feed.xml"
    assert set(show["episodes"]) == {"6d1048a48504"}


def test_the_digest_covers_title_notes_media_and_date_and_nothing_else(tmp_path: Path) -> None:
    prod = production(tmp_path)
    base = state(prod, tmp_path, "base")
    digest = base["shows"]["aaa94297acfc"]["episodes"]["6d1048a48504"]["digest"]
    changes = {
        "title": EPISODE.replace("Episode One", "Episode 1"),
        "notes": EPISODE.replace("The first one.", "The first one!"),
        "date": EPISODE.replace("20:10:35", "20:10:36"),
        "media": EPISODE.replace("assets/ep.mp3", "assets/ep2.mp3"),
        "season": EPISODE.replace("season: 1", "season: 2"),
    }
    for name, text in changes.items():
        (prod / "episodes/episode-6d1048a48504.yaml").write_text(text)
        after = state(prod, tmp_path, name)["shows"]["aaa94297acfc"]["episodes"]["6d1048a48504"]["digest"]
        assert (after != digest) == (name != "season"), name


def test_diff_names_every_change_once_with_ids_that_do_not_depend_on_time(tmp_path: Path) -> None:
    prod = production(tmp_path)
    before = state(prod, tmp_path, "before")
    (prod / "episodes/episode-6d1048a48504.yaml").write_text(EPISODE.replace("Episode One", "Episode 1"))
    (prod / "episodes/episode-b0b0b0b0b0b0.yaml").write_text(SECOND)
    after = state(prod, tmp_path, "after")
    found = events.diff(before, after)
    assert [(e["type"], e["subject"]["id"]) for e in found] == [
        ("episode_updated", "6d1048a48504"), ("episode_published", "b0b0b0b0b0b0")]
    assert [e["id"] for e in events.diff(before, after)] == [e["id"] for e in found]
    assert events.diff(after, after) == []
    back = events.diff(after, before)
    assert [e["type"] for e in back] == ["episode_unpublished", "episode_updated"]
    assert back[1]["id"] != found[0]["id"]  # editing back is another change, with another id


def test_show_changes_are_show_updated(tmp_path: Path) -> None:
    prod = production(tmp_path)
    before = state(prod, tmp_path, "before")
    show = (prod / "show.yaml").read_text()
    (prod / "show.yaml").write_text(show.replace("Test Show", "Test Show, renamed"))
    found = events.diff(before, state(prod, tmp_path, "after"))
    assert [(e["type"], e["data"]["attributes"]["title"]) for e in found] == [("show_updated", "Test Show, renamed")]


def test_previous_continues_the_event_log_and_the_feed_is_jsonapi(tmp_path: Path) -> None:
    prod = production(tmp_path)
    old = tmp_path / "old"
    build(prod, old)
    (prod / "episodes/episode-b0b0b0b0b0b0.yaml").write_text(SECOND)
    new = tmp_path / "new"
    record = build(prod, new, "--previous", str(old), epoch="1735776000")
    assert [e["type"] for e in record["events"]] == ["episode_published"]
    assert record["latest"] == [record["events"][0]["id"]]
    assert record["events"][0]["timestamp"] == "2025-01-02T00:00:00Z"
    feed = json.loads((new / "api/v1/events.json").read_text())
    [item] = feed["data"]
    assert item["type"] == "event" and item["attributes"]["event_type"] == "episode_published"
    assert item["relationships"]["subject"]["data"] == {"type": "episode", "id": "b0b0b0b0b0b0"}
    jsonschema.Draft7Validator(JSONAPI).validate(feed)
    # the same inputs and the same previous manifest give the same bytes, and a rebuild against
    # itself keeps the log but announces nothing new
    again = tmp_path / "again"
    build(prod, again, "--previous", str(old), epoch="1735776000")
    assert tree_hash(again) == tree_hash(new)
    settled = build(prod, tmp_path / "settled", "--previous", str(new), epoch="1735862400")
    assert settled["events"] == record["events"] and settled["latest"] == []


def test_the_log_keeps_the_newest_hundred(tmp_path: Path) -> None:
    prod = production(tmp_path)
    out = tmp_path / "out"
    build(prod, out)
    for n in range(events.LOG_SIZE + 3):
        (prod / "episodes/episode-6d1048a48504.yaml").write_text(EPISODE.replace("Episode One", f"Take {n}"))
        record = build(prod, out, "--previous", str(out), epoch=str(1735689600 + n))
    assert len(record["events"]) == events.LOG_SIZE
    assert record["events"][-1]["data"]["attributes"]["title"] == f"Take {events.LOG_SIZE + 2}"
    feed = json.loads((out / "api/v1/events.json").read_text())
    assert feed["meta"]["totalCount"] == events.LOG_SIZE
    assert feed["data"][0]["attributes"]["data"]["attributes"]["title"] == f"Take {events.LOG_SIZE + 2}"
    catalog = json.loads((out / "api/v1/index.json").read_text())["data"]
    assert catalog["relationships"]["events"]["links"]["related"] == "https://example.com/api/v1/events.json"


def test_a_previous_that_is_not_a_manifest_stops_the_build(tmp_path: Path) -> None:
    prod = production(tmp_path)
    bad = tmp_path / "bad"
    (bad / events.MANIFEST_PATH).parent.mkdir(parents=True)
    (bad / events.MANIFEST_PATH).write_text("{not json")
    out = tmp_path / "out"
    result = invoke("build", prod, "-o", out, "--previous", bad)
    assert result.exit_code == 1
    assert "not a podops manifest" in result.output and not out.exists()
