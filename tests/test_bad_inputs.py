"""Every bad input gets one clear, line-pointing error, exit code 1, and leaves the old site untouched.

Cases follow ``shared/research/security.md`` §8. Each row changes the valid base production
(``conftest.SHOW`` / ``conftest.EPISODE``), builds into a folder that holds a previous good
build, and checks the diagnostic ``path:line:column: field: message``.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EPISODE, IMAGES, MEDIA, SHOW, invoke, tree_hash, write_production

EP = "episodes/episode-6d1048a48504.yaml"


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
