"""Check a parsed resource against its declaration in :mod:`podops.load.schema`, collecting every problem.

Values PodOps wrote that Apple rejects are read and normalised here (``format.md``):
``explicit: "no"`` → ``False``, ``type: Episodic`` → ``episodic``, ``language: en_US`` → ``en-us``.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
import uuid
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from podops.errors import Problems
from podops.load.schema import EMAIL_PATTERN, GUID_PATTERN, MAX_URL, NAME_PATTERN, Field
from podops.load.vocabulary import LANGUAGES
from podops.load.yamlfile import OctalLooking

Mark = tuple[int, int]
NOWHERE: Mark = (0, 0)  # data read without positions (yamlfile.parse_fast): only clean files are
NAME_RULE = "must be 8–44 characters of a-z, 0-9, '-' and '_', starting with a letter or digit"
_NAME = re.compile(NAME_PATTERN)
_GUID = re.compile(GUID_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)
_LANGUAGE = re.compile(r"^([A-Za-z]{2})(?:[-_]([A-Za-z]{2}|[0-9]{3}))?$")
_DURATION = re.compile(r"^(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d+)?)$")
_FLAGS = {"yes": True, "true": True, "no": False, "false": False}
# XML 1.0 Char: feeds cannot carry C0 controls other than tab, newline and carriage return.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


MAX_SECONDS = 100 * 3600  # durations and chapter starts past 100 hours are mistakes
_RFC_YEAR = re.compile(r"^(?:\w{3},\s*)?\d{1,2}\s+\w{3}\s+(\d+)\s")


def parse_rfc2822(text: str) -> datetime:
    """An RFC 2822 date (naive when its zone is -0000 or missing), the year exactly as written.

    The email parser reads years below 100 as 19xx/20xx (RFC 2822 §4.3, obsolete two-digit
    years), so ``0001`` would silently become 2001; a four-digit year is taken as written.
    """
    parsed = parsedate_to_datetime(text)
    written = _RFC_YEAR.match(text.strip())
    if written and len(written.group(1)) >= 3 and int(written.group(1)) != parsed.year:
        parsed = parsed.replace(year=int(written.group(1)))
    return parsed


def parse_date(value: str) -> datetime:
    """Read RFC 1123Z (as PodOps writes) or ISO 8601; a timezone is mandatory."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        if re.match(r"^\d{4}-\d\d-\d\d", text) and "out of range" in str(exc):
            raise ValueError(str(exc)) from None  # e.g. 2024-02-30: day is out of range for month
        try:
            parsed = parse_rfc2822(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            raise ValueError(
                "not a date: use 'Fri, 04 Jun 2021 20:10:24 +0000' or '2021-06-04T20:10:24+00:00'"
            ) from None
        if re.search(r"-0000\s*$", text):  # RFC 2822 §3.3: -0000 means "zone unknown"
            parsed = parsed.replace(tzinfo=None)
    if parsed.tzinfo is None:
        raise ValueError("date has no timezone: add one, e.g. +0000 or Z")
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise ValueError("date is out of range: in UTC it falls before year 1 or after year 9999") from None


def parse_duration(value: Any) -> float:
    """Read seconds (``754``, ``754.5``) or clock time (``12:34``, ``1:02:03``) as seconds."""
    if isinstance(value, bool):
        raise ValueError("must be seconds or H:MM:SS")
    if isinstance(value, int | float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"must be a finite number of seconds (got {value!r})")
        if value < 0:
            raise ValueError("must not be negative")
        return _plausible(float(value))
    text = str(value).strip()
    match = _DURATION.match(text) if len(text) <= 40 else None
    if not match:
        raise ValueError("must be seconds or H:MM:SS")
    hours, minutes, seconds = match.groups()
    if hours is not None and minutes is None:
        hours, minutes = None, hours
    total = float(seconds) + 60 * int(minutes or 0) + 3600 * int(hours or 0)
    if (minutes is not None and float(seconds) >= 60) or (hours is not None and int(minutes or 0) >= 60):
        raise ValueError("minutes and seconds must be below 60")
    return _plausible(total)


def _plausible(seconds: float) -> float:
    if seconds > MAX_SECONDS:
        raise ValueError(f"{seconds:g} seconds is more than 100 hours")
    return seconds


def load_json(text: str | bytes) -> Any:
    """JSON from untrusted text: ``NaN``/``Infinity`` and nesting deep enough to exhaust the stack are errors."""
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("JSON nested too deep") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def check_url(value: str) -> str | None:
    """Return why ``value`` is not an absolute http(s) URL, or None when it is."""
    if len(value) > MAX_URL:
        return f"URL longer than {MAX_URL} characters"
    if re.search(r"[\s\"'<>\\`]", value) or _CONTROL.search(value):
        return "must be an absolute http(s) URL (no spaces, quotes or angle brackets)"
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "must be an absolute http(s) URL"
    return None


def check_email(value: str) -> str | None:
    """Return why ``value`` is not an e-mail address, or None when it is (the import uses this too)."""
    return None if _EMAIL.match(value.strip()) else f"not an e-mail address: {value.strip()!r}"


def language_code(value: str) -> str:
    """An ISO 639 language (``en``, ``en_US``, ``en-us``) as feeds write it (``en-us``); else ValueError."""
    text = value.strip()
    match = _LANGUAGE.match(text)
    if not match or match.group(1).lower() not in LANGUAGES:
        raise ValueError(f"not an ISO 639 language code like 'en' or 'en_US' (got {text!r})")
    return text.replace("_", "-").lower()


class Validator:
    """Walks one resource against its declaration and records every problem in ``problems``."""

    def __init__(self, display: str, problems: Problems) -> None:
        self.display = display
        self.problems = problems
        self.marks: dict[str, Mark] = {}

    def error(self, where: Mark, path: str, message: str, severity: str = "error") -> None:
        """Record a problem at a position."""
        self.problems.add(self.display, where[0], where[1], path, message, severity)

    def check(self, spec: Field, value: Any, path: str, where: Mark) -> Any:
        """Validate and normalise ``value``; return None (and record why) when it is unusable."""
        self.marks[path] = where
        if value is None or (isinstance(value, str) and not value.strip() and spec.kind != "any"):
            if spec.required:
                self.error(where, path, "is required")
            return None
        method = getattr(self, f"_{spec.kind}")
        try:
            return method(spec, value, path, where)
        except ValueError as exc:
            self.error(where, path, str(exc))
            return None

    def require(self, spec: Field, data: dict[Any, Any], path: str, suggested: frozenset[str] = frozenset()) -> None:
        """Report required fields missing from a mapping, at the mapping's own position.

        A field already suggested for a misspelt key is not reported again: one typo, one error.
        """
        for key, sub in spec.fields.items():
            if sub.required and key not in data and key not in suggested:
                self.error((getattr(data, "line", 0), getattr(data, "column", 0)), _join(path, key), "is required")

    def _struct(self, spec: Field, value: Any, path: str, where: Mark) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            raise ValueError(f"expected a mapping, got {_describe(value)}")
        out: dict[str, Any] = {}
        suggested: set[str] = set()
        mark = getattr(value, "mark", None)  # a yamlfile.Mapping's; plain data (parse_fast) has none
        for key, item in value.items():
            sub_where = mark(key) if mark is not None else NOWHERE
            sub = spec.fields.get(str(key))
            if sub is None:
                hint = difflib.get_close_matches(str(key), list(spec.fields), n=1, cutoff=0.6)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                suggested.update(hint)
                self.error(sub_where, _join(path, str(key)), f"unknown field{extra}")
                continue
            out[str(key)] = self.check(sub, item, _join(path, str(key)), sub_where)
        self.require(spec, value, path, frozenset(suggested))
        return out

    def _list(self, spec: Field, value: Any, path: str, where: Mark) -> list[Any] | None:
        if isinstance(value, dict):  # legacy PodOps wrote a single object where a list is due
            assert spec.item is not None
            return [self.check(spec.item, value, f"{path}[0]", where)]
        if not isinstance(value, list):
            raise ValueError(f"expected a list, got {_describe(value)}")
        if spec.required and not value:
            raise ValueError("needs at least one entry")
        assert spec.item is not None
        mark = getattr(value, "mark", None)  # a yamlfile.Sequence's; plain data (parse_fast) has none
        return [self.check(spec.item, item, f"{path}[{i}]", mark(i) if mark is not None else NOWHERE)
                for i, item in enumerate(value)]

    def _any(self, spec: Field, value: Any, path: str, where: Mark) -> Any:
        return value

    def _text(self, spec: Field, value: Any, path: str, where: Mark) -> str:
        if isinstance(value, bool | dict | list):
            raise ValueError(f"expected text, got {_describe(value)}; quote it")
        text = str(value)
        bad = _CONTROL.search(text)
        if bad:
            raise ValueError(f"control character U+{ord(bad.group()):04X} not allowed")
        text = unicodedata.normalize("NFC", text)
        if spec.max and len(text) > spec.max:
            raise ValueError(f"longer than {spec.max} characters ({len(text)})")
        return text

    def _name(self, spec: Field, value: Any, path: str, where: Mark) -> str:
        text = self._text(spec, value, path, where)
        if not _NAME.match(text):
            raise ValueError(f"{NAME_RULE} (got {text!r})")
        return text

    def _guid(self, spec: Field, value: Any, path: str, where: Mark) -> str:
        text = self._text(spec, value, path, where)
        if not _GUID.match(text):
            raise ValueError(f"must be 12 lowercase hex characters (got {text!r})")
        return text

    def _date(self, spec: Field, value: Any, path: str, where: Mark) -> datetime:
        return parse_date(self._text(spec, value, path, where))

    def _url(self, spec: Field, value: Any, path: str, where: Mark) -> str:
        text = self._text(spec, value, path, where).strip()
        problem = check_url(text)
        if problem:
            raise ValueError(problem)
        return text

    def _uuid(self, spec: Field, value: Any, path: str, where: Mark) -> str:
        text = self._text(spec, value, path, where).strip()
        try:
            return str(uuid.UUID(text))
        except ValueError:
            raise ValueError(f"not a UUID: {text!r}") from None

    def _email(self, spec: Field, value: Any, path: str, where: Mark) -> str:
        text = self._text(spec, value, path, where).strip()
        problem = check_email(text)
        if problem:
            raise ValueError(problem)
        return text

    def _flag(self, spec: Field, value: Any, path: str, where: Mark) -> bool:
        if isinstance(value, bool):
            return value
        flag = _FLAGS.get(str(value).strip().lower())
        if flag is None:
            raise ValueError(f"must be true or false (got {value!r})")
        return flag

    def _choice(self, spec: Field, value: Any, path: str, where: Mark) -> str:
        text = self._text(spec, value, path, where).strip()
        for choice in spec.choices:
            if choice.lower() == text.lower():
                return choice
        hint = difflib.get_close_matches(text, spec.choices, n=1, cutoff=0.5)
        shown = ", ".join(spec.choices) if len(spec.choices) <= 8 else "see `podops schema`"
        extra = f" (did you mean '{hint[0]}'?)" if hint else f" (one of: {shown})"
        raise ValueError(f"{text!r} is not allowed{extra}")

    def _int(self, spec: Field, value: Any, path: str, where: Mark) -> int:
        if isinstance(value, OctalLooking):
            plain = value.lstrip("+-").lstrip("0") or "0"
            raise ValueError(f"ambiguous number {str(value)!r} (YAML 1.1 reads it as octal): write {plain} or quote it")
        if isinstance(value, bool | float):
            raise ValueError(f"must be a whole number (got {value!r})")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(f"must be a whole number (got {value!r})") from None
        minimum = spec.minimum if spec.minimum is not None else 0
        if number < minimum:
            raise ValueError(f"must be {minimum} or more (got {number})")
        if spec.max is not None and number > spec.max:
            raise ValueError(f"must be {spec.max} or less (got {number})")
        return number

    def _duration(self, spec: Field, value: Any, path: str, where: Mark) -> float:
        return parse_duration(value)

    def _language(self, spec: Field, value: Any, path: str, where: Mark) -> str:
        return language_code(self._text(spec, value, path, where))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


@lru_cache(maxsize=4096)  # the same few dozen keys in every resource
def is_secret(key: str) -> bool:
    """Whether a field name is one of Streaming.Center's authenticated fields (or looks like one).

    ``password``, ``admin_password``, ``sc_authhash``, ``*_stream_key``, ``shoutcast_license_key``
    and ``awstats_password`` (seed 004), in any case and spelled with ``_``, ``-`` or camelCase.
    """
    plain = re.sub(r"[^a-z0-9]", "", key.lower())
    return plain.endswith(("password", "streamkey", "authhash", "licensekey"))
