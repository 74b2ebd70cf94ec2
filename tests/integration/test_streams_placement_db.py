"""Placement through PostgreSQL (migration 0012): 1,000 cameras of a city over 5 MediaMTX nodes, one retired."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from gtvision.core import db
from gtvision.streams import placement
from gtvision.streams.placement import NoCapacity


@pytest.fixture
def thousand_cameras(stack: dict[str, str]) -> Iterator[list[str]]:
    city = str(uuid.uuid4())
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO cities (id, name, state, retention_days) VALUES (%s, %s, 'SP', 7)",
            (city, f"Placement {city[:8]}"),
        )
        rows = conn.execute(
            """INSERT INTO cameras (city_id, name, source_url)
               SELECT %s, 'cam ' || g, 'rtsp://192.0.2.1/' || g FROM generate_series(1, 1000) g RETURNING id""",
            (city,),
        ).fetchall()
    try:
        yield [str(r["id"]) for r in rows]
    finally:
        with db.transaction() as conn:
            conn.execute("DELETE FROM camera_nodes")
            conn.execute("DELETE FROM mediamtx_nodes")
            conn.execute("DELETE FROM cameras WHERE city_id = %s", (city,))
            conn.execute("DELETE FROM cities WHERE id = %s", (city,))


def _node(i: int, capacity: int) -> dict[str, object]:
    host = f"mtx-{i}.example.gov.br"
    return {
        "id": f"node-{i}",
        "api_url": f"http://{host}:9997",
        "hls_url": f"https://{host}:8888",
        "webrtc_url": f"https://{host}:8889",
        "rtsp_url": f"rtsps://{host}:8322",
        "capacity": capacity,
    }


def _loads() -> dict[str, int]:
    from gtvision.streams import store as mediamtx_nodes

    with db.transaction() as conn:
        return mediamtx_nodes.counts(conn)


def test_thousand_cameras_fit_five_nodes_and_move_when_one_retires(thousand_cameras: list[str]) -> None:
    assert placement.nodes_of(thousand_cameras[:1]) is None  # no node registered: the settings' MediaMTX
    for i in range(5):
        placement.register_node(_node(i, 250))
    urls = placement.urls_for(thousand_cameras)
    loads = _loads()
    assert sum(loads.values()) == 1000 and max(loads.values()) <= 250 and len(loads) == 5
    # The API hands out the camera's own node's URLs.
    nodes = placement.nodes_of(thousand_cameras)
    assert nodes is not None
    cam = thousand_cameras[0]
    assert urls[cam]["hls"] == f"{nodes[cam].hls_url}/{cam}/index.m3u8"
    assert placement.client_for(cam).api_url == nodes[cam].api_url

    on_node_2 = {c for c, n in nodes.items() if n.id == "node-2"}
    moved = placement.retire_node("node-2")
    assert set(moved) == on_node_2 and "node-2" not in moved.values()
    loads = _loads()
    assert loads.get("node-2", 0) == 0 and max(loads.values()) <= 250 and sum(loads.values()) == 1000
    # Full now (4 x 250): retiring another node has nowhere to put its cameras — refused, nothing changed.
    with pytest.raises(NoCapacity):
        placement.retire_node("node-3")
    assert _loads() == loads
    assert placement.nodes_of([cam])[cam].active
