"""``podops import`` keeps every Podcasting 2.0 tag: YAML → feed → import → YAML → feed carries the same tags.

A foreign feed's invalid values are warnings at their line and are dropped (an entry missing what
its tag requires is dropped whole); the imported production validates and builds.
"""

from __future__ import annotations

from pathlib import Path

from conftest import invoke
from lxml import etree
from test_namespace import shape, tagged_production

from podops.commands.importer import import_feed
from podops.load.production import load_production
from podops.render.feed import PODCAST
from podops.urls import podcast_guid


def podcast_tags(feed: Path) -> dict[str, list[tuple]]:
    """The podcast: elements of the channel and of each item, as comparable data."""
    channel = etree.parse(str(feed)).getroot().find("channel")
    def tags(parent):
        return [shape(e) for e in parent if etree.QName(e).namespace == PODCAST
                and etree.QName(e).localname not in ("guid", "locked")]
    return {"channel": tags(channel), "items": [tags(item) for item in channel.findall("item")]}


def test_yaml_feed_import_yaml_feed_carries_every_tag_again(tmp_path: Path) -> None:
    first = tmp_path / "public"
    assert invoke("build", tagged_production(tmp_path / "prod"), "-o", first).exit_code == 0
    feed = first / "test-show" / "feed.xml"
    imported = import_feed(str(feed), tmp_path / "imported", base_url="https://example.com/")
    assert not [w for w in imported.warnings if "podcast:" in w.field], imported.warnings
    again = tmp_path / "again"
    result = invoke("build", tmp_path / "imported", "-o", again)
    assert result.exit_code == 0, result.output
    before, after = podcast_tags(feed), podcast_tags(next(again.rglob("feed.xml")))
    assert len(before["channel"]) >= 20 and len(before["items"][0]) >= 12
    assert after == before

    original = load_production(tmp_path / "prod").shows[0]
    copy = load_production(tmp_path / "imported").shows[0]
    assert copy.tags == original.tags
    assert copy.persons == original.persons and copy.persons[0].img and copy.podping  # person img/href, podping
    assert copy.episodes[0].tags == original.episodes[0].tags
    assert (copy.episodes[0].season_name, copy.episodes[0].episode_display) == ("Race for the Whitehouse 2020", "Ch.3")


FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"
     xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel>
  <title>Foreign Show</title>
  <link>https://foreign.example.org/</link><atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="self" \
href="https://foreign.example.org/feed.xml"/>
  <description>From another host.</description>
  <itunes:image href="https://foreign.example.org/cover.jpg"/>
  <itunes:category text="Technology"/>
  <podcast:guid>not-a-uuid</podcast:guid>
  <podcast:location geo="30.2672 97.7431" osm="R113314">Austin, TX</podcast:location>
  <podcast:location>   </podcast:location>
  <podcast:value type="lightning" method="keysend">
    <podcast:valueRecipient name="Broken" type="node" address="xyz" split="10"/>
  </podcast:value>
  <podcast:socialInteract protocol="activitypub" accountId="@dave"/>
  <podcast:chat server="irc.zeronode.net" protocol="irc"/>
  <podcast:chat server="irc.other.net" protocol="irc"/>
  <podcast:podping usesPodping="true"/>
  <podcast:updateFrequency rrule="FREQ=WEEKLY;COUNT=10">Ten weeks</podcast:updateFrequency>
  <podcast:block id="google">maybe</podcast:block>
  <podcast:block id="amazon">yes</podcast:block><podcast:images \
srcset="https://example.com/images/pci_avatar-massive.jpg 1500w, \
https://example.com/images/pci_avatar-middle.jpg 600w"/>
  <item>
    <title>One</title>
    <guid>one</guid>
    <pubDate>Fri, 04 Jun 2021 20:10:35 +0000</pubDate>
    <enclosure url="https://foreign.example.org/one.mp3" length="1000" type="audio/mpeg"/>
    <podcast:season name="The Beginning">1</podcast:season>
    <podcast:alternateEnclosure type="audio/mpeg" length="2490970" bitrate="160707.74">
      <podcast:source uri="https://example.com/file-0.mp3"/>
      <podcast:source uri="ipfs://QmdwGqd3d2gFPGeJNLLCshdiPert45fMu84552Y4XHTy4y"/>
    </podcast:alternateEnclosure>
    <podcast:soundbite startTime="-5" duration="60.0"/>
    <podcast:soundbite startTime="73.0" duration="60.0">Good bit</podcast:soundbite>
  </item>
</channel>
</rss>
"""


def test_invalid_tags_of_a_real_feed_are_warnings_at_their_line_and_dropped(tmp_path: Path) -> None:
    source = tmp_path / "foreign.xml"
    source.write_text(FOREIGN)
    imported = import_feed(str(source), tmp_path / "prod", base_url="https://new.example.org/")
    said = {(w.line, w.field): w.message for w in imported.warnings}
    assert "is not a UUID: dropped" in said[(10, "podcast:guid")]
    assert "derived again" in said[(10, "podcast:guid")]
    assert "is not a geo: URI" in said[(11, "podcast:location")] and "geo dropped" in said[(11, "podcast:location")]
    assert "is required: dropped" in said[(12, "podcast:location")]
    assert "66 hex characters" in said[(13, "podcast:value")]
    assert "uri: is required" in said[(16, "podcast:socialInteract")]
    assert "only one <podcast:chat>" in said[(18, "podcast:chat")]
    assert "COUNT needs dtstart" in said[(20, "podcast:updateFrequency")]
    assert "must be true or false" in said[(21, "podcast:block")]
    assert "must be seconds" in said[(33, "podcast:soundbite")]
    show = load_production(tmp_path / "prod").shows[0]  # what is left validates
    assert show.podcast_guid == podcast_guid("https://foreign.example.org/feed.xml")  # derived again
    assert show.tags["locations"] == [{"name": "Austin, TX", "osm": "R113314"}]
    assert "value" not in show.tags and "socialInteract" not in show.tags
    assert show.tags["chat"] == {"server": "irc.zeronode.net", "protocol": "irc"}
    assert show.tags["updateFrequency"] == {"text": "Ten weeks"}
    assert show.tags["blocks"] == [{"id": "amazon", "block": True}] and show.podping
    assert show.tags["images"] == [{"href": "https://example.com/images/pci_avatar-massive.jpg", "width": 1500},
                                   {"href": "https://example.com/images/pci_avatar-middle.jpg", "width": 600}]
    assert "deprecated: read as podcast:image" in said[(22, "podcast:images")]
    episode = show.episodes[0]
    assert episode.season_name == "The Beginning"
    assert episode.tags["alternateEnclosures"][0]["bitrate"] == 160708  # the docs' decimal bitrate, rounded
    assert episode.tags["soundbites"] == [{"startTime": 73.0, "duration": 60.0, "title": "Good bit"}]
    result = invoke("build", tmp_path / "prod", "-o", tmp_path / "public")
    assert result.exit_code == 0, result.output
