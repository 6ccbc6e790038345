"""Every bad input gets one clear, line-pointing error, exit code 1, and leaves the old site untouched.

Cases follow ``shared/research/security.md`` §8 and issue #10 (hostile inputs, faults, the
preview server): rows and tests named ``item N`` below are that issue's numbered cases. Each row
changes the valid base production (``conftest.SHOW`` / ``conftest.EPISODE``), builds into a
folder that holds a previous good build, and checks the diagnostic
``path:line:column: field: message``. Every test runs under a timeout, so a hang fails instead
of stalling CI.
"""

from __future__ import annotations

import os
import signal
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EPISODE, IMAGES, MEDIA, SHOW, invoke, tree_hash, write_production

pytestmark = pytest.mark.timeout(120)

EP = "episodes/episode-6d1048a48504.yaml"
MP3 = (MEDIA / "cbr.mp3").read_bytes()


def png(width: int, height: int, data: bytes, mode: int = 2) -> bytes:
    """A PNG with a real header and CRCs around arbitrary image data (for damaged-artwork cases)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, mode, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def with_transcript(name: str, content: str | bytes, extra: str = "") -> dict:
    """The base episode with one local transcript file."""
    text = EPISODE + f"transcripts:\n  - uri: assets/{name}\n{extra}"
    return {EP: text, f"assets/{name}": content}


OK_PNG = (IMAGES / "ok.png").read_bytes()


def show(old: str, new: str) -> dict[str, str]:
    assert old in SHOW, old
    return {"show.yaml": SHOW.replace(old, new, 1)}


def episode(old: str, new: str) -> dict[str, str]:
    assert old in EPISODE, old
    return {EP: EPISODE.replace(old, new, 1)}


BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"

# id, files to change, expected diagnostic prefix, expected words in the message
CASES: list[tuple[str, dict, str, str]] = [
    ("show-missing", {"show.yaml": None}, "show.yaml: ", "not found"),
    ("show-empty", {"show.yaml": ""}, "show.yaml:1:1: ", "expected a mapping at top level, got nothing"),
    ("show-list", {"show.yaml": "- a\n- b\n"}, "show.yaml:1:1: ", "got a list"),
    ("show-scalar", {"show.yaml": "just text\n"}, "show.yaml:1:1: ", "got a scalar"),
    ("tab-indent", show("  name: test-show", "\tname: test-show"), "show.yaml:4:1: ", "YAML syntax error"),
    ("unknown-field", show("  title: Test Show", "  titel: Test Show"),
     "show.yaml:10:3: description.titel: ", "unknown field (did you mean 'title'?)"),
    ("duplicate-key", show("  summary: A show", "  title: Again\n  summary: A show"),
     "show.yaml:11:3: ", "duplicate key 'title' (first defined on line 10)"),
    ("python-tag", show("  title: Test Show", "  title: !!python/object/apply:os.system ['touch PWNED']"),
     "show.yaml:10:10: ", "unsupported YAML tag"),
    ("alias-bomb", {"show.yaml": SHOW + BOMB}, "show.yaml:", "anchors and aliases are not allowed"),
    ("deep-nesting", {"show.yaml": SHOW + "x: " + "[" * 5000 + "]" * 5000 + "\n"}, "show.yaml:21:23: ",
     "nesting too deep (more than 20 levels)"),
    ("too-large", {"show.yaml": SHOW + "#" * (2 * 1024 * 1024) + "\n"}, "show.yaml: ", "file too large"),
    ("bad-utf8", {"show.yaml": SHOW.encode().replace(b"Test Show", b"Test \xff Show")},
     "show.yaml:10:", "not valid UTF-8 at byte"),
    ("utf16", {"show.yaml": SHOW.encode("utf-16")}, "show.yaml:1:1: ", "UTF-16"),
    ("javascript-url", show("  baseUrl: https://example.com/", "  baseUrl: javascript:alert(1)"),
     "show.yaml:20:3: site.baseUrl: ", "must be an absolute http(s) URL"),
    ("ftp-url", show("  baseUrl: https://example.com/", "  baseUrl: ftp://example.com/"),
     "show.yaml:20:3: site.baseUrl: ", "http(s)"),
    ("url-with-quote", show("  baseUrl: https://example.com/", "  baseUrl: 'https://exa\"mple.com/'"),
     "show.yaml:20:3: site.baseUrl: ", "http(s)"),
    ("bad-email", show("    email: test@example.com", "    email: not-an-email"),
     "show.yaml:16:5: description.owner.email: ", "not an e-mail address"),
    ("bad-language", show("    language: en_US", "    language: english"),
     "show.yaml:7:5: metadata.labels.language: ", "ISO 639"),
    ("bad-category", show("    - name: Technology", "    - name: Tech"),
     "show.yaml:13:7: description.category[0].name: ", "did you mean 'Technology'?"),
    ("wrong-subcategory", show("    - name: Technology", "    - name: Arts\n      subcategory: [Football]"),
     "show.yaml:14:21: description.category[0].subcategory[0]: ", "not a subcategory of 'Arts'"),
    ("explicit-maybe", show('    explicit: "no"', "    explicit: maybe"),
     "show.yaml:8:5: metadata.labels.explicit: ", "must be true or false"),
    ("show-name-invalid", show("  name: test-show", "  name: Test.Show"),
     "show.yaml:4:3: metadata.name: ", "must be 8–44 characters"),
    ("show-guid-prefix-only", show("  guid: aaa94297acfc", "  guid: aXYZ4297acfc"),
     "show.yaml:5:3: metadata.guid: ", "12 lowercase hex"),
    ("kind-unknown", show("kind: show", "kind: asset"), "show.yaml:2:1: kind: ", "not a resource kind"),
    ("api-version", show("apiVersion: v1", "apiVersion: v2"), "show.yaml:1:1: apiVersion: ", "'v2' is not allowed"),
    ("title-required", show("  title: Test Show", "  title: '   '"),
     "show.yaml:10:3: description.title: ", "is required"),
    ("image-required", show("image:\n  uri: assets/cover.png\n", ""), "show.yaml:1:1: image: ", "is required"),
    ("date-feb-30", episode("  date: Fri, 04 Jun 2021 20:10:35 +0000", "  date: 2024-02-30"),
     f"{EP}:7:3: metadata.date: ", "day is out of range for month"),
    ("date-naive", episode("  date: Fri, 04 Jun 2021 20:10:35 +0000", "  date: 2024-01-05 10:00:00"),
     f"{EP}:7:3: metadata.date: ", "no timezone"),
    ("duration-bad", episode("  summary: The first one.", "  summary: x\n  duration: '1:2:3:4'"),
     f"{EP}:14:3: description.duration: ", "seconds or H:MM:SS"),
    ("control-char", episode("  title: Episode One", '  title: "Episode\\vOne"'),
     f"{EP}:12:3: description.title: ", "control character U+000B not allowed"),
    ("octal-episode", episode("    episode: 1", "    episode: 010"),
     f"{EP}:10:5: metadata.labels.episode: ", "ambiguous number '010' (YAML 1.1 reads it as octal): write 10"),
    ("float-episode", episode("    episode: 1", "    episode: 1.10"),
     f"{EP}:10:5: metadata.labels.episode: ", "whole number"),
    ("episode-name-traversal", episode("  name: first-episode", "  name: ../../etc/x"),
     f"{EP}:4:3: metadata.name: ", "must be 8–44 characters"),
    ("parent-missing", episode("  parent: aaa94297acfc", "  parent: bbb94297acfc"),
     f"{EP}:6:3: metadata.parent: ", "names no show"),
    ("duplicate-guid", {"episodes/second.yaml": EPISODE.replace("first-episode", "second-episode").replace(
        "ep.mp3", "ep2.mp3"), "assets/ep2.mp3": MEDIA / "cbr.mp3"},
     "episodes/second.yaml:5:3: metadata.guid: ", f"already used by {EP}:5"),
    ("duplicate-name", {"episodes/second.yaml": EPISODE.replace("6d1048a48504", "6d1048a48505").replace(
        "ep.mp3", "ep2.mp3"), "assets/ep2.mp3": MEDIA / "cbr.mp3"},
     "episodes/second.yaml:4:3: metadata.name: ", f"already used by {EP}"),
    ("duplicate-enclosure", {"episodes/second.yaml": EPISODE.replace("6d1048a48504", "6d1048a48505").replace(
        "first-episode", "second-episode")},
     "episodes/second.yaml:15:3: enclosure.uri: ", f"enclosure 'assets/ep.mp3' is already used by {EP}"),
    # One cause, one error: what follows from a broken show is not reported again.
    ("show-yaml-syntax", show("  title: Test Show", "  title: [Test Show"), "show.yaml:", "YAML syntax error"),
    ("show-guid-bad-no-cascade", show("  guid: aaa94297acfc", "  guid: not-a-guid"),
     "show.yaml:5:3: metadata.guid: ", "12 lowercase hex"),
    ("show-guid-missing", show("  guid: aaa94297acfc\n", ""), "show.yaml:4:3: metadata.guid: ", "is required"),
    ("show-kind-typo-no-cascade", show("kind: show", "kind: shwo"), "show.yaml:2:1: kind: ", "not a resource kind"),
    ("base-url-missing", show("site:\n  baseUrl: https://example.com/\n", ""),
     "show.yaml:1:1: site.baseUrl: ", "is required to write absolute feed and enclosure URLs"),
    ("audio-escapes", episode("  uri: assets/ep.mp3", "  uri: ../../secret.key"),
     f"{EP}:15:3: enclosure.uri: ", "path escapes the production"),
    ("audio-absolute", episode("  uri: assets/ep.mp3", "  uri: /etc/passwd"),
     f"{EP}:15:3: enclosure.uri: ", "relative to the production"),
    ("audio-missing", episode("  uri: assets/ep.mp3", "  uri: assets/ep3.mp3"),
     f"{EP}:15:3: enclosure.uri: ", "file not found: assets/ep3.mp3"),
    ("audio-external-js", episode("  uri: assets/ep.mp3", "  uri: javascript:alert(1)\n  rel: external"),
     f"{EP}:15:3: enclosure.uri: ", "http(s) URL"),
    ("audio-text", {"assets/ep.mp3": MEDIA / "text.mp3"}, f"{EP}:15:3: enclosure.uri: ", "not a readable MP3"),
    ("audio-empty", {"assets/ep.mp3": MEDIA / "empty.mp3"}, f"{EP}:15:3: enclosure.uri: ", "empty file"),
    ("audio-wav", {"assets/ep.mp3": MEDIA / "wav_renamed.mp3"}, f"{EP}:15:3: enclosure.uri: ", "WAV"),
    ("audio-random", {"assets/ep.mp3": MEDIA / "random.mp3"}, f"{EP}:15:3: enclosure.uri: ", "not a readable MP3"),
    ("audio-truncated", {"assets/ep.mp3": MEDIA / "cbr_trunc_half.mp3"},
     f"{EP}:15:3: enclosure.uri: ", "truncated"),
    ("audio-corrupt", {"assets/ep.mp3": MEDIA / "cbr_midzeros.mp3"},
     f"{EP}:15:3: enclosure.uri: ", "corrupt MPEG frames"),
    ("audio-bad-id3", {"assets/ep.mp3": MEDIA / "trunc_in_id3.mp3"},
     f"{EP}:15:3: enclosure.uri: ", "not a readable MP3"),
    ("cover-small", {"assets/cover.png": IMAGES / "small.png"}, "show.yaml:18:3: image.uri: ", "1400–3000 px"),
    ("cover-huge", {"assets/cover.png": IMAGES / "huge.png"}, "show.yaml:18:3: image.uri: ", "1400–3000 px"),
    ("cover-cmyk", {"assets/cover.png": IMAGES / "cmyk.jpg"}, "show.yaml:18:3: image.uri: ", "must be RGB"),
    ("cover-gif", {"assets/cover.png": IMAGES / "cover.gif"}, "show.yaml:18:3: image.uri: ", "JPEG or PNG"),
    ("cover-wide", {"assets/cover.png": IMAGES / "wide.png"}, "show.yaml:18:3: image.uri: ", "square"),
    ("cover-not-image", {"assets/cover.png": IMAGES / "not-image.png"}, "show.yaml:18:3: image.uri: ",
     "not a readable image"),
    ("api-page-size-zero", {"show.yaml": SHOW + "api:\n  pageSize: 0\n"},
     "show.yaml:22:3: api.pageSize: ", "must be 1 or more (got 0)"),
    ("api-page-size-101", {"show.yaml": SHOW + "api:\n  pageSize: 101\n"},
     "show.yaml:22:3: api.pageSize: ", "must be 100 or less (got 101)"),
    ("show-name-collision", {"other/show.yaml": SHOW.replace("aaa94297acfc", "bbb94297acfc"),
                             "other/assets/cover.png": IMAGES / "ok.png"},
     "show.yaml:4:3: metadata.name: ", "name 'test-show' already used by other/show.yaml"),
    ("serial-needs-numbers", {**show('    explicit: "no"', '    explicit: "no"\n    type: Serial'),
                              **episode("    episode: 1\n", "")},
     f"{EP}:", "the show is serial"),
    # issue #10 item 1: enclosures, artwork and transcripts are what their names say
    *[(f"item1-enclosure-named{suffix}", {**episode("  uri: assets/ep.mp3", f"  uri: assets/ep{suffix}"),
                                           f"assets/ep{suffix}": MEDIA / "cbr.mp3"},
       f"{EP}:15:3: enclosure.uri: ", "an enclosure must be an MP3 named .mp3 (podops publishes MPEG audio)")
      for suffix in (".svg", ".html", ".js", ".xml", ".m4a")],
    ("item1-svg-script-before-frames",
     {"assets/ep.mp3": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'
      + MP3}, f"{EP}:15:3: enclosure.uri: ", "bytes before the first MPEG frame are not an ID3v2 tag"),
    ("item1-cover-jpeg-named-png", {"assets/cover.png": IMAGES / "ok.jpg"}, "show.yaml:18:3: image.uri: ",
     "the content is image/jpeg, so the name must end in .jpg or .jpeg, not '.png'"),
    ("item1-transcript-vtt-holding-html", with_transcript("t.vtt", "<html><script>alert(1)</script></html>\n"),
     f"{EP}:17:5: transcripts[0].uri: ", "not WebVTT: a .vtt file starts with 'WEBVTT'"),
    ("item1-transcript-json-not-transcript", with_transcript("t.json", '{"hello": 1}'),
     f"{EP}:17:5: transcripts[0].uri: ", "no \"segments\" list"),
    ("item1-transcript-srt-not-srt", with_transcript("t.srt", "just words\n"),
     f"{EP}:17:5: transcripts[0].uri: ", "not SubRip"),
    ("item1-transcript-type-disagrees", with_transcript("t.vtt", "WEBVTT\n", "    type: text/html\n"),
     f"{EP}:17:5: transcripts[0].uri: ", "type 'text/html' disagrees with the name"),
    ("item1-transcript-binary", with_transcript("t.txt", b"\xff\xfe\x00binary"),
     f"{EP}:17:5: transcripts[0].uri: ", "not UTF-8 text"),
    # item 6: artwork is decoded, not sniffed
    ("item6-cover-truncated", {"assets/cover.png": OK_PNG[: len(OK_PNG) // 2]}, "show.yaml:18:3: image.uri: ",
     "damaged image"),
    ("item6-cover-header-over-garbage", {"assets/cover.png": png(3000, 3000, os.urandom(4096))},
     "show.yaml:18:3: image.uri: ", "damaged image"),
    # item 20: a decompression bomb is named for what it is
    ("item20-decompression-bomb", {"assets/cover.png": png(20000, 20000, zlib.compress(b"\0" * 1000))},
     "show.yaml:18:3: image.uri: ", "image is larger than 178956970 pixels"),
    # item 11: the ends of the calendar
    ("item11-date-year-1", episode("  date: Fri, 04 Jun 2021 20:10:35 +0000", "  date: 0001-01-01T00:00+01:00"),
     f"{EP}:7:3: metadata.date: ", "date is out of range: in UTC it falls before year 1 or after year 9999"),
    ("item11-date-year-9999", episode("  date: Fri, 04 Jun 2021 20:10:35 +0000",
                                      "  date: 9999-12-31T23:59:59-01:00"),
     f"{EP}:7:3: metadata.date: ", "date is out of range"),
    ("item11-rfc2822-year-1", episode("  date: Fri, 04 Jun 2021 20:10:35 +0000",
                                      "  date: Mon, 01 Jan 0001 00:00:00 +0100"),
     f"{EP}:7:3: metadata.date: ", "date is out of range"),
    # item 12: infinite, not-a-number and absurd times
    *[(f"item12-duration-{name}", episode("  summary: The first one.", f"  summary: x\n  duration: {value}"),
       f"{EP}:14:3: description.duration: ", words)
      for name, value, words in (("inf", ".inf", "must be a finite number of seconds (got inf)"),
                                 ("nan", ".nan", "must be a finite number of seconds (got nan)"),
                                 ("huge-float", "1.0e+999", "must be a finite number of seconds"),
                                 ("absurd", "'99999999:00:00'", "is more than 100 hours"))],
    ("item12-chapter-start-inf", {EP: EPISODE + "chapters:\n  - start: .inf\n    title: Never\n"},
     f"{EP}:17:5: chapters[0].start: ", "must be a finite number of seconds (got inf)"),
    ("item12-transcript-time-infinity", with_transcript("t.json", '{"segments": [{"startTime": Infinity}]}'),
     f"{EP}:17:5: transcripts[0].uri: ", "Infinity is not a number JSON allows"),
    ("item12-transcript-time-absurd",
     with_transcript("t.vtt", "WEBVTT\n\n9999999:00:00.000 --> 9999999:00:01.000\nhello\n"),
     f"{EP}:17:5: transcripts[0].uri: ", "line 3: time 35999996400.0 is outside 0–360000 seconds"),
    ("item12-transcript-time-nan", with_transcript("t.json", '{"segments": [{"startTime": NaN}]}'),
     f"{EP}:17:5: transcripts[0].uri: ", "NaN is not a number JSON allows"),
    # item 13: numbers with thousands of digits in a resource
    ("item13-episode-5000-digits", episode("    episode: 1", "    episode: " + "9" * 5000),
     f"{EP}:10:14: ", "number with 5000 digits is too long"),
    # item 14: nesting that would exhaust the stack
    ("item14-transcript-json-100000-deep", with_transcript("t.json", "[" * 100_000 + "]" * 100_000),
     f"{EP}:17:5: transcripts[0].uri: ", "JSON nested too deep"),
    # item 17: size limits
    ("item17-transcript-too-large", with_transcript("t.txt", "words " * (11 * 1024 * 1024 // 6)),
     f"{EP}:17:5: transcripts[0].uri: ", "the limit is 10485760 (10 MB)"),
    # item 18: a NUL byte is reported where it is
    ("item18-nul-in-yaml", {"show.yaml": SHOW.replace("  title: Test Show", "  title: Test\0Show")},
     "show.yaml:10:14: ", "control character U+0000 not allowed in YAML"),
    ("item18-nul-in-transcript", with_transcript("t.txt", "first line\nsecond\0line\n"),
     f"{EP}:17:5: transcripts[0].uri: ", "NUL byte at line 2, column 7"),
    ("webhook-file-url", {"show.yaml": SHOW + "webhooks:\n  - url: file:///etc/passwd\n"},
     "show.yaml:22:5: webhooks[0].url: ", "must be an absolute http(s) URL"),
    ("webhook-unknown-event", {"show.yaml": SHOW + "webhooks:\n  - url: https://h.example.org/\n"
                               "    events: [episode_created]\n"},
     "show.yaml:23:14: webhooks[0].events[0]: ", "'episode_created' is not allowed"),
    ("websub-hub-not-a-url", {"show.yaml": SHOW + "websubHubs: [hub.example.org]\n"},
     "show.yaml:21:14: websubHubs[0]: ", "must be an absolute http(s) URL"),
    ("podping-not-a-flag", {"show.yaml": SHOW + "podping: maybe\n"},
     "show.yaml:21:1: podping: ", "must be true or false"),
]


def errors(stderr: str) -> list[str]:
    """The error lines of a run (warnings and the summary left out)."""
    return [line for line in stderr.splitlines() if ": warning: " not in line and not line.startswith("ok: ")]


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """Every case runs under a timeout: no input may make podops hang."""
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError("a bad input took more than 60 s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("files, prefix, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_reported_at_its_line_and_nothing_is_written(
    tmp_path: Path, files: dict, prefix: str, words: str
) -> None:
    prod = write_production(tmp_path / "prod")
    out = tmp_path / "public"
    assert invoke("build", prod, "-o", out).exit_code == 0
    before = tree_hash(out)

    write_production(prod, files)
    if files.get("show.yaml", "") is None:
        (prod / "show.yaml").unlink()
    cwd = os.getcwd()
    os.chdir(tmp_path)  # a python tag would run here if it were ever executed
    try:
        result = invoke("build", prod, "-o", out)
        check = invoke("validate", prod)
    finally:
        os.chdir(cwd)

    lines = [line for line in result.stderr.splitlines() if line.startswith(prefix)]
    assert result.exit_code == 1, result.output
    assert lines, f"no diagnostic starting {prefix!r} in:\n{result.stderr}"
    assert any(words in line for line in lines), result.stderr
    assert len(errors(result.stderr)) == 1, f"follow-on errors:\n{result.stderr}"
    assert "Traceback" not in result.output
    assert tree_hash(out) == before
    assert not list(tmp_path.glob("public.podops-*"))
    assert not (tmp_path / "PWNED").exists()
    assert check.exit_code == 1 and errors(check.stderr) == errors(result.stderr)  # validate agrees


def test_validate_reports_every_problem_in_one_run(production) -> None:
    prod = production({
        "show.yaml": SHOW.replace("  title: Test Show", "  titel: Test Show"),
        EP: EPISODE.replace("  parent: aaa94297acfc", "  parent: bbb94297acfc"),
        "assets/ep.mp3": MEDIA / "empty.mp3",
    })
    result = invoke("validate", prod)
    assert result.exit_code == 1
    errors = result.stderr.strip().splitlines()
    assert errors[0].startswith(f"{EP}:6:3: metadata.parent:")
    assert any(e.startswith("show.yaml:10:3: description.titel: unknown field") for e in errors)
    assert not any("description.title: is required" in e for e in errors)  # one typo, one error
    def position(line: str) -> tuple[str, int]:
        path, rest = line.split(":", 1)
        number = rest.split(":", 1)[0]
        return path, int(number) if number.isdigit() else 0

    assert errors == sorted(errors, key=position)


@pytest.mark.parametrize("out_name", [".", "episodes", ".."])
def test_output_overlapping_the_production_is_refused_and_nothing_deleted(production, out_name: str) -> None:
    prod = production()
    before = tree_hash(prod)
    result = invoke("build", prod, "-o", prod / out_name)
    assert result.exit_code == 1
    assert "overlaps the production" in result.stderr
    assert tree_hash(prod) == before


@pytest.mark.parametrize("value", ["abc", "-5", "1.5"])
def test_invalid_source_date_epoch_is_an_error(production, tmp_path: Path, value: str) -> None:
    result = invoke("build", production(), "-o", tmp_path / "out", env={"SOURCE_DATE_EPOCH": value})
    assert result.exit_code == 1
    assert "invalid SOURCE_DATE_EPOCH" in result.stderr
    assert not (tmp_path / "out").exists()


def test_symlink_leaving_the_production_is_refused(production, tmp_path: Path) -> None:
    secret = tmp_path / "secret.mp3"
    secret.write_bytes((MEDIA / "cbr.mp3").read_bytes())
    prod = production({"assets/ep.mp3": None})
    (prod / "assets" / "ep.mp3").symlink_to(secret)
    out = tmp_path / "public"
    result = invoke("build", prod, "-o", out)
    assert result.exit_code == 1
    assert f"{EP}:15:3: enclosure.uri: 'assets/ep.mp3': path escapes the production directory" in result.stderr
    assert not out.exists()


def built(tmp_path: Path, files: dict | None = None) -> tuple[Path, Path, dict[str, str]]:
    """A production and a good build of it: (production, output, the output's hashes)."""
    prod = write_production(tmp_path / "prod", files)
    out = tmp_path / "public"
    result = invoke("build", prod, "-o", out)
    assert result.exit_code == 0, result.output
    return prod, out, tree_hash(out)


def failed(result, *expected: str) -> None:
    """Exit 1, every expected line in the diagnostics, no traceback."""
    assert result.exit_code == 1, result.output
    for line in expected:
        assert line in result.stderr, result.stderr
    assert "Traceback" not in result.output


# item 2: nothing from outside the production is published


@pytest.mark.parametrize("where", ["templates/_static/env.txt", "templates/episode.html"])
def test_item2_template_symlinks_leaving_the_production_are_refused(tmp_path: Path, where: str) -> None:
    prod, out, before = built(tmp_path)
    secret = tmp_path / "ci-secrets.txt"
    secret.write_text("GITHUB_TOKEN=ghp_secret\n")
    link = prod / where
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(secret)
    (prod / "templates" / "_static" / "env").parent.mkdir(parents=True, exist_ok=True)
    (prod / "templates" / "_static" / "environ").symlink_to("/proc/self/environ")
    result = invoke("build", prod, "-o", out)
    failed(result, f"{where}: symbolic link to {secret}, outside the production: refused (it would be published)",
           "templates/_static/environ: symbolic link to /proc/")
    assert tree_hash(out) == before
    assert invoke("validate", prod).exit_code == 1


def test_item2_template_links_inside_the_production_are_followed(tmp_path: Path) -> None:
    prod = write_production(tmp_path / "prod", {"brand/logo.txt": "logo"})
    (prod / "templates" / "_static").mkdir(parents=True)
    (prod / "templates" / "_static" / "logo.txt").symlink_to(prod / "brand" / "logo.txt")
    result = invoke("build", prod, "-o", tmp_path / "public")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "public" / "_static" / "logo.txt").read_text() == "logo"


def test_item2_kept_output_files_are_copied_only_when_regular(tmp_path: Path) -> None:
    prod, out, _ = built(tmp_path)
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY")
    (out / "CNAME").symlink_to(secret)
    (out / ".well-known").mkdir()
    (out / ".well-known" / "security.txt").write_text("Contact: mailto:a@example.com\n")
    (out / ".well-known" / "key").symlink_to(secret)
    (prod / "show.yaml").write_text(SHOW.replace("Test Show", "Renamed Show"))  # a real rebuild
    assert invoke("build", prod, "-o", out).exit_code == 0
    assert not os.path.lexists(out / "CNAME")
    assert not os.path.lexists(out / ".well-known" / "key")
    assert (out / ".well-known" / "security.txt").read_text().startswith("Contact:")
    assert "PRIVATE KEY" not in "".join(tree_hash(out))
    assert all(b"PRIVATE KEY" not in p.read_bytes() for p in out.rglob("*") if p.is_file())


# item 3: never delete what podops did not write


@pytest.mark.parametrize("name", [".", "mistyped"])
def test_item3_a_non_empty_folder_without_the_marker_is_refused(tmp_path: Path, name: str) -> None:
    prod = write_production(tmp_path / "prod")
    home = tmp_path / "home"
    (home / "mistyped").mkdir(parents=True)
    (home / "mistyped" / "thesis.tex").write_text("years of work")
    (home / "notes.txt").write_text("mine")
    target = home / name
    before = tree_hash(home)
    result = invoke("build", prod, "-o", target)
    failed(result, f"{target}: the folder is not empty and holds no .podops-build.json, so podops did not "
           "write it; a build would delete its files: choose another folder, or pass --force to replace "
           "its contents")
    assert tree_hash(home) == before
    assert not list(home.parent.glob("*.podops-*"))


def test_item3_force_takes_a_folder_over_and_then_it_carries_the_marker(tmp_path: Path) -> None:
    prod = write_production(tmp_path / "prod")
    out = tmp_path / "site"
    out.mkdir()
    (out / "old.html").write_text("hand-made")
    (out / "CNAME").write_text("podcast.example.com\n")
    assert invoke("build", prod, "-o", out, "--force").exit_code == 0
    assert not (out / "old.html").exists()
    assert (out / "CNAME").read_text() == "podcast.example.com\n"  # kept files stay
    assert (out / ".podops-build.json").read_text() == '{"format": 1, "generator": "podops"}\n'
    assert invoke("build", prod, "-o", out).exit_code == 0  # ours now: no --force needed


def test_item3_an_empty_folder_or_one_with_only_kept_files_needs_no_force(tmp_path: Path) -> None:
    prod = write_production(tmp_path / "prod")
    (tmp_path / "empty").mkdir()
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "CNAME").write_text("x.example.com\n")
    assert invoke("build", prod, "-o", tmp_path / "empty").exit_code == 0
    assert invoke("build", prod, "-o", tmp_path / "pages").exit_code == 0
    assert (tmp_path / "pages" / "CNAME").read_text() == "x.example.com\n"


def test_item3_a_symlinked_output_is_followed_to_its_real_folder(tmp_path: Path) -> None:
    prod = write_production(tmp_path / "prod")
    real = tmp_path / "releases" / "site"
    real.mkdir(parents=True)
    link = tmp_path / "public"
    link.symlink_to(real)
    assert invoke("build", prod, "-o", link).exit_code == 0
    (prod / "show.yaml").write_text(SHOW.replace("Test Show", "Renamed Show"))
    assert invoke("build", prod, "-o", link).exit_code == 0
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert "Renamed Show" in (real / "test-show" / "feed.xml").read_text()
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere" / "file")
    failed(invoke("build", prod, "-o", dangling), "is a symbolic link to")


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real, small tmpfs (needs root); skipped where mounting is not allowed."""
    import subprocess

    mount = tmp_path / "disk"
    mount.mkdir()

    def make(size: str) -> Path:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                              capture_output=True)
        if done.returncode != 0:
            pytest.skip("cannot mount a tmpfs here (not root?)")
        return mount

    yield make
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_item3_a_mount_point_as_output_gets_a_hint(tmp_path: Path, small_disk) -> None:
    prod = write_production(tmp_path / "prod")
    mount = small_disk("8m")
    result = invoke("build", prod, "-o", mount)
    failed(result, f"{mount}: is a mount point, and a build replaces its output folder as a whole; build into a "
           f"folder inside it instead (e.g. -o {mount / 'site'})")
    assert invoke("build", prod, "-o", mount / "site").exit_code == 0


# item 4: the swap has no window without a site


def test_item4_a_build_killed_between_renames_is_repaired_before_anything_else(tmp_path: Path) -> None:
    prod, out, before = built(tmp_path)
    aside = tmp_path / "public.podops-old-4242"
    os.rename(out, aside)  # exactly what a kill between the two renames leaves
    (prod / "show.yaml").write_text(SHOW.replace("  title: Test Show", "  titel: Test Show"))
    result = invoke("build", prod, "-o", out)  # a failing build
    failed(result, "show.yaml:10:3: description.titel: unknown field (did you mean 'title'?)")
    assert tree_hash(out) == before
    assert not aside.exists()
    (prod / "show.yaml").write_text(SHOW)
    assert invoke("build", prod, "-o", out).exit_code == 0
    assert not list(tmp_path.glob("public.podops-*"))


def test_item4_the_swap_is_one_atomic_exchange_where_the_kernel_has_it(tmp_path: Path) -> None:
    from podops import output

    old, new = tmp_path / "a", tmp_path / "b"
    old.mkdir()
    new.mkdir()
    (old / "x").write_text("old")
    (new / "x").write_text("new")
    if not output._exchange(os.fspath(new), os.fspath(old)):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available on this kernel or filesystem")
    assert (old / "x").read_text() == "new" and (new / "x").read_text() == "old"


# item 5: an incremental build equals a clean build even after hand edits


def test_item5_files_edited_in_the_output_do_not_survive_a_rebuild(tmp_path: Path) -> None:
    prod, out, _ = built(tmp_path)
    mp3 = out / "test-show" / "media" / "assets" / "ep.mp3"
    page = out / "test-show" / "first-episode" / "index.html"
    data = bytearray(mp3.read_bytes())
    data[-200:-100] = b"\xaa" * 100  # same size, other bytes
    with open(mp3, "r+b") as handle:  # edited in place: the same inode the build linked
        handle.write(bytes(data))
    page.write_text(page.read_text().replace("Episode One", "Defaced"))
    (prod / "notes.txt").write_text("changes the inputs, not one page: pages and media are reused")
    result = invoke("build", prod, "-o", out, "-v")
    assert result.exit_code == 0
    assert "wrote: test-show/first-episode/index.html" in result.stderr  # the defaced copy was not reused
    assert "wrote: test-show/first-episode/embed.html" not in result.stderr  # an untouched page was
    clean = tmp_path / "clean"
    assert invoke("build", prod, "-o", clean).exit_code == 0
    assert tree_hash(out) == tree_hash(clean)
