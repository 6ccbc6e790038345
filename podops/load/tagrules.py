"""The Podcasting 2.0 tags' rules that one field's declaration cannot say: attributes that need or exclude
each other, and the value formats each tag's document gives (``docs/tags/*.md``).

The loader reports these as located errors; ``podops import`` runs the same rules on a foreign
feed's tags and drops, with a warning, what breaks them. Each rule looks only at values the
validator kept, so a field already reported as invalid is not reported again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from podops.load.namespace import EPISODE_TAGS, SERVICE_SLUGS, SHOW_TAGS
from podops.load.validate import check_url

Found = list[tuple[str, str, str]]  # (dotted field, message, severity)

_DECIMAL = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
_NODE = re.compile(r"^0[23][0-9a-fA-F]{64}$")  # a compressed secp256k1 public key (value/value.md)
_LNADDRESS = re.compile(r"^[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_GEO = re.compile(r"^geo:(-?[0-9]+(?:\.[0-9]+)?),(-?[0-9]+(?:\.[0-9]+)?)(?:,-?[0-9]+(?:\.[0-9]+)?)?"
                  r"(?:;[a-z-]+=[^;\s]+)*$", re.IGNORECASE)  # RFC 5870, as location.md writes it
_OSM = re.compile(r"^[NWR][0-9]+(?:#[0-9]+)?$", re.IGNORECASE)
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
# schemes that run code or read the listener's own machine when an app follows the link: never in a feed
_UNSAFE_SCHEMES = ("javascript", "vbscript", "data", "file", "blob")

_MIME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$")
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9.+_-]*$")
_RATIO = re.compile(r"^[0-9]+(?:\.[0-9]+)?(?:\s*/\s*[0-9]+(?:\.[0-9]+)?)?$")
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")  # BCP 47, loosely
_HASH = r"(?:sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}"  # W3C SRI: hash-algo "-" base64 (options dropped)
_SRI = re.compile(rf"^{_HASH}(?:\s+{_HASH})*$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/\s]+={0,2}$")
# RFC 5545 §3.3.10
_FREQS = ("SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_BYDAY = re.compile(r"^[+-]?(?:[1-9]|[1-4][0-9]|5[0-3])?(?:MO|TU|WE|TH|FR|SA|SU)$")
_RANGES = {"BYSECOND": (0, 60, False), "BYMINUTE": (0, 59, False), "BYHOUR": (0, 23, False),
           "BYMONTHDAY": (1, 31, True), "BYYEARDAY": (1, 366, True), "BYWEEKNO": (1, 53, True),
           "BYMONTH": (1, 12, False), "BYSETPOS": (1, 366, True)}
_UNTIL = re.compile(r"^\d{8}(?:T\d{6}Z?)?$")


def _uri_problem(uri: str, examples: str) -> str | None:
    """Why ``uri`` is no URI a feed may carry (any scheme but the unsafe ones; http(s) as check_url says)."""
    uri = uri.strip()
    scheme = uri.split(":", 1)[0].lower()
    if scheme in ("http", "https"):
        return check_url(uri)
    if not _URI.match(uri) or re.search(r"[\"'<>\\`]", uri):
        return f"{uri!r} is not a URI ({examples})"
    if scheme in _UNSAFE_SCHEMES:
        return f"a {scheme}: URI is not allowed in a feed (apps would run or open it)"
    return None


def _has(entry: dict[str, Any], key: str) -> bool:
    return entry.get(key) is not None


def _recipient(entry: dict[str, Any], path: str, out: Found) -> None:
    kind, address = (entry.get("type") or "").lower(), entry.get("address")
    if address and kind == "node" and not _NODE.match(address):
        out.append((f"{path}.address", "a node address is a Lightning public key: 66 hex characters starting "
                    "02 or 03", "error"))
    if address and kind == "lnaddress" and not _LNADDRESS.match(address):
        out.append((f"{path}.address", "a Lightning address looks like name@example.com", "error"))
    if _has(entry, "customValue") and not _has(entry, "customKey"):
        out.append((f"{path}.customValue", "needs customKey: the key it is sent under", "error"))


def _recipients(entries: list[Any] | None, path: str, out: Found) -> None:
    for i, recipient in enumerate(entries or []):
        if isinstance(recipient, dict):
            _recipient(recipient, f"{path}[{i}]", out)
    splits = [r.get("split") if isinstance(r, dict) else None for r in entries or []]
    if splits and None not in splits and sum(int(split or 0) for split in splits) == 0:
        out.append((path, "the splits add up to 0: nobody would be paid", "error"))


def _remote_item(entry: dict[str, Any], path: str, out: Found) -> None:
    """podcast:remoteItem (docs/tags/remote-item.md): everything is declared; nothing spans fields."""


def _value(entry: dict[str, Any], path: str, out: Found) -> None:
    suggested = entry.get("suggested")
    if suggested is not None and not _DECIMAL.match(suggested.strip()):
        out.append((f"{path}.suggested", f"{suggested!r} is not a decimal amount like 0.00000005000", "error"))
    _recipients(entry.get("recipients"), f"{path}.recipients", out)
    for i, split in enumerate(entry.get("timeSplits") or []):
        if not isinstance(split, dict):
            continue
        where = f"{path}.timeSplits[{i}]"
        remote, local = _has(split, "remoteItem"), bool(split.get("recipients"))
        if remote and local:
            out.append((f"{where}.remoteItem", "give either recipients or a remoteItem, not both "
                        "(docs/tags/value-time-split.md)", "error"))
        elif "remoteItem" not in split and "recipients" not in split:
            out.append((where, "needs recipients or a remoteItem", "error"))
        for key in ("remotePercentage", "remoteStartTime"):
            if _has(split, key) and "remoteItem" not in split:
                out.append((f"{where}.{key}", "applies only to a remoteItem", "error"))
        if split.get("duration") is not None and split["duration"] <= 0:
            out.append((f"{where}.duration", "must be longer than 0 seconds", "error"))
        if local:
            _recipients(split["recipients"], f"{where}.recipients", out)


def _location(entry: dict[str, Any], path: str, out: Found) -> None:
    geo = entry.get("geo")
    match = _GEO.match(geo.strip()) if geo else None
    if geo and not match:
        out.append((f"{path}.geo", f"{geo!r} is not a geo: URI like geo:30.2672,-97.7431 (RFC 5870)", "error"))
    elif match and not (abs(float(match.group(1))) <= 90 and abs(float(match.group(2))) <= 180):
        out.append((f"{path}.geo", "latitude must be within ±90 and longitude within ±180", "error"))
    if entry.get("osm") and not _OSM.match(entry["osm"].strip()):
        out.append((f"{path}.osm", f"{entry['osm']!r} is not an OpenStreetMap id like R113314 (N, W or R and "
                    "digits, optionally #revision)", "error"))
    if entry.get("country") and not _COUNTRY.match(entry["country"].strip()):
        out.append((f"{path}.country", f"{entry['country']!r} is not an ISO 3166-1 alpha-2 code like us",
                    "error"))


def _social(entry: dict[str, Any], path: str, out: Found) -> None:
    if entry.get("protocol") == "disabled":
        for key in ("uri", "accountId", "accountUrl", "priority"):
            if _has(entry, key):
                out.append((f"{path}.{key}", "protocol disabled (no comments) takes no other attribute", "error"))
        return
    if entry.get("protocol") and "uri" not in entry:
        out.append((f"{path}.uri", "is required: the root post of the comment thread", "error"))
    elif entry.get("uri") and (problem := _uri_problem(entry["uri"], "https://…, at://…, nostr:…")):
        out.append((f"{path}.uri", problem, "error"))


def _chat(entry: dict[str, Any], path: str, out: Found) -> None:
    if entry.get("server") and not _HOST.match(entry["server"].strip()):
        out.append((f"{path}.server", f"{entry['server']!r} is not a host name like irc.zeronode.net", "error"))
    if entry.get("protocol") and not _SLUG.match(entry["protocol"].strip()):
        out.append((f"{path}.protocol", f"{entry['protocol']!r} is not a protocol name like irc or matrix "
                    "(lowercase)", "error"))


def _mime(entry: dict[str, Any], key: str, path: str, out: Found) -> None:
    if entry.get(key) and not _MIME.match(entry[key].strip()):
        out.append((f"{path}.{key}", f"{entry[key]!r} is not a MIME type like audio/mpeg", "error"))


def _image(entry: dict[str, Any], path: str, out: Found) -> None:
    if entry.get("aspectRatio") and not _RATIO.match(entry["aspectRatio"].strip()):
        out.append((f"{path}.aspectRatio", f"{entry['aspectRatio']!r} is not a ratio like 16/9", "error"))
    _mime(entry, "type", path, out)


def _block(entry: dict[str, Any], path: str, out: Found) -> None:
    slug = entry.get("id")
    if slug and not _SLUG.match(slug.strip()):
        out.append((f"{path}.id", f"{slug!r} is not a service slug (lowercase, like google)", "error"))
    elif slug and slug.strip() not in SERVICE_SLUGS:
        out.append((f"{path}.id", f"{slug!r} is not in the namespace's service slug list (serviceslugs.txt): "
                    "that platform may not recognise it", "warning"))


def _blocks(entries: list[Any], path: str, out: Found) -> None:
    seen: dict[str | None, int] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "block" not in entry:
            continue
        slug = (entry.get("id") or "").strip() or None
        if slug in seen:
            what = f"platform {slug!r}" if slug else "every platform (no id)"
            out.append((f"{path}[{i}]", f"{what} is already given at {path}[{seen[slug]}]", "error"))
        seen.setdefault(slug, i)


def _measured(entry: dict[str, Any], keys: tuple[str, ...], path: str, out: Found) -> None:
    for key in keys:
        if _has(entry, key):
            out.append((f"{path}.{key}", "is measured from file: this value is ignored (remove it)", "warning"))


def _trailer(entry: dict[str, Any], path: str, out: Found) -> None:
    if _has(entry, "file") and _has(entry, "url"):
        out.append((f"{path}.url", "give either file or url, not both", "error"))
    elif "file" not in entry and "url" not in entry:
        out.append((path, "needs file (in the production) or url", "error"))
    if _has(entry, "file"):
        _measured(entry, ("length", "type"), path, out)
    _mime(entry, "type", path, out)


def _until_style(value: str) -> str:
    return "date-time" if "T" in value.upper() else "date"


def _rrule(rule: str, dtstart: str | None) -> str | None:
    """Why ``rule`` is not an RFC 5545 §3.3.10 recurrence rule, or None."""
    parts: dict[str, str] = {}
    for part in rule.strip().split(";"):
        name, sep, value = part.partition("=")
        name = name.strip().upper()
        if not sep or not value.strip():
            return f"{part!r} is not NAME=VALUE"
        if name in parts:
            return f"{name} is given twice"
        parts[name] = value.strip()
    known = {"FREQ", "UNTIL", "COUNT", "INTERVAL", "BYDAY", "WKST", *_RANGES}
    unknown = sorted(set(parts) - known)
    if unknown:
        return f"unknown rule part {unknown[0]}"
    if parts.get("FREQ", "").upper() not in _FREQS:
        return "needs FREQ, one of " + ", ".join(_FREQS)
    if "UNTIL" in parts and "COUNT" in parts:
        return "UNTIL and COUNT must not both be given"
    for name in ("COUNT", "INTERVAL"):
        if name in parts and not (parts[name].isdigit() and int(parts[name]) > 0):
            return f"{name} must be a whole number above 0"
    for day in parts.get("BYDAY", "MO").upper().split(","):
        if not _BYDAY.match(day.strip()):
            return f"BYDAY {day!r} is not a weekday like MO or +4TH"
    if parts.get("WKST", "MO").upper() not in ("MO", "TU", "WE", "TH", "FR", "SA", "SU"):
        return "WKST must be a weekday like MO"
    for name, (low, high, signed) in _RANGES.items():
        for number in parts.get(name, str(low)).split(","):
            text = number.strip().lstrip("+-") if signed else number.strip()
            if not text.isdigit() or not low <= int(text) <= high:
                return f"{name} {number!r} is not a number from {low} to {high}"
    until = parts.get("UNTIL")
    if until:
        try:
            datetime.fromisoformat(until.replace("z", "Z"))
        except ValueError:
            if not _UNTIL.match(until):
                return f"UNTIL {until!r} is not a date or date-time"
        if dtstart and _until_style(until) != _until_style(dtstart):
            return f"UNTIL must be a {_until_style(dtstart)}, as dtstart is"
    if "COUNT" in parts and not dtstart:
        return "COUNT needs dtstart (docs/tags/update-frequency.md)"
    return None


def _frequency(entry: dict[str, Any], path: str, out: Found) -> None:
    dtstart = entry.get("dtstart")
    if dtstart:
        try:
            datetime.fromisoformat(dtstart.strip())
        except ValueError:
            out.append((f"{path}.dtstart", f"{dtstart!r} is not an ISO 8601 date or date-time, e.g. "
                        "2023-08-28T00:00:00.000Z", "error"))
            dtstart = "?"  # reported: a COUNT needing it is not reported again
    elif "dtstart" in entry:  # invalid, already reported: a COUNT needing it is not reported again
        dtstart = "?"
    if entry.get("rrule"):
        problem = _rrule(entry["rrule"], dtstart if dtstart != "?" else "")
        if problem and not (dtstart == "?" and "dtstart" in problem):
            out.append((f"{path}.rrule", problem, "error"))


def _alternate(entry: dict[str, Any], path: str, out: Found) -> None:
    local = _has(entry, "file")
    if "file" not in entry:
        if entry.get("sources", []) == []:
            out.append((path, "needs file (in the production), or type and at least one source", "error"))
        elif "type" not in entry:
            out.append((f"{path}.type", "is required without file (the media's MIME type)", "error"))
    if local:
        _measured(entry, ("length", "bitrate", "integrity"), path, out)
    _mime(entry, "type", path, out)
    if entry.get("lang") and not _LANG.match(entry["lang"].strip()):
        out.append((f"{path}.lang", f"{entry['lang']!r} is not a BCP 47 language tag like en-US", "error"))
    for i, source in enumerate(entry.get("sources") or []):
        if not isinstance(source, dict) or not source.get("uri"):
            continue
        problem = _uri_problem(source["uri"], "https://…, ipfs://…, magnet:…")
        if problem:
            out.append((f"{path}.sources[{i}].uri", problem, "error"))
        _mime(source, "contentType", f"{path}.sources[{i}]", out)
    integrity = entry.get("integrity")
    if isinstance(integrity, dict) and integrity.get("value") and not local:
        value = integrity["value"].strip()
        if integrity.get("type") == "sri" and not _SRI.match(value):
            out.append((f"{path}.integrity.value", "an SRI value looks like sha384-<base64 digest>", "error"))
        if integrity.get("type") == "pgp-signature" and not _BASE64.match(value):
            out.append((f"{path}.integrity.value", "a PGP signature is given in base64", "error"))


def _alternates(entries: list[Any], path: str, out: Found) -> None:
    defaults = [i for i, e in enumerate(entries) if isinstance(e, dict) and e.get("default")]
    for i in defaults[1:]:
        out.append((f"{path}[{i}].default", f"only one version can be the default ({path}[{defaults[0]}] is)",
                    "error"))


def _soundbite(entry: dict[str, Any], path: str, out: Found) -> None:
    if entry.get("duration") is not None and entry["duration"] <= 0:
        out.append((f"{path}.duration", "must be longer than 0 seconds", "error"))


def _publisher(entry: dict[str, Any], path: str, out: Found) -> None:
    if entry.get("medium") not in (None, "publisher"):
        out.append((f"{path}.medium", "a publisher feed has medium publisher (docs/tags/publisher.md)", "error"))


Rule = Callable[[dict[str, Any], str, Found], None]
ENTRY_RULES: dict[str, Rule] = {
    "value": _value, "locations": _location, "socialInteract": _social, "chat": _chat, "images": _image,
    "blocks": _block, "trailers": _trailer, "updateFrequency": _frequency, "alternateEnclosures": _alternate,
    "soundbites": _soundbite, "publisher": _publisher, "podroll": _remote_item, "remoteItems": _remote_item,
}
LIST_RULES: dict[str, Callable[[list[Any], str, Found], None]] = {"blocks": _blocks,
                                                                  "alternateEnclosures": _alternates}


def check_entry(tag: str, entry: dict[str, Any], path: str) -> Found:
    """Problems of one validated entry of the field ``tag`` (e.g. ``value``) at ``path``."""
    out: Found = []
    rule = ENTRY_RULES.get(tag)
    if rule is not None:
        rule(entry, path, out)
    return out


def check_tags(kind: str, values: dict[str, Any]) -> Found:
    """Problems of every namespace field of a validated show or episode."""
    out: Found = []
    for tag, spec in (SHOW_TAGS if kind == "show" else EPISODE_TAGS if kind == "episode" else {}).items():
        value = values.get(tag)
        if spec.kind == "list" and isinstance(value, list):
            for i, entry in enumerate(value):
                if isinstance(entry, dict):
                    out += check_entry(tag, entry, f"{tag}[{i}]")
            if tag in LIST_RULES:
                LIST_RULES[tag](value, tag, out)
        elif isinstance(value, dict):
            out += check_entry(tag, value, tag)
    if kind == "episode":
        labels = (values.get("metadata") or {}).get("labels") or {}
        for name, number in (("seasonName", "season"), ("episodeDisplay", "episode")):
            if _has(labels, name) and number not in labels:
                out.append((f"metadata.labels.{name}", f"needs metadata.labels.{number}", "error"))
    return out
