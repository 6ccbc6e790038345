"""The search index: Pagefind over every public episode's title, notes and transcript, reproducibly.

Finding a word in a browser is in ``test_browser.py``; here is what goes into the index, what
never does, and that its bytes are the same for the same input however the build was reached.
"""

from __future__ import annotations

import base64
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import tree_hash
from test_api import write_network

from podops.build import build, check
from podops.errors import OutputError
from podops.model import Release
from podops.release import plan_releases
from podops.render import search
from podops.write.output import Plan

EPISODE_ONE = "episodes/episode-1f2e3d4c5b6a.yaml"
NOW = datetime(2025, 1, 1, tzinfo=UTC)


def releases_of(root: Path) -> list[Release]:
    """What a build would publish from ``root`` now."""
    production, _ = check(root)
    return plan_releases(production, NOW)[0]


def index_of(site: Path) -> dict[str, str]:
    """The search index files of a built site, by hash."""
    return {path: digest for path, digest in tree_hash(site).items() if path.startswith("pagefind/")}


def test_every_public_episode_is_indexed_inside_the_build(example: Path, tmp_path: Path) -> None:
    site = tmp_path / "public"
    build(example, site)
    bundle = site / "pagefind/the-static-signal"
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    assert entry["version"] == search.VERSION.split()[1]
    assert [lang["page_count"] for lang in entry["languages"].values()] == [3]  # the 3 published episodes
    assert (bundle / "pagefind.js").is_file() and (bundle / "pagefind-worker.js").is_file()
    assert not list(bundle.glob("*ui*"))  # Pagefind's own interfaces are left out
    assert 'data-search="pagefind/the-static-signal/pagefind.js" data-search-root="index.html"' in \
        (site / "index.html").read_text()
    assert 'data-search="../pagefind/the-static-signal/pagefind.js" data-search-root="../index.html"' in \
        (site / "the-static-signal/index.html").read_text()


def test_an_episode_is_indexed_by_title_show_notes_and_transcript(example: Path) -> None:
    docs = dict(search.documents(releases_of(example)))
    assert sorted(docs) == ["the-static-signal/feeds-every-app-accepts/index.html",
                            "the-static-signal/welcome-trailer/index.html",
                            "the-static-signal/why-a-build-beats-a-server/index.html"]
    text = docs["the-static-signal/why-a-build-beats-a-server/index.html"]
    assert "<h1>Why a build beats a server</h1>" in text
    assert '<main data-pagefind-body data-pagefind-meta="show:The Static Signal">' in text
    assert "<h2>In this episode</h2>" in text  # the notes
    assert "Thanks for listening." in text  # the transcript, once though two files carry it
    assert text.count("Thanks for listening.") == 1
    assert '<html lang="en-us">' in text


def test_hostile_text_stays_text_in_a_search_document(example: Path) -> None:
    episode = example / EPISODE_ONE
    episode.write_text(episode.read_text().replace("title: Why a build beats a server",
                                                   'title: "<img src=x onerror=alert(1)>"'))
    docs = dict(search.documents(releases_of(example)))
    text = docs["the-static-signal/why-a-build-beats-a-server/index.html"]
    assert "<h1>&lt;img src=x onerror=alert(1)&gt;</h1>" in text and "<img" not in text


def test_a_private_show_never_reaches_the_index(example: Path) -> None:
    releases = releases_of(example)
    releases[0].show.private = True
    assert list(search.documents(releases)) == []
    plan = Plan()
    search.plan_index(releases, plan)
    assert plan.files == {} and plan.kept == set()


def test_a_site_with_nothing_to_search_has_no_index_and_no_search_box(production, tmp_path: Path) -> None:
    root = production({"episodes/episode-6d1048a48504.yaml": None})
    site = tmp_path / "out"
    build(root, site)
    assert not (site / "pagefind").exists()
    assert 'class="search"' not in (site / "test-show/index.html").read_text()


def test_the_index_is_byte_identical_across_builds_and_after_an_incremental_one(example: Path,
                                                                               tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    build(example, first)
    shutil.rmtree(example / ".podops")
    build(example, second)
    assert index_of(first) and index_of(first) == index_of(second)

    episode = example / EPISODE_ONE
    episode.write_text(episode.read_text().replace("Why a build beats a server", "Why builds beat servers"))
    build(example, first)  # incremental: pages and the index of the previous build are at hand
    shutil.rmtree(example / ".podops")
    clean = tmp_path / "clean"
    build(example, clean)
    assert index_of(first) == index_of(clean) != index_of(second)


def test_an_unchanged_production_keeps_its_index_without_running_pagefind(example: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "public"
    build(example, site)
    before = index_of(site)
    (example / "README.md").write_text("a change outside every resource\n")

    def refuse(*args: object) -> dict[str, bytes]:
        raise AssertionError("Pagefind ran although no episode changed")

    monkeypatch.setattr(search, "run_pagefind", refuse)
    report = build(example, site)
    assert not report.skipped and report.files["written"] == 0
    assert index_of(site) == before


def test_each_show_of_a_network_has_its_own_index_and_the_home_page_searches_them_all(tmp_path: Path) -> None:
    root = write_network(tmp_path / "network")
    site = tmp_path / "public"
    build(root, site)
    bundles = sorted(p.parent.name for p in (site / "pagefind").glob("*/pagefind.js"))
    assert len(bundles) >= 2
    home = (site / "index.html").read_text()
    assert 'data-search="' + " ".join(f"pagefind/{name}/pagefind.js" for name in bundles) + '"' in home
    for name in bundles:
        assert f'data-search="../pagefind/{name}/pagefind.js"' in (site / name / "index.html").read_text()


def test_a_network_index_is_byte_identical_across_builds_and_after_an_incremental_one(tmp_path: Path) -> None:
    # Pagefind's filter files come out in a different order from run to run, so podops gives each
    # show an index of its own instead of one index with a filter per show: this is the proof.
    root = write_network(tmp_path / "network")
    out = tmp_path / "public"
    builds = []
    for n in range(3):
        shutil.rmtree(root / ".podops", ignore_errors=True)
        build(root, tmp_path / f"clean-{n}")
        builds.append(index_of(tmp_path / f"clean-{n}"))
    assert builds[0] and builds[0] == builds[1] == builds[2]

    build(root, out)
    source = root / "alpha/episodes/alpha-second.yaml"
    source.write_text(source.read_text().replace("title: Episode alpha-second", "title: Renamed"))
    report = build(root, out)
    changed = {path.split("/")[1] for path in report.changed if path.startswith("pagefind/")}
    assert len(changed) == 1  # only the edited show's index was made again
    shutil.rmtree(root / ".podops")
    build(root, tmp_path / "clean")
    assert index_of(out) == index_of(tmp_path / "clean") != builds[0]


def test_a_large_show_is_indexed_in_stable_buckets_and_an_edit_remakes_one(example: Path, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "BUCKET_FROM", 1)  # the example's three episodes count as a large show
    site = tmp_path / "public"
    build(example, site)
    bundles = sorted(p.parent.relative_to(site).as_posix() for p in site.glob("pagefind/*/*/pagefind.js"))
    assert len(bundles) >= 2 and all(b.startswith("pagefind/the-static-signal/") for b in bundles)
    page = (site / "the-static-signal/index.html").read_text()
    assert 'data-search="' + " ".join(f"../{b}/pagefind.js" for b in bundles) + '"' in page
    assert sum(json.loads((site / b / "pagefind-entry.json").read_text())["languages"]["en-us"]["page_count"]
               for b in bundles) == 3

    episode = example / EPISODE_ONE
    episode.write_text(episode.read_text().replace("Why a build beats a server", "Why builds beat servers"))
    report = build(example, site)
    remade = {path.split("/")[2] for path in report.changed if path.startswith("pagefind/")}
    assert len(remade) == 1  # one bucket's index made again, the others kept
    shutil.rmtree(example / ".podops")
    build(example, tmp_path / "clean")
    assert index_of(site) == index_of(tmp_path / "clean")


def test_the_index_follows_the_pages_not_the_order_they_come_in(example: Path) -> None:
    # The command-line indexer read a scratch folder in the file system's order, so the bytes of
    # an index depended on the file system it ran on; the service takes pages in path order.
    docs = list(search.documents(releases_of(example)))
    assert len(docs) == 3
    forward, backward = search.run_pagefind(docs), search.run_pagefind(reversed(docs))
    assert forward == backward
    assert "pagefind-entry.json" in forward and any(name.startswith("fragment/") for name in forward)


def fake_pagefind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    """Replace the Pagefind binary by a shell script."""
    script = tmp_path / "pagefind"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    monkeypatch.setattr(search, "executable", lambda: script)


def test_an_indexer_that_fails_stops_the_build_with_its_message(example: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    fake_pagefind(tmp_path, monkeypatch, "echo 'pagefind: out of cheese' >&2; exit 3")
    with pytest.raises(OutputError, match=r"search index: Pagefind failed \(pagefind: out of cheese\)"):
        search.run_pagefind(search.documents(releases_of(example)))


def test_an_indexer_that_refuses_a_page_stops_the_build(example: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # the service's reply to anything: an error (base64 of {"message_id":1,"payload":{...}})
    reply = base64.b64encode(json.dumps({"message_id": 1, "payload": {"type": "Error",
                                                                      "message": "Failed to add file"}}).encode())
    fake_pagefind(tmp_path, monkeypatch, f"printf '{reply.decode()},'; cat >/dev/null")
    with pytest.raises(OutputError, match=r"Pagefind failed \(Failed to add file\)"):
        search.run_pagefind(search.documents(releases_of(example)))


def test_an_indexer_that_never_answers_is_stopped_at_its_deadline(example: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    fake_pagefind(tmp_path, monkeypatch, "exec sleep 600")
    monkeypatch.setattr(search, "TIMEOUT", 1)
    with pytest.raises(OutputError, match="did not finish within 1 s"):
        search.run_pagefind(search.documents(releases_of(example)))
