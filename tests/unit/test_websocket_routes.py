"""The local WebSocket gateway selects routes as API Gateway does (`$request.body.<key>`, else `$default`)."""

from __future__ import annotations

from typing import Any

import pytest

from gtvision_local.websocket import WebSocketGateway, new_connection_id
from gtvision_local.websocket_spec import WebSocketApiSpec, WebSocketRoute


@pytest.fixture()
def gateway() -> Any:
    routes = {
        key: WebSocketRoute(key, fn, key == "$default")
        for key, fn in (("$connect", "C"), ("$default", "D"), ("ping", "P"), ("$disconnect", "X"))
    }
    gw = WebSocketGateway(runtime=None, api=WebSocketApiSpec("Api", "$request.body.action", "live", routes))  # type: ignore[arg-type]
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
