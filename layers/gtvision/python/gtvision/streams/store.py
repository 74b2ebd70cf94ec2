"""SQL of the MediaMTX fleet: nodes and camera → node assignments (migration 0012)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gtvision.core.db import Conn
from gtvision.core.sql import columns, fetch_all
from gtvision.streams.schemas import MediaMTXNode


def any_node(conn: Conn) -> bool:
    """Whether any MediaMTX node is registered."""
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM mediamtx_nodes) AS e").fetchone()
    return bool(row and row["e"])


def lock_nodes(conn: Conn) -> list[MediaMTXNode]:
    """Every node, locked for the transaction (placements and node changes run one at a time)."""
    return fetch_all(conn, MediaMTXNode, f"SELECT {columns(MediaMTXNode)} FROM mediamtx_nodes ORDER BY id FOR UPDATE")


def assignments(conn: Conn) -> dict[str, str]:
    """camera_id → node_id of every camera placed on a MediaMTX node."""
    rows = conn.execute("SELECT camera_id, node_id FROM camera_nodes ORDER BY assigned_at, camera_id").fetchall()
    return {str(r["camera_id"]): str(r["node_id"]) for r in rows}


def assign(conn: Conn, camera_id: str, node_id: str) -> None:
    """Place a camera on a MediaMTX node (moving it if it was elsewhere)."""
    conn.execute(
        """INSERT INTO camera_nodes (camera_id, node_id) VALUES (%s, %s)
           ON CONFLICT (camera_id) DO UPDATE SET node_id = EXCLUDED.node_id, assigned_at = now()""",
        (camera_id, node_id),
    )


def upsert(conn: Conn, node: Mapping[str, Any]) -> None:
    """Insert a MediaMTX node, or update its URLs and capacity; it is active either way."""
    conn.execute(
        """INSERT INTO mediamtx_nodes (id, api_url, hls_url, webrtc_url, rtsp_url, capacity, active)
           VALUES (%(id)s, %(api_url)s, %(hls_url)s, %(webrtc_url)s, %(rtsp_url)s, %(capacity)s, true)
           ON CONFLICT (id) DO UPDATE SET api_url = EXCLUDED.api_url, hls_url = EXCLUDED.hls_url,
             webrtc_url = EXCLUDED.webrtc_url, rtsp_url = EXCLUDED.rtsp_url, capacity = EXCLUDED.capacity,
             active = true""",
        {"capacity": 200, **node},
    )


def deactivate(conn: Conn, node_id: str) -> None:
    """Take a MediaMTX node out of service (no new cameras go to it)."""
    conn.execute("UPDATE mediamtx_nodes SET active = false WHERE id = %s", (node_id,))


def counts(conn: Conn) -> dict[str, int]:
    """How many cameras each MediaMTX node holds."""
    rows = conn.execute("SELECT node_id, count(*) AS n FROM camera_nodes GROUP BY node_id").fetchall()
    return {str(r["node_id"]): int(r["n"]) for r in rows}
