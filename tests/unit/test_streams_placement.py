"""Camera → MediaMTX node placement by capacity (pure function; the DB-backed path is in integration)."""

from __future__ import annotations

from collections import Counter

import pytest

from gtvision.streams.placement import NoCapacity, Node, place, rebalance


def test_1000_cameras_over_5_nodes_none_above_capacity() -> None:
    nodes = [Node(f"node-{i}", 200) for i in range(5)]
    cameras = [f"cam-{i:04d}" for i in range(1000)]
    placed = place(nodes, {}, cameras)
    assert set(placed) == set(cameras)
    assert Counter(placed.values()) == {f"node-{i}": 200 for i in range(5)}
    with pytest.raises(NoCapacity):
        place(nodes, placed, ["cam-1000"])


def test_a_removed_node_moves_its_cameras_and_only_those() -> None:
    nodes = [Node(f"node-{i}", 250) for i in range(5)]
    placed = place(nodes, {}, [f"cam-{i:04d}" for i in range(1000)])
    assert max(Counter(placed.values()).values()) <= 250
    survivors = [Node(n.id, n.capacity, n.id != "node-2") for n in nodes]
    after = rebalance(survivors, placed)
    load = Counter(after.values())
    assert "node-2" not in load and max(load.values()) <= 250 and sum(load.values()) == 1000
    moved = {c for c in after if after[c] != placed[c]}
    assert moved == {c for c, n in placed.items() if n == "node-2"}


def test_new_cameras_go_to_the_emptiest_node_and_placed_ones_stay() -> None:
    nodes = [Node("a", 10), Node("b", 10)]
    assert place(nodes, {"x": "a", "y": "a"}, ["x", "z"]) == {"x": "a", "z": "b"}
    assert place([Node("a", 10, active=False), Node("b", 1)], {"x": "a"}, ["x"]) == {"x": "b"}
