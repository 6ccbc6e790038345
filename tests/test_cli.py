"""The command line through click's runner: exit codes, output formats, scaffolding."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import EPISODE, SHOW, invoke

EP = "episodes/episode-6d1048a48504.yaml"


def test_validate_ok_writes_nothing(production) -> None:
    prod = production()
    before = sorted(p for p in prod.rglob("*"))
    result = invoke("validate", prod)
    assert result.exit_code == 0
    assert "ok: 1 show(s), 1 episode(s), no errors" in result.stderr
    assert sorted(p for p in prod.rglob("*")) == before  # not even a cache


def test_validate_json_format(production) -> None:
    prod = production({"show.yaml": SHOW.replace("  title: Test Show", "  titel: Test Show")})
    result = invoke("validate", prod, "--format", "json")
    assert result.exit_code == 1
    diagnostics = json.loads(result.stdout)
    assert {"path": "show.yaml", "line": 10, "column": 3, "field": "description.titel",
            "message": "unknown field (did you mean 'title'?)", "severity": "error"} in diagnostics


def test_github_actions_annotations(production) -> None:
    prod = production({"show.yaml": SHOW.replace("  title: Test Show", "  titel: Test Show")})
    result = invoke("validate", prod, env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 1
    assert any(line.startswith("::error file=") and "line=10,col=3::description.titel: unknown field" in line
               for line in result.stdout.splitlines())


def test_usage_errors_exit_2(production, tmp_path: Path) -> None:
    assert invoke("build", "--nope").exit_code == 2
    assert invoke("build", production(), "--base-url", "javascript:alert(1)").exit_code == 2


def test_build_prints_where_the_feed_is_and_a_summary(production, tmp_path: Path) -> None:
    out = tmp_path / "public"
    result = invoke("build", production(), "-o", out, "--base-url", "https://cdn.example.net/pod")
    assert result.exit_code == 0
    assert f"feed: {out / 'test-show' / 'feed.xml'}" in result.stderr
    assert "built 1 show(s): 1 episode(s) published, 0 scheduled, 0 draft(s) skipped" in result.stderr
    feed = (out / "test-show" / "feed.xml").read_text()
    assert 'url="https://cdn.example.net/pod/test-show/media/assets/ep.mp3"' in feed
    quiet = invoke("build", production(name="p2"), "-o", tmp_path / "q", "-q")
    assert quiet.exit_code == 0 and quiet.output == ""


def test_missing_base_url_is_explained(production, tmp_path: Path) -> None:
    prod = production({"show.yaml": SHOW.replace("site:\n  baseUrl: https://example.com/\n", "")})
    result = invoke("build", prod, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "show.yaml:1:1: site.baseUrl: is required to write absolute feed and enclosure URLs" in result.stderr


def test_version_and_module_entry_point() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "podops", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("podops, version ")


def test_verbose_explains_what_was_probed_and_rewritten(production, tmp_path: Path) -> None:
    prod, out = production(), tmp_path / "public"
    first = invoke("build", prod, "-o", out, "-v")
    assert "probed: assets/ep.mp3 (content new to the cache)" in first.stderr
    assert "wrote: test-show/feed.xml (bytes changed)" in first.stderr
    (prod / EP).write_text(EPISODE.replace("Episode One", "Episode Uno"))
    second = invoke("build", prod, "-o", out, "-v")
    assert "probed:" not in second.stderr
    assert "wrote: test-show/feed.xml (bytes changed)" in second.stderr
    assert "probe cache 2 hits, 0 misses" in second.stderr


def test_a_podops_production_without_base_url_publishes_under_its_link(production, tmp_path: Path) -> None:
    show = SHOW.replace("site:\n  baseUrl: https://example.com/\n", "").replace(
        "  title: Test Show\n",
        "  title: Test Show\n  link:\n    uri: https://podops.dev/minimalpodcast\n    rel: external\n")
    result = invoke("build", production({"show.yaml": show}), "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    expected = "warning: site.baseUrl: not set: publishing under the show's link https://podops.dev/minimalpodcast"
    assert expected in result.stderr
    feed = (tmp_path / "out" / "test-show" / "feed.xml").read_text()
    assert 'url="https://podops.dev/minimalpodcast/test-show/media/assets/ep.mp3"' in feed


def test_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    for command in ("validate", "build", "serve"):
        result = invoke(command, tmp_path / "nope")
        assert result.exit_code == 2, (command, result.output)
        assert "does not exist" in result.stderr


def test_problems_of_no_file_say_podops_not_a_dot(production, tmp_path: Path) -> None:
    result = invoke("build", production(), "-o", tmp_path / "o", env={"SOURCE_DATE_EPOCH": "soon"})
    assert result.exit_code == 1
    assert result.stderr.startswith("podops: invalid SOURCE_DATE_EPOCH")


def test_build_inside_a_production_says_exactly_what_to_pass(production, monkeypatch) -> None:
    prod = production()
    monkeypatch.chdir(prod)
    result = invoke("build")
    assert result.exit_code == 2
    assert "the default output folder public would be inside the production ." in result.stderr
    assert "pass an output folder outside it, e.g. -o ../prod-public" in result.stderr
    assert not (prod / "public").exists()
    assert invoke("build", "-o", "../prod-public").exit_code == 0
    assert (prod.parent / "prod-public" / "test-show" / "feed.xml").is_file()


def test_the_lock_file_is_removed_after_a_build(production, tmp_path: Path) -> None:
    assert invoke("build", production(), "-o", tmp_path / "public").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prod", "public"]
