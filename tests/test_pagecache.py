"""Reusing unchanged pages: an incremental build must equal a clean one, byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import EXAMPLE, invoke, tree_hash

from podops import build as build_module
from podops.render import theme

EPISODE_ONE = "episodes/episode-1f2e3d4c5b6a.yaml"


def rendered_pages(monkeypatch) -> list[str]:
    """Record the templates rendered from now on."""
    names: list[str] = []
    original = theme.Theme.render

    def spy(self, name, **context):
        names.append(name)
        return original(self, name, **context)

    monkeypatch.setattr(theme.Theme, "render", spy)
    return names


def copy_example(tmp_path: Path) -> Path:
    prod = tmp_path / "example-production"
    shutil.copytree(EXAMPLE, prod, ignore=shutil.ignore_patterns(".podops"))
    return prod


def test_a_rebuild_with_no_change_renders_no_episode_page(tmp_path: Path, monkeypatch) -> None:
    prod, out = copy_example(tmp_path), tmp_path / "public"
    build_module.build(prod, out)
    (prod / "README.md").write_text("a change outside every resource: a real build that changes no page\n")
    names = rendered_pages(monkeypatch)
    report = build_module.build(prod, out)
    assert not report.skipped
    assert "episode.html" not in names and "embed.html" not in names and "show.html" not in names
    assert report.files["written"] == 0


def test_an_edited_episode_rerenders_its_pages_and_the_result_equals_a_clean_build(tmp_path: Path,
                                                                                    monkeypatch) -> None:
    prod, out = copy_example(tmp_path), tmp_path / "public"
    build_module.build(prod, out)
    episode = prod / EPISODE_ONE
    episode.write_text(episode.read_text().replace("Why a build beats a server", "Why builds beat servers"))
    names = rendered_pages(monkeypatch)
    build_module.build(prod, out)
    assert names.count("episode.html") == 3  # the episode and its two neighbours (their links name it)
    clean = tmp_path / "clean"
    shutil.rmtree(prod / ".podops")
    build_module.build(prod, clean)
    assert tree_hash(out) == tree_hash(clean)


def test_a_changed_override_template_rerenders_everything(tmp_path: Path, monkeypatch) -> None:
    prod, out = copy_example(tmp_path), tmp_path / "public"
    (prod / "templates").mkdir()
    (prod / "templates" / "embed.html").write_text(
        (theme.builtin_templates() / "embed.html").read_text())
    build_module.build(prod, out)
    (prod / "templates" / "embed.html").write_text(
        (theme.builtin_templates() / "embed.html").read_text().replace("</body>", "<!-- mine --></body>"))
    names = rendered_pages(monkeypatch)
    build_module.build(prod, out)
    assert names.count("embed.html") == 6
    assert "<!-- mine -->" in (out / "the-static-signal" / "welcome-trailer" / "embed.html").read_text()


def test_a_deleted_output_page_is_rendered_again(tmp_path: Path) -> None:
    prod, out = copy_example(tmp_path), tmp_path / "public"
    build_module.build(prod, out)
    page = out / "the-static-signal" / "welcome-trailer" / "index.html"
    expected = page.read_bytes()
    page.unlink()
    build_module.build(prod, out)
    assert page.read_bytes() == expected


def test_overrides_that_read_episode_lists_turn_page_reuse_off(tmp_path: Path, monkeypatch) -> None:
    prod, out = copy_example(tmp_path), tmp_path / "public"
    (prod / "templates").mkdir()
    base = (theme.builtin_templates() / "episode.html").read_text()
    (prod / "templates" / "episode.html").write_text(
        base + "{# lists: {{ release.episodes|length }} #}")
    build_module.build(prod, out)
    (prod / "README.md").write_text("force a real build\n")
    names = rendered_pages(monkeypatch)
    build_module.build(prod, out)
    assert names.count("episode.html") == 3
    assert invoke("validate", prod).exit_code == 0


def test_a_build_with_nothing_changed_stops_early_and_keeps_the_output(tmp_path: Path) -> None:
    prod, out = copy_example(tmp_path), tmp_path / "public"
    first = build_module.build(prod, out)
    before = tree_hash(out)
    second = build_module.build(prod, out)
    assert second.skipped and not first.skipped
    assert (second.published, second.scheduled, second.feeds) == (first.published, first.scheduled, first.feeds)
    assert tree_hash(out) == before


def test_any_change_to_inputs_options_or_output_means_a_real_build(tmp_path: Path) -> None:
    prod, out = copy_example(tmp_path), tmp_path / "public"
    build_module.build(prod, out)
    assert build_module.build(prod, out, drafts=True).skipped is False
    assert build_module.build(prod, out, drafts=True).skipped is True
    (prod / "README.md").write_text("notes\n")
    assert build_module.build(prod, out, drafts=True).skipped is False
    feed = out / "the-static-signal" / "feed.xml"
    expected = feed.read_bytes()
    feed.write_text("tampered")
    assert build_module.build(prod, out, drafts=True).skipped is False
    assert feed.read_bytes() == expected


def test_a_scheduled_episode_coming_due_is_published_even_if_nothing_changed(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    prod, out = copy_example(tmp_path), tmp_path / "public"
    build_module.build(prod, out, now=datetime(2099, 12, 31, tzinfo=timezone.utc))
    assert build_module.build(prod, out, now=datetime(2099, 12, 31, 1, tzinfo=timezone.utc)).skipped
    report = build_module.build(prod, out, now=datetime(2100, 1, 2, tzinfo=timezone.utc))
    assert not report.skipped and report.scheduled == []
    assert "Scheduled episodes and continuous integration" in (out / "the-static-signal" / "feed.xml").read_text()


def serialised_items(monkeypatch) -> list[str]:
    """Record the titles of the feed items serialised from now on (the others come from the cache)."""
    from podops.render import feed

    titles: list[str] = []
    original = feed.ItemWriter.item

    def spy(self, show, episode, base_url):
        titles.append(episode.title)
        return original(self, show, episode, base_url)

    monkeypatch.setattr(feed.ItemWriter, "item", spy)
    return titles


def test_an_edited_episode_reserialises_only_its_feed_item_and_the_feed_equals_a_clean_build(
        tmp_path: Path, monkeypatch) -> None:
    prod, out = copy_example(tmp_path), tmp_path / "public"
    build_module.build(prod, out)
    episode = prod / EPISODE_ONE
    episode.write_text(episode.read_text().replace("Why a build beats a server", "Why builds beat servers"))
    titles = serialised_items(monkeypatch)
    build_module.build(prod, out)
    assert titles == ["Why builds beat servers"]  # the three others are spliced from the previous feed
    clean = tmp_path / "clean"
    shutil.rmtree(prod / ".podops")
    build_module.build(prod, clean)
    assert tree_hash(out) == tree_hash(clean)


def test_a_feed_edited_in_the_output_is_never_a_source_of_items(tmp_path: Path, monkeypatch) -> None:
    prod, out = copy_example(tmp_path), tmp_path / "public"
    build_module.build(prod, out)
    feed_file = next(out.glob("*/feed.xml"))
    feed_file.write_bytes(feed_file.read_bytes().replace(b"<title>", b"<title>hand-edited "))
    (prod / "README.md").write_text("a change outside every resource\n")
    titles = serialised_items(monkeypatch)
    build_module.build(prod, out, force=True)
    assert len(titles) == feed_file.read_bytes().count(b"<item>") == 3  # none taken from the edited file
    assert b"hand-edited" not in feed_file.read_bytes()


def test_a_damaged_item_record_means_serialising_every_item(tmp_path: Path, monkeypatch) -> None:
    from podops.probe.store import Store

    prod, out = copy_example(tmp_path), tmp_path / "public"
    build_module.build(prod, out)
    store = Store(prod)
    key = str(out.absolute())
    spans = store.get("feeds", key)
    path = next(iter(spans))
    spans[path][0][1] += 1  # the first item's offset no longer points at an <item>
    store.put("feeds", key, spans)
    store.close()
    before = tree_hash(out)
    (prod / "README.md").write_text("a change outside every resource\n")
    titles = serialised_items(monkeypatch)
    build_module.build(prod, out)
    assert len(titles) == 3  # every item of the feed
    assert tree_hash(out) == before


def test_an_embed_edited_in_the_output_is_rendered_again_with_its_episode_page_kept(tmp_path: Path,
                                                                                    monkeypatch) -> None:
    prod, out = copy_example(tmp_path), tmp_path / "public"
    build_module.build(prod, out)
    embed = out / "the-static-signal" / "welcome-trailer" / "embed-dark.html"
    expected = embed.read_bytes()
    embed.write_bytes(expected.replace(b"</body>", b"<!-- edited by hand --></body>"))
    (prod / "README.md").write_text("force a real build\n")
    names = rendered_pages(monkeypatch)
    build_module.build(prod, out)
    assert names.count("episode.html") == 1  # one key stands for a page and its embeds: all three again
    assert embed.read_bytes() == expected


def test_an_added_episode_rerenders_the_shifted_list_pages_and_equals_a_clean_build(tmp_path: Path) -> None:
    prod, out = copy_example(tmp_path), tmp_path / "public"
    show = prod / "show.yaml"
    show.write_text(show.read_text().replace("episodesPerPage: 10", "episodesPerPage: 1"))
    build_module.build(prod, out)
    added = (prod / EPISODE_ONE).read_text().replace("1f2e3d4c5b6a", "9e8d7c6b5a4f").replace(
        "name: why", "name: added-why").replace('episode: "1"', 'episode: "99"').replace(
        "Mon, 16 Sep 2024", "Mon, 04 Nov 2024").replace("episode-01.mp3", "episode-99.mp3")  # the newest
    shutil.copy(prod / "assets" / "audio" / "episode-01.mp3", prod / "assets" / "audio" / "episode-99.mp3")
    (prod / "episodes" / "episode-9e8d7c6b5a4f.yaml").write_text(added)  # every list page shifts by one
    build_module.build(prod, out)
    clean = tmp_path / "clean"
    shutil.rmtree(prod / ".podops")
    build_module.build(prod, clean)
    assert (clean / "the-static-signal" / "page" / "2" / "index.html").is_file()
    assert tree_hash(out) == tree_hash(clean)
