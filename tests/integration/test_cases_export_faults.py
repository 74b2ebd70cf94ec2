"""Export faults: a camera's job lost, or its worker killed mid-cut → the reconciler re-queues it and the
package completes; a part out of retries → the export fails with a reason naming the camera."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from evidence_support import Workers, coded_segments, drain, iso, register, scratch, workers
from utils import World

from gtvision.core import db
from gtvision.exports import recovery, store

__all__ = ["scratch", "workers"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return coded_segments(str(tmp_path_factory.mktemp("faults")), 0, 1, 2.0)


@pytest.fixture()
def requested(world: World, files: list[str], workers: Workers) -> dict[str, Any]:
    """Given: an export of two cameras asked, its two part jobs queued (not yet run)."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    cams = [world.camera(), world.camera()]
    for cam in cams:
        register(cam, files, start, 2.0)
    case = world.api.call("POST", "/v1/cases", {"title": "Falhas", "category": "interno"}, world.manager_a).json()
    body = {"camera_ids": [c["id"] for c in cams], "start": iso(start), "end": iso(start + timedelta(seconds=2))}
    r = world.api.call("POST", f"/v1/cases/{case['id']}/exports", body, world.manager_a)
    assert r.status == 202, r.text
    return {"case": case, "export_id": r.json()["id"], "cameras": cams}


def status(world: World, req: dict[str, Any]) -> dict[str, Any]:
    path = f"/v1/cases/{req['case']['id']}/exports/{req['export_id']}"
    return dict(world.api.call("GET", path, token=world.manager_a).json())


def age(export_id: str, seconds: int) -> None:
    """As if the export's rows had waited `seconds` (the reconciler looks at updated_at and leases)."""
    with db.transaction() as conn:
        conn.execute(
            "UPDATE export_parts SET updated_at = updated_at - make_interval(secs => %s),"
            " lease_until = lease_until - make_interval(secs => %s) WHERE export_id = %s",
            (seconds, seconds, export_id),
        )


def test_a_lost_job_is_requeued_and_the_package_completes(
    world: World, requested: dict[str, Any], workers: Workers
) -> None:
    # Given both part jobs lost (the queue emptied before any worker took them)
    drain(workers.parts.queue.url)
    assert [f["status"] for f in status(world, requested)["files"]] == ["queued", "queued"]
    # When the reconciler runs once they are stale, then the workers
    age(requested["export_id"], 3600)
    result = recovery.reconcile()
    assert len([p for p in result.requeued_parts if p.startswith(requested["export_id"])]) == 2
    workers.run_until(lambda: status(world, requested)["status"] in ("ready", "failed"))
    # Then the package completes
    out = status(world, requested)
    assert out["status"] == "ready", out["error"]


def test_a_killed_worker_is_taken_over_and_a_part_out_of_retries_fails_the_export_with_a_reason(
    world: World, requested: dict[str, Any], workers: Workers
) -> None:
    export_id = requested["export_id"]
    first, second = (c["id"] for c in requested["cameras"])
    # Given camera 1's worker killed mid-cut (claimed, its message gone) and camera 2's part done
    drain(workers.parts.queue.url)
    with db.transaction() as conn:
        assert store.claim_part(conn, export_id, first, "00000000-0000-0000-0000-000000000001", 960)
    from gtvision.exports import worker

    assert worker.process_part(export_id, second, 120) == "ready"
    # When its lease runs out, the reconciler hands it to another worker and the package completes
    age(export_id, 3600)
    assert f"{export_id}/{first}" in recovery.reconcile().requeued_parts
    workers.run_until(lambda: status(world, requested)["status"] in ("ready", "failed"))
    assert status(world, requested)["status"] == "ready"


def test_a_part_that_keeps_dying_fails_the_export_naming_the_camera(
    world: World, requested: dict[str, Any], workers: Workers
) -> None:
    export_id = requested["export_id"]
    first = requested["cameras"][0]["id"]
    drain(workers.parts.queue.url)
    # Given camera 1's part claimed and killed on every one of its attempts
    for n in range(3):
        with db.transaction() as conn:
            conn.execute(
                "UPDATE export_parts SET status = 'queued' WHERE export_id = %s AND camera_id = %s", (export_id, first)
            )
            assert store.claim_part(conn, export_id, first, f"00000000-0000-0000-0000-00000000000{n + 1}", 960)
        age(export_id, 3600)
    # When the reconciler finds it out of budget
    result = recovery.reconcile()
    assert f"{export_id}/{first}" in result.failed_parts
    # Then, once the other camera's part is done, the export fails with a reason naming the camera
    workers.run_until(lambda: status(world, requested)["status"] in ("ready", "failed"))
    out = status(world, requested)
    assert out["status"] == "failed" and first in out["error"] and "interrompido" in out["error"]
    kinds = [
        e["kind"]
        for e in world.api.call("GET", f"/v1/cases/{requested['case']['id']}/custody", token=world.manager_a).json()[
            "items"
        ]
    ]
    assert "export.failed" in kinds
