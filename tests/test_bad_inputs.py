"""Every bad input gets one clear, line-pointing error, exit code 1, and leaves the old site untouched.

Cases follow ``shared/research/security.md`` §8 and issue #10 (hostile inputs, faults, the
preview server): rows and tests named ``item N`` below are that issue's numbered cases. Each row
changes the valid base production (``conftest.SHOW`` / ``conftest.EPISODE``), builds into a
folder that holds a previous good build, and checks the diagnostic
``path:line:column: field: message``. Every test runs under a timeout, so a hang fails instead
of stalling CI.
"""

from __future__ import annotations

import errno
import os
import signal
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHANNEL, EPISODE, IMAGES, MEDIA, SHOW, invoke, tree_hash, write_production

EP = "episodes/episode-6d1048a48504.yaml"
CH = "channels/morning-live-radio.yaml"
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

VALUE = "value:\n  - type: lightning\n    method: keysend\n    recipients:\n"
# id, files to change, expected diagnostic prefix, expected words in the message
CASES: list[tuple[str, dict, str, str]] = [
    # the Podcasting 2.0 tags (issue #14): each tag's rules, one diagnostic at the offending attribute
    ("value-node-address", {"show.yaml": SHOW + VALUE + "      - {type: node, address: abc, split: 1}\n"},
     "show.yaml:25:22: value[0].recipients[0].address: ", "66 hex characters"),
    ("value-no-recipients", {"show.yaml": SHOW + VALUE.replace("    recipients:\n", "")},
     "show.yaml:22:5: value[0].recipients: ", "is required"),
    ("value-zero-splits", {"show.yaml": SHOW + VALUE + "      - {type: lnaddress, address: a@b.org, split: 0}\n"},
     "show.yaml:24:5: value[0].recipients: ", "add up to 0"),
    ("time-split-both", {EP: EPISODE + VALUE + "      - {type: lnaddress, address: a@b.org, split: 1}\n"
                         "    timeSplits:\n      - startTime: 1\n        duration: 2\n"
                         "        recipients: [{type: lnaddress, address: a@b.org, split: 1}]\n"
                         "        remoteItem: {feedGuid: a94f5cc9-8c58-55fc-91fe-a324087a655b}\n"},
     f"{EP}:25:9: value[0].timeSplits[0].remoteItem: ", "not both"),
    ("location-geo", {"show.yaml": SHOW + "locations:\n  - {name: Austin, geo: 30.2672 97.7431}\n"},
     "show.yaml:22:20: locations[0].geo: ", "is not a geo: URI"),
    ("location-osm", {EP: EPISODE + "locations:\n  - name: Austin\n    osm: relation 113314\n"},
     f"{EP}:18:5: locations[0].osm: ", "OpenStreetMap"),
    ("frequency-count", {"show.yaml": SHOW + "updateFrequency:\n  text: Ten\n  rrule: FREQ=WEEKLY;COUNT=10\n"},
     "show.yaml:23:3: updateFrequency.rrule: ", "COUNT needs dtstart"),
    ("social-disabled", {EP: EPISODE + "socialInteract:\n  - protocol: disabled\n    uri: https://example.org/p\n"},
     f"{EP}:18:5: socialInteract[0].uri: ", "takes no other attribute"),
    ("block-twice", {"show.yaml": SHOW + "blocks:\n  - {id: google, block: true}\n  - {id: google, block: false}\n"},
     "show.yaml:23:5: blocks[1]: ", "already given at blocks[0]"),
    ("trailer-nothing", {"show.yaml": SHOW + "trailers:\n  - title: Soon\n    pubdate: 2021-04-01T08:00:00Z\n"},
     "show.yaml:22:5: trailers[0]: ", "needs file"),
    ("alternate-nothing", {EP: EPISODE + "alternateEnclosures:\n  - title: HQ\n"},
     f"{EP}:17:5: alternateEnclosures[0]: ", "needs file"),
    ("alternate-html", {EP: EPISODE + "alternateEnclosures:\n  - file: assets/alt.m4a\n",
                        "assets/alt.m4a": b"<html><script>alert(1)</script></html>"},
     f"{EP}:17:5: alternateEnclosures[0].file: ", "not a media file"),
    ("alternate-svg-name", {EP: EPISODE + "alternateEnclosures:\n  - file: assets/alt.svg\n",
                            "assets/alt.svg": MEDIA / "alt.m4a"},
     f"{EP}:17:5: alternateEnclosures[0].file: ", "must be named"),
    ("alternate-renamed", {EP: EPISODE + "alternateEnclosures:\n  - file: assets/alt.opus\n",
                           "assets/alt.opus": MEDIA / "alt.m4a"},
     f"{EP}:17:5: alternateEnclosures[0].file: ", "the content is audio/mp4"),
    ("trailer-missing", {"show.yaml": SHOW + "trailers:\n  - {title: Soon, pubdate: 2021-04-01T08:00:00Z, "
                         "file: assets/nope.m4a}\n"}, "show.yaml:22:50: trailers[0].file: ", "file not found"),
    ("alternate-javascript", {EP: EPISODE + "alternateEnclosures:\n  - type: audio/opus\n"
                              "    sources: [{uri: 'javascript:alert(1)'}]\n"},
     f"{EP}:18:16: alternateEnclosures[0].sources[0].uri: ", "not allowed in a feed"),
    ("alternate-escape", {EP: EPISODE + "alternateEnclosures:\n  - file: ../outside.opus\n"},
     f"{EP}:17:5: alternateEnclosures[0].file: ", "escapes the production"),
    ("season-name-alone", episode("    season: 1\n", "    seasonName: First\n"),
     f"{EP}:9:5: metadata.labels.seasonName: ", "needs metadata.labels.season"),
    ("publisher-medium", {"show.yaml": SHOW + "publisher:\n  feedGuid: 003af0a0-6a45-55cf-b765-68e3d349551a\n"
                          "  medium: music\n"}, "show.yaml:23:3: publisher.medium: ", "medium publisher"),
    ("podroll-guid", {"show.yaml": SHOW + "podroll:\n  - feedGuid: not-a-uuid\n"},
     "show.yaml:22:5: podroll[0].feedGuid: ", "not a UUID"),
    ("integrity-sri", {EP: EPISODE + "alternateEnclosures:\n  - type: audio/opus\n"
                       "    sources: [{uri: https://example.org/a.opus}]\n    integrity: {type: sri, value: md5-x}\n"},
     f"{EP}:19:28: alternateEnclosures[0].integrity.value: ", "sha384-"),
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
    # The permanence lock (issue #14): the first build recorded the episode in podops.lock.
    ("lock-enclosure-moved", {**episode("  uri: assets/ep.mp3", "  uri: assets/moved.mp3"),
                              "assets/moved.mp3": MEDIA / "cbr.mp3"},
     f"{EP}:15:3: enclosure.uri: ", "changes the published enclosure URL https://example.com/test-show/media/"
     "assets/ep.mp3 to https://example.com/test-show/media/assets/moved.mp3: apps would list or download"),
    ("lock-guid-changed", episode("  guid: 6d1048a48504", "  guid: 6d1048a48599"),
     f"{EP}:5:3: metadata.guid: ", "changes the published <guid> 6d1048a48504 to 6d1048a48599"),
    ("lock-date-changed", episode("  date: Fri, 04 Jun 2021 20:10:35 +0000", "  date: 2021-06-05T20:10:35Z"),
     f"{EP}:7:3: metadata.date: ", "changes the published publication date"),
    ("lock-episode-vanished", {EP: None, "assets/ep.mp3": None}, "podops.lock:3:3: 6d1048a48504: ",
     "published episode test-show/first-episode (<guid> 6d1048a48504) has disappeared"),
    ("lock-episode-drafted", episode("    episode: 1", "    episode: 1\n    status: draft"),
     f"{EP}:11:5: metadata.labels.status: ", "was published (<guid> 6d1048a48504) and would leave the feed"),
    ("lock-damaged", {"podops.lock": "{\"episodes\": {"}, "podops.lock:1:", "not JSON"),
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
    ("markdown-renderer-unknown", show("  baseUrl: https://example.com/\n",
                                       "  baseUrl: https://example.com/\n  markdown: goldmark\n"),
     "show.yaml:21:3: site.markdown: ", "'goldmark' is not allowed (did you mean 'commonmark'?)"),
    ("markdown-extension-not-builtin", show("  baseUrl: https://example.com/\n",
                                            "  baseUrl: https://example.com/\n  markdown: python-markdown\n"
                                            "  markdownExtensions: [footnotes, evil.module]\n"),
     "show.yaml:22:35: site.markdownExtensions[1]: ", "'evil.module' is not allowed"),
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
    # issue #11: live channels
    ("channel-source-password", {CH: CHANNEL.replace("  server: icecast\n", "  server: icecast\n  password: hackme\n")},
     f"{CH}:17:3: stream.password: ", "secrets do not belong in Git"),
    ("channel-stream-key", {CH: CHANNEL + "youtube_stream_key: abcd-1234\n"},
     f"{CH}:30:1: youtube_stream_key: ", "secrets do not belong in Git"),
    ("channel-rtmp-stream", {CH: CHANNEL.replace("url: http://radio.example.org:8000/live", "url: rtmp://r.example/live")},
     f"{CH}:11:3: stream.url: ", "must be an absolute http(s) URL"),
    ("channel-end-before-start",
     {CH: CHANNEL.replace("end: 2026-11-30T10:00:00+01:00", "end: 2026-11-30T07:00:00+01:00")},
     f"{CH}:22:5: schedule[0].end: ", "must be after start"),
    ("channel-parent-is-an-episode", {CH: CHANNEL.replace("parent: aaa94297acfc", "parent: 6d1048a48504")},
     f"{CH}:6:3: metadata.parent: ", "the parent of a channel must be a show"),
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

    write_production(prod, files)  # None deletes a file
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
    from podops.write import output

    old, new = tmp_path / "a", tmp_path / "b"
    old.mkdir()
    new.mkdir()
    (old / "x").write_text("old")
    (new / "x").write_text("new")
    if not output._exchange(os.fspath(new), os.fspath(old)):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available on this kernel or filesystem")
    assert (old / "x").read_text() == "new" and (new / "x").read_text() == "old"


def test_item4_a_disk_filling_up_while_pages_are_written_leaves_the_previous_output(tmp_path: Path,
                                                                                      small_disk) -> None:
    """Rendered files go to the temporary folder as they are made; the disk filling up midway is one error."""
    prod = write_production(tmp_path / "prod")
    disk = small_disk("8m")
    site = disk / "site"
    assert invoke("build", prod, "-o", site).exit_code == 0
    before = tree_hash(site)
    with open(disk / "filler", "wb", buffering=0) as handle:  # the disk full but for 16 KiB: a few pages fit, not all
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        handle.truncate(handle.tell() - 16384)
    (prod / EP).write_text(EPISODE.replace("Episode One", "Episode One, retitled"))
    result = invoke("build", prod, "-o", site)
    failed(result, f"{site}: cannot write the site (disk full); the previous output is unchanged")
    assert tree_hash(site) == before
    assert sorted(p.name for p in disk.iterdir()) == ["filler", "site"]  # no temporary folder left behind


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


# item 7: FIFOs, sockets and devices are refused without being opened


def _special(path: Path, kind: str) -> None:
    """Make a FIFO, a Unix socket or a character device at ``path`` (skips where not permitted)."""
    import socket
    import stat as stat_

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        cwd = os.getcwd()
        os.chdir(path.parent)  # AF_UNIX paths are short: bind by relative name
        try:
            sock = socket.socket(socket.AF_UNIX)
            sock.bind(path.name)
            sock.close()
        finally:
            os.chdir(cwd)
    else:
        try:
            os.mknod(path, stat_.S_IFCHR | 0o600, os.makedev(1, 5))  # like /dev/zero: endless bytes
        except PermissionError:
            pytest.skip("cannot make a device node here")


SPECIAL_WORDS = {"fifo": "a FIFO (named pipe)", "socket": "a socket", "device": "a device"}


@pytest.mark.parametrize("kind", ["fifo", "socket", "device"])
@pytest.mark.parametrize("command", ["build", "validate"])
def test_item7_a_special_file_named_yaml_is_refused_without_opening_it(tmp_path: Path, kind: str,
                                                                          command: str) -> None:
    prod, out, before = built(tmp_path)
    _special(prod / "episodes" / "extra.yaml", kind)
    args = ("build", prod, "-o", out) if command == "build" else ("validate", prod)
    failed(invoke(*args), f"episodes/extra.yaml: is {SPECIAL_WORDS[kind]}, not a regular file: refused "
           "without opening it")
    assert tree_hash(out) == before


@pytest.mark.parametrize("kind", ["fifo", "device"])
@pytest.mark.parametrize("where, line", [("assets/ep.mp3", f"{EP}:15:3: enclosure.uri: 'assets/ep.mp3'"),
                                         ("assets/t.vtt", f"{EP}:17:5: transcripts[0].uri: 'assets/t.vtt'"),
                                         ("assets/cover.png", "show.yaml:18:3: image.uri: 'assets/cover.png'")])
def test_item7_a_special_file_used_as_media_is_refused(tmp_path: Path, kind: str, where: str, line: str) -> None:
    prod, out, before = built(tmp_path, with_transcript("t.vtt", "WEBVTT\n"))
    _special(prod / where, kind)
    failed(invoke("build", prod, "-o", out), f"{line} is {SPECIAL_WORDS[kind]}, not a regular file: refused")
    assert tree_hash(out) == before


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_item7_a_special_file_as_another_version_of_the_audio_is_refused(tmp_path: Path, kind: str) -> None:
    prod, out, before = built(tmp_path, {EP: EPISODE + "alternateEnclosures:\n  - file: assets/alt.opus\n",
                                         "assets/alt.opus": MEDIA / "alt.opus"})
    _special(prod / "assets/alt.opus", kind)
    failed(invoke("build", prod, "-o", out), f"{EP}:17:5: alternateEnclosures[0].file: 'assets/alt.opus' is "
           f"{SPECIAL_WORDS[kind]}, not a regular file: refused")
    assert tree_hash(out) == before


def test_item7_serve_reports_a_fifo_instead_of_hanging(tmp_path: Path) -> None:
    from podops.commands.preview import Preview

    prod = write_production(tmp_path / "prod")
    _special(prod / "episodes" / "extra.yaml", "fifo")
    with Preview(prod) as preview:
        error = preview.state.snapshot()[1] or ""
    assert "episodes/extra.yaml: is a FIFO (named pipe), not a regular file" in error


def test_item7_templates_that_are_fifos_are_refused(tmp_path: Path) -> None:
    prod, out, before = built(tmp_path)
    _special(prod / "templates" / "episode.html", "fifo")
    failed(invoke("build", prod, "-o", out), "templates/episode.html: is a FIFO (named pipe): refused without "
           "opening it")
    assert tree_hash(out) == before


# item 10: a killed build leaves no orphaned workers


def test_item10_probe_workers_die_with_a_killed_build(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT

    script = (
        "import time\n"
        "from podops.probe.inventory import worker_pool\n"
        "pool = worker_pool(2)\n"
        "futures = [pool.submit(time.sleep, 60) for _ in range(2)]\n"
        "time.sleep(1.5)\n"
        "print(' '.join(str(p) for p in pool._processes), flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    build = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    assert build.stdout is not None
    workers = [int(p) for p in build.stdout.readline().split()]
    assert len(workers) == 2
    build.send_signal(signal.SIGKILL)
    build.wait()

    def alive(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 10
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(p) for p in workers), "a probe worker outlived its killed build"


# item 14: a production with folders 1,000 deep


def test_item14_folders_a_thousand_deep_are_a_located_error(tmp_path: Path) -> None:
    prod, out, before = built(tmp_path)
    fd = os.open(prod, os.O_RDONLY)
    for _ in range(1000):  # pathlib's mkdir(parents=True) recurses: make the chain by hand
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    with os.fdopen(os.open("lost.yaml", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as handle:
        handle.write(EPISODE)
    os.close(fd)
    try:
        result = invoke("build", prod, "-o", out)
        failed(result, "/".join(["d"] * 33) + ": folders nested deeper than 32 levels: not searched for resources")
        assert tree_hash(out) == before
    finally:  # recursive removal would overflow the stack as well: lift the chain one level at a time
        top = prod / "d"
        while (top / "d").is_dir():
            os.rename(top / "d", prod / "lifted")
            os.rmdir(top)
            os.rename(prod / "lifted", top)
        (top / "lost.yaml").unlink()
        os.rmdir(top)


# item 15: damaged caches are rebuilt; an unwritable cache is only a warning


@pytest.mark.parametrize("damage", ["{not json", '"a string"', "[1, 2, 3]", "{}", "null"])
def test_item15_damaged_cache_records_are_discarded_and_rebuilt(tmp_path: Path, damage: str) -> None:
    import sqlite3

    prod, out, _ = built(tmp_path)
    db = sqlite3.connect(prod / ".podops" / "cache.sqlite")
    db.execute("UPDATE entries SET value = ?", (damage,))
    db.commit()
    db.close()
    (prod / "notes.txt").write_text("a change, so the build runs")
    result = invoke("build", prod, "-o", out)
    assert result.exit_code == 0, result.output
    clean = tmp_path / "clean"
    assert invoke("build", prod, "-o", clean).exit_code == 0
    assert tree_hash(out) == tree_hash(clean)


@pytest.mark.parametrize("breakage", ["podops-is-a-file", "cache-is-a-folder"])
def test_item15_an_unusable_cache_degrades_to_a_build_without_it(tmp_path: Path, breakage: str) -> None:
    prod = write_production(tmp_path / "prod")
    if breakage == "podops-is-a-file":
        (prod / ".podops").write_text("not a folder")
    else:
        (prod / ".podops" / "cache.sqlite").mkdir(parents=True)
    out = tmp_path / "public"
    for _ in range(2):
        result = invoke("build", prod, "-o", out)
        assert result.exit_code == 0, result.output
        warnings = [line for line in result.stderr.splitlines() if "cannot use the cache" in line]
        assert len(warnings) == 1, result.stderr
        assert warnings[0].startswith(".podops: warning: cannot use the cache ")
        assert warnings[0].endswith(": building without it")
    assert (out / "test-show" / "feed.xml").is_file()


# item 19: a full disk while creating .podops, and during an import


def _fill(folder: Path) -> None:
    """Fill the filesystem holding ``folder`` to the last byte."""
    import errno

    for name, block in (("filler", 65536), ("filler-small", 512)):
        with open(folder / name, "wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC


def test_item19_a_full_disk_while_creating_the_cache_names_it_and_leaves_nothing(tmp_path: Path,
                                                                                  small_disk) -> None:
    disk = small_disk("4m")
    prod = write_production(disk / "prod")
    _fill(disk)
    result = invoke("build", prod, "-o", tmp_path / "public")
    assert result.exit_code == 0, result.output
    assert f".podops: warning: cannot use the cache {prod}/.podops/cache.sqlite (disk full): building without it" \
        in result.stderr
    assert not (prod / ".podops").exists()


def test_item19_a_full_disk_during_import_leaves_no_partial_production(tmp_path: Path, small_disk) -> None:
    disk = small_disk("64k")
    items = "".join(f"<item><title>Episode {i}</title><guid>g{i}</guid><pubDate>Mon, 01 Jan 2024 00:00:00 +0000"
                    f"</pubDate><enclosure url='https://cdn.example.com/{i}.mp3' length='1' type='audio/mpeg'/>"
                    "</item>" for i in range(60))
    feed = tmp_path / "feed.xml"
    feed.write_text(f"<rss version='2.0'><channel><title>Big</title><description>d</description>{items}"
                    "</channel></rss>")
    result = invoke("import", feed, "-o", disk / "show")
    failed(result, "cannot write (disk full); nothing was written")
    assert list(disk.iterdir()) == []


# item 8: the preview survives every error in a rebuild


def _get(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request over a fresh connection: status, headers, body (never raises for a status)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, parts.path or "/", headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _eventually(check, what: str, seconds: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_item8_the_preview_survives_a_non_podops_exception_and_picks_up_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import podops.commands.preview
    from podops.commands.preview import Preview

    prod = write_production(tmp_path / "prod")
    real = podops.commands.preview.build
    broken = {"now": True}

    def build(*args, **kwargs):  # a podops bug that only shows with this input
        if broken["now"]:
            raise KeyError("a bug podops did not foresee")
        return real(*args, **kwargs)

    monkeypatch.setattr(podops.commands.preview, "build", build)
    told: list[object] = []
    with Preview(prod, notify=lambda report, error: told.append(error)) as preview:
        error = preview.state.snapshot()[1] or ""
        assert "internal error while building (KeyError: 'a bug podops did not foresee')" in error
        assert told and told[-1] is not None  # the terminal was told too
        status, _, page = _get(preview.url)
        assert status == 404 and b"podops-error" in page and b"a bug podops did not foresee" in page
        (prod / "show.yaml").write_text(SHOW.replace("Test Show", "Still Broken"))
        _eventually(lambda: len(told) >= 2, "a second (failing) rebuild")
        broken["now"] = False
        (prod / "show.yaml").write_text(SHOW.replace("Test Show", "Fixed Show"))
        _eventually(lambda: preview.state.snapshot()[1] is None, "the fix to be picked up")
        assert b"Fixed Show" in _get(preview.url + "test-show/feed.xml")[2]
        assert preview.thread is not None and preview.thread.is_alive()


# item 9: serve answers with a status, never a dropped connection


@pytest.fixture
def served(tmp_path: Path):
    """A built site on podops' own server with a short idle timeout."""
    from podops.commands.server import start_server, stop_server

    _, out, _ = built(tmp_path)
    server, url = start_server(out, idle_timeout=1.5)
    yield url
    stop_server(server)


@pytest.mark.parametrize("path", ["/%00", "/test-show%00/", "/test-show/feed.xml%00.html", "/a%00b/c"])
def test_item9_a_nul_in_the_path_is_a_400(served: str, path: str) -> None:
    status, _, _ = _get(served.rstrip("/") + path)
    assert status == 400


def test_item9_a_range_with_thousands_of_digits_is_a_416(served: str) -> None:
    url = served + "test-show/media/assets/ep.mp3"
    size = len(MP3)
    status, headers, _ = _get(url, headers={"Range": "bytes=" + "9" * 5000 + "-"})
    assert status == 416 and headers["Content-Range"] == f"bytes */{size}"
    status, headers, body = _get(url, headers={"Range": "bytes=0-" + "9" * 5000})
    assert status == 206 and len(body) == size
    status, _, body = _get(url, headers={"Range": "bytes=-" + "9" * 5000})
    assert status == 206 and len(body) == size


def test_item9_300_idle_connections_neither_block_the_server_nor_stay_open(served: str) -> None:
    import socket
    import time
    from urllib.parse import urlsplit

    parts = urlsplit(served)
    idle = [socket.create_connection((parts.hostname, parts.port), timeout=10) for _ in range(300)]
    try:
        started = time.monotonic()
        status, _, _ = _get(served)
        assert status == 200 and time.monotonic() - started < 5
        for sock in idle:  # the server closes every idle connection after its timeout
            sock.settimeout(10)
            assert sock.recv(1) == b""
    finally:
        for sock in idle:
            sock.close()


def test_item9_kill_9_of_serve_leaves_nothing_the_next_start_does_not_clean(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    from conftest import ROOT

    prod = write_production(tmp_path / "prod")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(temp)}

    def start() -> subprocess.Popen:
        serve = subprocess.Popen([sys.executable, "-m", "podops", "serve", str(prod), "--port", "0"],
                                 stderr=subprocess.PIPE, text=True, env=env)
        assert serve.stderr is not None
        for line in serve.stderr:
            if line.startswith("serving "):
                return serve
        raise AssertionError("serve did not start")

    first = start()
    left = sorted(temp.glob("podops-serve-*"))
    assert len(left) == 1
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert left[0].exists()  # kill -9 runs no cleanup
    second = start()
    try:
        assert not left[0].exists()
        assert len(list(temp.glob("podops-serve-*"))) == 1  # only the running one's
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)
    assert not list(temp.glob("podops-serve-*"))


# item 20: HEAD on the live endpoint matches GET; a redirect never reflects a raw backslash


def test_item20_head_on_the_version_endpoint_matches_get(tmp_path: Path) -> None:
    from podops.commands.preview import Preview

    with Preview(write_production(tmp_path / "prod")) as preview:
        url = preview.url + "__podops__/version"
        got, head = _get(url), _get(url, "HEAD")
    assert got[0] == head[0] == 200 and head[2] == b""
    for name in ("Content-Type", "Content-Length"):
        assert got[1][name] == head[1][name]


@pytest.mark.parametrize("path", ["/\\evil.example/../test-show", "//evil.example/../test-show",
                                  "/%5Cevil.example/%2e%2e/test-show", "/test-show"])
def test_item20_a_redirect_location_never_reflects_a_raw_backslash(served: str, path: str) -> None:
    status, headers, _ = _get(served.rstrip("/") + path)
    assert status == 301
    location = headers["Location"]
    assert "\\" not in location and not location.startswith("//")
    assert location == "/test-show/"


# items 11–14 and 16 at import


def _serve_folder(folder: Path):
    from podops.commands.server import start_server

    return start_server(folder)


def test_item16_a_trickling_server_cannot_hold_an_import_past_its_timeout(tmp_path: Path) -> None:
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    stop = threading.Event()

    class Trickle(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            while not stop.is_set():  # one byte every 100 ms: no single read ever times out
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.1)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
        started = time.monotonic()
        result = invoke("import", url, "-o", tmp_path / "out", "--allow-private", "--timeout", "1.5")
        elapsed = time.monotonic() - started
        failed(result, f"{url}: no complete answer within 1.5 s; gave up")
        assert elapsed < 5
        assert not (tmp_path / "out").exists()
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def test_item16_loopback_and_private_addresses_need_an_explicit_flag(tmp_path: Path) -> None:
    folder = tmp_path / "host"
    folder.mkdir()
    (folder / "feed.xml").write_text("<rss version='2.0'><channel><title>T</title></channel></rss>")
    server, url = _serve_folder(folder)
    try:
        result = invoke("import", url + "feed.xml", "-o", tmp_path / "out")
        failed(result, f"{url}feed.xml: 127.0.0.1 is a loopback or private address (127.0.0.1); pass "
               "--allow-private to fetch from it")
        for address in ("http://10.0.0.1/feed.xml", "http://169.254.169.254/latest/meta-data/",
                        "http://[::1]/feed.xml", "http://192.168.1.1/feed.xml"):
            failed(invoke("import", address, "-o", tmp_path / "out"), "pass --allow-private")
        assert invoke("import", url + "feed.xml", "-o", tmp_path / "out", "--allow-private").exit_code == 0
    finally:
        from podops.commands.server import stop_server

        stop_server(server)


def test_item20_a_redirect_to_ftp_says_so(tmp_path: Path) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", "ftp://files.example.com/feed.xml")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
        result = invoke("import", url, "-o", tmp_path / "out", "--allow-private")
        failed(result, f"{url}: redirects to ftp://files.example.com/feed.xml, a ftp: URL; only http(s) "
               "redirects are followed")
    finally:
        server.shutdown()
        server.server_close()


def _feed(items: str) -> str:
    return ("<rss version='2.0' xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0.dtd' "
            "xmlns:podcast='https://podcastindex.org/namespace/1.0'><channel><title>Edge Cases</title>"
            f"<description>d</description>{items}</channel></rss>")


def _item(guid: str, extra: str = "", date: str = "Mon, 01 Jan 2024 00:00:00 +0000", length: str = "1") -> str:
    return (f"<item><title>Episode {guid}</title><guid>{guid}</guid><pubDate>{date}</pubDate>"
            f"<enclosure url='https://cdn.example.com/{guid}.mp3' length='{length}' type='audio/mpeg'/>"
            f"{extra}</item>")


def test_item16_a_chapters_file_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    folder.mkdir()
    os.mkfifo(folder / "chapters.json")
    (folder / "feed.xml").write_text(_feed(_item("a", "<podcast:chapters url='chapters.json' "
                                                      "type='application/json+chapters'/>")))
    result = invoke("import", folder / "feed.xml", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "chapters not imported" in result.stderr and "not a regular file" in result.stderr


def test_items11_to_14_numbers_dates_and_times_at_import_are_warnings_never_crashes(tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    folder.mkdir()
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "inf.json").write_text('{"version": "1.2.0", "chapters": [{"startTime": 1e999, "title": "Never"},'
                                     ' {"startTime": 5, "title": "Fine"}]}')
    items = "".join([
        _item("year-one", date="Mon, 01 Jan 0001 00:00:00 +0000"),
        _item("year-9999", date="9999-12-31T23:59:59-01:00"),
        _item("superscript", "<itunes:season>²</itunes:season><itunes:episode>٣</itunes:episode>"),
        _item("digits", f"<itunes:episode>{'9' * 5000}</itunes:episode>", length="9" * 5000),
        _item("infinite", "<itunes:duration>inf</itunes:duration><podcast:chapters url='inf.json' "
                          "type='application/json+chapters'/>"),
        _item("nan", "<itunes:duration>nan</itunes:duration><podcast:chapters url='deep.json' "
                     "type='application/json+chapters'/>"),
    ])
    (folder / "feed.xml").write_text(_feed(items))
    out = tmp_path / "out"
    result = invoke("import", folder / "feed.xml", "-o", out)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    for words in ("'9999-12-31T23:59:59-01:00': date is out of range", "'²' is not a positive whole number",
                  "'٣' is not a positive whole number", "is not a positive whole number: ignored",
                  "'inf' is not a duration", "'nan' is not a duration", "chapters not imported: JSON nested too deep",
                  "startTime must be a finite number of seconds (got inf): dropped"):
        assert words in result.stderr, (words, result.stderr)
    written = "".join(p.read_text() for p in out.rglob("*.yaml"))
    assert ".inf" not in written and ".nan" not in written
    year_one = next(p.read_text() for p in out.rglob("*.yaml") if "Episode year-one" in p.read_text())
    assert "date: Mon, 01 Jan 0001 00:00:00 +0000" in year_one and "2001" not in year_one
    assert "title: Fine" in written


# item 18: a failure inside a built-in template points at the data


def test_item18_a_built_in_template_failure_points_at_the_resource(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from podops.build import plan_site
    from podops.errors import TemplateError
    from podops.load.production import load_production
    from podops.model import Chapter
    from podops.probe.inventory import probe_production
    from podops.probe.store import Store
    from podops.release import plan_releases

    prod = write_production(tmp_path / "prod")
    production = load_production(prod)
    probe_production(production, Store(prod, writable=False), workers=1)
    production.shows[0].episodes[0].chapters = [Chapter(float("inf"), "Never")]  # past every validator
    releases, _ = plan_releases(production, datetime.now(timezone.utc), False, None)
    with pytest.raises(TemplateError) as caught:
        plan_site(releases, None, None)
    diagnostic = caught.value.diagnostics[0]
    assert (diagnostic.path, diagnostic.line) == (EP, 4)
    assert diagnostic.message.startswith("cannot render test-show/first-episode/")
    assert "from this resource:" in diagnostic.message and "(in the built-in template " in diagnostic.message


def test_item11_validate_reports_the_ends_of_the_calendar_at_their_line(tmp_path: Path) -> None:
    prod = write_production(tmp_path / "prod", episode("  date: Fri, 04 Jun 2021 20:10:35 +0000",
                                                       "  date: 9999-12-31T23:59:59-01:00"))
    failed(invoke("validate", prod), f"{EP}:7:3: metadata.date: date is out of range: in UTC it falls before "
           "year 1 or after year 9999")


def test_item15_a_read_only_production_builds_without_cache_and_one_warning(tmp_path: Path, small_disk) -> None:
    import subprocess

    disk = small_disk("8m")
    prod = write_production(disk / "prod")
    if subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True).returncode != 0:
        pytest.skip("cannot remount read-only here")
    result = invoke("build", prod, "-o", tmp_path / "public")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "cannot use the cache" in line]
    assert warnings == [f".podops: warning: cannot use the cache {prod}/.podops/cache.sqlite (Read-only file "
                        "system): building without it"]

def test_a_typo_in_the_examples_show_yaml_gives_exactly_one_diagnostic(example: Path, tmp_path: Path) -> None:
    """The example has five episodes: none of them may repeat that their show is missing."""
    show_file = example / "show.yaml"
    show_file.write_text(show_file.read_text().replace("  title: The Static Signal", "  title: [The Static Signal"))
    for result in (invoke("validate", example), invoke("build", example, "-o", tmp_path / "out")):
        assert result.exit_code == 1
        assert len(errors(result.stderr)) == 1, result.stderr
        assert errors(result.stderr)[0].startswith("show.yaml:") and "YAML syntax error" in result.stderr
