"""A MediaMTX restart forgets every path added through its control API: the health poll re-adds the path of
each camera that should stream (with backoff and a log line) and the cameras recover without a manager.

The stand-in (`PathsMediaMTX`, validated against MediaMTX's OpenAPI) forgets its paths on `restart()`, pulls a
path's source as soon as it is added (`pull_on_add`) and can refuse adds for a while (`refuse_adds`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from mediamtx_standin import PathsMediaMTX, spec  # noqa: F401 - fixture reused as it is
from test_health_poll import _metrics, _open_alerts, _poll, _start, mtx, world  # noqa: F401 - fixtures reused


def test_paths_forgotten_by_a_restart_are_re_added_and_the_cameras_recover(
    world: Any,  # noqa: F811
    mtx: PathsMediaMTX,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given two cameras a manager started (one with credentials), live in MediaMTX
    cams = _start(world, 2)
    sources = {cam: mtx.confs[cam]["source"] for cam in cams}
    for cam in cams:
        mtx.stream(cam)
    _poll(mtx, 60)
    assert {_metrics(world, cam, mtx)["status"] for cam in cams} == {"online"}

    # When MediaMTX restarts (every path added through its API is gone) and the poll runs
    mtx.restart()
    mtx.pull_on_add = True
    caplog.clear()
    report = _poll(mtx, 60)

    # Then the cameras are seen offline, and their paths are added again with the same source and recording
    assert report.paths_readded >= 2 and report.paths_readd_failed == 0  # (other tests' cameras are polled too)
    assert set(cams) <= set(mtx.adds())
    for cam in cams:
        assert mtx.confs[cam]["source"] == sources[cam] and mtx.confs[cam]["record"] is True
        assert _metrics(world, cam, mtx)["status"] == "offline"
    # with a log line per camera (and no credential in it)
    readded = [r for r in caplog.records if r.getMessage() == "mediamtx path missing: re-added"]
    assert set(cams) <= {getattr(r, "camera_id", "") for r in readded}
    assert all("s3nh" not in json.dumps(r.__dict__, default=str) for r in caplog.records)

    # When the next poll runs, Then they are online again and their offline incidents are resolved
    # (other tests' cameras may still be re-added on their own back-off: only these cameras are counted)
    adds = [a for a in mtx.adds() if a in cams]
    _poll(mtx, 60)
    assert [a for a in mtx.adds() if a in cams] == adds, "a path MediaMTX lists again is not added twice"
    for cam in cams:
        assert _metrics(world, cam, mtx)["status"] == "online"
        assert _open_alerts(world, "camera_offline", cam) == []


def test_re_adds_back_off_while_mediamtx_refuses_them(world: Any, mtx: PathsMediaMTX) -> None:  # noqa: F811
    # Given a started, live camera, and a MediaMTX that restarted and refuses new paths for a while
    (cam,) = _start(world)
    mtx.stream(cam)
    _poll(mtx, 60)
    mtx.restart()
    mtx.refuse_adds = True

    # When the poll runs every minute for eight minutes
    tried_at: list[int] = []
    for minute in range(1, 9):
        before = mtx.adds().count(cam)  # (other tests' started cameras are polled too)
        report = _poll(mtx, 60)
        if mtx.adds().count(cam) > before:
            tried_at.append(minute)
            assert report.paths_readd_failed >= 1

    # Then the re-adds back off (1, 2, 4 minutes...) instead of hammering MediaMTX every poll
    assert tried_at == [1, 2, 4, 8]

    # When MediaMTX accepts paths again, Then the next due try re-adds it and the camera recovers
    mtx.refuse_adds = False
    mtx.pull_on_add = True
    for _ in range(8):
        _poll(mtx, 60)
        if cam in mtx.confs:
            break
    _poll(mtx, 60)
    assert _metrics(world, cam, mtx)["status"] == "online"
    assert _open_alerts(world, "camera_offline", cam) == []
