"""``podops schema`` and ``podops validate`` agree: the same files pass or fail in both."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from conftest import CHANNEL, EPISODE, SHOW

from podops.errors import Problems
from podops.load.schema import CHANNEL as CHANNEL_SPEC
from podops.load.schema import EPISODE as EPISODE_SPEC
from podops.load.schema import SHOW as SHOW_SPEC
from podops.load.schema import SUBSCRIBERS as SUBSCRIBERS_SPEC
from podops.load.schemadoc import json_schema
from podops.load.validate import Validator
from podops.load.yamlfile import parse

VALIDATOR = jsonschema.Draft202012Validator(json_schema())


def plain(value: Any) -> Any:
    """YAML positions stripped: what an editor's language server sees."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def podops_accepts(text: str, spec) -> bool:
    problems = Problems()
    Validator("f.yaml", problems).check(spec, parse(text, "f.yaml"), "", (1, 1))
    return not problems.errors


def schema_accepts(text: str) -> bool:
    return VALIDATOR.is_valid(plain(parse(text, "f.yaml")))


SHOW_CASES = [
    ("valid", SHOW, True),
    ("unknown field", SHOW.replace("  title: Test Show", "  titel: Test Show"), False),
    ("missing title", SHOW.replace("  title: Test Show\n", ""), False),
    ("guid prefix only", SHOW.replace("aaa94297acfc", "aXYZ4297acfc"), False),
    ("name with dot", SHOW.replace("name: test-show", "name: test.show"), False),
    ("javascript url", SHOW.replace("https://example.com/", "javascript:alert(1)"), False),
    ("explicit maybe", SHOW.replace('explicit: "no"', "explicit: maybe"), False),
    ("explicit yes", SHOW.replace('explicit: "no"', "explicit: Yes"), True),
    ("category unknown", SHOW.replace("name: Technology", "name: Tech"), False),
    ("language english", SHOW.replace("language: en_US", "language: english"), False),
    ("language xx", SHOW.replace("language: en_US", "language: xx_US"), False),
    ("bad email", SHOW.replace("test@example.com", "not-an-email"), False),
    ("type Serial", SHOW.replace('explicit: "no"', 'explicit: "no"\n    type: Serial'), True),
    ("type weekly", SHOW.replace('explicit: "no"', 'explicit: "no"\n    type: weekly'), False),
    ("kind shows", SHOW.replace("kind: show", "kind: Shows"), True),
]
EPISODE_CASES = [
    ("valid", EPISODE, True),
    ("naive date", EPISODE.replace("Fri, 04 Jun 2021 20:10:35 +0000", "2021-06-04 20:10:35"), False),
    ("iso date", EPISODE.replace("Fri, 04 Jun 2021 20:10:35 +0000", "2021-06-04T20:10:35Z"), True),
    ("season zero", EPISODE.replace("season: 1", "season: 0"), False),
    ("season text", EPISODE.replace("season: 1", 'season: "2"'), True),
    ("episode float", EPISODE.replace("episode: 1", "episode: 1.5"), False),
    ("type Trailer", EPISODE.replace("    episode: 1", "    episode: 1\n    type: Trailer"), True),
    ("status draft", EPISODE.replace("    episode: 1", "    episode: 1\n    status: draft"), True),
    ("status gone", EPISODE.replace("    episode: 1", "    episode: 1\n    status: gone"), False),
    ("duration clock", EPISODE.replace("  summary: The first one.", "  summary: x\n  duration: '1:02:03'"), True),
    ("duration bad", EPISODE.replace("  summary: The first one.", "  summary: x\n  duration: '1:2:3:4'"), False),
    ("chapters", EPISODE + "chapters:\n  - start: '0:30'\n    title: Intro\n", True),
    ("chapter without title", EPISODE + "chapters:\n  - start: 0\n", False),
    ("no enclosure", EPISODE.replace("enclosure:\n  uri: assets/ep.mp3\n", ""), False),
]

SUBSCRIBERS = """\
apiVersion: v1
kind: subscribers
metadata: {name: team-members, guid: 5b1f0c2d3e4a, parent: aaa94297acfc}
subscribers:
  - email: ada@example.org
  - email: grace@example.org
    name: Grace
"""
SUBSCRIBERS_CASES = [
    ("valid", SUBSCRIBERS, True),
    ("kind subscriber", SUBSCRIBERS.replace("kind: subscribers", "kind: Subscriber"), True),
    ("empty list", SUBSCRIBERS.split("subscribers:\n")[0] + "subscribers: []\n", True),
    ("spaces kept by quotes", SUBSCRIBERS.replace("ada@example.org", "' Ada@Example.org '"), True),
    ("no at sign", SUBSCRIBERS.replace("ada@example.org", "ada.example.org"), False),
    ("no dot in domain", SUBSCRIBERS.replace("ada@example.org", "ada@localhost"), False),
    ("underscore in domain", SUBSCRIBERS.replace("ada@example.org", "ada@b_c.com"), False),
    ("name without email", SUBSCRIBERS.replace("  - email: ada@example.org\n", "  - name: Ada\n"), False),
    ("unknown field", SUBSCRIBERS.replace("    name: Grace", "    nick: Grace"), False),
    ("no parent", SUBSCRIBERS.replace(", parent: aaa94297acfc", ""), False),
]
SHOW_CASES += [
    ("private", SHOW + "private: true\n", True),
    ("private yes", SHOW + "private: yes\n", True),
    ("private maybe", SHOW + "private: maybe\n", False),
]


@pytest.mark.parametrize("text, ok", [c[1:] for c in SUBSCRIBERS_CASES], ids=[c[0] for c in SUBSCRIBERS_CASES])
def test_subscriber_lists_get_the_same_verdict_from_schema_and_validator(text: str, ok: bool) -> None:
    assert podops_accepts(text, SUBSCRIBERS_SPEC) is ok
    assert schema_accepts(text) is ok


@pytest.mark.parametrize("text, ok", [c[1:] for c in SHOW_CASES], ids=[c[0] for c in SHOW_CASES])
def test_show_files_get_the_same_verdict_from_schema_and_validator(text: str, ok: bool) -> None:
    assert podops_accepts(text, SHOW_SPEC) is ok
    assert schema_accepts(text) is ok


@pytest.mark.parametrize("text, ok", [c[1:] for c in EPISODE_CASES], ids=[c[0] for c in EPISODE_CASES])
def test_episode_files_get_the_same_verdict_from_schema_and_validator(text: str, ok: bool) -> None:
    assert podops_accepts(text, EPISODE_SPEC) is ok
    assert schema_accepts(text) is ok


CHANNEL_CASES = [
    ("valid", CHANNEL, True),
    ("kind Channels", CHANNEL.replace("kind: channel", "kind: Channels"), True),
    ("no stream url", CHANNEL.replace("  url: http://radio.example.org:8000/live\n", ""), False),
    ("rtmp stream", CHANNEL.replace("url: http://radio.example.org:8000/live", "url: rtmp://x.example/live"), False),
    ("format AAC", CHANNEL.replace("format: mp3", "format: AAC"), True),
    ("format wma", CHANNEL.replace("format: mp3", "format: wma"), False),
    ("server shoutcast2.6", CHANNEL.replace("server: icecast", "server: shoutcast2.6"), True),
    ("bitrate zero", CHANNEL.replace("bitrate: 128", "bitrate: 0"), False),
    ("event without end", CHANNEL.replace("    end: 2026-11-30T10:00:00+01:00\n", ""), False),
    ("naive start", CHANNEL.replace("2026-11-30T08:00:00+01:00", "2026-11-30T08:00:00"), False),
    ("a password", CHANNEL.replace("  server: icecast\n", "  server: icecast\n  password: x\n"), False),
    ("weekly slot", CHANNEL + "recurring:\n  - {title: Talk, days: [friday], time: '18:00', duration: 3600}\n",
     True),
]


@pytest.mark.parametrize("text, ok", [c[1:] for c in CHANNEL_CASES], ids=[c[0] for c in CHANNEL_CASES])
def test_channel_files_get_the_same_verdict_from_schema_and_validator(text: str, ok: bool) -> None:
    assert podops_accepts(text, CHANNEL_SPEC) is ok
    assert schema_accepts(text) is ok
