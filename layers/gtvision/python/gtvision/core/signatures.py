"""LPR webhook signatures: ``X-GTV-Signature: t={unix_seconds},v1={hex}``.

``v1 = hex(HMAC-SHA256(secret, f"{t}." + raw_body))``. Binding the timestamp into the MAC and
refusing old ones stops replays; several ``v1`` entries and several secrets are accepted so a
camera's secret can be rotated with an overlap period (current and previous both listed).
"""

from __future__ import annotations

import hashlib
import hmac
import re

# Bounds parsing work on hostile input; a real header is ~80 characters.
_MAX_HEADER_LEN = 1024
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


class SignatureError(Exception):
    """Signature refused; ``reason`` is one of missing, malformed, stale, future, mismatch."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _mac(secret: str, body: bytes, t: int) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, t: int) -> str:
    """Header value for ``body`` signed with ``secret`` at unix time ``t``."""
    return f"t={t},v1={_mac(secret, body, t)}"


def _parse(header: str) -> tuple[int, list[str]]:
    if len(header) > _MAX_HEADER_LEN:
        raise SignatureError("malformed")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed")
        if key == "t":
            # A second t would make the signed timestamp ambiguous.
            if timestamp is not None or not _TIMESTAMP.fullmatch(value):
                raise SignatureError("malformed")
            timestamp = int(value)
        elif key == "v1":
            if not _HEX_SHA256.fullmatch(value.lower()):
                raise SignatureError("malformed")
            signatures.append(value.lower())
        # Other schemes (v0, future v2) are ignored, not errors, so clients can send extras.
    if timestamp is None or not signatures:
        raise SignatureError("malformed")
    return timestamp, signatures


def verify(
    header: str | None,
    body: bytes,
    secrets: list[str],
    now: float,
    tolerance: int = 300,
    future_skew: int = 30,
) -> None:
    """Return if ``header`` signs ``body`` with one of ``secrets`` within the time window.

    Raises ``SignatureError`` otherwise (the caller answers 401). Every secret/signature pair
    is compared with ``hmac.compare_digest`` without an early exit, so timing does not reveal
    which secret matched.
    """
    if header is None or not header.strip():
        raise SignatureError("missing")
    timestamp, signatures = _parse(header)
    if now - timestamp > tolerance:
        raise SignatureError("stale")
    if timestamp - now > future_skew:
        raise SignatureError("future")
    matched = False
    for secret in secrets:
        expected = _mac(secret, body, timestamp)
        for candidate in signatures:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("mismatch")
