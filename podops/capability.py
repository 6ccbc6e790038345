"""Capability URLs for private shows: paths only the holder of ``PODOPS_SECRET`` can derive.

Podcast apps cannot log in, so a private feed is protected by being unguessable (W3C TAG,
"Good Practices for Capability URLs"): each token is an HMAC-SHA256 of public facts under the
secret, truncated to 192 bits and written as URL-safe base64 without padding (RFC 4648 §5).
The same secret and list always give the same URLs; a new secret rotates all of them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping

from podops.errors import PodopsError

SECRET_VARIABLE = "PODOPS_SECRET"
MIN_SECRET_LENGTH = 32  # characters: a short secret would let one subscriber brute-force the others
TOKEN_BYTES = 24  # 192 bits (≥ 128 as the capability-URL practice asks), 32 base64url characters
# Output folder of everything private: one folder per show prefix and one per subscriber token.
# Seven letters, so no show (8–44 characters) can be named like it.
PRIVATE_FOLDER = "private"
GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def normalise_email(address: str) -> str:
    """The form addresses are compared and keyed in: no surrounding space, lower case."""
    return address.strip().lower()


def read_secret(environ: Mapping[str, str] | None = None) -> bytes | None:
    """``PODOPS_SECRET`` from the environment, or None when it is unset or empty."""
    value = (environ if environ is not None else os.environ).get(SECRET_VARIABLE, "")
    return value.encode() if value.strip() else None


def require_secret(environ: Mapping[str, str] | None = None) -> bytes:
    """The secret a private show needs; a clear error naming the variable when it is missing or weak."""
    secret = read_secret(environ)
    if secret is None:
        raise PodopsError(
            f"{SECRET_VARIABLE} is not set: a private show's feed URLs are derived from it. Set it to "
            f"at least {MIN_SECRET_LENGTH} random characters (e.g. `{GENERATE}`), kept as a CI secret, "
            "never in Git")
    if len(secret) < MIN_SECRET_LENGTH:
        raise PodopsError(
            f"{SECRET_VARIABLE} is too short ({len(secret)} characters): use at least "
            f"{MIN_SECRET_LENGTH} random characters (e.g. `{GENERATE}`)")
    return secret


def _token(secret: bytes, message: str) -> str:
    digest = hmac.new(secret, message.encode(), hashlib.sha256).digest()[:TOKEN_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def subscriber_token(secret: bytes, show_guid: str, email: str) -> str:
    """A subscriber's token: HMAC-SHA256(secret, show GUID + normalised e-mail)."""
    return _token(secret, show_guid + normalise_email(email))


def show_prefix(secret: bytes, show_guid: str) -> str:
    """A private show's shared folder for pages and media (no '@', so never a subscriber's token)."""
    return _token(secret, f"podops show prefix {show_guid}")


def secret_fingerprint(secret: bytes | None) -> str | None:
    """What incremental builds remember of the secret: a keyed hash that reveals nothing of it."""
    if secret is None:
        return None
    return hmac.new(secret, b"podops build fingerprint", hashlib.sha256).hexdigest()


def private_dir(prefix: str) -> str:
    """Output folder of a private show's pages and media."""
    return f"{PRIVATE_FOLDER}/{prefix}/"


def subscriber_dir(token: str) -> str:
    """Output folder of one subscriber's feed and subscribe page: revoking them removes exactly it."""
    return f"{PRIVATE_FOLDER}/{token}/"
