"""Reading YAML safely, with a position for every key (security.md §3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from podops.errors import ResourceError
from podops.load.yamlfile import MAX_BYTES, MAX_DEPTH, _depth_bound, dump, load, load_bytes, parse, parse_fast


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
    ("a: !!map [x]\n", "f.yaml:1:4: YAML syntax error: expected a mapping node, but found sequence"),
    ("a: !!seq {x: 1}\n", "f.yaml:1:4: YAML syntax error: expected a sequence node, but found mapping"),
    ("a: !!bool maybe\n", "f.yaml:1:4: YAML syntax error: the value does not fit its tag tag:yaml.org,2002:bool"),
    ("a: !!int [1]\n", "f.yaml:1:4: YAML syntax error: the value does not fit its tag"),
    ("a: !!timestamp soon\n", "f.yaml:1:4: YAML syntax error: the value does not fit its tag"),
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


# --- the fast reader (parse_fast) against the position-keeping loader (parse) ------------------

def same(fast: object, careful: object) -> bool:
    """Equal values of the same types all the way down (True is not 1, '010' stays OctalLooking)."""
    if isinstance(careful, dict):
        return (type(fast) is dict and list(fast) == list(careful)
                and all(same(k, c) for k, c in zip(fast, careful, strict=True))
                and all(same(fast[k], careful[k]) for k in careful))
    if isinstance(careful, list):
        return type(fast) is list and len(fast) == len(careful) and all(map(same, fast, careful))
    return type(fast) is type(careful) and repr(fast) == repr(careful)  # repr: nan equals nan


def careful_or_none(text: bytes) -> object:
    try:
        return load_bytes(text, "f.yaml")
    except ResourceError:
        return None


QUIRKS = [
    "a: 1\nb: 1.5\nc: -2\nd: +3\ne: 1_000\nf: 0x1F\ng: 0b101\nh: 1:30\ni: 1:02:03\nj: 190:20:30.15\n",
    "o1: 010\no2: 0o17\no3: -017\no4: 0_1\no5: 012345678901\nbig: 123456789012345678901234567890\n",
    "f1: .inf\nf2: -.Inf\nf3: .NaN\nf4: 1e3\nf5: 1.0e+3\nf6: 6.8523015e+5\nf7: 1_000.5\nf8: .5\nf9: 1.\n",
    "b1: yes\nb2: No\nb3: on\nb4: OFF\nb5: true\nb6: y\nb7: n\nb8: TRUE\nb9: 'yes'\n",
    "n1: ~\nn2: null\nn3:\nn4: Null\nn5: ''\nn6: NULL\n",
    "d1: 2024-01-05\nd2: 2024-01-05 10:00:00\nd3: 2001-12-14t21:59:43.10-05:00\nd4: Fri, 04 Jun 2021 20:10:24 +0000\n",
    "s1: !!str 123\ns2: !!int '42'\ns3: !!float '1'\ns4: !!bool 'yes'\ns5: !!null ''\ns6: !!str\n",
    "t1: !!timestamp 2024-01-05\n", "t2: !!binary aGk=\n", "t3: !!set {a, b}\n", "t4: !!omap [a: 1]\n",
    "t5: !custom x\n", "t6: !!python/name:os.system\n", "t7: !!str {a: 1}\n", "t8: !!map [a]\n",
    "t9: !!seq {a: 1}\n", "t10: !!int [1]\n", "t11: !!bool maybe\n", "t12: !!timestamp soon\n", "!!map [a]\n",
    "m1:\n  <<: {a: 1}\n  b: 2\n", "=: value key\n", "a: &x 1\nb: *x\n", "a: &x [1]\n",
    "a: 1\na: 2\n", "1: a\ntrue: b\n", "1: a\n1.0: b\n", "? [a]\n: 1\n", "? {a: 1}\n: 1\n", "~: nokey\n",
    "1: int key\n2.5: float key\nyes: bool key\n010: octal key\n",
    "text: |\n  line one\n  line two\nfolded: >\n  a\n  b\nquoted: \"\\u00e9\\t\"\nsingle: 'it''s'\n",
    "flow: {a: [1, 2, {b: c}], d: e}\nempty_map: {}\nempty_list: []\n",
    "- a\n- b\n", "just text\n", "", "# only a comment\n", "---\n", "a: 1\n---\nb: 2\n", "a:\n\tb: 1\n",
    "a: [1, 2\n", "a: 'unterminated\n", "a: b: c\n", "a: \x00\n", "\ufeffa: 1\n",
    "x: " + "[" * 19 + "]" * 19 + "\n", "x: " + "[" * 20 + "]" * 20 + "\n", "x: " + "[" * 5000 + "]" * 5000,
    "".join(" " * i + f"k{i}:\n" for i in range(19)) + " " * 19 + "v: 1\n",
    "".join(" " * i + f"k{i}:\n" for i in range(20)) + " " * 20 + "v: 1\n",
    "- " * 19 + "x\n", "- " * 20 + "x\n", "- " * 40 + "x\n",
    "titel: Ü & <b> — ✓ 🎙\npassword: secret\nkind: episode\n",
]


@pytest.mark.parametrize("text", QUIRKS)
def test_fast_reader_gives_the_careful_loaders_values_or_declines(text: str) -> None:
    raw = text.encode()
    fast, careful = parse_fast(raw), careful_or_none(raw)
    if fast is not None:
        assert careful is not None and same(fast, careful), (fast, careful)
    elif careful is not None:  # declined a file the careful loader reads: only for what it cannot do alone
        assert isinstance(careful, dict), text
        assert any(tag in text for tag in ("<<", "=", "!!")) or _depth_bound(text) > MAX_DEPTH, text


def test_fast_reader_reads_plain_resources() -> None:
    assert parse_fast(b"a: 1\nb: [x, {c: no}]\nd: 010\n") == {"a": 1, "b": ["x", {"c": False}], "d": "010"}
    assert parse_fast(b"a: 1\na: 2\n") is None  # a problem: the careful loader says where
    assert parse_fast(b"- a\n") is None  # not a mapping: the careful loader says so


def test_every_yaml_fixture_reads_the_same_both_ways() -> None:
    """Every YAML file of the repository (examples, tests, seeds, recipes) through both loaders."""
    root = Path(__file__).resolve().parent.parent
    files = [p for pattern in ("**/*.yaml", "**/*.yml") for p in root.glob(pattern)
             if not {".git", "work", "node_modules"} & set(p.relative_to(root).parts)]
    assert len(files) >= 8  # the example production, recipes, CI workflows
    for path in files:
        raw = path.read_bytes()
        fast, careful = parse_fast(raw), careful_or_none(raw)
        if fast is not None:
            assert careful is not None and same(fast, careful), path


def test_the_careful_loader_is_the_fallback_when_libyaml_is_missing() -> None:
    """Without libyaml both loaders run on PyYAML's Python parser and still agree."""
    import yaml

    from podops.load import yamlfile

    class Pure(yaml.SafeLoader):
        yaml_implicit_resolvers = yamlfile._RESOLVERS

    saved = yamlfile._Composer
    yamlfile._Composer = Pure  # type: ignore[misc]
    try:
        for text in QUIRKS[:7]:  # the clean ones
            fast = parse_fast(text.encode())
            assert fast is not None and same(fast, careful_or_none(text.encode())), text
    finally:
        yamlfile._Composer = saved  # type: ignore[misc]
