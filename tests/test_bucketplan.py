"""What a build becomes in a bucket: keys under a prefix, headers per file, and the upload phases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import SHOW

from podops.build import build
from podops.commands import bucketplan
from podops.errors import PodopsError


def test_a_target_is_a_bucket_and_an_optional_prefix() -> None:
    assert bucketplan.parse_target("s3://podcast") == ("podcast", "")
    assert bucketplan.parse_target("s3://podcast/") == ("podcast", "")
    assert bucketplan.parse_target("s3://my.bucket/shows/weekly/") == ("my.bucket", "shows/weekly/")
    for bad in ("podcast", "s3://", "s3://UPPER/x", "https://podcast/x", "s3://podcast/a/../b"):
        with pytest.raises(PodopsError):
            bucketplan.parse_target(bad)


def test_the_cache_policy_is_a_show_setting_with_defaults(tmp_path: Path, production: Any) -> None:
    show = SHOW + "  cacheControl:\n    feeds: public, max-age=60\n    media: public, max-age=86400, immutable\n"
    out = tmp_path / "out"
    build(production({"show.yaml": show}), out)
    files = bucketplan.scan(str(out))
    assert files["test-show/feed.xml"].cache_control == "public, max-age=60"
    assert files["test-show/media/assets/ep.mp3"].cache_control == "public, max-age=86400, immutable"
    assert files["test-show/first-episode/index.html"].cache_control == "public, max-age=3600"  # the default
    assert files["index.html"].cache_control == "public, max-age=3600"



def test_media_go_first_pages_and_api_next_and_feeds_last(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(example, out)
    files = bucketplan.scan(str(out))
    phases = {rel: item.phase for rel, item in files.items()}
    assert phases["the-static-signal/feed.xml"] == "feeds"
    assert {phases["index.html"], phases["api/v1/episodes.json"], phases["sitemap.xml"]} == {"pages"}
    assert {phases["the-static-signal/media/assets/audio/episode-01.mp3"], phases["_static/style.css"],
            phases["the-static-signal/why-a-build-beats-a-server/chapters.json"],
            phases["the-static-signal/media/assets/transcripts/episode-01.vtt"]} == {"media"}
    assert sorted(rel for rel, phase in phases.items() if phase == "feeds") == [
        "_podops/manifest.json", "the-static-signal/feed.xml"]  # the events manifest goes up after the feeds
    assert ".podops-build.json" not in files and ".podops-publish.json" not in files


def test_the_etag_of_a_multipart_upload_is_predicted(tmp_path: Path) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    small.write_bytes(b"abc")
    large.write_bytes(b"x" * (bucketplan.PART + 1))
    assert bucketplan.etag(str(small), 3) == "900150983cd24fb0d6963f7d28e17f72"  # MD5 of "abc"
    assert bucketplan.etag(str(large), bucketplan.PART + 1).endswith("-2")
