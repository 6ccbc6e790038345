"""Where every output lives, as one set of rules, so URLs stay stable between builds.

A show lives under ``<show name>/``; an episode page under ``<show>/<episode name>/``; a local
asset under ``<show>/media/<its path in the production>``, so renaming or adding anything else
never moves a feed or an enclosure. Names are at least 8 characters and never hold a dot, so
they cannot collide with ``media``, ``page`` or the site's own files. A private show lives under
``private/<prefix>/`` instead, its prefix derived from the secret (:mod:`podops.capability`).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING
from urllib.parse import quote

from podops.capability import private_dir

if TYPE_CHECKING:  # annotations only: a no-op build never imports the model
    from podops.model import Asset, Channel, Episode, Show

STATIC = "_static"  # the theme's static files, in templates and in the output
# podcast:guid is a UUIDv5 of the feed URL without scheme and trailing slashes (docs/tags/guid.md).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
MARKER = ".podops-build.json"  # at the root of every build: `podops publish` refuses folders without it
PUBLISH_SETTINGS = ".podops-publish.json"  # feeds and Cache-Control policies, for `podops publish`


def show_dir(show: Show) -> str:
    """Folder of a show in the output: its name, or a private show's unguessable prefix."""
    return private_dir(show.prefix) if show.prefix else f"{show.name}/"


def feed_path(show: Show) -> str:
    """Output path of a show's RSS feed."""
    return f"{show_dir(show)}feed.xml"


def episode_dir(show: Show, episode: Episode) -> str:
    """Folder of an episode page."""
    return f"{show_dir(show)}{episode.name}/"


def chapters_path(show: Show, episode: Episode) -> str:
    """Output path of an episode's podcast:chapters JSON."""
    return f"{show_dir(show)}{episode.name}/chapters.json"


def live_dir(show: Show, channel: Channel) -> str:
    """Folder of a channel's live page (``live`` is shorter than any name, so it never collides)."""
    return f"{show.name}/live/{channel.name}/"


def live_path(show: Show, channel: Channel) -> str:
    """Output path of a channel's live page."""
    return live_dir(show, channel) + "index.html"


def page_path(show: Show, page: int) -> str:
    """Output path of page ``page`` (1-based) of a show's episode list."""
    return f"{show_dir(show)}index.html" if page == 1 else f"{show_dir(show)}page/{page}/index.html"


def show_path(show: Show) -> str:
    """Output path of a show's first page."""
    return page_path(show, 1)


def episode_path(show: Show, episode: Episode) -> str:
    """Output path of an episode page."""
    return episode_dir(show, episode) + "index.html"


def embed_path(show: Show, episode: Episode, dark: bool = False) -> str:
    """Output path of an episode's embeddable player page."""
    return episode_dir(show, episode) + ("embed-dark.html" if dark else "embed.html")


def asset_path(show: Show, asset: Asset) -> str:
    """Output path of a local asset: its path in the production, under the show's media folder."""
    assert asset.path is not None
    path, root = str(asset.path), str(show.root).rstrip("/") + "/"  # both resolved (normalised) by the loader
    if not path.startswith(root):
        raise ValueError(f"{path} is not inside {show.root}")
    return f"{show_dir(show)}media/{path[len(root):]}"


def absolute(base_url: str, path: str) -> str:
    """Join the site's base URL and an output path, percent-encoding the path."""
    return base_url.rstrip("/") + "/" + quote(path.removesuffix("index.html"), safe="/")


def asset_url(base_url: str, show: Show, asset: Asset) -> str:
    """Public URL of an asset: external ones are used as written."""
    if asset.rel == "external" or asset.path is None:
        return asset.uri
    return absolute(base_url, asset_path(show, asset))


def podcast_guid(feed_url: str) -> str:
    """Derive podcast:guid from the feed URL, as the namespace specifies."""
    seed = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, seed))


def public_feed_url(show: Show, base_url: str) -> str:
    """Where the show's feed would be if it were public: what a private show's podcast:guid derives from.

    Every personal feed of a private show is the same podcast, so they share one podcast:guid,
    and it does not change when the secret (and with it every URL) rotates.
    """
    return absolute(base_url, f"{show.name}/feed.xml")
