"""The Podcasting 2.0 tags a show or an episode can carry, declared as fields (podcastindex.org/namespace/1.0).

Each field follows one tag's document in the namespace's ``docs/tags/`` and keeps its attribute
names, so a feed's tag and its YAML read alike; :mod:`podops.load.tagrules` adds the rules that
span attributes, and :mod:`podops.render.namespace` writes the tags.
"""

from __future__ import annotations

from podops.load.fields import Field, choice, items, struct, text
from podops.load.vocabulary import MEDIUMS

# socialprotocols.txt of the namespace repository
SOCIAL_PROTOCOLS = ("disabled", "activitypub", "twitter", "lightning", "bluesky", "hive", "matrix", "nostr")
# serviceslugs.txt: the platforms podcast:block id names; another slug is a warning, not an error
SERVICE_SLUGS = frozenset("""acast amazon anchor apple audioboom backtracks bitcoin blubrry buzzsprout captivate
    castos fireside google hypercatcher libsyn mastodon megafono megaphone omnystudio overcast paypal pinecast
    podbean podcastaddict podcastindex podcasts.com podchaser podfriend podiant podigee podnews podomatic podserve
    podverse redcircle relayfm resonate rss.com shoutengine simplecast slack soundcloud spotify spreaker transistor
    twitter whooshkaa zencast""".split())  # noqa: SIM905 - a word list reads best as words

REMOTE_FIELDS = {
    "feedGuid": Field("uuid", "The podcast:guid of the feed pointed to.", True),
    "feedUrl": Field("url", "The feed pointed to (recommended beside feedGuid)."),
    "itemGuid": text("The <guid> of an item of that feed, to point at one episode."),
    "medium": choice("The podcast:medium of that feed when it is not podcast.", *MEDIUMS),
    "title": text("Its title, so apps can show it without fetching it (≤ 128 characters).", max=128),
}
REMOTE_ITEM = struct("Another feed or an item in it (podcast:remoteItem).", **REMOTE_FIELDS)

RECIPIENT = struct(
    "Who receives a share of each payment (podcast:valueRecipient).",
    name=text("Who or what this recipient is (recommended).", max=128),
    type=text("Kind of address: node (a Lightning node's public key), lnaddress, wallet, …", True, 64),
    address=text("The receiving address; for type node 66 hex characters.", True, 200),
    split=Field("int", "Shares of each payment this recipient receives.", True, minimum=0),
    fee=Field("flag", "A fee taken before the other splits (default false)."),
    customKey=text("A custom record key sent along with the payment.", max=200),
    customValue=text("The value sent under customKey.", max=500),
)
TIME_SPLIT = struct(
    "Other recipients for a stretch of the episode (podcast:valueTimeSplit).",
    startTime=Field("duration", "When the split starts: seconds or H:MM:SS.", True),
    duration=Field("duration", "How long it lasts (seconds or H:MM:SS, more than 0).", True),
    remoteStartTime=Field("duration", "Where the split starts in the remote item (default 0)."),
    remotePercentage=Field("int", "Percent of each payment the remote item's recipients receive (default 100).",
                           minimum=0, max=100),
    recipients=items("The recipients for this stretch (or a remoteItem).", RECIPIENT),
    remoteItem=struct("An item elsewhere whose recipients are paid for this stretch (or recipients).",
                      **REMOTE_FIELDS),
)
VALUE = struct(
    "Streaming payments to the show's recipients (podcast:value); an episode's replace the show's.",
    type=text("Payment layer: lightning, hive, webmonetization, …", True, 64),
    method=text("How payments travel: keysend, amp, ILP, …", True, 64),
    suggested=text("Suggested amount per payment, a decimal in the layer's unit, e.g. 0.00000005000.", max=40),
    recipients=items("One or more recipients sharing each payment.", RECIPIENT, True),
    timeSplits=items("Other recipients for stretches of the episode.", TIME_SPLIT),
)
LOCATION = struct(
    "A place the show is about or made in (podcast:location, 2025 revision).",
    name=text("Human-readable place, e.g. Austin, TX (≤ 128 characters).", True, 128),
    rel=choice("subject (what the content is about, the default) or creator (where it is made).",
               "subject", "creator"),
    geo=text("geo: URI (RFC 5870), e.g. geo:30.2672,-97.7431.", max=128),
    osm=text("OpenStreetMap object: N, W or R and its id, e.g. R113314.", max=64),
    country=text("ISO 3166-1 alpha-2 country code, e.g. us.", max=2),
)
TXT = struct(
    "Free-form text for a service (podcast:txt), e.g. an ownership check.",
    text=text("The text (≤ 4,000 characters).", True, 4000),
    purpose=text("What it is for: verify, applepodcastsverify, release, a platform's name (≤ 128).", max=128),
)
SOCIAL = struct(
    "Where comments on the show or episode live (podcast:socialInteract).",
    protocol=Field("choice", "activitypub, twitter, lightning, bluesky, hive, matrix, nostr, or disabled "
                   "(no comments).", True, choices=SOCIAL_PROTOCOLS),
    uri=text("The root post of the thread (required unless disabled).", max=2000),
    accountId=text("The account that posted it, e.g. @dave (recommended).", max=200),
    accountUrl=Field("url", "The public page of that account."),
    priority=Field("int", "Order among several: lower comes first.", minimum=0),
)
CHAT = struct(
    "The official chat (podcast:chat); an episode's replaces the show's.",
    server=text("Host name of the chat server, e.g. irc.zeronode.net.", True, 253),
    protocol=text("Chat protocol: irc, xmpp, nostr, matrix, …", True, 32),
    accountId=text("The podcaster's account there (recommended).", max=200),
    space=text("Room, channel or topic, e.g. #mypodcast.", max=200),
)
IMAGE = struct(
    "Extra artwork (podcast:image, not the deprecated podcast:images), e.g. a 16/9 banner.",
    href=Field("url", "The image (or video) URL.", True),
    alt=text("What it shows, for screen readers (recommended).", max=500),
    aspectRatio=text("Aspect ratio as in CSS, e.g. 1/1, 16/9 (recommended).", max=20),
    width=Field("int", "Width in pixels (recommended).", minimum=1),
    height=Field("int", "Height in pixels.", minimum=1),
    type=text("MIME type when it is not a usual image, e.g. video/mp4.", max=100),
    purpose=text("Space-separated uses: artwork, social, canvas, cover, publisher, circular, … (≤ 128).",
                 max=128),
)
BLOCK = struct(
    "Whether one platform (or every one) may list the show (podcast:block).",
    id=text("A service slug (serviceslugs.txt), e.g. google; absent: every platform.", max=64),
    block=Field("flag", "true: may not list it; false: may, even when every other is blocked.", True),
)
TRAILER = struct(
    "A trailer of the show or of one season (podcast:trailer).",
    title=text("Its title (≤ 128 characters).", True, 128),
    pubdate=Field("date", "When it was published.", True),
    file=text("An audio or video file of the production (probed: size, type).", max=2000),
    url=Field("url", "Or where it is published already."),
    length=Field("int", "Bytes (for url; measured for file).", minimum=0),
    type=text("MIME type (for url; detected for file).", max=100),
    season=Field("int", "The season it announces.", minimum=1),
)
UPDATE_FREQUENCY = struct(
    "The release schedule (podcast:updateFrequency).",
    text=text("The schedule in words, e.g. Every other Monday (≤ 128 characters).", True, 128),
    rrule=text("An RFC 5545 recurrence rule, e.g. FREQ=WEEKLY;BYDAY=MO (recommended).", max=500),
    dtstart=text("When the rule starts, ISO 8601 date or date-time (required with COUNT).", max=40),
    complete=Field("flag", "No more episodes are planned."),
)
SOURCE = struct(
    "Another place the same media can be fetched (podcast:source).",
    uri=text("https, ipfs, magnet, … URI of the media.", True, 2000),
    contentType=text("MIME type when the transport differs from the media, e.g. application/x-bittorrent.",
                     max=100),
)
ALTERNATE = struct(
    "Another version of the enclosure (podcast:alternateEnclosure): another codec, bitrate, language or video.",
    file=text("An AAC (.m4a) or Opus (.opus) file of the production: probed and hashed like the enclosure.",
              max=2000),
    sources=items("Where else it can be fetched; the file's own URL comes first.", SOURCE),
    type=text("MIME type (required without file; detected for file).", max=100),
    length=Field("int", "Bytes (measured for file).", minimum=0),
    bitrate=Field("int", "Average bits per second (measured for file).", minimum=1),
    height=Field("int", "Height in pixels, for video.", minimum=1),
    lang=text("BCP 47 language of this version, e.g. en-US.", max=35),
    title=text("Name shown in apps, e.g. High quality (≤ 32 characters).", max=32),
    rel=text("Group of versions with the same content, e.g. commentary (≤ 32 characters).", max=32),
    codecs=text("RFC 6381 codecs, e.g. opus or mp4a.40.2.", max=100),
    default=Field("flag", "The same media as the enclosure, and the one to prefer."),
    integrity=struct("How apps check the file (podcast:integrity); computed (SRI sha384) for file.",
                     type=Field("choice", "sri or pgp-signature.", True, choices=("sri", "pgp-signature")),
                     value=text("The SRI string or the base64 PGP signature.", True, 4000)),
)
SOUNDBITE = struct(
    "A highlight of the episode (podcast:soundbite).",
    startTime=Field("duration", "Where it starts: seconds or H:MM:SS.", True),
    duration=Field("duration", "How long it lasts: seconds (15–120 recommended).", True),
    title=text("Its title (≤ 128 characters; the episode's when absent).", max=128),
)

_LOCATIONS = items("Places (podcast:location): what it is about (rel subject) or where it is made (creator).",
                   LOCATION)
_TXT = items("Free-form texts (podcast:txt).", TXT)
_SOCIAL = items("Comment threads (podcast:socialInteract).", SOCIAL)
_IMAGES = items("Extra artwork in other shapes (podcast:image).", IMAGE)

SHOW_TAGS: dict[str, Field] = {
    "value": items("Value for value payments (podcast:value).", VALUE),
    "locations": _LOCATIONS,
    "trailers": items("Trailers of the show or a season (podcast:trailer).", TRAILER),
    "txt": _TXT,
    "podroll": items("Shows the podcaster recommends (podcast:podroll).", REMOTE_ITEM),
    "remoteItems": items("Feeds or items the show points to (podcast:remoteItem), e.g. a playlist's tracks.",
                         REMOTE_ITEM),
    "publisher": struct("The publisher feed the show belongs to (podcast:publisher).", **REMOTE_FIELDS),
    "updateFrequency": UPDATE_FREQUENCY,
    "socialInteract": _SOCIAL,
    "chat": CHAT,
    "images": _IMAGES,
    "blocks": items("Platforms that may not, or may, list the show (podcast:block); `private: true` blocks all.",
                    BLOCK),
}
EPISODE_TAGS: dict[str, Field] = {
    "value": items("Value for value payments for this episode (podcast:value), replacing the show's.", VALUE),
    "alternateEnclosures": items("Other versions of the audio (podcast:alternateEnclosure).", ALTERNATE),
    "soundbites": items("Highlights (podcast:soundbite).", SOUNDBITE),
    "locations": _LOCATIONS,
    "txt": _TXT,
    "socialInteract": _SOCIAL,
    "chat": CHAT,
    "images": _IMAGES,
}
