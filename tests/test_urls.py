"""Where outputs live: stable paths and URLs, and the podcast:guid derived from the feed URL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from podops import urls
from podops.model import Episode, Show


@pytest.mark.parametrize("url, expected", [
    ("https://podnews.net/rss", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
    ("http://mp3s.nashownotes.com/pc20rss.xml", "917393e3-1b1e-5cef-ace4-edaa54e1f810"),
    ("https://podnews.net/rss/", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
])
def test_podcast_guid_matches_the_namespace_check_values(url: str, expected: str) -> None:
    assert urls.podcast_guid(url) == expected


def test_every_output_path_of_a_show_and_episode() -> None:
    show = Show(source=Path("/p/show.yaml"), display="show.yaml", marks={}, name="my-show-1")
    episode = Episode(source=Path("/p/e.yaml"), display="e.yaml", marks={}, name="episode-1")
    assert urls.show_path(show) == "my-show-1/index.html"
    assert urls.episode_path(show, episode) == "my-show-1/episode-1/index.html"
    assert urls.embed_path(show, episode) == "my-show-1/episode-1/embed.html"
    assert urls.embed_path(show, episode, dark=True) == "my-show-1/episode-1/embed-dark.html"
    assert urls.page_path(show, 2) == "my-show-1/page/2/index.html"
    assert urls.feed_path(show) == "my-show-1/feed.xml"


@pytest.mark.parametrize("module", ["podops.urls", "podops.render.site", "podops.commands.importer"])
def test_paths_and_the_podcast_guid_never_load_feedgen(module: str) -> None:
    code = f"import sys, {module}; sys.exit('feedgen' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
