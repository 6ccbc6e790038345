"""The namespace tags' rules across attributes: every example of the docs passes, each broken rule is one problem."""

from __future__ import annotations

import pytest

from podops.load.tagrules import check_entry, check_tags

# docs/tags/update-frequency.md: every example
FREQUENCIES = [
    {"text": "Daily", "rrule": "FREQ=DAILY"},
    {"text": "Biweekly", "rrule": "FREQ=WEEKLY;INTERVAL=2"},
    {"text": "Bimonthly", "rrule": "FREQ=MONTHLY;INTERVAL=2"},
    {"text": "Yearly", "rrule": "FREQ=YEARLY"},
    {"text": "Every weekday", "rrule": "FREQ=DAILY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR"},
    {"text": "Every Monday and Wednesday", "rrule": "FREQ=WEEKLY;BYDAY=MO,WE"},
    {"text": "Every friday the 13th", "rrule": "FREQ=WEEKLY;BYDAY=FR;BYMONTHDAY=13"},
    {"text": "Every year on American Thanksgiving", "rrule": "FREQ=YEARLY;BYDAY=+4TH;BYMONTH=11"},
    {"text": "Every other Monday for 10 episodes", "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=10",
     "dtstart": "2023-08-28T00:00:00.000Z"},
    {"text": "Every Monday until Dec 31, 2023", "rrule": "FREQ=WEEKLY;UNTIL=2023-12-31T00:00:00.000Z;BYDAY=MO"},
    {"text": "Weekly, starting in 2025", "dtstart": "2025-01-01T00:00:00.000Z", "rrule": "FREQ=WEEKLY"},
    {"text": "That's all folks!", "complete": True},
]


@pytest.mark.parametrize("entry", FREQUENCIES, ids=[f["text"] for f in FREQUENCIES])
def test_every_update_frequency_of_the_docs_passes(entry: dict) -> None:
    assert check_entry("updateFrequency", entry, "updateFrequency") == []


@pytest.mark.parametrize("rrule, dtstart, words", [
    ("FREQ=WEEKLY;COUNT=10", None, "COUNT needs dtstart"),
    ("FREQ=FORTNIGHTLY", None, "needs FREQ"),
    ("BYDAY=MO", None, "needs FREQ"),
    ("FREQ=WEEKLY;BYDAY=MONDAY", None, "BYDAY 'MONDAY'"),
    ("FREQ=WEEKLY;COUNT=3;UNTIL=20231231", "2023-01-01", "not both"),
    ("FREQ=WEEKLY;UNTIL=2023-12-31T00:00:00Z", "2023-01-01", "UNTIL must be a date"),
    ("FREQ=MONTHLY;BYMONTHDAY=32", None, "BYMONTHDAY '32'"),
    ("FREQ=WEEKLY;FREQ=DAILY", None, "given twice"),
    ("FREQ=WEEKLY;COLOR=RED", None, "unknown rule part COLOR"),
])
def test_a_broken_rrule_is_one_problem_at_rrule(rrule: str, dtstart: str | None, words: str) -> None:
    entry = {"text": "x", "rrule": rrule, **({"dtstart": dtstart} if dtstart else {})}
    found = check_entry("updateFrequency", entry, "updateFrequency")
    assert len(found) == 1 and found[0][0] == "updateFrequency.rrule" and words in found[0][1], found


def test_an_unreadable_dtstart_is_reported_once_not_again_for_count() -> None:
    found = check_entry("updateFrequency", {"text": "x", "rrule": "FREQ=WEEKLY;COUNT=3", "dtstart": "soon"},
                        "updateFrequency")
    assert [f[0] for f in found] == ["updateFrequency.dtstart"]


@pytest.mark.parametrize("entry", [  # docs/tags/location.md: every example
    {"name": "Austin, TX", "geo": "geo:30.2672,97.7431", "osm": "R113314"},
    {"name": "Birmingham Civil Rights Museum", "geo": "geo:33.51601,-86.81455", "osm": "R6930627", "country": "us"},
    {"name": "Austin, TX", "geo": "geo:30.2672,97.7431", "rel": "creator", "osm": "R113314"},
    {"name": "Dreamworld (Queensland)", "geo": "geo:-27.86159,153.3169", "rel": "subject", "osm": "W43678282"},
    {"name": "Eiffel Tower, Paris", "geo": "geo:48.858093,2.294694", "osm": "W5013364", "country": "fr"},
    {"name": "A summit", "geo": "geo:27.9881,86.9250,8848;u=10"},  # RFC 5870 altitude and uncertainty
])
def test_every_location_of_the_docs_passes(entry: dict) -> None:
    assert check_entry("locations", entry, "locations[0]") == []


@pytest.mark.parametrize("entry, field, words", [
    ({"name": "x", "geo": "geo:91,0"}, "locations[0].geo", "latitude"),
    ({"name": "x", "geo": "30.2,97.7"}, "locations[0].geo", "geo: URI"),
    ({"name": "x", "osm": "X113314"}, "locations[0].osm", "N, W or R"),
    ({"name": "x", "country": "1a"}, "locations[0].country", "alpha-2"),
])
def test_a_broken_location_is_one_problem(entry: dict, field: str, words: str) -> None:
    found = check_entry("locations", entry, "locations[0]")
    assert len(found) == 1 and found[0][0] == field and words in found[0][1], found


def test_chat_social_image_and_block_examples_pass_and_breaks_are_located() -> None:
    for protocol, server in (("irc", "irc.zeronode.net"), ("xmpp", "jabber.example.com"), ("matrix", "example.com")):
        assert check_entry("chat", {"server": server, "protocol": protocol}, "chat") == []
    assert check_entry("socialInteract", {"protocol": "disabled"}, "s") == []
    assert check_entry("socialInteract", {"protocol": "bluesky", "uri": "at://did:plc:abc/app.bsky.feed.post/1"},
                       "s") == []
    assert check_entry("images", {"href": "https://e.org/a.jpg", "aspectRatio": "16/9", "type": "video/mp4"},
                       "i") == []
    assert check_entry("images", {"href": "https://e.org/a.jpg", "aspectRatio": "wide"}, "i")[0][0] == "i.aspectRatio"
    assert check_entry("blocks", {"id": "google", "block": True}, "b") == []
    unknown = check_entry("blocks", {"id": "myapp", "block": True}, "b")
    assert [(f[0], f[2]) for f in unknown] == [("b.id", "warning")]  # not in serviceslugs.txt: a warning


def test_value_rules_one_problem_each() -> None:
    node = "02d5c1bf8b940dc9cadca86d1b0a3c37fbe39cee4c7e839e33bef9174531d27f52"
    good = {"type": "lightning", "method": "keysend", "suggested": "0.00000005000",
            "recipients": [{"type": "node", "address": node, "split": 95},
                           {"type": "lnaddress", "address": "host@getalby.com", "split": 5, "fee": True}]}
    assert check_entry("value", good, "value[0]") == []
    split = {"startTime": 1.0, "duration": 2.0, "remotePercentage": 50,
             "recipients": [{"type": "node", "address": node, "split": 1}]}
    found = check_entry("value", {**good, "timeSplits": [split]}, "value[0]")
    assert [f[0] for f in found] == ["value[0].timeSplits[0].remotePercentage"]
    found = check_entry("value", {**good, "timeSplits": [{"startTime": 1.0, "duration": 0.0}]}, "value[0]")
    assert [f[0] for f in found] == ["value[0].timeSplits[0]", "value[0].timeSplits[0].duration"]
    custom = {"type": "node", "address": node, "split": 1, "customValue": "x"}
    found = check_entry("value", {**good, "recipients": [custom]}, "v")
    assert [f[0] for f in found] == ["v.recipients[0].customValue"]


def test_only_one_alternate_is_the_default_and_labels_need_their_numbers() -> None:
    alternates = [{"type": "audio/opus", "sources": [{"uri": "https://e.org/a.opus"}], "default": True}] * 2
    found = check_tags("episode", {"alternateEnclosures": alternates})
    assert [f[0] for f in found] == ["alternateEnclosures[1].default"]
    found = check_tags("episode", {"metadata": {"labels": {"episodeDisplay": "Ch.3"}}})
    assert [f[0] for f in found] == ["metadata.labels.episodeDisplay"]


def test_uris_that_run_code_never_reach_a_feed() -> None:
    alternate = {"type": "audio/opus", "sources": [{"uri": "javascript:alert(1)"}, {"uri": "ipfs://QmX"},
                                                   {"uri": "magnet:?xt=urn:btih:abc"}, {"uri": "data:audio/ogg,x"}]}
    found = check_entry("alternateEnclosures", alternate, "a")
    assert [f[0] for f in found] == ["a.sources[0].uri", "a.sources[3].uri"] and "not allowed" in found[0][1]
    found = check_entry("socialInteract", {"protocol": "activitypub", "uri": "JavaScript:alert(1)"}, "s")
    assert [f[0] for f in found] == ["s.uri"]
