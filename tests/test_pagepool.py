"""Episode pages rendered by forked workers: the same bytes as one process, the same errors."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from conftest import MEDIA, tree_hash
from test_site import episode

from podops.build import build
from podops.errors import TemplateError
from podops.render import pagepool


@pytest.fixture
def pooled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fork for every build, a slice per episode, two workers even on one CPU; the pools started."""
    monkeypatch.setattr(pagepool, "FROM", 1)
    monkeypatch.setattr(pagepool, "SLICE", 1)
    monkeypatch.setattr(pagepool, "cpus", lambda: 2)
    started: list[str] = []
    real = multiprocessing.get_context

    def spy(method: str | None = None) -> Any:
        started.append(str(method))
        return real(method)

    monkeypatch.setattr(pagepool.multiprocessing, "get_context", spy)
    return started


def test_pages_rendered_by_workers_are_those_one_process_renders(example: Path, tmp_path: Path,
                                                                 pooled: list[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    build(example, tmp_path / "pooled")
    assert pooled.count("fork") == 1  # the episode pages were rendered by forked workers
    monkeypatch.setattr(pagepool, "FROM", 10**9)
    (example / ".podops").rename(tmp_path / "cache-of-the-pooled-build")
    build(example, tmp_path / "alone")
    assert tree_hash(tmp_path / "pooled") == tree_hash(tmp_path / "alone")


def test_list_pages_rendered_by_workers_are_those_one_process_renders(example: Path, tmp_path: Path,
                                                                     pooled: list[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    show = example / "show.yaml"
    show.write_text(show.read_text().replace("episodesPerPage: 10", "episodesPerPage: 1"))
    build(example, tmp_path / "pooled")
    assert pooled.count("fork") == 1
    assert (tmp_path / "pooled" / "the-static-signal" / "page" / "3" / "index.html").is_file()
    monkeypatch.setattr(pagepool, "FROM", 10**9)
    (example / ".podops").rename(tmp_path / "cache-of-the-pooled-build")
    build(example, tmp_path / "alone")
    assert tree_hash(tmp_path / "pooled") == tree_hash(tmp_path / "alone")


def test_a_template_error_in_a_worker_is_reported_as_one_process_reports_it(production, tmp_path: Path,
                                                                            pooled: list[str]) -> None:
    second = episode("second-episode", "7e2159b59615", "2021-06-11T20:10:35+00:00", audio="assets/two.mp3")
    root = production({"templates/episode.html": "{% extends 'base.html' %}{% block main %}{{ 1 / 0 }}{% endblock %}",
                       "episodes/episode-7e2159b59615.yaml": second, "assets/two.mp3": MEDIA / "vbr.mp3"})
    with pytest.raises(TemplateError) as caught:
        build(root, tmp_path / "out")
    assert pooled.count("fork") == 1  # two episodes, two workers
    assert [(d.path, d.line) for d in caught.value.diagnostics] == [("templates/episode.html", 1)]
    assert "division by zero" in str(caught.value)
    assert not (tmp_path / "out").exists()
