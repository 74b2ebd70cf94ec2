"""A city is deleted only once retention has nothing left of it: retention finds data through its city."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from gtvision.core import db


def test_a_city_with_recordings_or_plate_reads_cannot_be_deleted(world) -> None:
    api = world.api
    # Given a city whose only camera recorded a segment and read a plate, and then was removed
    r = api.call(
        "POST", "/v1/cities", {"name": f"Itu {uuid.uuid4().hex[:6]}", "state": "SP", "retention_days": 7}, world.admin
    )
    assert r.status == 201, r.text
    city = r.json()["id"]
    camera = world.camera(token=world.admin, city=city)["id"]
    start = datetime.now(UTC) - timedelta(days=1)
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO segments (camera_id, city_id, start_at, end_at, duration_s, s3_key)"
            " VALUES (%s, %s, %s, %s, 2, %s)",
            (camera, city, start, start + timedelta(seconds=2), f"recordings/{camera}/x.ts"),
        )
        conn.execute(
            "INSERT INTO plate_reads (city_id, camera_id, event_id, plate, confidence, captured_at)"
            " VALUES (%s, %s, 'e1', 'ABC1D23', 0.9, %s)",
            (city, camera, start),
        )
    assert api.call("DELETE", f"/v1/cameras/{camera}", token=world.admin).status == 204

    # When the admin deletes the city, Then it is refused while the recording exists
    r = api.call("DELETE", f"/v1/cities/{city}", token=world.admin)
    assert r.status == 409 and r.json()["error"]["code"] == "city_has_recordings"

    # and while a plate read is not anonymised
    with db.transaction() as conn:
        conn.execute("DELETE FROM segments WHERE city_id = %s", (city,))
    assert api.call("DELETE", f"/v1/cities/{city}", token=world.admin).status == 409

    # and allowed once retention has deleted the recordings and anonymised the reads
    with db.transaction() as conn:
        conn.execute("UPDATE plate_reads SET anonymised_at = now() WHERE city_id = %s", (city,))
    assert api.call("DELETE", f"/v1/cities/{city}", token=world.admin).status == 204
    assert api.call("GET", f"/v1/cities/{city}", token=world.admin).status == 404
