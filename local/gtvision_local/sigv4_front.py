"""A checking front for the local AWS emulator: every request must carry a valid AWS SigV4 signature.

moto (server mode, no IAM) accepts any request — a presigned URL with its signature zeroed, its path swapped
to another city's object, or its query string copied onto a bucket listing or a DELETE — so URL scoping could
not be tested locally. This front sits on the emulator's public port, verifies each request the way S3/SQS/SNS
do (header `Authorization: AWS4-HMAC-SHA256 …` or presigned `X-Amz-*` query parameters, with expiry) against
the local credentials, and forwards only valid requests to moto unchanged. Anything else gets 403 with an
S3-style XML error. CORS preflights (OPTIONS, which browsers never sign) pass through. With an
:class:`~gtvision_local.emulator_state.EmulatorState`, what moto accepted is written to disk before the client
hears of it (ADR 0023).

Not verified: the body against `x-amz-content-sha256` (integrity, not authorization; aws-chunked uploads carry
their own trailers) and header-signed requests' clock skew.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from botocore.utils import normalize_url_path

from .logs import log

if TYPE_CHECKING:
    from .emulator_state import EmulatorState

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED = "UNSIGNED-PAYLOAD"
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600  # S3's own limit
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class SignatureRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def env_credentials() -> dict[str, str]:
    """Access key → secret of the local stack (the same env the functions sign with)."""
    return {os.environ.get("AWS_ACCESS_KEY_ID", "test"): os.environ.get("AWS_SECRET_ACCESS_KEY", "test")}


def _q(value: str) -> str:
    return quote(value, safe="-_.~")


def _canonical_query(raw_query: str, drop: str | None = None) -> str:
    pairs = []
    for part in raw_query.split("&") if raw_query else []:
        key, _, value = part.partition("=")
        key, value = _q(unquote(key)), _q(unquote(value))
        if drop is not None and key == drop:
            continue
        pairs.append((key, value))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _query_params(raw_query: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in raw_query.split("&") if raw_query else []:
        key, _, value = part.partition("=")
        out[unquote(key)] = unquote(value)
    return out


@lru_cache(maxsize=64)
def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    """The day's key (kept: a fan-out checks a thousand signatures of one day, region and service)."""
    key = hmac.new(f"AWS4{secret}".encode(), day.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def verify(
    method: str,
    raw_target: str,
    headers: Callable[[str], list[str]],
    body: bytes,
    credentials: dict[str, str],
    now: datetime | None = None,
) -> str:
    """The service the request is signed for, when it is signed with known credentials (and a presigned one is
    unexpired); raise SignatureRefused otherwise. `headers(name)` gives every value of a header (case-insensitive)."""
    parts = urlsplit(raw_target)
    params = _query_params(parts.query)
    authorization = (headers("authorization") or [""])[0]
    if params.get("X-Amz-Algorithm"):
        if params["X-Amz-Algorithm"] != ALGORITHM:
            raise SignatureRefused("AuthorizationQueryParametersError", "unsupported algorithm")
        credential, signed, signature = (
            params.get("X-Amz-Credential", ""),
            params.get("X-Amz-SignedHeaders", ""),
            (params.get("X-Amz-Signature", "")),
        )
        amz_date = params.get("X-Amz-Date", "")
        try:
            signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            expires = int(params.get("X-Amz-Expires", ""))
        except ValueError:
            raise SignatureRefused("AuthorizationQueryParametersError", "bad X-Amz-Date or X-Amz-Expires") from None
        if not 0 < expires <= MAX_PRESIGN_EXPIRES:
            raise SignatureRefused("AuthorizationQueryParametersError", "X-Amz-Expires out of range")
        if (now or datetime.now(UTC)) > signed_at + timedelta(seconds=expires):
            raise SignatureRefused("AccessDenied", "Request has expired")
        query = _canonical_query(parts.query, drop="X-Amz-Signature")
        payload = UNSIGNED
    elif authorization.startswith(ALGORITHM + " "):
        fields = dict(item.strip().partition("=")[::2] for item in authorization[len(ALGORITHM) + 1 :].split(","))
        credential, signed, signature = (
            fields.get("Credential", ""),
            fields.get("SignedHeaders", ""),
            (fields.get("Signature", "")),
        )
        amz_date = (headers("x-amz-date") or [""])[0]
        query = _canonical_query(parts.query)
        payload = (headers("x-amz-content-sha256") or [hashlib.sha256(body).hexdigest()])[0]
    else:
        raise SignatureRefused("AccessDenied", "Anonymous access is not allowed")
    scope = credential.split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not amz_date.startswith(scope[1]):
        raise SignatureRefused("AuthorizationQueryParametersError", "malformed credential scope")
    access_key, day, region, service = scope[:4]
    secret = credentials.get(access_key)
    if secret is None:
        raise SignatureRefused("InvalidAccessKeyId", "The AWS access key Id you provided does not exist")
    names = [n for n in signed.split(";") if n]
    if "host" not in names:
        raise SignatureRefused("AccessDenied", "the host header must be signed")
    canonical_headers = "".join(f"{n}:{','.join(' '.join(v.split()) for v in headers(n))}\n" for n in names)
    path = parts.path if service == "s3" else quote(normalize_url_path(parts.path), safe="/~")
    canonical = "\n".join([method.upper(), path, query, canonical_headers, signed, payload])
    to_sign = "\n".join([ALGORITHM, amz_date, "/".join(scope[1:]), hashlib.sha256(canonical.encode()).hexdigest()])
    expected = hmac.new(_signing_key(secret, day, region, service), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise SignatureRefused(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    return service


def _error(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    ).encode()


class SigV4Front:
    """`ThreadingHTTPServer` on (host, port) that verifies and forwards to the emulator at `upstream`."""

    def __init__(
        self,
        host: str,
        port: int,
        upstream: str,
        credentials: Callable[[], dict[str, str]] = env_credentials,
        state: EmulatorState | None = None,
    ) -> None:
        self.upstream = urlsplit(upstream)
        self.credentials = credentials
        self.state = state
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SigV4Front:
        self._thread = threading.Thread(target=self.server.serve_forever, name="sigv4-front", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    self.rfile.readline()
                    return b"".join(chunks)
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                length = str(len(body))
                for name, value in headers:
                    if name.lower() == "content-length" and self.command == "HEAD":
                        length = value  # a HEAD answer states the size of what a GET would return
                    elif name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", length)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _serve(self) -> None:
                body = self._body()
                service = ""
                if self.command != "OPTIONS":
                    try:
                        service = verify(
                            self.command,
                            self.path,
                            lambda name: self.headers.get_all(name) or [],
                            body,
                            front.credentials(),
                        )
                    except SignatureRefused as refused:
                        self._reply(403, [("Content-Type", "application/xml")], _error(refused.code, refused.message))
                        return
                upstream = front.upstream
                conn = http.client.HTTPConnection(upstream.hostname or "127.0.0.1", upstream.port, timeout=60)
                try:
                    headers = {
                        k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP | {"content-length"}
                    }
                    headers["Content-Length"] = str(len(body))
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    payload = resp.read()
                finally:
                    conn.close()
                if front.state is not None and 200 <= resp.status < 300:
                    try:
                        front.state.record(self.command, self.path, service, body)
                    except Exception as exc:  # noqa: BLE001 - never acknowledge what is not on disk
                        log.exception("emulator state not written for %s %s", self.command, self.path)
                        error = _error("InternalError", f"estado não gravado em disco: {exc}")
                        self._reply(500, [("Content-Type", "application/xml")], error)
                        return
                self._reply(resp.status, resp.getheaders(), payload)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                pass

        return Handler
