"""The read API: a network of shows builds api/v1/ as valid JSON:API, described by its OpenAPI.

Oracles are independent of podops: the official JSON:API 1.0 schema (``tests/data/schemas/``,
its empty ``patternProperties`` pattern written ``"^"`` for Python's jsonschema), the OpenAPI
document checked by openapi-spec-validator, the feeds read back with feedparser, the published
files' sizes on disk and their durations from ffprobe.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import feedparser
import jsonschema
import pytest
import referencing
from conftest import IMAGES, MEDIA, invoke, tree_hash
from openapi_spec_validator import validate as validate_openapi
from referencing.jsonschema import DRAFT202012

from podops.build import build, check
from podops.load.apischema import API_RESOURCES
from podops.release import select
from podops.render import api

SCHEMA = json.loads((Path(__file__).parent / "data/schemas/jsonapi-1.0.schema.json").read_text())
JSONAPI = jsonschema.Draft202012Validator(SCHEMA)
SITE = "https://example.com/"
EPOCH = "1735689600"  # 2025-01-01

SHOW = """\
apiVersion: v1
kind: show
metadata:
  name: {name}
  guid: {guid}
  tags: tests, api
description:
  title: {title}
  summary: "A show for **API** tests. <script>alert(1)</script>"
  category:
    - name: Technology
  owner:
    email: test@example.com
image:
  uri: assets/cover.png
site:
  baseUrl: https://example.com/
api:
  pageSize: 2
"""

EPISODE = """\
apiVersion: v1
kind: episode
metadata:
  name: {name}
  guid: {guid}
  parent: {parent}
  date: {date}
  labels:
    episode: {number}
    status: {status}
description:
  title: Episode {name}
  summary: Notes with <img src=x onerror=alert(1)> and *Markdown*.
enclosure:
  uri: assets/{name}.mp3
"""

CHANNEL = """\
apiVersion: v1
kind: channel
metadata: {{name: {name}, guid: {guid}, parent: {parent}}}
description: {{title: Live {name}, summary: "Live *now*. <script>alert(1)</script>"}}
stream:
  url: http://radio.example.org:8000/{name}
  secureUrl: https://radio.example.org:8443/{name}
  format: {format}
  bitrate: 128
  server: icecast
  statusUrl: https://radio.example.org:8443/status-json.xsl
public: {public}
schedule:
  - {{title: Last year, start: 2024-12-30T08:00:00Z, end: 2024-12-30T10:00:00Z}}
  - {{title: New year, start: 2024-12-31T23:00:00Z, end: 2025-01-01T02:00:00Z}}
  - {{title: Far future, start: 2100-01-01T08:00:00Z, end: 2100-01-01T10:00:00Z}}
"""
# show folder → channels: (name, guid, format, public)
CHANNELS = {
    "alpha": [("alpha-live-one", "c00000000001", "mp3", "true"), ("alpha-live-two", "c00000000002", "aac", "true")],
    "beta": [("beta-live-one", "c00000000003", "opus", "true")],
    "gamma": [("gamma-private", "c00000000004", "mp3", "false")],  # never published
}

# show folder, name, guid, episodes: (name, guid, date, status, medium)
NETWORK = [
    ("alpha", "alpha-show-one", "aaaa00000001", [
        ("alpha-first", "a00000000001", "2024-01-01T10:00:00Z", "published", "cbr.mp3"),
        ("alpha-second", "a00000000002", "2024-03-01T10:00:00Z", "published", "vbr.mp3"),
        ("alpha-third", "a00000000003", "2024-05-01T10:00:00Z", "published", "cbr_noinfo.mp3"),
        ("alpha-draft", "a00000000004", "2024-06-01T10:00:00Z", "draft", "cbr.mp3"),
        ("alpha-future", "a00000000005", "2100-01-01T10:00:00Z", "published", "cbr.mp3"),
        ("alpha-archived", "a00000000006", "2023-01-01T10:00:00Z", "archived", "cbr.mp3"),
    ]),
    ("beta", "beta-show-two", "bbbb00000002", [
        ("beta-first", "b00000000001", "2024-02-01T10:00:00Z", "published", "mpeg2.mp3"),
        ("beta-second", "b00000000002", "2024-04-01T10:00:00Z", "published", "vbr_noxing.mp3"),
    ]),
    ("gamma", "gamma-show-three", "cccc00000003", []),  # nothing published yet: empty collections
]
MEDIUM = {guid: medium for *_, episodes in NETWORK for _, guid, _, _, medium in episodes}
DECODED = json.loads((MEDIA / "truth.json").read_text())  # durations from decoding every frame (make-fixtures.sh)
PUBLISHED = {guid for *_, episodes in NETWORK for _, guid, date, status, _ in episodes
             if status == "published" and date < "2025"}


def write_network(root: Path) -> Path:
    """Two productions in one folder: one network, one site."""
    for folder, name, guid, episodes in NETWORK:
        base = root / folder
        (base / "assets").mkdir(parents=True)
        (base / "episodes").mkdir()
        shutil.copyfile(IMAGES / "ok.png", base / "assets/cover.png")
        (base / "show.yaml").write_text(SHOW.format(name=name, guid=guid, title=name.title()))
        for number, (episode, eguid, date, status, medium) in enumerate(episodes, 1):
            shutil.copyfile(MEDIA / medium, base / f"assets/{episode}.mp3")
            (base / f"episodes/{episode}.yaml").write_text(EPISODE.format(
                name=episode, guid=eguid, parent=guid, date=date, number=number, status=status))
        for channel, cguid, format, public in CHANNELS[folder]:
            (base / f"{channel}.yaml").write_text(CHANNEL.format(name=channel, guid=cguid, parent=guid,
                                                                 format=format, public=public))
    return root


def build_network(tmp_path: Path, *options: str) -> Path:
    root = write_network(tmp_path / "network")
    out = tmp_path / "public"
    result = invoke("build", root, "-o", out, *options, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.exit_code == 0, result.output
    return out


def documents(out: Path) -> dict[str, Any]:
    """Every JSON:API document of a build, by output path."""
    return {p.relative_to(out).as_posix(): json.loads(p.read_text())
            for p in sorted((out / "api").rglob("*.json")) if p.name != "openapi.json"}


def local(out: Path, url: str) -> Path:
    """The output file a published URL names."""
    assert url.startswith(SITE), url
    path = url.removeprefix(SITE)
    return out / (path + "index.html" if path.endswith("/") or not path else path)


def walk(out: Path, url: str) -> list[dict[str, Any]]:
    """Follow links.next from a collection's first page to the end, as a client does."""
    items, seen = [], set()
    while url:
        assert url not in seen, f"links.next loops at {url}"
        seen.add(url)
        page = json.loads(local(out, url).read_text())
        items += page["data"]
        url = page["links"]["next"]
    return items


def feed_items(out: Path) -> list[Any]:
    entries = []
    for _, name, _, _ in NETWORK:
        parsed = feedparser.parse((out / name / "feed.xml").read_bytes())
        assert not parsed.bozo, parsed.bozo_exception
        entries += parsed.entries
    return sorted(entries, key=lambda e: e.published_parsed, reverse=True)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The network as built on 2025-01-01 after a build in 2023 that published no episode yet,
    so the events collection has pages too."""
    tmp = tmp_path_factory.mktemp("api")
    root = write_network(tmp / "early")
    before = tmp / "before"
    result = invoke("build", root, "-o", before, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert result.exit_code == 0, result.output
    return build_network(tmp, "--previous", str(before))


def test_every_document_is_valid_json_api(network: Path) -> None:
    docs = documents(network)
    assert {"api/v1/index.json", "api/v1/shows.json", "api/v1/episodes.json"} <= set(docs)
    for path, doc in docs.items():
        errors = [e.message for e in JSONAPI.iter_errors(doc)]
        assert not errors, (path, errors[:3])


def test_openapi_is_valid_and_describes_every_document_by_its_path(network: Path) -> None:
    spec = json.loads((network / "api/v1/openapi.json").read_text())
    validate_openapi(spec)
    registry = referencing.Registry().with_resource("urn:openapi", DRAFT202012.create_resource(spec))
    templates = [(re.compile("^" + re.sub(r"\\\{[a-z]+\\\}", "[^/]+", re.escape(t)) + "$"), t)
                 for t in spec["paths"]]
    server = spec["servers"][0]["url"]
    assert server == SITE + "api/v1"
    checked = set()
    for path, doc in documents(network).items():
        relative = "/" + path.removeprefix("api/v1/")
        matches = [t for pattern, t in templates if pattern.match(relative)]
        assert len(matches) == 1, (path, matches)
        response = spec["paths"][matches[0]]["get"]["responses"]["200"]["content"][api.MEDIA_TYPE]["schema"]
        validator = jsonschema.Draft202012Validator({"$ref": "urn:openapi" + response["$ref"]}, registry=registry)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
        assert not errors, (path, errors[:3])
        checked.add(matches[0])
    assert checked == set(spec["paths"]), "every documented path has a document"


def test_openapi_attributes_come_from_the_schema_declaration(network: Path) -> None:
    spec = json.loads((network / "api/v1/openapi.json").read_text())
    schemas = spec["components"]["schemas"]
    for kind, attributes in API_RESOURCES.items():
        assert set(schemas[f"{kind.capitalize()}Attributes"]["properties"]) == set(attributes)
    assert schemas["EpisodeAttributes"]["properties"]["episode_type"]["enum"] == ["full", "trailer", "bonus"]
    assert schemas["ShowAttributes"]["properties"]["show_type"]["enum"] == ["episodic", "serial"]


def test_walking_next_yields_exactly_every_feed_item_newest_first(network: Path) -> None:
    index = json.loads((network / "api/v1/index.json").read_text())["data"]
    assert index["type"] == "catalog"
    assert index["attributes"]["openapi_url"] == SITE + "api/v1/openapi.json"
    episodes = walk(network, index["relationships"]["episodes"]["links"]["related"])
    items = feed_items(network)
    assert [e["attributes"]["guid"] for e in episodes] == [i.id for i in items]
    assert {e["id"] for e in episodes} == PUBLISHED
    dates = [e["attributes"]["datetime"] for e in episodes]
    assert dates == sorted(dates, reverse=True)
    for episode, item in zip(episodes, items, strict=True):
        attributes = episode["attributes"]
        enclosure = item.enclosures[0]
        assert attributes["media_url"] == enclosure.href
        assert attributes["audio_length"] == int(enclosure.length) == local(network, enclosure.href).stat().st_size
        medium = MEDIUM[episode["id"]]
        assert local(network, enclosure.href).read_bytes() == (MEDIA / medium).read_bytes()
        assert abs(attributes["duration"] - DECODED[medium]["decoded_seconds"]) <= 1  # ffmpeg decoded it
        assert attributes["duration"] == int(item.itunes_duration)
        assert attributes["share_url"] == item.link
        assert attributes["status"] == "published"
        assert local(network, attributes["share_url"]).is_file()


def test_each_show_lists_its_own_episodes_and_the_shows_collection_every_show(network: Path) -> None:
    index = json.loads((network / "api/v1/index.json").read_text())["data"]
    shows = walk(network, index["relationships"]["shows"]["links"]["related"])
    assert [s["attributes"]["slug"] for s in shows] == ["alpha-show-one", "beta-show-two", "gamma-show-three"]
    for show in shows:
        episodes = walk(network, show["relationships"]["episodes"]["links"]["related"])
        count = show["relationships"]["episodes"]["meta"]["count"]
        assert len(episodes) == show["attributes"]["episodes_count"] == count
        assert all(e["relationships"]["show"]["data"]["id"] == show["id"] for e in episodes)
        feed = feedparser.parse(local(network, show["attributes"]["feed_url"]).read_bytes())
        assert {e["attributes"]["guid"] for e in episodes} == {i.id for i in feed.entries}
        single = json.loads(local(network, show["links"]["self"]).read_text())
        assert single["data"] == show


def test_pages_carry_pagination_meta_and_links(network: Path) -> None:
    first = json.loads((network / "api/v1/episodes.json").read_text())
    assert first["meta"] == {"totalCount": 5, "totalPages": 3, "currentPage": 1, "pageSize": 2}
    assert first["links"]["prev"] is None
    assert first["links"]["first"] == SITE + "api/v1/episodes.json"
    assert first["links"]["next"] == SITE + "api/v1/episodes/page/2.json"  # older pages count from the oldest
    assert first["links"]["last"] == SITE + "api/v1/episodes/page/1.json"
    assert {s["id"] for s in first["included"]} == {e["relationships"]["show"]["data"]["id"] for e in first["data"]}
    short = json.loads(local(network, first["links"]["next"]).read_text())
    assert len(short["data"]) == 1 and short["links"]["prev"] == first["links"]["self"]
    assert short["meta"] == {"pageSize": 2} and "included" not in short  # no count that a new episode changes
    last = json.loads(local(network, first["links"]["last"]).read_text())
    assert last["links"]["next"] is None and len(last["data"]) == 2
    assert last["links"]["prev"] == short["links"]["self"]


def test_an_episode_document_links_its_show_and_holds_sanitised_html(network: Path) -> None:
    doc = json.loads((network / "api/v1/episodes/a00000000002.json").read_text())
    episode = doc["data"]
    assert doc["links"]["self"] == episode["links"]["self"] == SITE + "api/v1/episodes/a00000000002.json"
    assert "included" not in doc  # the show's episode count would change every episode's document
    show = episode["relationships"]["show"]
    assert show["data"]["id"] == "aaaa00000001"
    assert json.loads(local(network, show["links"]["related"]).read_text())["data"]["id"] == "aaaa00000001"
    text = json.dumps(doc)
    assert "onerror" not in text and "<script" not in text
    raw = (network / "api/v1/episodes/a00000000002.json").read_bytes()
    assert b"<" not in raw and b">" not in raw, "markup travels as JSON escapes, never as bytes"
    assert "<em>Markdown</em>" in episode["attributes"]["description"]
    assert episode["attributes"]["summary"] == "Notes with and Markdown."
    assert episode["attributes"]["published_at"] == "2024-03-01T10:00:00Z"
    assert episode["attributes"]["datetime"] == 1709287200
    assert 'src="https://example.com/alpha-show-one/alpha-second/embed.html"' in episode["attributes"]["embed_html"]
    assert "embed-dark.html" in episode["attributes"]["embed_html_dark"]
    assert episode["attributes"]["duration_in_mmss"] == f"00:{episode['attributes']['duration']:02d}"


def test_drafts_scheduled_and_archived_never_appear(network: Path) -> None:
    text = "".join(p.read_text() for p in (network / "api").rglob("*.json"))
    for hidden in ("a00000000004", "a00000000005", "a00000000006", "alpha-draft", "alpha-future",
                   "c00000000004", "gamma-private"):
        assert hidden not in text


def test_channels_carry_the_public_streaming_center_fields_and_the_feeds_schedule(network: Path) -> None:
    index = json.loads((network / "api/v1/index.json").read_text())["data"]
    assert index["relationships"]["channels"]["meta"]["count"] == 3
    channels = walk(network, index["relationships"]["channels"]["links"]["related"])
    assert [c["id"] for c in channels] == ["c00000000001", "c00000000002", "c00000000003"]
    first = channels[0]["attributes"]
    seed = {k: first[k] for k in ("stream_url", "secure_stream_url", "hls_url", "s_format", "bitrate", "s_type",
                                  "mount_point", "public")}
    assert seed == {"stream_url": "http://radio.example.org:8000/alpha-live-one",
                    "secure_stream_url": "https://radio.example.org:8443/alpha-live-one", "hls_url": None,
                    "s_format": "mp3", "bitrate": "128", "s_type": "icecast", "mount_point": "/alpha-live-one",
                    "public": True}
    assert [c["attributes"]["mime_type"] for c in channels] == ["audio/mpeg", "audio/aac", "audio/ogg"]
    assert "<script" not in json.dumps(channels) and "<em>now</em>" in first["description"]
    assert local(network, first["live_page_url"]).is_file()
    for channel in channels:
        show = json.loads(local(network, channel["relationships"]["show"]["links"]["related"]).read_text())["data"]
        assert show["id"] == channel["relationships"]["show"]["data"]["id"]
        feed = local(network, show["attributes"]["feed_url"])
        items = ElementTree.parse(feed).getroot().iter("{https://podcastindex.org/namespace/1.0}liveItem")
        in_feed = [(i.findtext("guid"), i.get("status")) for i in items
                   if i.findtext("link") == channel["attributes"]["live_page_url"]]
        schedule = channel["attributes"]["schedule"]
        assert [(e["guid"], e["status"]) for e in schedule] == in_feed
        assert [(e["title"], e["status"]) for e in schedule] == [("Last year", "ended"), ("New year", "live"),
                                                                 ("Far future", "pending")]
        assert channel["attributes"]["on_air"] is True
        single = json.loads(local(network, channel["links"]["self"]).read_text())
        assert single["data"] == channel


def test_drafts_option_includes_drafts_marked_draft(tmp_path: Path) -> None:
    out = build_network(tmp_path, "--drafts")
    draft = json.loads((out / "api/v1/episodes/a00000000004.json").read_text())["data"]
    assert draft["attributes"]["status"] == "draft"
    listed = walk(out, SITE + "api/v1/episodes.json")
    assert {e["id"] for e in listed} == PUBLISHED | {"a00000000004"}
    assert not (out / "api/v1/episodes/a00000000005.json").exists()


def test_resource_functions_give_the_resources_the_documents_hold(network: Path, tmp_path: Path) -> None:
    production, _ = check(write_network(tmp_path / "again"))
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    for show in production.shows:
        item = select(show, now, False, SITE)
        for episode in item.episodes:
            doc = json.loads((network / f"api/v1/episodes/{episode.guid}.json").read_text())
            assert api.episode_resource(item, episode) == doc["data"]
        doc = json.loads((network / f"api/v1/shows/{show.guid}.json").read_text())
        assert api.show_resource(item) == doc["data"]
        for on_air in item.live:
            doc = json.loads((network / f"api/v1/channels/{on_air.channel.guid}.json").read_text())
            assert api.channel_resource(item, on_air) == doc["data"]


def api_files(out: Path) -> dict[str, str]:
    """Hashes of what this module writes: api/ and _headers."""
    return {path: digest for path, digest in tree_hash(out).items() if path.startswith("api/") or path == "_headers"}


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = build_network(tmp_path / "one")
    second = build_network(tmp_path / "two")
    hashes = api_files(first)
    assert hashes == api_files(second)
    # catalog, openapi.json, 10 collection pages (events: 1), 3 shows, 5 episodes, _headers;
    # 2 channel pages and 3 channels
    assert len(hashes) == 26


def test_editing_one_episode_rewrites_its_document_and_the_pages_listing_it_only(tmp_path: Path) -> None:
    root = write_network(tmp_path / "network")
    out = tmp_path / "public"
    build(root, out)
    source = root / "alpha/episodes/alpha-second.yaml"
    source.write_text(source.read_text().replace("title: Episode alpha-second", "title: Renamed"))
    report = build(root, out)

    docs = documents(out)
    listing = {path for path, doc in docs.items() if isinstance(doc["data"], list)
               and any(item["id"] == "a00000000002" for item in doc["data"])}
    assert listing == {"api/v1/episodes/page/2.json", "api/v1/shows/aaaa00000001/episodes.json"}
    changed = {path for path in report.changed if path.startswith("api/")}
    assert changed == {"api/v1/episodes/a00000000002.json", *listing}

    clean = tmp_path / "clean"
    shutil.rmtree(root / ".podops")
    build(root, clean)
    assert api_files(out) == api_files(clean)


def test_adding_an_episode_encodes_only_its_resource_and_equals_a_clean_build(tmp_path: Path, monkeypatch) -> None:
    root = write_network(tmp_path / "network")
    out = tmp_path / "public"
    build(root, out)
    source = root / "alpha/episodes/alpha-second.yaml"
    added = root / "alpha/episodes/alpha-added.yaml"
    added.write_text(source.read_text().replace("a00000000002", "a000000000aa").replace("alpha-second", "alpha-added")
                     .replace("Episode alpha-added", "Added later"))
    shutil.copyfile(root / "alpha/assets/alpha-second.mp3", root / "alpha/assets/alpha-added.mp3")
    encoded: list[str] = []
    original = api.episode_resource

    def spy(release, episode, site_url=None):
        encoded.append(episode.guid)
        return original(release, episode, site_url)

    monkeypatch.setattr(api, "episode_resource", spy)
    report = build(root, out, accept_changes=True)
    assert encoded == ["a000000000aa"]  # the others come from their documents in the previous output
    rewritten = {path for path in report.changed if path.startswith("api/v1/episodes/") and "/page/" not in path}
    assert rewritten == {"api/v1/episodes/a000000000aa.json"}  # the other episodes' documents stay as they were
    monkeypatch.undo()
    clean = tmp_path / "clean"
    shutil.rmtree(root / ".podops")
    build(root, clean, accept_changes=True)
    assert api_files(out) == api_files(clean)


def test_adding_the_newest_episode_leaves_full_older_pages_as_they_were(tmp_path: Path) -> None:
    root = write_network(tmp_path / "network")
    out = tmp_path / "public"
    build(root, out)
    before = documents(out)
    assert len(before["api/v1/episodes/page/1.json"]["data"]) == 2  # full; page 2 holds one episode
    source = root / "alpha/episodes/alpha-third.yaml"
    (root / "alpha/episodes/alpha-newest.yaml").write_text(
        source.read_text().replace("a00000000003", "a000000000ab").replace("alpha-third", "alpha-newest")
        .replace("2024-05-01T10:00:00Z", "2024-09-01T10:00:00Z"))
    shutil.copyfile(root / "alpha/assets/alpha-third.mp3", root / "alpha/assets/alpha-newest.mp3")
    report = build(root, out, accept_changes=True)
    pages = {path for path in report.changed if path.startswith("api/v1/episodes") and path.endswith(".json")}
    # the first document, the short page that filled up, the new episode's own document: no more
    assert pages == {"api/v1/episodes.json", "api/v1/episodes/page/2.json", "api/v1/episodes/a000000000ab.json"}
    assert documents(out)["api/v1/episodes/page/1.json"] == before["api/v1/episodes/page/1.json"]
    assert [e["id"] for e in walk(out, SITE + "api/v1/episodes.json")][0] == "a000000000ab"
    clean = tmp_path / "clean"
    shutil.rmtree(root / ".podops")
    build(root, clean, accept_changes=True)
    assert api_files(out) == api_files(clean)


def test_headers_file_sets_cors_and_one_content_type_per_document(network: Path) -> None:
    text = (network / "_headers").read_text()
    rules: dict[str, list[str]] = {}
    for block in text.strip().split("\n\n"):
        path, *lines = block.split("\n")
        rules[path] = [line.strip() for line in lines]
    assert "Access-Control-Allow-Origin: *" in rules["/api/*"]
    assert not any(line.startswith("Content-Type") for line in rules["/api/*"])
    assert rules["/api/v1/index.json"] == [f"Content-Type: {api.MEDIA_TYPE}"]
    assert rules["/api/v1/episodes/*"] == [f"Content-Type: {api.MEDIA_TYPE}"]
