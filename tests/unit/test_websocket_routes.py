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
