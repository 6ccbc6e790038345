"""``podops publish``: a build uploaded to a real S3 server (SeaweedFS), incrementally and in an order
that never leaves a feed naming a missing object — checked by killing a publish in every phase."""

from __future__ import annotations

import os
import pty
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EPISODE, EXAMPLE, SHOW, invoke, write_production
from lxml import etree
from seaweed import ACCESS, BUCKET, READER, READER_SECRET, S3, SECRET

from podops.build import build
from podops.commands import publish
from podops.commands.bucketplan import MANIFEST, PART
from podops.urls import MARKER, PUBLISH_SETTINGS

BASE = "https://cdn.example.test/site/"
# What every kind of file must be served as (an oracle written out here, not taken from podops).
EXPECTED_TYPES = {
    "feed.xml": "application/rss+xml; charset=utf-8", ".html": "text/html; charset=utf-8",
    ".mp3": "audio/mpeg", ".png": "image/png", ".jpg": "image/jpeg", ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip", ".css": "text/css; charset=utf-8", ".js": "application/javascript",
    ".svg": "image/svg+xml", ".json": "application/json", "sitemap.xml": "application/xml",
    ".txt": "text/plain; charset=utf-8", "_headers": "text/plain; charset=utf-8",
    "openapi.json": "application/json", "api/.json": "application/vnd.api+json",
    **dict.fromkeys((".pagefind", ".pf_filter", ".pf_fragment", ".pf_index", ".pf_meta"), "application/octet-stream"),
}


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The static access key in the environment, where the standard AWS chain looks first."""
    for key, value in {"AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET,
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="session")
def long_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 9.6 MB MP3 (four minutes at 320 kbit/s): big enough for a multipart upload."""
    path = tmp_path_factory.mktemp("audio") / "long.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=44100", "-t", "240", "-ac", "2", "-c:a", "libmp3lame",
                    "-b:a", "320k", "-write_xing", "1", "-map_metadata", "-1", "-fflags", "+bitexact",
                    str(path)], check=True)
    assert path.stat().st_size > PART
    return path


def third_show() -> dict[str, str]:
    """A second small show for the network (removed again in the second state)."""
    return {"show.yaml": SHOW.replace("test-show", "third-show").replace("aaa94297acfc", "bbb94297acfc"),
            "episodes/episode-6d1048a48504.yaml": EPISODE.replace("aaa94297acfc", "bbb94297acfc").replace(
                "6d1048a48504", "7d1048a48504").replace("first-episode", "third-episode")}


@pytest.fixture
def network(tmp_path: Path, long_mp3: Path) -> Path:
    """Three shows in one folder: the example, a show with a long MP3, and a small third one."""
    root = tmp_path / "network"
    shutil.copytree(EXAMPLE, root / "example", ignore=shutil.ignore_patterns(".podops"))
    write_production(root / "second", {"assets/ep.mp3": long_mp3})
    write_production(root / "third", third_show())
    return root


def site(production: Path, out: Path) -> Path:
    """Build ``production`` into ``out`` under the test base URL."""
    build(production, out, base_url=BASE)
    return out


def edit(root: Path) -> None:
    """State B of the network: a title edit per show, a draft published, an episode archived, a show removed."""
    replace(root / "example/episodes/episode-2a3b4c5d6e7f.yaml", "title: Feeds every app accepts",
            "title: Feeds every app accepts, revised")
    replace(root / "example/episodes/episode-3c4d5e6f7a8b.yaml", "status: draft", "status: published")
    replace(root / "example/episodes/episode-0a1b2c3d4e5f.yaml", "  labels:\n", "  labels:\n    status: archived\n")
    replace(root / "second/episodes/episode-6d1048a48504.yaml", "title: Episode One", "title: Episode One, revised")
    shutil.rmtree(root / "third")


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path}: {old!r}"
    path.write_text(text.replace(old, new, 1))


def tree(out: Path) -> dict[str, Path]:
    """The files a publish must put in the bucket: everything but podops' own records."""
    skip = {MARKER, PUBLISH_SETTINGS}
    return {p.relative_to(out).as_posix(): p for p in sorted(out.rglob("*"))
            if p.is_file() and p.relative_to(out).as_posix() not in skip}


def expected_type(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    if rel.startswith("api/") and name != "openapi.json":
        return EXPECTED_TYPES["api/.json"]
    return EXPECTED_TYPES.get(name) or EXPECTED_TYPES[os.path.splitext(name)[1]]


def run(out: Path, target: str, s3: S3, *options: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m podops publish`` as a subprocess, as CI runs it."""
    return subprocess.run([sys.executable, "-m", "podops", "publish", str(out), target, *options],
                          env=s3.env(**env), capture_output=True, text=True, timeout=300)


def named_objects(feed: bytes, prefix: str) -> set[str]:
    """Every key under ``prefix`` a feed names: enclosures, artwork, transcripts, chapters, pages."""
    root = etree.fromstring(feed, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    values = [v for element in root.iter() for v in (*element.attrib.values(), element.text or "")]
    keys = set()
    for value in values:
        value = value.strip()
        if value.startswith(BASE):
            rel = value[len(BASE):]
            keys.add(prefix + (rel + "index.html" if rel == "" or rel.endswith("/") else rel))
    return keys


def assert_feeds_name_only_existing_objects(s3: S3, prefix: str) -> set[str]:
    """The listener's invariant: no feed in the bucket points at something that is not there."""
    present = {prefix + rel for rel in s3.objects(prefix)}
    feeds = sorted(k for k in present if k.endswith("feed.xml"))
    assert feeds
    for key in feeds:
        missing = named_objects(s3.body(key), prefix) - present
        assert not missing, f"{key} names missing objects: {sorted(missing)}"
    return set(feeds)


def test_a_folder_that_is_not_a_build_is_refused(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("mine")
    result = invoke("publish", tmp_path, "s3://podcast/site")
    assert result.exit_code == 1
    assert result.output.strip() == (f"{tmp_path}: not a podops build (no .podops-build.json): refusing to "
                                     "publish it; run podops build first")


def test_the_bucket_equals_the_output_tree_with_correct_headers(s3: S3, network: Path, tmp_path: Path) -> None:
    out = site(network, tmp_path / "out")
    summary = publish.publish(str(out), f"s3://{BUCKET}/equal", s3.endpoint)
    files = tree(out)
    objects = s3.objects("equal/")
    assert set(objects) == set(files) | {MANIFEST}
    assert summary.uploaded == len(files) and summary.unchanged == 0
    for rel, path in files.items():
        head = s3.client.head_object(Bucket=BUCKET, Key=f"equal/{rel}")
        assert head["ContentLength"] == path.stat().st_size, rel
        assert head["ContentType"] == expected_type(rel), rel
        assert head["CacheControl"].startswith("public, max-age="), rel
        assert s3.body(f"equal/{rel}") == path.read_bytes(), rel
    assert objects["test-show/media/assets/ep.mp3"]["ETag"].strip('"').endswith("-2")  # multipart
    for rel, policy in {"the-static-signal/feed.xml": "public, max-age=300",
                        "api/v1/episodes.json": "public, max-age=300", "index.html": "public, max-age=3600",
                        "test-show/media/assets/ep.mp3": "public, max-age=31536000"}.items():
        assert s3.client.head_object(Bucket=BUCKET, Key=f"equal/{rel}")["CacheControl"] == policy, rel


def test_a_second_publish_uploads_nothing(s3: S3, network: Path, tmp_path: Path) -> None:
    out = site(network, tmp_path / "out")
    publish.publish(str(out), f"s3://{BUCKET}/again", s3.endpoint)
    before = {rel: item["LastModified"] for rel, item in s3.objects("again/").items()}
    time.sleep(1.1)  # LastModified has one-second resolution
    result = run(out, f"s3://{BUCKET}/again", s3)
    assert result.returncode == 0, result.stderr
    assert ": 0 uploaded (0.0 MB), " in result.stderr
    assert {rel: item["LastModified"] for rel, item in s3.objects("again/").items()} == before


def test_without_a_manifest_the_listing_etags_decide_and_wrong_headers_are_fixed(s3: S3, network: Path,
                                                                                tmp_path: Path) -> None:
    out = site(network, tmp_path / "out")
    publish.publish(str(out), f"s3://{BUCKET}/noman", s3.endpoint)
    s3.client.delete_object(Bucket=BUCKET, Key=f"noman/{MANIFEST}")
    css = "noman/_static/style.css"  # as `aws s3 sync` would have left it
    s3.client.put_object(Bucket=BUCKET, Key=css, Body=(out / "_static/style.css").read_bytes(),
                         ContentType="binary/octet-stream")
    summary = publish.publish(str(out), f"s3://{BUCKET}/noman", s3.endpoint)
    assert [(a.rel, a.why) for a in summary.plan.actions] == [("_static/style.css", "headers")]
    assert s3.client.head_object(Bucket=BUCKET, Key=css)["ContentType"] == "text/css; charset=utf-8"
    assert publish.publish(str(out), f"s3://{BUCKET}/noman", s3.endpoint).uploaded == 0


def test_a_title_edit_uploads_its_pages_and_feed_never_audio_and_the_feed_lands_last(
        s3: S3, network: Path, tmp_path: Path) -> None:
    out = site(network, tmp_path / "out")
    publish.publish(str(out), f"s3://{BUCKET}/edit", s3.endpoint)
    old_feed = s3.body("edit/the-static-signal/feed.xml")
    replace(network / "example/episodes/episode-2a3b4c5d6e7f.yaml", "title: Feeds every app accepts",
            "title: Feeds every app accepts, revised")
    site(network, out)
    dry = invoke("publish", out, f"s3://{BUCKET}/edit", "--dry-run", env=s3.env())
    assert dry.exit_code == 0, dry.output
    planned = [line.split()[2].removeprefix(f"s3://{BUCKET}/edit/") for line in dry.output.splitlines()
               if line.startswith("upload ")]
    assert not any(rel.endswith(".mp3") for rel in planned)
    assert {"the-static-signal/feeds-every-app-accepts/index.html", "the-static-signal/index.html",
            "the-static-signal/feed.xml", "api/v1/episodes/2a3b4c5d6e7f.json"} <= set(planned), planned
    assert planned[-2:] == ["the-static-signal/feed.xml", "_podops/manifest.json"]  # feeds last, then the record
    # The server's view of the order: stopped as the feed phase starts, every page is new, the feed is old.
    paused = start_paused(out, "edit", s3, "feeds:0")
    try:
        assert s3.body("edit/the-static-signal/feeds-every-app-accepts/index.html") == (
            out / "the-static-signal/feeds-every-app-accepts/index.html").read_bytes()
        assert s3.body("edit/the-static-signal/feed.xml") == old_feed
    finally:
        paused.kill()
        paused.wait()
    mp3s = {rel: item["LastModified"] for rel, item in s3.objects("edit/").items() if rel.endswith(".mp3")}
    summary = publish.publish(str(out), f"s3://{BUCKET}/edit", s3.endpoint)
    assert [a.rel for a in summary.plan.actions] == ["the-static-signal/feed.xml", "_podops/manifest.json"]
    assert s3.body("edit/the-static-signal/feed.xml") == (out / "the-static-signal/feed.xml"
                                                                   ).read_bytes()
    assert {rel: item["LastModified"] for rel, item in s3.objects("edit/").items() if rel.endswith(".mp3")} == mp3s


def start_paused(out: Path, prefix: str, s3: S3, at: str, *options: str) -> subprocess.Popen[str]:
    """Start a publish that stops at ``at`` (PHASE:N) and return it once it has stopped there."""
    process = subprocess.Popen([sys.executable, "-m", "podops", "publish", str(out), f"s3://{BUCKET}/{prefix}",
                                "--jobs", "2", *options], env=s3.env(PODOPS_PUBLISH_PAUSE=at),
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert process.stderr is not None
    deadline = time.monotonic() + 120
    line = ""
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if f"paused at {at}" in line or not line:
            break
    if f"paused at {at}" not in line:
        process.kill()
        pytest.fail(f"publish did not reach {at}: {line}{process.stderr.read()}")
    return process


def test_delete_removes_exactly_what_the_site_dropped_and_nothing_outside_the_prefix(
        s3: S3, network: Path, tmp_path: Path) -> None:
    out = site(network, tmp_path / "out")
    publish.publish(str(out), f"s3://{BUCKET}/del/site", s3.endpoint)
    for key in ("outside.txt", "del/site-other/index.html", "del/keep.txt"):
        s3.client.put_object(Bucket=BUCKET, Key=key, Body=b"not podops'")
    before = set(tree(out))
    edit(network)
    site(network, out)
    after = set(tree(out))
    kept = publish.publish(str(out), f"s3://{BUCKET}/del/site", s3.endpoint)
    assert kept.deleted == 0 and sorted(kept.plan.stale) == sorted(before - after)
    assert set(s3.objects("del/site/")) == before | after | {MANIFEST}
    summary = publish.publish(str(out), f"s3://{BUCKET}/del/site", s3.endpoint, delete=True)
    assert summary.deleted == len(before - after) > 0
    assert set(s3.objects("del/site/")) == after | {MANIFEST}
    for key in ("outside.txt", "del/site-other/index.html", "del/keep.txt"):
        assert s3.body(key) == b"not podops'"
    deletions = [a.rel for a in summary.plan.actions if a.op == "delete"]
    assert deletions[0] == "third-show/feed.xml"  # feeds stop naming things before they go


PHASE_STOPS = ["media:0", "media:1", "pages:0", "pages:1", "feeds:0", "feeds:1", "delete:0", "delete:1"]


def test_a_publish_killed_in_any_phase_leaves_feeds_that_name_only_existing_objects(
        s3: S3, network: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    site(network, first)
    old_feeds = {rel: p.read_bytes() for rel, p in tree(first).items() if rel.endswith("feed.xml")}
    edit(network)
    site(network, second)
    new_feeds = {rel: p.read_bytes() for rel, p in tree(second).items() if rel.endswith("feed.xml")}
    for at in PHASE_STOPS:
        publish.publish(str(first), f"s3://{BUCKET}/kill", s3.endpoint, delete=True)
        process = start_paused(second, "kill", s3, at, "--delete")
        process.send_signal(signal.SIGKILL)
        process.wait()
        feeds = assert_feeds_name_only_existing_objects(s3, "kill/")
        up = {rel: s3.body(f"kill/{rel}") for rel in (k.removeprefix("kill/") for k in feeds)}
        if at.startswith(("media", "pages", "feeds:0")):
            assert up == old_feeds, at  # no feed changes before every file it names is up
        elif at.startswith("delete"):
            assert {k: v for k, v in up.items() if k in new_feeds} == new_feeds, at
        else:
            assert sum(up.get(k) == v for k, v in new_feeds.items()) == 1, at  # one of two feeds is up
    publish.publish(str(second), f"s3://{BUCKET}/kill", s3.endpoint, delete=True)
    assert set(s3.objects("kill/")) == set(tree(second)) | {MANIFEST}
    assert_feeds_name_only_existing_objects(s3, "kill/")


def test_no_credentials_a_missing_bucket_and_access_denied_are_one_line_each(s3: S3, network: Path,
                                                                           tmp_path: Path) -> None:
    out = site(network, tmp_path / "out")
    nowhere = str(tmp_path / "no-aws-config")
    bare = {key: None for key in os.environ if key.startswith("AWS_")}
    cases = {
        "no credentials": ({**bare, "AWS_CONFIG_FILE": nowhere, "AWS_SHARED_CREDENTIALS_FILE": nowhere,
                            "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": s3.endpoint},
                           f"s3://{BUCKET}/x", "podops: no AWS credentials found: set AWS_ACCESS_KEY_ID and "
                           "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, ~/.aws/credentials, an instance role)"),
        "missing bucket": (s3.env(), "s3://no-such-bucket/x",
                           "s3://no-such-bucket: no such bucket: create it first, or check the name and the "
                           "endpoint URL"),
        "access denied": (s3.env(AWS_ACCESS_KEY_ID=READER, AWS_SECRET_ACCESS_KEY=READER_SECRET),
                          f"s3://{BUCKET}/denied", f"s3://{BUCKET}/denied/: access denied (PutObject "),
        "wrong key": (s3.env(AWS_ACCESS_KEY_ID="nobody"), f"s3://{BUCKET}/x",
                      f"s3://{BUCKET}/x/: the endpoint refused the credentials (InvalidAccessKeyId)"),
    }
    for name, (env, target, message) in cases.items():
        result = invoke("publish", out, target, env=env)  # type: ignore[arg-type]
        assert result.exit_code == 1, name
        assert len(result.output.strip().splitlines()) == 1, (name, result.output)
        assert result.output.startswith(message), (name, result.output)
    assert "denied/" + MANIFEST not in {f"denied/{k}" for k in s3.objects("denied/")}


def test_a_terminal_sees_a_progress_bar_then_the_summary(s3: S3, network: Path, tmp_path: Path) -> None:
    out = site(network, tmp_path / "out")
    leader, follower = pty.openpty()
    env = {k: v for k, v in s3.env().items() if k != "CI"}
    process = subprocess.Popen([sys.executable, "-m", "podops", "publish", str(out), f"s3://{BUCKET}/tty"],
                               env=env, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the publish is over
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0, seen
    text = seen.decode(errors="replace")
    assert "publishing" in text and "100%" in text
    assert f"to s3://{BUCKET}/tty/: {len(tree(out))} uploaded" in text
