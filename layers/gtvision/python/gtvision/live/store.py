"""Live events storage and transport: the `ws_connections` table, the events queue and the WebSocket
API's management endpoint (`PostToConnection` of a fan-out through `transport`, `DeleteConnection` through
boto3's client), the only SQL and AWS calls of the live events feature."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.config import Config

from gtvision.core.db import Conn
from gtvision.core.settings import get_settings
from gtvision.core.sql import columns, fetch_all, fetch_one
from gtvision.live import transport
from gtvision.live.schemas import Connection, Subscriber

_lock = threading.Lock()
#: boto3's clients are untyped (no stubs installed): one `apigatewaymanagementapi` client per endpoint.
_management: dict[str, Any] = {}


# ------------------------------------------------------------------------------------ connections


def insert_connection(
    conn: Conn,
    connection_id: str,
    user_id: str,
    username: str,
    role: str,
    city_id: str | None,
    session_id: str | None,
    allowed_camera_ids: list[str] | None,
) -> None:
    conn.execute(
        """INSERT INTO ws_connections
               (connection_id, user_id, username, role, city_id, session_id, allowed_camera_ids)
           VALUES (%s, %s, %s, %s, %s, %s, %s::uuid[])
           ON CONFLICT (connection_id) DO UPDATE SET user_id = EXCLUDED.user_id, username = EXCLUDED.username,
               role = EXCLUDED.role, city_id = EXCLUDED.city_id, session_id = EXCLUDED.session_id,
               allowed_camera_ids = EXCLUDED.allowed_camera_ids, topics = '{}', camera_ids = '{}'""",
        (connection_id, user_id, username, role, city_id, session_id, allowed_camera_ids),
    )


def set_allowed_cameras(conn: Conn, connection_id: str, allowed_camera_ids: list[str] | None) -> None:
    conn.execute(
        "UPDATE ws_connections SET allowed_camera_ids = %s::uuid[] WHERE connection_id = %s",
        (allowed_camera_ids, connection_id),
    )


def get_connection(conn: Conn, connection_id: str) -> Connection | None:
    return fetch_one(
        conn, Connection, f"SELECT {columns(Connection)} FROM ws_connections WHERE connection_id = %s", (connection_id,)
    )


def set_subscription(conn: Conn, connection_id: str, topics: list[str], camera_ids: list[str]) -> bool:
    cur = conn.execute(
        "UPDATE ws_connections SET topics = %s, camera_ids = %s::uuid[] WHERE connection_id = %s",
        (topics, camera_ids, connection_id),
    )
    return cur.rowcount == 1


def delete_connections(conn: Conn, connection_ids: list[str]) -> int:
    if not connection_ids:
        return 0
    cur = conn.execute("DELETE FROM ws_connections WHERE connection_id = ANY(%s)", (connection_ids,))
    return cur.rowcount


def take_connections(conn: Conn, *, user_id: str | None = None, session_id: str | None = None) -> list[str]:
    """Forget every connection of a user (or of one login session); returns their ids, to be closed."""
    column, value = ("user_id", user_id) if user_id is not None else ("session_id", session_id)
    if value is None:
        return []
    rows = conn.execute(f"DELETE FROM ws_connections WHERE {column} = %s RETURNING connection_id", (value,))
    return [str(r["connection_id"]) for r in rows.fetchall()]


def audience(conn: Conn, city_id: str) -> list[Subscriber]:
    """Every subscribed connection an event of the city may reach: the city's own and every admin's."""
    return fetch_all(
        conn,
        Subscriber,
        f"SELECT {columns(Subscriber)} FROM ws_connections"
        " WHERE (city_id = %s OR role = 'admin') AND topics <> '{}' ORDER BY connection_id",
        (city_id,),
    )


# ------------------------------------------------------------------------------------ transport


def management_client() -> Any:
    """The `apigatewaymanagementapi` client of the WebSocket API (endpoint from GTV_WS_MANAGEMENT_URL)."""
    settings = get_settings()
    endpoint = settings.ws_management_url
    if not endpoint:
        raise RuntimeError("GTV_WS_MANAGEMENT_URL is not set")
    with _lock:
        if endpoint not in _management:
            _management[endpoint] = boto3.client(
                "apigatewaymanagementapi",
                endpoint_url=endpoint,
                region_name=settings.aws_region,
                config=Config(
                    retries={"max_attempts": 2, "mode": "standard"},
                    connect_timeout=3,
                    read_timeout=5,
                    max_pool_connections=32,
                ),
            )
        return _management[endpoint]


def post_many(items: Sequence[tuple[str, bytes]]) -> list[transport.Outcome]:
    """PostToConnection of each `(connection_id, data)`, concurrently over kept-alive connections: `ok`,
    `gone` (410: the socket is gone) or `failed`, in order."""
    settings = get_settings()
    if not settings.ws_management_url:
        raise RuntimeError("GTV_WS_MANAGEMENT_URL is not set")
    return transport.poster(settings.ws_management_url, settings.aws_region).post_many(items)


def post_to_connection(connection_id: str, data: bytes) -> bool:
    """Send `data` to one connection through boto3's client; False when API Gateway says it is gone (410)."""
    client = management_client()
    try:
        client.post_to_connection(ConnectionId=connection_id, Data=data)
    except client.exceptions.GoneException:
        return False
    return True


def delete_connection(connection_id: str) -> bool:
    """Close one connection (`DeleteConnection`); False when it was already gone."""
    client = management_client()
    try:
        client.delete_connection(ConnectionId=connection_id)
    except client.exceptions.GoneException:
        return False
    return True
