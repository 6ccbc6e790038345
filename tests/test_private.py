"""Private shows: a personal feed per subscriber at an unguessable URL, nothing of the show in public.

The production is a network of a public show and a private one with three subscribers (one of
them the show's owner), built with a real secret through the installed command line.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sqlite3
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import browser
import feedparser
import podcastparser
import pytest
from conftest import DATA, EPISODE, MEDIA, SHOW, invoke, tree_hash, write_production
from lxml import etree

from podops import capability

SECRET = "correct-horse-battery-staple-0123456789-abcdef"
OTHER_SECRET = "another-secret-of-enough-length-9876543210-zyx"
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
PRIVATE_GUID = "ccc94297acfc"
PRIVATE_SHOW = (SHOW.replace("test-show", "members-only").replace("aaa94297acfc", PRIVATE_GUID)
                .replace("Test Show", "Members Only Hour").replace("test@example.com", "boss@example.org")
                + "private: true\n")
FIRST = (EPISODE.replace("6d1048a48504", "1d1048a48504").replace("aaa94297acfc", PRIVATE_GUID)
         .replace("first-episode", "secret-first-episode").replace("Episode One", "Secret Plans")
         + "chapters:\n  - start: 0\n    title: Opening Remarks\n"
         + "transcripts:\n  - uri: assets/one.vtt\n")
SECOND = (EPISODE.replace("6d1048a48504", "2d1048a48504").replace("aaa94297acfc", PRIVATE_GUID)
          .replace("first-episode", "secret-second-episode").replace("Episode One", "Quiet Numbers")
          .replace("Fri, 04 Jun 2021", "Sat, 05 Jun 2021").replace("episode: 1", "episode: 2")
          .replace("assets/ep.mp3", "assets/ep2.mp3"))
VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n<v Host>Welcome to the inner circle.\n"
SUBSCRIBERS = """\
apiVersion: v1
kind: subscribers
metadata:
  name: the-members
  guid: 5b1f0c2d3e4a
  parent: ccc94297acfc
subscribers:
  - email: ada@example.org
  - email: Grace@Example.org
    name: Grace
  - email: boss@example.org
"""
EMAILS = ["ada@example.org", "grace@example.org", "boss@example.org"]
# What would give the private show away if it appeared in a public file.
MARKERS = ["Members Only Hour", "members-only", PRIVATE_GUID, "Secret Plans", "Quiet Numbers",
           "secret-first-episode", "secret-second-episode", "1d1048a48504", "2d1048a48504",
           "Opening Remarks", "inner circle"]


def make_network(root: Path, subscribers: str = SUBSCRIBERS) -> Path:
    """A public show (test-show) and a private one (members-only) side by side."""
    write_production(root / "public-show")
    write_production(root / "members", {
        "show.yaml": PRIVATE_SHOW, "episodes/episode-6d1048a48504.yaml": None,
        "episodes/one.yaml": FIRST, "episodes/two.yaml": SECOND, "assets/ep2.mp3": MEDIA / "vbr.mp3",
        "assets/one.vtt": VTT, "subscribers.yaml": subscribers,
    })
    return root


def env(secret: str | None = SECRET) -> dict[str, str | None]:
    return {"PODOPS_SECRET": secret, "SOURCE_DATE_EPOCH": "1735689600"}


def build(root: Path, out: Path, secret: str | None = SECRET) -> None:
    result = invoke("build", root, "-o", out, env=env(secret))
    assert result.exit_code == 0, result.output


def tokens_of(secret: str, *emails: str) -> list[str]:
    return [capability.subscriber_token(secret.encode(), PRIVATE_GUID, email) for email in emails]


def readable(data: bytes) -> bytes:
    """A file's bytes, decompressed when gzip (Pagefind's index files are)."""
    try:
        return gzip.decompress(data)
    except (OSError, EOFError):
        return data


def public_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): readable(p.read_bytes()) for p in sorted(out.rglob("*"))
            if p.is_file() and not p.relative_to(out).as_posix().startswith("private/")}


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    root = make_network(tmp_path / "net")
    out = tmp_path / "public"
    build(root, out)
    return root, out


def test_three_subscribers_get_three_feeds_and_pages_at_unguessable_urls(built) -> None:
    _, out = built
    prefix = capability.show_prefix(SECRET.encode(), PRIVATE_GUID)
    folders = sorted(p.name for p in (out / "private").iterdir())
    assert folders == sorted([prefix, *tokens_of(SECRET, *EMAILS)])
    for token in tokens_of(SECRET, *EMAILS):
        assert sorted(p.name for p in (out / "private" / token).iterdir()) == ["feed.xml", "index.html"]
    assert (out / "private" / prefix / "secret-first-episode" / "index.html").is_file()
    assert (out / "private" / prefix / "secret-first-episode" / "chapters.json").is_file()
    assert (out / "private" / prefix / "media" / "assets" / "ep2.mp3").is_file()
    assert not (out / "private" / prefix / "feed.xml").exists()  # no shared feed to keep after revocation
    assert not (out / "members-only").exists()


def test_no_subscriber_address_appears_in_any_output_byte(built) -> None:
    _, out = built
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 20
    for path in files:
        data = path.read_bytes().lower()
        for email in EMAILS:
            assert email.encode() not in data, (email, path)
            assert email.split("@")[0].encode() + b"%40" not in data, (email, path)  # percent-encoded


def test_nothing_of_the_private_show_is_in_a_public_file(built) -> None:
    _, out = built
    files = public_files(out)
    assert {"index.html", "sitemap.xml", "robots.txt", "404.html", "test-show/feed.xml"} <= set(files)
    secrets = [capability.show_prefix(SECRET.encode(), PRIVATE_GUID), *tokens_of(SECRET, *EMAILS)]
    for name, data in files.items():
        for marker in MARKERS + secrets:
            assert marker.encode() not in data, (marker, name)
    # The private folder is named only where crawlers are kept out of it, never a path inside it.
    assert sorted(name for name, data in files.items() if b"private/" in data) == ["_headers", "robots.txt"]
    assert "Disallow: /private/\n" in files["robots.txt"].decode()
    assert "/private/*\n  X-Robots-Tag: noindex, nofollow\n" in files["_headers"].decode()
    assert b"Test Show" in files["index.html"]  # the public show is still listed
    fragments = [data for name, data in files.items() if name.startswith("pagefind/") and "/fragment/" in name]
    assert fragments and any(b"Episode One" in data for data in fragments)  # the index holds public episodes
    shows = json.loads(files["api/v1/shows.json"])
    assert [show["attributes"]["slug"] for show in shows["data"]] == ["test-show"]
    assert shows["meta"]["totalCount"] == 1


def test_a_production_whose_only_show_is_private_publishes_nothing_of_it(tmp_path: Path) -> None:
    root = make_network(tmp_path / "net")
    out = tmp_path / "public"
    build(root / "members", out)
    files = public_files(out)
    assert "sitemap.xml" in files and "api/v1/shows.json" in files
    for name, data in files.items():
        for marker in MARKERS:
            assert marker.encode() not in data, (marker, name)
    assert json.loads(files["api/v1/shows.json"])["data"] == []
    assert len(list((out / "private").iterdir())) == 4


def test_private_pages_are_noindex_and_send_no_referrer(built) -> None:
    _, out = built
    pages = sorted((out / "private").rglob("*.html"))
    assert len(pages) == 1 + 2 + 3  # the show's folder page, two episodes, three subscribe pages
    for page in pages:
        text = page.read_text()
        assert '<meta name="robots" content="noindex, nofollow">' in text, page
        assert '<meta name="referrer" content="no-referrer">' in text, page
        assert "application/ld+json" not in text and "embed.html" not in text, page
    assert not list((out / "private").rglob("embed*.html"))


def test_every_personal_feed_has_all_episodes_for_feedparser_and_podcastparser(built) -> None:
    _, out = built
    for token in tokens_of(SECRET, *EMAILS):
        data = (out / "private" / token / "feed.xml").read_bytes()
        url = f"https://example.com/private/{token}/feed.xml"
        parsed = feedparser.parse(data)
        assert not parsed.bozo, parsed.bozo_exception
        assert [e.title for e in parsed.entries] == ["Quiet Numbers", "Secret Plans"]
        assert all(e.enclosures and e.enclosures[0].href.startswith("https://example.com/private/")
                   for e in parsed.entries)
        podcast = podcastparser.parse(url, BytesIO(data))
        assert sorted(e["title"] for e in podcast["episodes"]) == ["Quiet Numbers", "Secret Plans"]
        assert all(e["enclosures"][0]["file_size"] > 0 for e in podcast["episodes"])
        root = etree.fromstring(data)
        channel = root.find("channel")
        assert channel.findtext(f"{{{ITUNES}}}block") == "Yes"
        assert channel.findtext(f"{{{PODCAST}}}block") == "yes"
        assert channel.find(f"{{{ITUNES}}}owner") is None
        assert channel.find("{http://www.w3.org/2005/Atom}link").get("href") == url


def test_personal_feeds_share_one_podcast_guid_and_their_elements_validate(built) -> None:
    _, out = built
    schema = etree.XMLSchema(etree.parse(str(DATA / "schemas" / "podcast-wrapper.xsd")))
    guids = set()
    for token in tokens_of(SECRET, *EMAILS):
        root = etree.fromstring((out / "private" / token / "feed.xml").read_bytes())
        guids.add(root.find(f"channel/{{{PODCAST}}}guid").text)
        # podcast:locked is left out: a private feed names no owner address (optional in the
        # namespace's tag reference, required by its XSD), since an owner may be a subscriber too.
        assert root.find(f"channel/{{{PODCAST}}}locked").text == "yes"
        for name in ("season", "episode", "chapters", "transcript"):
            for element in root.iter(f"{{{PODCAST}}}{name}"):
                wrapper = etree.Element(f"{{{PODCAST}}}test-wrapper", nsmap={None: PODCAST})
                wrapper.append(etree.fromstring(etree.tostring(element)))
                assert schema.validate(wrapper), (name, schema.error_log)
    assert len(guids) == 1


def test_the_subscribe_page_offers_the_feed_a_copy_button_and_the_apps(built) -> None:
    _, out = built
    token = tokens_of(SECRET, "grace@example.org")[0]
    page = (out / "private" / token / "index.html").read_text()
    feed_url = f"https://example.com/private/{token}/feed.xml"
    assert f'value="{feed_url}"' in page and 'data-copy="feed-url"' in page
    assert "Grace, this is your personal feed" in page
    bare = feed_url.removeprefix("https://")
    for link in (f"podcast://{bare}", "overcast://x-callback-url/add?url=https%3A%2F%2Fexample.com%2Fprivate%2F",
                 f"pktc://subscribe/{bare}", f"antennapod-subscribe://{bare}", f"podcastaddict://{bare}",
                 f"castros://subscribe/{bare}", "Follow a Show by URL"):
        assert link in page, link


def test_removing_a_subscriber_removes_exactly_their_files(built) -> None:
    root, out = built
    before = tree_hash(out)
    revoked = tokens_of(SECRET, "grace@example.org")[0]
    listing = root / "members" / "subscribers.yaml"
    listing.write_text(SUBSCRIBERS.replace("  - email: Grace@Example.org\n    name: Grace\n", ""))
    build(root, out)
    after = tree_hash(out)
    gone = {path for path in before if path.startswith(f"private/{revoked}/")}
    assert gone == {f"private/{revoked}/feed.xml", f"private/{revoked}/index.html"}
    assert after == {path: digest for path, digest in before.items() if path not in gone}


def test_personal_feeds_share_their_items_which_are_serialised_once_and_reused_when_unchanged(
        built, monkeypatch) -> None:
    from podops.render import feed

    root, out = built
    serialised: list[str] = []
    original = feed.ItemWriter.item

    def spy(self, show, episode, base_url):
        serialised.append(episode.title)
        return original(self, show, episode, base_url)

    monkeypatch.setattr(feed.ItemWriter, "item", spy)
    listing = root / "members" / "subscribers.yaml"
    listing.write_text(SUBSCRIBERS + "  - email: new@example.org\n")  # a fourth subscriber, a new feed
    build(root, out)
    assert "Secret Plans" not in serialised and "Quiet Numbers" not in serialised  # from a previous personal feed
    first = root / "members" / "episodes" / "one.yaml"
    first.write_text(FIRST.replace("Secret Plans", "Secret Plans, revised"))
    serialised.clear()
    build(root, out)
    assert serialised.count("Secret Plans, revised") == 1 and "Quiet Numbers" not in serialised  # once for 4 feeds
    feeds = [out / "private" / token / "feed.xml" for token in
             tokens_of(SECRET, *EMAILS, "new@example.org")]
    items = [re.findall(rb"<item>.*?</item>", path.read_bytes(), re.S) for path in feeds]
    assert len(items[0]) == 2 and all(found == items[0] for found in items)


def test_a_build_without_the_secret_fails_cleanly_and_keeps_the_previous_output(built) -> None:
    root, out = built
    before = tree_hash(out)
    for secret, words in ((None, "PODOPS_SECRET is not set"), ("", "PODOPS_SECRET is not set"),
                          ("short", "PODOPS_SECRET is too short")):
        result = invoke("build", root, "-o", out, env=env(secret))
        assert result.exit_code == 1, result.output
        assert words in result.stderr and "Traceback" not in result.output
        assert tree_hash(out) == before
    assert not list(out.parent.glob("public.podops-*"))


def test_validate_checks_subscribers_without_the_secret(tmp_path: Path) -> None:
    root = make_network(tmp_path / "net")
    result = invoke("validate", root, env=env(None))
    assert result.exit_code == 0, result.output


def test_a_new_secret_rotates_every_url_and_incremental_builds_notice(built, tmp_path: Path) -> None:
    root, out = built
    build(root, out, OTHER_SECRET)
    clean = tmp_path / "clean"
    build(root, clean, OTHER_SECRET)
    assert tree_hash(out) == tree_hash(clean)  # incremental == clean, byte for byte
    folders = {p.name for p in (out / "private").iterdir()}
    assert folders == {capability.show_prefix(OTHER_SECRET.encode(), PRIVATE_GUID), *tokens_of(OTHER_SECRET, *EMAILS)}
    assert not folders & set(tokens_of(SECRET, *EMAILS))
    for folder in (out, root):
        for path in (p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            assert SECRET.encode() not in data and OTHER_SECRET.encode() not in data, path
    cache = root / ".podops" / "cache.sqlite"
    assert cache.is_file()
    dump = "\n".join(sqlite3.connect(cache).iterdump())
    assert SECRET not in dump and OTHER_SECRET not in dump


def test_the_same_secret_and_list_give_the_same_bytes(built, tmp_path: Path) -> None:
    root, out = built
    again = tmp_path / "again"
    build(root, again)
    assert tree_hash(again) == tree_hash(out)
    result = invoke("build", root, "-o", out, "-v", env=env())
    assert "nothing changed since the last build" in result.stderr


def test_subscribers_lists_every_url_as_json_and_writes_nothing(built) -> None:
    root, out = built
    before = tree_hash(root)
    result = invoke("subscribers", root, "--format", "json", env=env())
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [set(row) for row in rows] == [{"email", "feed_url", "subscribe_url"}] * 3
    assert [row["email"] for row in rows] == ["ada@example.org", "Grace@Example.org", "boss@example.org"]
    for row, token in zip(rows, tokens_of(SECRET, *EMAILS), strict=True):
        assert row["feed_url"] == f"https://example.com/private/{token}/feed.xml"
        assert row["subscribe_url"] == f"https://example.com/private/{token}/"
        assert (out / row["feed_url"].removeprefix("https://example.com/")).is_file()
    assert tree_hash(root) == before


def test_subscribers_as_text_honours_the_base_url_and_needs_the_secret(built) -> None:
    root, _ = built
    result = invoke("subscribers", root, "--base-url", "https://members.example.net/pod", env=env())
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and lines[0].startswith("ada@example.org\thttps://members.example.net/pod/private/")
    missing = invoke("subscribers", root, env=env(None))
    assert missing.exit_code == 1 and "PODOPS_SECRET is not set" in missing.stderr


@pytest.mark.parametrize("change, where, words", [
    (lambda s: s.replace("Grace@Example.org", "' ADA@example.org '"), "members/subscribers.yaml:9:5: "
     "subscribers[1].email: ", "the same address as members/subscribers.yaml:8"),
    (lambda s: s.replace("Grace@Example.org", "grace(at)example.org"), "members/subscribers.yaml:9:5: "
     "subscribers[1].email: ", "not an e-mail address"),
    (lambda s: s.replace("parent: ccc94297acfc", "parent: aaa94297acfc"), "members/subscribers.yaml:6:3: "
     "metadata.parent: ", "is not private"),
    (lambda s: s.replace("parent: ccc94297acfc", "parent: ddd94297acfc"), "members/subscribers.yaml:6:3: "
     "metadata.parent: ", "names no show"),
])
def test_bad_subscriber_lists_are_located_errors(tmp_path: Path, change: Callable[[str], str], where: str,
                                                 words: str) -> None:
    root = make_network(tmp_path / "net", change(SUBSCRIBERS))
    result = invoke("validate", root, "--no-media", env=env(None))
    assert result.exit_code == 1
    assert any(line.startswith(where) and words in line for line in result.stderr.splitlines()), result.stderr


def test_a_private_show_without_subscribers_is_a_warning(tmp_path: Path) -> None:
    root = make_network(tmp_path / "net")
    (root / "members" / "subscribers.yaml").unlink()
    result = invoke("validate", root, "--no-media", env=env(None))
    assert result.exit_code == 0
    assert re.search(r"members/show\.yaml:\d+:\d+: warning: private: .*no subscribers", result.stderr)


def test_new_subscribers_writes_a_list_validate_accepts(production) -> None:
    prod = production({"show.yaml": SHOW + "private: true\n"})
    result = invoke("new", "subscribers", prod, "--email", "ada@example.org", "--email", "bob@example.net")
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    text = path.read_text()
    assert path.name.startswith("subscribers-") and "parent: aaa94297acfc" in text
    assert "ada@example.org" in text and "bob@example.net" in text
    assert invoke("validate", prod, env=env(None)).exit_code == 0
    public = production(name="other")
    result = invoke("new", "subscribers", public)
    assert result.exit_code == 0 and "add `private: true`" in result.stderr


@pytest.mark.parametrize("args, words", [
    (["--email", "not-an-address"], "not an e-mail address"),
    (["--email", "ada@example.org", "--email", " ADA@example.org"], "given twice"),
    (["--name", "Bad.Name"], "--name"),
])
def test_new_subscribers_refuses_what_validate_would_refuse(production, args: list[str], words: str) -> None:
    prod = production({"show.yaml": SHOW + "private: true\n"})
    result = invoke("new", "subscribers", prod, *args)
    assert result.exit_code == 2 and words in result.stderr
    assert not list(prod.glob("subscribers-*.yaml"))


def test_private_pages_are_valid_html5(built) -> None:
    jar = browser.vnu_jar()
    if jar is None:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"needs java, vnu.jar: {browser.VNU_INSTALL}")
    _, out = built
    assert browser.html_errors(jar, sorted((out / "private").rglob("*.html"))) == []


def test_a_personal_feed_names_no_hub_podping_owner_or_new_feed_url(tmp_path: Path) -> None:
    root = tmp_path / "net"
    make_network(root)
    show = root / "members" / "show.yaml"
    show.write_text(PRIVATE_SHOW + "websubHubs: [https://pubsubhubbub.appspot.com/]\npodping: true\n"
                    "newFeedLink: {uri: 'https://elsewhere.example.net/feed.xml', rel: external}\n")
    out = tmp_path / "public"
    build(root, out)
    manifest = json.loads((out / "_podops" / "manifest.json").read_text())
    assert PRIVATE_GUID not in json.dumps(manifest)
    for token in tokens_of(SECRET, *EMAILS):
        data = (out / "private" / token / "feed.xml").read_bytes()
        for absent in (b'rel="hub"', b"podcast:podping", b"itunes:new-feed-url", b"itunes:owner",
                       b"boss@example.org", b"elsewhere.example.net"):
            assert absent not in data, (absent, token)
