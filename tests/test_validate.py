"""Field rules: what podops accepts, how PodOps values are normalised, and what it refuses."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from podops.errors import Problems
from podops.load.schema import EPISODE, SHOW, Field
from podops.load.validate import Validator, check_url, parse_date, parse_duration
from podops.load.yamlfile import parse


def check(kind: str, value: object) -> tuple[object, list[str]]:
    problems = Problems()
    result = Validator("f.yaml", problems).check(Field(kind), value, "x", (1, 1))
    return result, [d.message for d in problems]


@pytest.mark.parametrize("text, expected", [
    ("Fri, 04 Jun 2021 20:10:24 +0000", datetime(2021, 6, 4, 20, 10, 24, tzinfo=timezone.utc)),
    ("Fri, 04 Jun 2021 22:10:24 +0200", datetime(2021, 6, 4, 20, 10, 24, tzinfo=timezone.utc)),
    ("Fri, 04 Jun 2021 20:10:24 GMT", datetime(2021, 6, 4, 20, 10, 24, tzinfo=timezone.utc)),
    ("2021-06-04T20:10:24Z", datetime(2021, 6, 4, 20, 10, 24, tzinfo=timezone.utc)),
    ("2021-06-04 22:10:24+02:00", datetime(2021, 6, 4, 20, 10, 24, tzinfo=timezone.utc)),
])
def test_dates_in_rfc_1123z_and_iso_8601_with_a_timezone(text: str, expected: datetime) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2021-06-04 20:10:24", "Fri, 04 Jun 2021 20:10:24 -0000", "yesterday"])
def test_dates_without_a_timezone_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize("value, seconds", [(754, 754.0), ("754", 754.0), ("12:34", 754.0),
                                            ("1:02:03", 3723.0), (3723, 3723.0), ("1.5", 1.5)])
def test_durations_in_seconds_or_clock_time(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["1:2:3:4", -5, "abc", "1:75", True])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize("value, expected", [
    ("no", False), ("Yes", True), (True, True), ("FALSE", False), (False, False)])
def test_podops_flags_become_booleans(value: object, expected: bool) -> None:
    assert check("flag", value) == (expected, [])


@pytest.mark.parametrize("value, expected", [
    ("en_US", "en-us"), ("de", "de"), ("pt-BR", "pt-br"), ("es_419", "es-419")])
def test_languages_are_emitted_as_apple_wants(value: str, expected: str) -> None:
    assert check("language", value) == (expected, [])


@pytest.mark.parametrize("value", ["english", "xx_US", "en_USA"])
def test_unknown_languages(value: str) -> None:
    assert check("language", value)[1]


@pytest.mark.parametrize("value, ok", [
    ("abcdef012345", True), ("ABCDEF012345", False), ("abcdef01234", False), ("abcdef0123456", False),
    ("agcdef012345", False)])
def test_whole_guid_is_checked(value: str, ok: bool) -> None:
    assert (not check("guid", value)[1]) is ok


@pytest.mark.parametrize("value, ok", [
    ("my-show1", True), ("a" * 44, True), ("a" * 45, False), ("short", False), ("my-show.x", False),
    ("My-Show1", False), ("my show1", False), ("-leading", False)])
def test_whole_name_is_checked(value: str, ok: bool) -> None:
    assert (not check("name", value)[1]) is ok


@pytest.mark.parametrize("value, ok", [
    ("https://example.com/x", True), ("http://example.com", True), ("javascript:alert(1)", False),
    ("ftp://example.com", False), ("example.com", False), ("https://exa mple.com", False),
    ("https://" + "a" * 2000 + ".com", False), ("JAVASCRIPT:alert(1)", False)])
def test_urls_are_absolute_http_and_short(value: str, ok: bool) -> None:
    assert (check_url(value) is None) is ok


def test_choices_are_case_insensitive_and_canonical() -> None:
    problems = Problems()
    validator = Validator("f.yaml", problems)
    show_type = SHOW.fields["metadata"].fields["labels"].fields["type"]
    episode_type = EPISODE.fields["metadata"].fields["labels"].fields["type"]
    assert validator.check(show_type, "Episodic", "t", (1, 1)) == "episodic"
    assert validator.check(episode_type, "Trailer", "t", (1, 1)) == "trailer"


def test_unknown_fields_get_a_suggestion_at_their_line() -> None:
    problems = Problems()
    data = parse("description:\n  titel: x\n", "f.yaml")
    Validator("f.yaml", problems).check(SHOW.fields["description"], data["description"], "description", (1, 1))
    assert "f.yaml:2:3: description.titel: unknown field (did you mean 'title'?)" in [str(d) for d in problems]


def test_text_with_control_characters_is_refused() -> None:
    assert check("text", "a\x07b")[1] == ["control character U+0007 not allowed"]
