"""The local WebSocket gateway selects routes as API Gateway does (`$request.body.<key>`, else `$default`), and
its `@connections` management endpoint, like AWS's, answers only SigV4-signed requests, on loopback only."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

import pytest

from gtvision_local.websocket import WebSocketGateway, new_connection_id
from gtvision_local.websocket_spec import WebSocketApiSpec, WebSocketRoute


@pytest.fixture()
def gateway() -> Any:
    routes = {
        key: WebSocketRoute(key, fn, key == "$default")
        for key, fn in (("$connect", "C"), ("$default", "D"), ("ping", "P"), ("$disconnect", "X"))
    }
    gw = WebSocketGateway(invoker=None, api=WebSocketApiSpec("Api", "$request.body.action", "live", routes))  # type: ignore[arg-type]
    yield gw
    gw.management.server_close()


@pytest.mark.parametrize(
    ("frame", "function"),
    [
        ('{"action": "ping"}', "P"),  # a declared route key
        ('{"action": "subscribe"}', "D"),  # no such route: $default
        ('{"action": "$connect"}', "D"),  # never a $ route from a message
        ('{"action": 7}', "D"),
        ("[1, 2]", "D"),
        ("not json", "D"),
        ("", "D"),
    ],
)
def test_route_selection(gateway: WebSocketGateway, frame: str, function: str) -> None:
    route = gateway.select_route(frame)
    assert route is not None and route.function_id == function


def test_connection_ids_look_like_api_gateway_ones() -> None:
    ids = {new_connection_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 16 and i.endswith("=") and "/" not in i and "+" not in i for i in ids)


class _NoFunctions:
    def invoke(self, logical_id: str, event: Any) -> Any:
        return {"statusCode": 200}


@pytest.fixture()
def serving() -> Any:
    """A started gateway (no routes: every connection is accepted) on free loopback ports."""
    gw = WebSocketGateway(_NoFunctions(), WebSocketApiSpec("Api", "$request.body.action", "live", {}))
    gw.start()
    yield gw
    gw.stop()


def _connected(gw: WebSocketGateway) -> tuple[Any, str]:
    from websockets.sync.client import connect

    client = connect(gw.url, open_timeout=10)
    deadline = time.monotonic() + 10
    while not gw.clients:
        assert time.monotonic() < deadline, "the connection never registered"
        time.sleep(0.02)
    return client, next(iter(gw.clients))


def test_management_posts_must_be_signed(serving: WebSocketGateway) -> None:
    import boto3

    client, connection_id = _connected(serving)
    with client:
        # When anyone posts to the connection without a signature, or signed with a key the stack does not know
        target = f"{serving.management_url}/@connections/{quote(connection_id, safe='')}"
        unsigned = urllib.request.Request(target, data=b'{"type": "alert"}', method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(unsigned, timeout=10)
        stranger = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=serving.management_url,
            region_name="us-east-1",
            aws_access_key_id="AKIASTRANGER",
            aws_secret_access_key="not-the-stacks",
        )
        with pytest.raises(stranger.exceptions.ForbiddenException):
            stranger.post_to_connection(ConnectionId=connection_id, Data=b'{"type": "forged"}')

        # Then both are a 403 and nothing reaches the client
        assert refused.value.code == 403
        assert refused.value.headers["x-amzn-ErrorType"] == "ForbiddenException"
        with pytest.raises(TimeoutError):
            client.recv(timeout=0.5)

        # While boto3 signing with the stack's credentials (as the notifier does) still delivers
        api = boto3.client("apigatewaymanagementapi", endpoint_url=serving.management_url, region_name="us-east-1")
        api.post_to_connection(ConnectionId=connection_id, Data=b'{"type": "hello"}')
        assert json.loads(client.recv(timeout=5)) == {"type": "hello"}
        assert api.get_connection(ConnectionId=connection_id)["Identity"]["SourceIp"] == "127.0.0.1"


def test_the_management_endpoint_listens_on_loopback_only() -> None:
    # Given a gateway whose socket is served on every interface
    gw = WebSocketGateway(_NoFunctions(), WebSocketApiSpec("Api", "$request.body.action", "live", {}), host="0.0.0.0")
    try:
        # Then its management endpoint is still on 127.0.0.1
        assert gw.management.server_address[0] == "127.0.0.1"
        assert gw.management_url.startswith("http://127.0.0.1:")
    finally:
        gw.management.server_close()


def _signed(method: str, gw: WebSocketGateway, target: str, body: bytes, *extra: str) -> bytes:
    """One request signed with the stack's credentials (as boto3 signs it), `extra` header lines added."""
    from botocore.credentials import Credentials

    from gtvision.live.transport import Signer

    host = gw.management_url.removeprefix("http://")
    signed = Signer("us-east-1", Credentials("test", "test")).headers(method, host, target, body)
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in signed.items()), *extra]
    return ("\r\n".join([*lines, f"Content-Length: {len(body)}", "", ""])).encode() + body


def _answer(reader: Any) -> tuple[int, dict[str, str], bytes]:
    """The next answer on a connection (status, headers lowercased, body by its length)."""
    status = int(reader.readline().split()[1])
    headers = {}
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, reader.read(int(headers.get("content-length", 0)))


def test_management_answers_requests_in_order_on_one_kept_alive_connection(serving: WebSocketGateway) -> None:
    import socket

    client, connection_id = _connected(serving)
    target = f"/live/@connections/{quote(connection_id, safe='')}"
    with client, socket.create_connection(serving.management.server_address, timeout=10) as raw:
        reader = raw.makefile("rb")
        # When a client sends three signed requests at once (a post, a post to a gone connection, a read),
        # then one that waits for `100 Continue`
        raw.sendall(
            _signed("POST", serving, target, b'{"n": 1}')
            + _signed("POST", serving, "/live/@connections/Z29uZS1jb25uLTE9", b'{"n": 2}')
            + _signed("GET", serving, target, b"")
        )
        answers = [_answer(reader) for _ in range(3)]
        raw.sendall(_signed("POST", serving, target, b'{"n": 3}', "Expect: 100-continue"))
        interim, final = _answer(reader), _answer(reader)

        # Then each is answered in turn on the same connection, as API Gateway answers them
        (posted, _, _), (gone, gone_headers, gone_body), (read, _, info) = answers
        assert (posted, gone, read) == (200, 410, 200)
        assert gone_headers["x-amzn-errortype"] == "GoneException" and json.loads(gone_body) == {"message": None}
        assert json.loads(info)["identity"]["sourceIp"] == "127.0.0.1"
        assert (interim[0], final[0]) == (100, 200)
        # and the client got both frames, in order
        assert [json.loads(client.recv(timeout=5)) for _ in range(2)] == [{"n": 1}, {"n": 3}]

        # When the next request asks to close, the answer says so and the connection ends
        raw.sendall(_signed("GET", serving, target, b"", "Connection: close"))
        status, headers, _ = _answer(reader)
        assert (status, headers["connection"]) == (200, "close") and reader.read() == b""


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"NONSENSE\r\n\r\n", 400),  # no request line
        (b"POST /@connections/x HTTP/1.1\r\nBroken header\r\n\r\n", 400),
        (b"POST /@connections/x HTTP/1.1\r\nContent-Length: many\r\n\r\n", 400),
        (b"POST /@connections/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
        (b"POST /@connections/x HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413),
        (b"POST /@connections/x HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (b"PUT /@connections/x HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 501),
        (b"POST /@connections/x HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 403),  # unsigned
    ],
)
def test_management_refuses_malformed_requests_with_an_answer(
    serving: WebSocketGateway, request_bytes: bytes, status: int
) -> None:
    import socket

    # When a request the endpoint cannot serve arrives
    with socket.create_connection(serving.management.server_address, timeout=10) as raw:
        raw.sendall(request_bytes)
        answer = _answer(raw.makefile("rb"))
    # Then it is answered with its status and a JSON message, never a dropped connection
    assert answer[0] == status and "message" in json.loads(answer[2])


def test_management_answers_404_off_the_connections_path_and_413_past_the_frame_limit(
    serving: WebSocketGateway,
) -> None:
    import socket

    with socket.create_connection(serving.management.server_address, timeout=10) as raw:
        reader = raw.makefile("rb")
        raw.sendall(_signed("POST", serving, "/live/other", b"{}"))
        not_found = _answer(reader)
        raw.sendall(_signed("POST", serving, "/@connections/abc", b"x" * (128 * 1024 + 1)))
        too_long = _answer(reader)
    assert (not_found[0], not_found[1]["x-amzn-errortype"]) == (404, "NotFoundException")
    assert (too_long[0], too_long[1]["x-amzn-errortype"]) == (413, "PayloadTooLargeException")
