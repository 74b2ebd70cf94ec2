"""HTTP Digest access authentication (RFC 7616) for cameras that push events: MD5 and SHA-256, qop=auth.

Nonces are stateless: ``base64url(issued_at || salt || HMAC(key, issued_at || salt || scope)[:16])`` — the server keeps
no table of them; a nonce is valid for its scope (the camera) until it expires, and an expired but
genuine nonce is answered with ``stale=true`` so the camera retries at once with a fresh one. What the
server does keep is each ``(nonce, nc)`` it accepted, until the nonce expires (``nonce_expiry``): with
``qop=auth`` the body is not signed, so a captured header must never be accepted twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import struct
import time
from collections.abc import Callable
from datetime import UTC, datetime

from gtvision.core.rows import rowtype

ALGORITHMS = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
NONCE_TTL_S = 300
_TAG_BYTES = 16
_SALT_BYTES = 8
_NC = re.compile(r"[0-9a-fA-F]{8}")
_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*(?:,|$)')


class DigestError(Exception):
    """Why a request was refused (logged, never sent to the client); `stale` asks for a fresh nonce."""

    def __init__(self, reason: str, *, stale: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.stale = stale


def _tag(key: bytes, head: bytes, scope: str) -> bytes:
    return hmac.new(key, head + scope.encode(), hashlib.sha256).digest()[:_TAG_BYTES]


def make_nonce(key: bytes, scope: str, now: float | None = None) -> str:
    """`issued_at (8 bytes) || salt (8) || tag (16)`, base64url: unique per challenge, verifiable without state."""
    head = struct.pack(">Q", int(now if now is not None else time.time())) + os.urandom(_SALT_BYTES)
    return base64.urlsafe_b64encode(head + _tag(key, head, scope)).decode().rstrip("=")


def check_nonce(key: bytes, scope: str, nonce: str, now: float | None = None, ttl_s: int = NONCE_TTL_S) -> None:
    """Raise DigestError unless `nonce` was made by us for `scope`; stale=True when it merely expired."""
    try:
        raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
    except (ValueError, TypeError):
        raise DigestError("nonce_malformed") from None
    head_len = 8 + _SALT_BYTES
    if len(raw) != head_len + _TAG_BYTES:
        raise DigestError("nonce_malformed")
    if not hmac.compare_digest(raw[head_len:], _tag(key, raw[:head_len], scope)):
        raise DigestError("nonce_forged")
    issued = struct.unpack(">Q", raw[:8])[0]
    age = (now if now is not None else time.time()) - issued
    if age > ttl_s or age < -60:
        raise DigestError("nonce_expired", stale=True)


def challenges(key: bytes, scope: str, realm: str, *, stale: bool = False, now: float | None = None) -> list[str]:
    """`WWW-Authenticate` values, strongest first (RFC 7616 §3.7: one challenge per algorithm)."""
    nonce = make_nonce(key, scope, now)
    opaque = hashlib.sha256(realm.encode()).hexdigest()[:32]
    tail = ", stale=true" if stale else ""
    return [
        f'Digest realm="{realm}", qop="auth", algorithm={alg}, nonce="{nonce}", opaque="{opaque}"{tail}'
        for alg in ("SHA-256", "MD5")
    ]


def parse_authorization(header: str | None) -> dict[str, str]:
    """The parameters of a `Digest` Authorization header (quoted-string escapes undone)."""
    if not header or not header[:7].lower() == "digest ":
        raise DigestError("not_digest")
    params: dict[str, str] = {}
    rest = header[7:]
    pos = 0
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if not m or m.end() == pos:
            raise DigestError("authorization_malformed")
        name, value = m.group(1).lower(), m.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[name] = value
        pos = m.end()
    return params


@rowtype(slots=False)
class Credentials:
    username: str
    password: str


@rowtype(slots=False)
class Verified:
    """An accepted Authorization: who, and the (nonce, nc) pair the caller records as used."""

    username: str
    nonce: str
    nc: str


def nonce_expiry(nonce: str, ttl_s: int = NONCE_TTL_S) -> datetime:
    """When a nonce made by `make_nonce` stops being accepted (its (nonce, nc) pairs may be forgotten then)."""
    raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
    return datetime.fromtimestamp(struct.unpack(">Q", raw[:8])[0] + ttl_s, UTC)


def _same(a: str, b: str) -> bool:
    """Constant-time equality of two header values, whatever characters they hold (compare_digest refuses
    non-ASCII str)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def expected_response(params: dict[str, str], password: str, method: str, algorithm: str) -> str:
    h = ALGORITHMS[algorithm]

    def hx(text: str) -> str:
        return h(text.encode()).hexdigest()

    ha1 = hx(f"{params['username']}:{params['realm']}:{password}")
    ha2 = hx(f"{method}:{params['uri']}")
    return hx(f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:{params['qop']}:{ha2}")


def verify(
    header: str | None,
    *,
    key: bytes,
    scope: str,
    realm: str,
    method: str,
    target: Callable[[str], bool],
    credentials: Credentials | None,
    now: float | None = None,
) -> Verified:
    """Check a Digest Authorization for `method` on the request-target `target` accepts (the camera signs the
    request-target it sent: behind a gateway stage prefix it still ends with our path); returns the username,
    raises DigestError. Returns who signed, with the (nonce, nc) pair to record as used.

    `credentials` None (unknown camera, none configured) still runs every check, so the answer does
    not tell a missing camera from a wrong password.
    """
    params = parse_authorization(header)
    for name in ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce"):
        if not params.get(name):
            raise DigestError(f"missing_{name}")
    if not _NC.fullmatch(params["nc"]):
        raise DigestError("nc_malformed")
    algorithm = params.get("algorithm", "MD5").upper()
    if algorithm not in ALGORITHMS:
        raise DigestError("unsupported_algorithm")
    if params["qop"] != "auth":
        raise DigestError("unsupported_qop")
    if params["realm"] != realm:
        raise DigestError("wrong_realm")
    if not target(params["uri"]):
        raise DigestError("wrong_uri")
    check_nonce(key, scope, params["nonce"], now)
    secret = credentials.password if credentials else "\x00"
    expected = expected_response(params, secret, method.upper(), "SHA-256" if algorithm == "SHA-256" else "MD5")
    user_ok = credentials is not None and _same(params["username"], credentials.username)
    if not (_same(expected, params["response"].lower()) and user_ok):
        raise DigestError("wrong_credentials")
    return Verified(params["username"], params["nonce"], params["nc"])
