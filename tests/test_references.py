"""Checks that span files: each resource is linked to its show, and what cannot be linked is located."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import CHANNEL, EPISODE, MEDIA, SHOW, write_production

from podops.errors import ResourceError
from podops.load.production import load_production

EP = "episodes/episode-6d1048a48504.yaml"
CH = "channels/morning-live-radio.yaml"
SUBSCRIBERS = """\
apiVersion: v1
kind: subscribers
metadata:
  name: the-members
  guid: 5b1f0c2d3e4a
  parent: aaa94297acfc
subscribers:
  - email: ada@example.org
  - email: " ADA@example.org"
"""


def other(name: str, guid: str, **replace: str) -> str:
    """The base episode under another name and GUID, with its own MP3 unless told otherwise."""
    text = EPISODE.replace("first-episode", name).replace("6d1048a48504", guid)
    text = text.replace("assets/ep.mp3", replace.pop("audio", f"assets/{name}.mp3"))
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


def problems(root: Path) -> list[str]:
    """Every diagnostic of loading ``root``, errors and warnings, as printed."""
    try:
        production = load_production(root)
    except ResourceError as exc:
        return [str(d) for d in exc.diagnostics]
    return [str(w) for w in production.warnings]


def test_episodes_join_their_show_ordered_by_name(tmp_path: Path) -> None:
    root = write_production(tmp_path, {"episodes/b.yaml": other("zzz-last-one", "0000000000b1"),
                                       "assets/zzz-last-one.mp3": MEDIA / "cbr.mp3",
                                       "episodes/a.yaml": other("aaa-first-one", "0000000000a1"),
                                       "assets/aaa-first-one.mp3": MEDIA / "cbr.mp3"})
    [show] = load_production(root).shows
    assert [e.name for e in show.episodes] == ["aaa-first-one", "first-episode", "zzz-last-one"]
    assert all(e.enclosure and e.enclosure.path and e.enclosure.path.is_file() for e in show.episodes)


def test_an_unknown_parent_names_the_shows_there_are(tmp_path: Path) -> None:
    root = write_production(tmp_path, {EP: EPISODE.replace("parent: aaa94297acfc", "parent: 000000000000")})
    assert problems(root) == [f"{EP}:6:3: metadata.parent: '000000000000' names no show (shows: aaa94297acfc)"]


def test_a_second_show_in_one_folder_is_refused(tmp_path: Path) -> None:
    second = SHOW.replace("test-show", "other-show").replace("aaa94297acfc", "bbb94297acfc")
    root = write_production(tmp_path, {"show-two.yaml": second})
    assert problems(root) == ["show.yaml:2:1: kind: a second show in one production folder (first: show-two.yaml)"]


def test_a_serial_show_needs_every_published_episode_numbered(tmp_path: Path) -> None:
    root = write_production(tmp_path, {"show.yaml": SHOW.replace('    explicit: "no"', '    explicit: "no"\n'
                                                                 "    type: serial"),
                                       EP: EPISODE.replace("    episode: 1\n", "")})
    assert [p for p in problems(root) if "serial" in p] == [
        f"{EP}:8:3: metadata.labels.episode: is required: the show is serial (Apple orders serial shows by "
        "episode number)"]


def test_two_episodes_cannot_share_an_item_guid(tmp_path: Path) -> None:
    pinned = "  guid: 6d1048a48504\n  itemGuid: https://old.example.org/ep/1\n"
    root = write_production(tmp_path, {
        EP: EPISODE.replace("  guid: 6d1048a48504\n", pinned),
        "episodes/two.yaml": other("second-episode", "0000000000b2").replace(
            "  guid: 0000000000b2\n", pinned.replace("6d1048a48504", "0000000000b2")),
        "assets/second-episode.mp3": MEDIA / "cbr.mp3"})
    found = [p for p in problems(root) if "itemGuid" in p]
    assert found == ["episodes/two.yaml:6:3: metadata.itemGuid: feed guid 'https://old.example.org/ep/1' is "
                     f"already used by {EP}"]


def test_a_symlink_inside_the_production_is_followed_and_one_leaving_it_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.mp3"
    outside.write_bytes((MEDIA / "cbr.mp3").read_bytes())
    root = write_production(tmp_path / "prod")
    (root / "assets/linked.mp3").symlink_to(root / "assets/ep.mp3")
    (root / EP).write_text(EPISODE.replace("assets/ep.mp3", "assets/linked.mp3"))
    [episode] = load_production(root).shows[0].episodes
    assert episode.enclosure and episode.enclosure.path == (root / "assets/ep.mp3").resolve()
    os.unlink(root / "assets/linked.mp3")
    (root / "assets/linked.mp3").symlink_to(outside)
    assert problems(root) == [f"{EP}:15:3: enclosure.uri: 'assets/linked.mp3': path escapes the production "
                              "directory"]


@pytest.mark.parametrize("uri, message", [
    ("file:///etc/passwd", "must be an absolute http(s) URL"),
    ("/etc/passwd", "local paths are relative to the production (or set rel: external)"),
    ("C:/audio/ep.mp3", "local paths are relative to the production"),
    ("assets/../../ep.mp3", "path escapes the production directory"),
    ("assets/nothing.mp3", "file not found: assets/nothing.mp3"),
])
def test_local_asset_paths_stay_inside_the_production(tmp_path: Path, uri: str, message: str) -> None:
    root = write_production(tmp_path, {EP: EPISODE.replace("assets/ep.mp3", uri)})
    [problem] = problems(root)
    assert problem.startswith(f"{EP}:15:3: enclosure.uri: ") and message in problem


def test_a_channel_must_belong_to_a_show_not_an_episode(tmp_path: Path) -> None:
    root = write_production(tmp_path, {CH: CHANNEL.replace("parent: aaa94297acfc", "parent: 6d1048a48504")})
    assert problems(root) == [f"{CH}:6:3: metadata.parent: names the episode {EP}: the parent of a channel "
                              "must be a show"]


def test_broadcasts_must_end_after_they_start_and_overlaps_are_warned(tmp_path: Path) -> None:
    broken = CHANNEL.replace("    end: 2026-11-30T10:00:00+01:00", "    end: 2026-11-30T07:00:00+01:00")
    root = write_production(tmp_path, {CH: broken})
    assert problems(root) == [f"{CH}:22:5: schedule[0].end: must be after start"]
    overlapping = CHANNEL.replace("    start: 2026-12-01T08:00:00+01:00", "    start: 2026-11-30T09:00:00+01:00")
    root = write_production(tmp_path / "two", {CH: overlapping})
    [warning] = problems(root)
    assert warning.startswith(f"{CH}:24:5: warning: schedule[1].start: overlaps schedule[0] ('Monday morning')")


def test_subscribers_belong_to_a_private_show_once_per_address(tmp_path: Path) -> None:
    root = write_production(tmp_path, {"subscribers.yaml": SUBSCRIBERS})
    assert problems(root) == ["subscribers.yaml:6:3: metadata.parent: show 'test-show' is not private: add "
                              "`private: true` to show.yaml, or its subscribers would get nothing a public feed "
                              "does not give"]
    root = write_production(tmp_path / "private", {"show.yaml": SHOW + "private: true\n",
                                                   "subscribers.yaml": SUBSCRIBERS})
    assert [p for p in problems(root) if "subscribers[1]" in p] == [
        "subscribers.yaml:9:5: subscribers[1].email: the same address as subscribers.yaml:8 (addresses are "
        "compared ignoring case and surrounding space)"]
