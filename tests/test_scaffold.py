"""`podops new`: what it writes always validates; what it would get wrong it refuses first (exit 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import IMAGES, MEDIA, invoke

from podops.commands.scaffold import SCHEMA_FILE
from podops.urls import podcast_guid

BASE = "https://pod.podops.dev/"


def new_show(prod: Path, *extra: str, name: str = "my-new-cast"):
    return invoke("new", "show", prod, "--name", name, "--title", "My New Cast", "--base-url", BASE, *extra)


def new_episode(prod: Path, *extra: str, name: str = "first-words"):
    return invoke("new", "episode", prod, "--name", name, "--title", "First words", *extra)


def files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) if folder.exists() else []


def test_new_show_and_episode_make_a_production_that_validates(tmp_path: Path) -> None:
    prod = tmp_path / "mycast"
    show = new_show(prod, "--email", "me@podops.dev")
    assert show.exit_code == 0, show.output
    show_file = Path(show.stdout.strip())
    assert show_file.name.startswith("show-") and len(show_file.stem) == len("show-") + 12
    assert show_file.read_text().startswith(f"# yaml-language-server: $schema={SCHEMA_FILE}\n")
    assert "cover.png: warning: --image: not there yet" in show.stderr
    assert f"next: podops new episode {prod}" in show.stderr
    shutil.copyfile(IMAGES / "ok.png", prod / "cover.png")
    episode = new_episode(prod, "--audio", "audio/first.mp3")
    assert episode.exit_code == 0, episode.output
    episode_file = Path(episode.stdout.strip())
    assert episode_file.read_text().startswith(f"# yaml-language-server: $schema=../{SCHEMA_FILE}\n")
    assert "audio/first.mp3: warning: --audio: not there yet" in episode.stderr
    assert f"next: podops validate {prod} (the episode is a draft" in episode.stderr
    assert "metadata.labels.status" in episode.stderr
    (prod / "audio").mkdir()
    shutil.copyfile(MEDIA / "cbr.mp3", prod / "audio" / "first.mp3")
    result = invoke("validate", prod)
    assert result.exit_code == 0, result.output
    assert json.loads((prod / SCHEMA_FILE).read_text())["$defs"]["show"]


def test_new_show_pins_the_derived_podcast_guid_and_has_no_placeholder_email(tmp_path: Path) -> None:
    prod = tmp_path / "mycast"
    assert new_show(prod).exit_code == 0
    text = next(prod.glob("show-*.yaml")).read_text()
    assert f"podcastGuid: {podcast_guid(BASE + 'my-new-cast/feed.xml')}\n" in text
    assert "@" not in text  # no e-mail unless one is given
    shutil.copyfile(IMAGES / "ok.png", prod / "cover.png")
    result = invoke("validate", prod)
    assert result.exit_code == 0, result.output
    assert "podcastGuid" not in result.stderr
    assert "still the text `podops new` wrote" in result.stderr  # the summary to replace


@pytest.mark.parametrize("name", ["short", "Has-Capitals", "with.dot-name", "-starts-with-dash", "x" * 45])
def test_a_bad_name_is_refused_with_the_rule_before_anything_is_written(tmp_path: Path, name: str) -> None:
    prod = tmp_path / "mycast"
    result = new_show(prod, name=name)
    assert result.exit_code == 2
    assert result.stderr.startswith("podops: --name: must be 8–44 characters of a-z, 0-9, '-' and '_'")
    assert not prod.exists()
    assert new_show(prod).exit_code == 0
    before = files(prod)
    result = new_episode(prod, name=name)
    assert result.exit_code == 2 and "--name: must be 8–44 characters" in result.stderr
    assert files(prod) == before


def test_a_name_already_used_is_refused(tmp_path: Path) -> None:
    prod = tmp_path / "mycast"
    assert new_show(prod).exit_code == 0
    first = new_episode(prod)
    assert first.exit_code == 0
    before = files(prod)
    again = new_episode(prod)
    assert again.exit_code == 2
    assert "podops: --name: 'first-words' is already used by episodes/episode-" in again.stderr
    assert files(prod) == before


def test_a_second_show_is_refused(tmp_path: Path) -> None:
    prod = tmp_path / "mycast"
    assert new_show(prod).exit_code == 0
    before = files(prod)
    result = new_show(prod, name="another-cast")
    assert result.exit_code == 2
    assert "is already the show of" in result.stderr and "a production holds one show" in result.stderr
    assert files(prod) == before


@pytest.mark.parametrize("audio", ["/tmp/elsewhere.mp3", "../outside.mp3", "audio/../../outside.mp3"])
def test_audio_outside_the_production_is_refused_unless_copied(tmp_path: Path, audio: str) -> None:
    prod = tmp_path / "mycast"
    assert new_show(prod).exit_code == 0
    before = files(prod)
    result = new_episode(prod, "--audio", audio)
    assert result.exit_code == 2
    assert "--audio:" in result.stderr and "pass --copy" in result.stderr
    assert files(prod) == before


def test_copy_brings_outside_audio_into_the_production(tmp_path: Path) -> None:
    prod = tmp_path / "mycast"
    assert new_show(prod).exit_code == 0
    shutil.copyfile(IMAGES / "ok.png", prod / "cover.png")
    source = tmp_path / "recorded.mp3"
    shutil.copyfile(MEDIA / "cbr.mp3", source)
    result = new_episode(prod, "--audio", str(source), "--copy")
    assert result.exit_code == 0, result.output
    assert (prod / "audio" / "recorded.mp3").read_bytes() == source.read_bytes()
    assert "uri: audio/recorded.mp3\n" in Path(result.stdout.strip()).read_text()
    assert "warning" not in result.stderr
    assert invoke("validate", prod).exit_code == 0


def test_new_episode_needs_a_show(tmp_path: Path) -> None:
    result = new_episode(tmp_path)
    assert result.exit_code == 1
    assert "no show found" in result.stderr


def test_new_show_needs_a_base_url_and_refuses_a_bad_one(tmp_path: Path) -> None:
    missing = invoke("new", "show", tmp_path / "a", "--name", "my-new-cast", "--title", "T")
    assert missing.exit_code == 2 and "--base-url" in missing.stderr
    bad = invoke("new", "show", tmp_path / "b", "--name", "my-new-cast", "--title", "T", "--base-url", "ftp://x/")
    assert bad.exit_code == 2
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
