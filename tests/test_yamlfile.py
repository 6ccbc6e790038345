"""Reading YAML safely, with a position for every key (security.md §3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from podops.errors import ResourceError
from podops.load.yamlfile import MAX_BYTES, dump, load, parse


def error_of(text: str) -> str:
    with pytest.raises(ResourceError) as info:
        parse(text, "f.yaml")
    return str(info.value)


def test_every_key_remembers_its_line_and_column() -> None:
    data = parse("a: 1\nb:\n  c: [x, y]\n  d:\n    - e: 2\n", "f.yaml")
    assert data.mark("a") == (1, 1)
    assert data["b"].mark("c") == (3, 3)
    assert data["b"]["c"].mark(1) == (3, 10)
    assert data["b"]["d"][0].mark("e") == (5, 7)


@pytest.mark.parametrize("text, expected", [
    ("a: 1\na: 2\n", "f.yaml:2:1: duplicate key 'a' (first defined on line 1)"),
    ("a: &x [1]\nb: *x\n", "anchors and aliases are not allowed"),
    ("x: !!python/object/apply:os.system ['true']\n", "unsupported YAML tag"),
    ("a:\n\tb: 1\n", "f.yaml:2:1: YAML syntax error"),
    ("x: " + "[" * 100 + "]" * 100, "nesting too deep"),
    ("a: 1\n---\nb: 2\n", "expected a single document"),
    ("? [a, b]\n: 1\n", "keys must be plain text"),
])
def test_unsafe_or_ambiguous_yaml_is_refused_with_its_position(text: str, expected: str) -> None:
    assert expected in error_of(text)


def test_yaml_1_1_surprises_are_handled_on_purpose() -> None:
    data = parse("d: 2024-01-05 10:00:00\nt: 1:02:03\nb: no\nf: 1.10\ng: 012345678901\n", "f.yaml")
    assert data["g"] == "012345678901"  # octal-looking: kept as written; number fields refuse it
    assert data["d"] == "2024-01-05 10:00:00"  # stays text: the validator insists on a timezone
    assert data["t"] == 3723  # sexagesimal, accepted for durations
    assert data["b"] is False
    assert data["f"] == 1.1


def test_size_cap_is_checked_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" + b"#" * MAX_BYTES)
    with pytest.raises(ResourceError, match="file too large"):
        load(big, "big.yaml")


def test_bom_is_fine_and_utf16_gets_a_hint(tmp_path: Path) -> None:
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert load(bom, "bom.yaml") == {"a": 1}
    utf16 = tmp_path / "u16.yaml"
    utf16.write_bytes("a: 1\n".encode("utf-16"))
    with pytest.raises(ResourceError, match="save it as UTF-8"):
        load(utf16, "u16.yaml")


def test_dump_round_trips() -> None:
    data = {"title": "Ü & <b>", "n": 1, "items": [{"a": True}]}
    assert parse(dump(data), "x") == data


@pytest.mark.parametrize("text, where", [
    ("x: " + "[" * 5000 + "]" * 5000 + "\n", "f.yaml:1:23: "),
    ("".join(" " * i + f"k{i}:\n" for i in range(30)) + " " * 30 + "v: 1\n", "f.yaml:21:21: "),
    ("- " * 40 + "x\n", "f.yaml:1:41: "),
])
def test_deep_nesting_is_refused_at_its_token_whatever_the_parser_would_say(text: str, where: str) -> None:
    assert error_of(text) == f"{where}nesting too deep (more than 20 levels)"


def test_ordinary_nesting_is_read() -> None:
    data = parse("a:\n  b:\n    - c: [1, {d: 2}]\n", "f.yaml")
    assert data["a"]["b"][0]["c"][1]["d"] == 2
