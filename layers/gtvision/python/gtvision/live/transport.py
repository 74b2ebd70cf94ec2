"""PostToConnection at fan-out speed: many posts of one event, concurrent, over kept-alive connections.

boto3's `post_to_connection` spends ~0.6 ms of CPU per call (parameter validation, serialization, a fresh SigV4
signing key, event hooks, response parsing): for 1,000 sockets that is most of the fan-out, under one GIL.
This sends the same signed request — the URL boto3 would build, SigV4 for `execute-api` with the credentials
botocore resolves, the derived signing key kept for the day — from a fixed set of threads, each on its own
persistent HTTP/1.1 connection (reused across events while the function is warm). ~0.1 ms of CPU per post.

`DeleteConnection` and everything else stay with boto3's client (`store`): they are rare.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import queue
import ssl
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlsplit

from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.session import get_session
from botocore.utils import normalize_url_path, percent_encode

Outcome = Literal["ok", "gone", "failed"]
ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "execute-api"
#: Concurrent posts (threads, each with its own kept-alive connection).
POSTERS = 32
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 5.0
#: Answers worth one more try on a fresh connection (throttled or the endpoint's own trouble).
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class Signer:
    """SigV4 as botocore's `SigV4Auth` signs an `execute-api` request (same canonical request, same
    signature), with the day's signing key derived once instead of on every request."""

    def __init__(self, region: str, credentials: Credentials | None = None) -> None:
        self.region = region
        self._credentials = credentials
        self._key: tuple[str, str, bytes] | None = None  # (day, secret key, derived key)

    def _frozen(self) -> ReadOnlyCredentials:
        credentials = self._credentials or get_session().get_credentials()
        if credentials is None:
            raise RuntimeError("no AWS credentials to sign PostToConnection with")
        self._credentials = credentials
        return credentials.get_frozen_credentials()  # refreshed by botocore when they expire

    def _signing_key(self, day: str, secret: str) -> bytes:
        if self._key is None or self._key[:2] != (day, secret):
            key = _hmac(f"AWS4{secret}".encode(), day)
            for part in (self.region, SERVICE, "aws4_request"):
                key = _hmac(key, part)
            self._key = (day, secret, key)
        return self._key[2]

    def headers(self, method: str, host: str, path: str, body: bytes, now: float | None = None) -> dict[str, str]:
        """The headers that sign `method host path` with `body` (`path` as sent, already percent-encoded)."""
        creds = self._frozen()
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
        day = stamp[:8]
        signed = {"host": host, "x-amz-date": stamp}
        if creds.token:
            signed["x-amz-security-token"] = creds.token
        names = ";".join(sorted(signed))
        canonical = "\n".join(
            [
                method,
                quote(normalize_url_path(path), safe="/~"),
                "",
                "".join(f"{k}:{signed[k]}\n" for k in sorted(signed)),
                names,
                hashlib.sha256(body).hexdigest(),
            ]
        )
        scope = f"{day}/{self.region}/{SERVICE}/aws4_request"
        to_sign = f"{ALGORITHM}\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self._signing_key(day, creds.secret_key), to_sign.encode(), hashlib.sha256).hexdigest()
        out = {
            "X-Amz-Date": stamp,
            "Authorization": f"{ALGORITHM} Credential={creds.access_key}/{scope}, "
            f"SignedHeaders={names}, Signature={signature}",
        }
        if creds.token:
            out["X-Amz-Security-Token"] = creds.token
        return out


@dataclass(frozen=True)
class Endpoint:
    """The management endpoint (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`, or the local one)."""

    scheme: str
    host: str
    port: int | None
    base_path: str

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"management endpoint is not an http(s) URL: {url!r}")
        return cls(parts.scheme, parts.hostname, parts.port, parts.path.rstrip("/"))

    @property
    def netloc(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def path_of(self, connection_id: str) -> str:
        """The request path boto3 builds for `/@connections/{connectionId}`."""
        return f"{self.base_path}/@connections/{percent_encode(connection_id)}"


class Poster:
    """Posts to many connections at once: `POSTERS` threads, each keeping its own connection alive."""

    def __init__(self, endpoint_url: str, region: str, posters: int = POSTERS, signer: Signer | None = None) -> None:
        self.endpoint = Endpoint.parse(endpoint_url)
        self.signer = signer or Signer(region)
        self.posters = posters
        self._idle: queue.LifoQueue[http.client.HTTPConnection] = queue.LifoQueue()
        self._pool = ThreadPoolExecutor(max_workers=posters, thread_name_prefix="live-post")
        self._tls = ssl.create_default_context() if self.endpoint.scheme == "https" else None

    def _open(self) -> http.client.HTTPConnection:
        e = self.endpoint
        if self._tls is not None:
            return http.client.HTTPSConnection(e.host, e.port, timeout=CONNECT_TIMEOUT_S, context=self._tls)
        return http.client.HTTPConnection(e.host, e.port, timeout=CONNECT_TIMEOUT_S)

    def _send(self, conn: http.client.HTTPConnection, connection_id: str, data: bytes) -> int:
        path = self.endpoint.path_of(connection_id)
        headers = self.signer.headers("POST", self.endpoint.netloc, path, data)
        conn.request("POST", path, body=data, headers={**headers, "Content-Type": "application/json"})
        if conn.sock is not None:
            conn.sock.settimeout(READ_TIMEOUT_S)
        resp = conn.getresponse()
        resp.read()  # drained, so the connection can carry the next request
        if resp.will_close:
            conn.close()
        return resp.status

    def post(self, connection_id: str, data: bytes) -> Outcome:
        """One PostToConnection: `ok`, `gone` (410: the socket is gone) or `failed` (after one retry)."""
        for attempt in (1, 2):
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._open()
            try:
                status = self._send(conn, connection_id, data)
            except (OSError, http.client.HTTPException):
                conn.close()  # a kept-alive connection the other end dropped, or a real failure: once more
                if attempt == 2:
                    return "failed"
                continue
            self._idle.put(conn)
            if status == 410:
                return "gone"
            if 200 <= status < 300:
                return "ok"
            if status not in _RETRY_STATUS or attempt == 2:
                return "failed"
        return "failed"

    def post_many(self, items: Sequence[tuple[str, bytes]]) -> list[Outcome]:
        """Every `(connection_id, data)` posted concurrently; the outcomes in the same order. Posts that failed
        (a burst the endpoint could not take, a dropped connection) get one more pass once the others are done."""
        if len(items) == 1:
            return [self.post(*items[0])]
        outcomes = list(self._pool.map(lambda item: self.post(*item), items))
        again = [i for i, o in enumerate(outcomes) if o == "failed"]
        if again:
            time.sleep(0.05)
            for i, outcome in zip(again, self._pool.map(lambda i: self.post(*items[i]), again), strict=True):
                outcomes[i] = outcome
        return outcomes

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


_lock = threading.Lock()
_posters: dict[tuple[str, str], Poster] = {}


def poster(endpoint_url: str, region: str) -> Poster:
    """The process's poster for an endpoint (its threads and connections outlive one invocation)."""
    with _lock:
        key = (endpoint_url, region)
        if key not in _posters:
            _posters[key] = Poster(endpoint_url, region)
        return _posters[key]


def reset() -> None:
    """Drop every kept connection and thread (a restored snapshot must not reuse sockets of another life)."""
    with _lock:
        for p in _posters.values():
            p.close()
        _posters.clear()
