"""Capability tokens: HMAC-SHA256 of public facts under PODOPS_SECRET, unguessable and stable."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import pytest

from podops import capability
from podops.errors import PodopsError

SECRET = b"k" * 40
GUID = "ccc94297acfc"
URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def test_a_token_is_the_hmac_of_the_show_guid_and_the_normalised_address() -> None:
    expected = hmac.new(SECRET, (GUID + "ada@example.org").encode(), hashlib.sha256).digest()
    token = capability.subscriber_token(SECRET, GUID, "  Ada@Example.ORG ")
    assert base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)) == expected[:capability.TOKEN_BYTES]


def test_tokens_carry_at_least_128_bits_in_url_safe_base64_without_padding() -> None:
    token = capability.subscriber_token(SECRET, GUID, "ada@example.org")
    assert URL_SAFE.match(token) and "=" not in token
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128
    assert len(token) == 32


def test_tokens_differ_per_address_per_show_and_per_secret() -> None:
    emails = [f"listener{i}@example.org" for i in range(200)]
    tokens = {capability.subscriber_token(SECRET, GUID, e) for e in emails}
    assert len(tokens) == len(emails)
    assert capability.subscriber_token(SECRET, "ddd94297acfc", emails[0]) not in tokens
    assert capability.subscriber_token(b"j" * 40, GUID, emails[0]) not in tokens
    prefix = capability.show_prefix(SECRET, GUID)
    assert prefix not in tokens and URL_SAFE.match(prefix) and len(prefix) == 32
    assert prefix != capability.show_prefix(SECRET, "ddd94297acfc")


def test_the_same_secret_always_gives_the_same_tokens() -> None:
    assert capability.subscriber_token(SECRET, GUID, "a@b.org") == capability.subscriber_token(SECRET, GUID, "A@B.org")
    assert capability.show_prefix(SECRET, GUID) == capability.show_prefix(bytes(SECRET), GUID)


def test_the_secret_comes_from_the_environment_and_must_be_long() -> None:
    assert capability.require_secret({"PODOPS_SECRET": "s" * 32}) == b"s" * 32
    with pytest.raises(PodopsError, match="PODOPS_SECRET is not set"):
        capability.require_secret({})
    with pytest.raises(PodopsError, match="PODOPS_SECRET is not set"):
        capability.require_secret({"PODOPS_SECRET": "   "})
    with pytest.raises(PodopsError, match="PODOPS_SECRET is too short"):
        capability.require_secret({"PODOPS_SECRET": "s" * 31})


def test_what_builds_remember_of_the_secret_is_keyed_and_not_the_secret() -> None:
    remembered = capability.secret_fingerprint(SECRET)
    assert remembered and SECRET.decode() not in remembered
    assert remembered != hashlib.sha256(SECRET).hexdigest()  # not a plain hash to look up
    assert remembered != capability.secret_fingerprint(b"j" * 40)
    assert capability.secret_fingerprint(None) is None
