"""The release rules: one set that validate and build both apply, and the warnings they give."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EPISODE, SHOW, invoke, tree_hash

from podops.release import placeholder_host
from podops.urls import podcast_guid

EP = "episodes/episode-6d1048a48504.yaml"
REAL = {  # the test show without placeholders, its podcast:guid pinned
    "show.yaml": SHOW.replace("https://example.com/", "https://pod.podops.dev/").replace(
        "test@example.com", "host@podops.dev") + f"podcastGuid: {podcast_guid('pod.podops.dev/test-show/feed.xml')}\n",
}


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": warning: " in line]


def test_validate_and_build_give_the_same_verdict_on_a_show_without_base_url(production, tmp_path: Path) -> None:
    prod = production({"show.yaml": SHOW.replace("site:\n  baseUrl: https://example.com/\n", "")})
    before = tree_hash(prod)
    check = invoke("validate", prod)
    assert tree_hash(prod) == before  # validate writes nothing
    build = invoke("build", prod, "-o", tmp_path / "out")
    assert check.exit_code == build.exit_code == 1
    expected = "show.yaml:1:1: site.baseUrl: is required to write absolute feed and enclosure URLs (or pass --base-url)"
    assert check.stderr.splitlines() == build.stderr.splitlines() == [expected]
    assert invoke("validate", prod, "--base-url", "https://pod.podops.dev/").exit_code == 0
    assert not (tmp_path / "out").exists()


def test_validate_writes_nothing_at_all(production) -> None:
    prod = production(REAL)
    before = sorted(prod.rglob("*"))
    assert invoke("validate", prod).exit_code == 0
    assert sorted(prod.rglob("*")) == before


def test_a_show_without_podcast_guid_is_told_the_value_to_pin(production, tmp_path: Path) -> None:
    prod = production()
    derived = podcast_guid("https://example.com/test-show/feed.xml")
    expected = f"pin it by adding `podcastGuid: {derived}` to the show"
    assert any(expected in line for line in warnings(invoke("validate", prod).stderr))
    assert any(expected in line for line in warnings(invoke("build", prod, "-o", tmp_path / "o").stderr))


def test_a_pinned_podcast_guid_survives_another_base_url(production, tmp_path: Path) -> None:
    prod = production(REAL)
    guid = podcast_guid("pod.podops.dev/test-show/feed.xml")
    for n, base in enumerate(["https://pod.podops.dev/", "https://elsewhere.podops.dev/"]):
        result = invoke("build", prod, "-o", tmp_path / f"o{n}", "--base-url", base)
        assert result.exit_code == 0, result.output
        assert f"<podcast:guid>{guid}</podcast:guid>" in (tmp_path / f"o{n}" / "test-show" / "feed.xml").read_text()
    assert warnings(invoke("validate", prod).stderr) == []


@pytest.mark.parametrize("value, host", [
    ("https://example.com/", "example.com"), ("https://static.example.org/x", "static.example.org"),
    ("owner@example.net", "example.net"), ("https://podcast.example/", "podcast.example"),
    ("https://examples.com/", None), ("https://podops.dev/", None), ("me@podops.dev", None),
])
def test_placeholder_hosts_are_the_reserved_example_domains(value: str, host: str | None) -> None:
    assert placeholder_host(value) == host


def test_placeholders_in_the_feed_are_warnings_and_github_annotations(production, tmp_path: Path) -> None:
    prod = production({
        "show.yaml": SHOW.replace("  summary: A show for tests.", "  summary: What *Test Show* is about, in Markdown."),
        EP: EPISODE.replace("  summary: The first one.", "  summary: One or two sentences about this episode.\n"
                            "  link:\n    uri: https://www.example.org/ep"),
    })
    result = invoke("build", prod, "-o", tmp_path / "out", env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 0, result.output
    lines = warnings(result.stderr)
    assert "show.yaml:20:3: warning: site.baseUrl: 'https://example.com/' is a placeholder host (example.com): " \
           "replace it before publishing" in lines
    assert any(line.startswith("show.yaml:16:5: warning: description.owner.email: 'test@example.com' is a "
                               "placeholder e-mail") for line in lines)
    assert any(line.startswith("show.yaml:11:3: warning: description.summary: still the text `podops new` wrote")
               for line in lines)
    assert any(line.startswith(f"{EP}:13:3: warning: description.summary: still the text") for line in lines)
    assert any(line.startswith(f"{EP}:15:5: warning: description.link.uri: 'https://www.example.org/ep'")
               for line in lines)
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::warning ")]
    assert len(annotations) == len(lines)
    assert any(line.endswith("show.yaml,line=20,col=3::site.baseUrl: 'https://example.com/' is a placeholder "
                             "host (example.com): replace it before publishing") for line in annotations)


def test_no_placeholder_no_warning(production, tmp_path: Path) -> None:
    result = invoke("build", production(REAL), "-o", tmp_path / "out")
    assert result.exit_code == 0 and warnings(result.stderr) == []


def test_warnings_survive_a_no_op_build(production, tmp_path: Path) -> None:
    prod = production()
    out = tmp_path / "out"
    first = invoke("build", prod, "-o", out, "-v", env={"GITHUB_ACTIONS": "true"})
    second = invoke("build", prod, "-o", out, "-v", env={"GITHUB_ACTIONS": "true"})
    assert "nothing changed since the last build" in second.stderr
    assert warnings(first.stderr) and warnings(second.stderr) == warnings(first.stderr)
    assert [line for line in second.stdout.splitlines() if line.startswith("::warning")] == \
           [line for line in first.stdout.splitlines() if line.startswith("::warning")]


@pytest.mark.parametrize("value", ["https://EXAMPLE.com/", "https://a.Example.ORG.", "me@host.INVALID",
                                   "https://x.invalid./", "https://pod.example", "https://xn--exmple-cua.com/",
                                   "https://İnvalid.invalid/", "mailto:a@b.example.net"])
def test_the_cheap_search_before_a_placeholder_check_misses_no_placeholder(value: str) -> None:
    """Only values the search finds are split: it must find every one placeholder_host answers for."""
    from podops.release import _MAYBE

    assert placeholder_host(value) is None or _MAYBE.search(value)
