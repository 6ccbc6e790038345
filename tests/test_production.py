"""Finding resources: layouts PodOps used, networks of shows, and files that are not resources."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EPISODE, IMAGES, SHOW, write_production

from podops.errors import ResourceError
from podops.load.production import load_production
from podops.load.yamlfile import MAX_BYTES

EP = "episodes/episode-6d1048a48504.yaml"

LEGACY = """\
apiVersion: v1
kind: episode
metadata:
  name: legacy-episode
  labels:
    guid: 1234567890ab
    parent_guid: aaa94297acfc
    date: Fri, 04 Jun 2021 20:10:35 +0000
    season: "1"
    episode: "2"
    explicit: "no"
    type: Full
    block: "no"
description:
  title: Legacy
  summary: Written by the hosted PodOps.
enclosure:
  uri: assets/ep2.mp3
  rel: local
"""


def test_example_layout_loads(production) -> None:
    show = load_production(production()).shows[0]
    assert show.name == "test-show" and show.language == "en-us" and show.explicit is False
    (episode,) = show.episodes
    assert (episode.guid, episode.season, episode.number) == ("6d1048a48504", 1, 1)


def test_legacy_labels_layout_is_read(production) -> None:
    prod = production({"episodes/legacy.yml": LEGACY, "assets/ep2.mp3": b"x"})
    show = load_production(prod).shows[0]
    legacy = next(e for e in show.episodes if e.name == "legacy-episode")
    assert (legacy.guid, legacy.parent, legacy.number, legacy.type, legacy.explicit) == (
        "1234567890ab", "aaa94297acfc", 2, "full", False)


def test_files_that_are_not_resources_are_ignored(production) -> None:
    prod = production({
        ".github/workflows/build.yml": "on: push\njobs: {}\n",
        "mkdocs.yml": "site_name: notes\n",
        "templates/partials/x.yaml": "kind: nonsense\n",
        "_drafts/ideas.yaml": "kind: whatever\n",
    })
    assert len(load_production(prod).shows[0].episodes) == 1


def test_a_folder_of_productions_builds_as_a_network(tmp_path: Path) -> None:
    write_production(tmp_path / "net" / "one")
    other = SHOW.replace("test-show", "other-show").replace("aaa94297acfc", "bbb94297acfc")
    write_production(tmp_path / "net" / "two", {
        "show.yaml": other,
        "episodes/episode-6d1048a48504.yaml": EPISODE.replace("6d1048a48504", "7d1048a48504").replace(
            "aaa94297acfc", "bbb94297acfc")})
    production = load_production(tmp_path / "net")
    assert [s.name for s in production.shows] == ["other-show", "test-show"]
    assert all(len(s.episodes) == 1 for s in production.shows)
    assert production.shows[0].episodes[0].display == "two/episodes/episode-6d1048a48504.yaml"


def test_two_shows_in_one_folder_are_an_error(production) -> None:
    other = SHOW.replace("test-show", "other-show").replace("aaa94297acfc", "bbb94297acfc")
    with pytest.raises(ResourceError, match="a second show in one production folder"):
        load_production(production({"show-bbb94297acfc.yaml": other}))


def test_asset_paths_may_be_relative_to_the_resource_file(production) -> None:
    prod = production({EP: EPISODE.replace("uri: assets/ep.mp3", "uri: ep.mp3"),
                       "episodes/ep.mp3": b"ID3"})
    episode = load_production(prod).shows[0].episodes[0]
    assert episode.enclosure.path == (prod / "episodes" / "ep.mp3").resolve()


def test_symlinked_resource_outside_is_not_read(production, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(EPISODE.replace("6d1048a48504", "9d1048a48504").replace("first-episode", "sneaky-episode"))
    prod = production()
    (prod / "episodes" / "link.yaml").symlink_to(outside)
    assert [e.name for e in load_production(prod).shows[0].episodes] == ["first-episode"]


def test_cached_reads_give_the_same_model_and_the_same_errors(production) -> None:
    from podops.probe.store import Store
    from podops.write.caches import Caches

    prod = production()
    plain = load_production(prod)
    for _ in range(2):  # first fills the cache, second reads from it
        store = Store(prod)
        cached = load_production(prod, Caches(store))
        store.close()
        assert repr(cached.shows) == repr(plain.shows)
        assert repr(cached.shows[0].episodes) == repr(plain.shows[0].episodes)
    (prod / EP).write_text(EPISODE.replace("  title: Episode One", "  titel: Episode One"))
    for _ in range(2):
        store = Store(prod)
        with pytest.raises(ResourceError) as info:
            load_production(prod, Caches(store))
        store.close()
        assert f"{EP}:12:3: description.titel: unknown field (did you mean 'title'?)" in str(info.value)


def test_an_all_digit_guid_with_a_leading_zero_is_read_as_written(production) -> None:
    prod = production({EP: EPISODE.replace("guid: 6d1048a48504", "guid: 012345678901")})
    assert load_production(prod).shows[0].episodes[0].guid == "012345678901"


def test_two_invalid_show_names_are_two_errors_not_a_clash_of_empty_names(production) -> None:
    bad = SHOW.replace("name: test-show", "name: Bad.Name")
    prod = production({"show.yaml": bad, "other/show.yaml": bad.replace("aaa94297acfc", "bbb94297acfc"),
                       "other/assets/cover.png": IMAGES / "ok.png"})
    with pytest.raises(ResourceError) as info:
        load_production(prod)
    assert [d.path for d in info.value.diagnostics] == ["other/show.yaml", "show.yaml"]
    assert all("must be 8–44 characters" in d.message for d in info.value.diagnostics)


def _bad_input_files() -> list[tuple[str, bytes]]:
    """Every YAML file of the bad-input table's cases, and the valid base files they change."""
    from conftest import CHANNEL
    from test_bad_inputs import CASES

    found = [("show.yaml", SHOW.encode()), (EP, EPISODE.encode()), ("channel.yaml", CHANNEL.encode()),
             (EP, LEGACY.encode())]
    for _id, files, _where, _words in CASES:
        for name, content in files.items():
            raw = content.encode() if isinstance(content, str) else content
            if name.endswith((".yaml", ".yml")) and raw is not None and len(raw) <= MAX_BYTES:
                found.append((name, raw))  # (a larger file is refused before it is read)
    return found


def test_fast_reads_equal_careful_reads_and_every_problem_is_read_carefully(tmp_path: Path) -> None:
    """Decision 2 of the speed issue: positions only for files with a problem, the same values always."""
    from podops.load.production import Marks, _read_careful, _read_fast

    files = _bad_input_files()
    assert len(files) > 60
    fast_ones = 0
    for name, raw in files:
        path = tmp_path / "f.yaml"
        path.write_bytes(raw)
        fast, careful = _read_fast(path, name, raw), _read_careful(path, name, raw)
        if careful[3]:  # any diagnostic, a warning too, comes from the position-keeping loader
            assert fast is None, (name, careful[3])
            continue
        if fast is None:
            continue  # e.g. a merge key or a tag: the careful loader reads it, cleanly
        fast_ones += 1
        assert fast[:2] == careful[:2] and not fast[3], name
        assert isinstance(fast[2], Marks) and list(fast[2]) == list(careful[2]), name
        assert dict(fast[2].items()) != careful[2] or not careful[2]  # no positions until one is asked for
        assert {k: fast[2][k] for k in careful[2]} == careful[2], name  # asked: found by reading again
    assert fast_ones > 20


def test_a_later_check_finds_the_position_in_a_file_read_fast(production) -> None:
    """A duplicate GUID is found after loading; the fast-read file is read again for the line."""
    other = EPISODE.replace("name: first-episode", "name: second-episode")
    prod = production({"episodes/episode-other.yaml": other})
    with pytest.raises(ResourceError) as info:
        load_production(prod)
    assert ("episodes/episode-other.yaml:5:3: metadata.guid: GUID '6d1048a48504' is already used by "
            f"{EP}:5") in str(info.value)
    assert "episodes/episode-other.yaml:15:3: enclosure.uri: enclosure 'assets/ep.mp3'" in str(info.value)


def test_a_linked_folder_leaving_the_production_is_refused_and_one_inside_is_followed(production,
                                                                                      tmp_path: Path) -> None:
    """Assets are found by one lstat each (their folder resolved once); linked folders still resolve."""
    outside = tmp_path / "outside"
    outside.mkdir()
    prod = production()
    (outside / "ep.mp3").write_bytes((prod / "assets" / "ep.mp3").read_bytes())
    (prod / "media").symlink_to(outside)
    moved = EPISODE.replace("  uri: assets/ep.mp3", "  uri: media/ep.mp3")
    (prod / EP).write_text(moved)
    with pytest.raises(ResourceError, match=f"{EP}:15:3: enclosure.uri: 'media/ep.mp3': path escapes"):
        load_production(prod)
    (prod / "media").unlink()
    (prod / "media").symlink_to(prod / "assets")
    episode = load_production(prod).shows[0].episodes[0]
    assert episode.enclosure and episode.enclosure.path == (prod / "assets" / "ep.mp3").resolve()


def test_positions_a_later_warning_needed_are_kept_with_the_cached_record(production, monkeypatch) -> None:
    """A placeholder host is found after loading; the next cached load already knows where it is."""
    from podops.load import production as loading
    from podops.probe.store import Store
    from podops.release import plan_releases
    from podops.write.caches import Caches

    prod = production({EP: EPISODE.replace("description:\n", "description:\n  link:\n    uri: https://example.org/x\n")})
    found: list[str] = []
    original = loading.Marks.find

    def counting(self: loading.Marks) -> None:
        found.append(self.display)
        original(self)

    monkeypatch.setattr(loading.Marks, "find", counting)
    for expected in ([EP], []):
        found.clear()
        store = Store(prod)
        loaded = load_production(prod, Caches(store))
        _, problems = plan_releases(loaded, loaded.shows[0].episodes[0].date, False, None)
        loaded.loaded.save()  # as a build does once its checks are done
        store.close()
        assert any(str(d).startswith(f"{EP}:13:5: warning: description.link.uri: ") for d in problems.warnings), [
            str(d) for d in problems.warnings]
        assert [f for f in found if f == EP] == expected


def test_positions_found_later_are_those_the_careful_loader_gives(tmp_path: Path) -> None:
    """A clean file's positions come from libyaml's nodes, a file with problems' from the loader: the same."""
    from podops.load.production import _positions, _read_careful
    from podops.load.yamlfile import parse_fast

    marked = 0
    for name, raw in [*_bad_input_files(), ("example", (Path(__file__).parents[1] / "example-production" /
                                                         "show.yaml").read_bytes())]:
        path = tmp_path / "f.yaml"
        path.write_bytes(raw)
        careful = _read_careful(path, name, raw)
        marked += parse_fast(raw, marked=True) is not None
        if careful[0] is not None:  # a resource: every field where the careful loader puts it
            assert _positions(path, name, raw) == careful[2], name
    assert marked > 20
