"""What imported resources are named and how their data is shaped (shared by the feed and live imports)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from podops.load.validate import parse_date


def hex_guid(seed: str) -> str:
    """A stable 12-hex podops GUID for any string (a feed guid, a feed URL)."""
    return hashlib.sha256(seed.encode()).hexdigest()[:12]


def slugify(text: str) -> str:
    """A URL segment from a title: ASCII, lowercase, dashes, at most 44 characters."""
    text = re.sub(r"['’]", "", text)  # "Founder's" → "founders", not "founder-s"
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > 44:
        slug = slug[:45].rsplit("-", 1)[0] if "-" in slug[:45] else slug[:44]
    return slug.strip("-")


def unique_name(title: str, taken: set[str], filler: str, guid: str) -> str:
    """A valid, unused ``metadata.name``: the title's slug, padded when short, suffixed when taken."""
    base = slugify(title)
    if len(base) < 8:
        base = f"{base}-{filler}" if base else f"{filler}-{guid}"
    name, number = base, 2
    while name in taken:
        suffix = f"-{number}"
        name, number = base[: 44 - len(suffix)].rstrip("-_") + suffix, number + 1
    taken.add(name)
    return name


def rfc1123(moment: datetime) -> str:
    """The date format PodOps writes, always in UTC, independent of the locale."""
    return format_datetime(moment.astimezone(UTC))


def external(uri: str | None) -> dict[str, str] | None:
    return {"uri": uri, "rel": "external"} if uri else None


def prune(data: Any) -> Any:
    """Drop empty values so the YAML holds only what the feed said."""
    if isinstance(data, dict):
        pruned = {k: prune(v) for k, v in data.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(data, list):
        return [prune(v) for v in data]
    return data


def parse_date_or_none(value: str | None) -> datetime | None:
    """A channel date, when it is a usable one."""
    try:
        return parse_date(value) if value else None
    except ValueError:
        return None
