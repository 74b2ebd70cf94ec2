"""The fan-out's PostToConnection requests are the ones boto3 sends: same URL, same SigV4 signature."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gtvision.live.transport import Endpoint, Poster, Signer

NOW = dt.datetime(2026, 12, 7, 13, 45, 9)  # naive UTC, as botocore takes it


@pytest.mark.parametrize("token", [None, "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJ="])
@pytest.mark.parametrize("connection_id", ["L0SM9cOFvHcCIhw=", "a-b_c~d+e/f="])
def test_the_signature_equals_botocores_for_the_same_request(
    monkeypatch: pytest.MonkeyPatch, token: str | None, connection_id: str
) -> None:
    # Given credentials (with or without a session token), an endpoint and a frame
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    endpoint = Endpoint.parse("https://a1b2c3d4e5.execute-api.sa-east-1.amazonaws.com/live")
    body = '{"type": "alert", "data": {"plate": "ABC1D23", "nota": "ação"}}'.encode()
    path = endpoint.path_of(connection_id)

    # When both sign it at the same instant
    ours = Signer("sa-east-1", creds).headers(
        "POST", endpoint.netloc, path, body, now=NOW.replace(tzinfo=dt.UTC).timestamp()
    )
    request = AWSRequest(method="POST", url=f"https://{endpoint.netloc}{path}", data=body)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW)
    SigV4Auth(creds, "execute-api", "sa-east-1").add_auth(request)

    # Then the date, the token and the Authorization header (credential scope, signed headers, signature) match
    assert ours["X-Amz-Date"] == request.headers["X-Amz-Date"] == "20261207T134509Z"
    assert ours["Authorization"] == request.headers["Authorization"]
    assert ours.get("X-Amz-Security-Token") == request.headers.get("X-Amz-Security-Token")


def test_the_path_is_the_one_boto3_builds() -> None:
    # boto3 renders /@connections/{connectionId} with the id percent-encoded under the endpoint's stage path
    endpoint = Endpoint.parse("http://127.0.0.1:3002")
    assert endpoint.path_of("L0SM9cOFvHcCIhw=") == "/@connections/L0SM9cOFvHcCIhw%3D"
    staged = Endpoint.parse("https://x.execute-api.us-east-1.amazonaws.com/live/")
    assert (staged.netloc, staged.path_of("a/b")) == (
        "x.execute-api.us-east-1.amazonaws.com",
        "/live/@connections/a%2Fb",
    )
    with pytest.raises(ValueError):
        Endpoint.parse("wss://x.execute-api.us-east-1.amazonaws.com/live")


class _Endpoint:
    """A management endpoint that answers by connection id: `gone-*` 410, `flaky-*` 503 the first time, `busy-*`
    503 twice (both tries of a post), `drop-*` closes the connection without answering the first time, anything
    else 200; it keeps connections alive."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.connections = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                endpoint.connections += 1

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                cid = unquote(self.path.rsplit("/", 1)[1])
                n = endpoint.seen[cid] = endpoint.seen.get(cid, 0) + 1
                if cid.startswith("drop-") and n == 1:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                busy = (cid.startswith("flaky-") and n == 1) or (cid.startswith("busy-") and n <= 2)
                status = 410 if cid.startswith("gone-") else 503 if busy else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/live"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_many_posts_reuse_connections_report_gone_and_retry_what_failed() -> None:
    endpoint = _Endpoint()
    poster = Poster(endpoint.url, "us-east-1", posters=4, signer=Signer("us-east-1", Credentials("a", "b")))
    try:
        # Given 200 live connections, 5 gone, 5 answering 503 once, 3 twice and 5 whose first request is dropped
        ids = [f"ok-{i}" for i in range(200)] + [f"gone-{i}" for i in range(5)]
        ids += [f"flaky-{i}" for i in range(5)] + [f"drop-{i}" for i in range(5)] + [f"busy-{i}" for i in range(3)]
        # When one event is posted to all of them, twice
        first = poster.post_many([(cid, b"{}") for cid in ids])
        second = poster.post_many([(cid, b"{}") for cid in ids])
        # Then the gone ones say so, the others were delivered (the failed ones on another try), in order
        expected = ["gone" if cid.startswith("gone-") else "ok" for cid in ids]
        assert first == expected and second == expected
        assert endpoint.seen["ok-7"] == 2 and endpoint.seen["flaky-0"] == 3 and endpoint.seen["drop-0"] == 3
        assert endpoint.seen["busy-0"] == 4  # two tries, then the second pass, then the next event
        # and 440 requests took a handful of connections: kept alive and reused across the two events
        assert endpoint.connections <= 4 + 10, endpoint.connections
    finally:
        poster.close()
        endpoint.close()


class _Scripted:
    """A raw HTTP/1.1 endpoint answering each request by its connection id's prefix, byte for byte as written
    here, on connections it keeps open unless the answer ends them (`late-*`: no answer the first time); it
    records every request as received."""

    ANSWERS = {
        "plain": b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        "gone": b"HTTP/1.1 410 Gone\r\nContent-Type: application/json\r\nContent-Length: 17\r\n"
        b"x-amzn-ErrorType: GoneException\r\n\r\n" + b'{"message": null}',
        "chunked": b"HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: t\r\n\r\n",
        "continue": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 410 Gone\r\nContent-Length: 2\r\n\r\n{}",
        "closing": b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
        "old": b"HTTP/1.0 200 OK\r\n\r\nthe body ends with the connection",
        "denied": b"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\n{}",
        "garbage": b"SMTP ready\r\n\r\n",
    }

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.connections = 0
        self.waiting, self.released = threading.Event(), threading.Event()
        self.retried_while_waiting = False
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/live"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as reader:
            while line := reader.readline():
                target = line.decode().split()[1]
                headers = {}
                while (header := reader.readline()) not in (b"\r\n", b""):
                    name, _, value = header.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = reader.read(int(headers.get("content-length", 0)))
                self.requests.append((target, headers, body))
                kind = unquote(target.rsplit("/", 1)[1]).split("-")[0]
                if kind == "late" and sum(t == target for t, _, _ in self.requests) == 1:
                    self.waiting.set()  # the first time: no answer until the test ends (10 s at most)
                    self.released.wait(10)
                    self.waiting.clear()
                    return
                if kind == "late":
                    self.retried_while_waiting = self.waiting.is_set()
                answer = self.ANSWERS.get(kind, self.ANSWERS["plain"])
                conn.sendall(answer)
                if kind in ("closing", "old", "garbage"):
                    return

    def close(self) -> None:
        self.released.set()
        self.sock.close()


def test_each_answer_is_read_to_its_end_so_the_next_one_on_the_connection_is_its_own() -> None:
    endpoint = _Scripted()
    poster = Poster(endpoint.url, "us-east-1", posters=1, signer=Signer("us-east-1", Credentials("a", "b")))
    try:
        # Given answers framed every way HTTP/1.1 allows (length, chunks with extensions and trailers, an interim
        # 100, the connection's end), interleaved on one connection with plain ones
        kinds = ["chunked", "plain", "continue", "plain", "closing", "plain", "old", "plain", "denied", "plain"]
        ids = [f"{kind}-{i}" for i, kind in enumerate(kinds)]
        # When they are posted one after another by a single poster
        outcomes = poster.post_many([(cid, b"{}") for cid in ids])
        # Then each outcome is its own answer's (a misread answer would shift them)
        assert outcomes == ["ok", "ok", "gone", "ok", "ok", "ok", "ok", "ok", "failed", "ok"]
        # and one request each, nothing resent for a misread (the 403 gets the second pass only, once the rest is done)
        assert [unquote(t.rsplit("/", 1)[1]) for t, _, _ in endpoint.requests] == [*ids, "denied-8"]
        # and the connection was kept until an answer ended it (`Connection: close`, an HTTP/1.0 body)
        assert endpoint.connections == 3
    finally:
        poster.close()
        endpoint.close()


def test_a_garbled_or_late_answer_is_retried_on_a_fresh_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = _Scripted()
    monkeypatch.setattr("gtvision.live.transport.READ_TIMEOUT_S", 0.3)
    poster = Poster(endpoint.url, "us-east-1", posters=2, signer=Signer("us-east-1", Credentials("a", "b")))
    try:
        # Given an endpoint that answers one id with something that is not HTTP, and another one too late once
        outcomes = poster.post_many([("garbage-1", b"{}"), ("late-2", b"{}"), ("plain-3", b"{}")])
        # Then the garbled one failed after its tries (two now, two more in the second pass), the late one was
        # delivered on its second try, the plain one at once
        assert outcomes == ["failed", "ok", "ok"]
        sent = [t.rsplit("/", 1)[1] for t, _, _ in endpoint.requests]
        assert (sent.count("garbage-1"), sent.count("late-2"), sent.count("plain-3")) == (4, 2, 1)
        # and the late one's second try came while the first still had no answer (the read timed out)
        assert endpoint.retried_while_waiting
    finally:
        poster.close()
        endpoint.close()


@pytest.mark.parametrize("token", [None, "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJ="])
def test_the_requests_as_sent_carry_the_signature_botocore_computes_for_them(token: str | None) -> None:
    # Given a poster signing with known credentials for a staged endpoint
    endpoint = _Scripted()
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    poster = Poster(endpoint.url, "sa-east-1", posters=4, signer=Signer("sa-east-1", creds))
    frames = {"plain-L0SM9cOFvHcCIhw=": "ação".encode(), "plain-a/b+c~d=": b'{"type": "alert"}'}
    try:
        # When it posts a frame to each connection
        assert poster.post_many(list(frames.items())) == ["ok", "ok"]
    finally:
        poster.close()
        endpoint.close()
    # Then each request, as the endpoint received it, is the one boto3 sends (path under the stage, the body)
    # and its Authorization is botocore's signature of that very request (host, date and token as sent)
    assert len(endpoint.requests) == 2
    for target, headers, body in endpoint.requests:
        connection_id = unquote(target.removeprefix("/live/@connections/"))
        assert Endpoint.parse(endpoint.url).path_of(connection_id) == target and frames[connection_id] == body
        assert headers["content-length"] == str(len(body))
        request = AWSRequest(method="POST", url=f"http://{headers['host']}{target}", data=body)
        request.context["timestamp"] = headers["x-amz-date"]
        signer = SigV4Auth(creds, "execute-api", "sa-east-1")
        request.headers["X-Amz-Date"] = headers["x-amz-date"]
        if token:
            request.headers["X-Amz-Security-Token"] = token
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        assert headers["authorization"].endswith(f"Signature={expected}")
        assert headers.get("x-amz-security-token") == token
