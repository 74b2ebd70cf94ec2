"""Camera → MediaMTX node placement by free capacity (migration 0012).

A camera keeps its node while that node is active and not over capacity (moving a camera drops its live
stream for a moment); a camera without a node, or on a node taken out of service, goes to the active node with
the most free slots (ties: the node id, so placement is deterministic). With no node registered the single
MediaMTX of the settings serves every camera (local stack, small cities).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gtvision.core import db
from gtvision.core.errors import Unavailable
from gtvision.core.rows import rowtype
from gtvision.streams import store as nodes_dal
from gtvision.streams.mediamtx import MediaMTXClient
from gtvision.streams.schemas import MediaMTXNode

DEFAULT_CAPACITY = 200
NO_CAPACITY_MESSAGE = "Todos os servidores de vídeo ao vivo estão na capacidade máxima. Adicione um servidor MediaMTX."


@rowtype(slots=False)
class Node:
    id: str
    capacity: int
    active: bool = True


class NoCapacity(Unavailable):
    def __init__(self) -> None:
        super().__init__("mediamtx_full", NO_CAPACITY_MESSAGE)


def place(nodes: Iterable[Node], current: Mapping[str, str], cameras: Iterable[str]) -> dict[str, str]:
    """The node of each camera in ``cameras``, given the ``current`` assignment of every placed camera.

    Raises :class:`NoCapacity` when a camera needs a node and every active node is full.
    """
    active = {n.id: n for n in nodes if n.active}
    load = {node_id: 0 for node_id in active}
    result: dict[str, str] = {}
    wanted = list(dict.fromkeys(cameras))
    wanted_set = set(wanted)
    # Cameras already placed on an active node stay, up to its capacity (oldest first by input order).
    for camera, node_id in current.items():
        if node_id in active and load[node_id] < active[node_id].capacity:
            load[node_id] += 1
            if camera in wanted_set:
                result[camera] = node_id
    for camera in wanted:
        if camera in result:
            continue
        free = [(active[n].capacity - load[n], n) for n in active if load[n] < active[n].capacity]
        if not free:
            raise NoCapacity()
        _, node_id = min(free, key=lambda item: (-item[0], item[1]))
        load[node_id] += 1
        result[camera] = node_id
    return result


def rebalance(nodes: Iterable[Node], current: Mapping[str, str]) -> dict[str, str]:
    """Every placed camera's node after a change of nodes (removed/deactivated nodes' cameras move)."""
    node_list = list(nodes)
    return place(node_list, current, list(current))


# ---------------------------------------------------------------- database-backed


def nodes_of(camera_ids: list[str]) -> dict[str, MediaMTXNode] | None:
    """Each camera's node, placing cameras that have none; None when no node is registered (single MediaMTX)."""
    with db.transaction() as conn:
        if not nodes_dal.any_node(conn):
            return None
        rows = nodes_dal.lock_nodes(conn)  # serialises placements: two cameras never take the last slot
        current = nodes_dal.assignments(conn)
        placed = place([Node(r.id, r.capacity, r.active) for r in rows], current, camera_ids)
        for camera_id, node_id in placed.items():
            if current.get(camera_id) != node_id:
                nodes_dal.assign(conn, camera_id, node_id)
        by_id = {r.id: r for r in rows}
        return {camera_id: by_id[node_id] for camera_id, node_id in placed.items()}


def _client(node: MediaMTXNode | None) -> MediaMTXClient:
    if node is None:
        return MediaMTXClient.from_settings()
    from gtvision.core.settings import get_settings

    s = get_settings()
    return MediaMTXClient(
        node.api_url,
        node.hls_url,
        node.webrtc_url,
        node.rtsp_url,
        user=s.mediamtx_user or None,
        password=s.mediamtx_password or None,
    )


def client_for(camera_id: str) -> MediaMTXClient:
    """A MediaMTX client for the camera's node (its control API and its public URLs)."""
    nodes = nodes_of([camera_id])
    return _client(None if nodes is None else nodes[camera_id])


def urls_for(camera_ids: list[str]) -> dict[str, dict[str, str]]:
    """Viewer URLs of each camera on its node (placing cameras that have none yet), in one transaction."""
    nodes = nodes_of(camera_ids)
    return {cid: _client(None if nodes is None else nodes[cid]).urls(cid) for cid in camera_ids}


def register_node(node: Mapping[str, Any]) -> None:
    """Add a MediaMTX node to service, or update its URLs and capacity."""
    with db.transaction() as conn:
        nodes_dal.upsert(conn, node)


def retire_node(node_id: str) -> dict[str, str]:
    """Take ``node_id`` out of service and move its cameras; returns {camera_id: new node} of those moved.

    The moved cameras' MediaMTX paths must then be started on their new node (`POST .../stream/start`
    re-applies the path there); the old node's configs die with it.
    """
    with db.transaction() as conn:
        rows = nodes_dal.lock_nodes(conn)
        nodes_dal.deactivate(conn, node_id)
        current = nodes_dal.assignments(conn)
        nodes = [Node(r.id, r.capacity, r.active and r.id != node_id) for r in rows]
        moved = {c: n for c, n in rebalance(nodes, current).items() if current.get(c) != n}
        for camera_id, new_node in moved.items():
            nodes_dal.assign(conn, camera_id, new_node)
        return moved
