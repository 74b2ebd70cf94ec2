"""Retention against a real PostgreSQL and a real (moto) S3: expiry, holds, re-runs, crashes, plans, schedule."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

SEG = timedelta(seconds=4)


@dataclass
class Recorded:
    camera_id: str
    city_id: str
    starts: list[datetime]


def _db(url: str) -> psycopg.Connection[dict[str, Any]]:
    return psycopg.connect(url, row_factory=dict_row)


def _s3() -> Any:
    from gtvision.core import aws

    return aws.client("s3")


def _bucket() -> str:
    from gtvision.core.settings import get_settings

    return get_settings().recordings_bucket


def record(camera_id: str, city_id: str, starts: list[datetime]) -> Recorded:
    """Given: segments as the upload function leaves them — recording + thumbnail objects and one row each."""
    from gtvision.core import db
    from gtvision.recordings import store as segments

    s3 = _s3()
    for start in starts:
        stamp = start.strftime("%Y-%m-%d_%H-%M-%S-%f")
        key, thumb = f"recordings/{camera_id}/{stamp}.mp4", f"thumbnails/{camera_id}/{stamp}.jpg"
        s3.put_object(Bucket=_bucket(), Key=key, Body=b"\x00\x00\x00\x18ftypisom" + start.isoformat().encode())
        s3.put_object(Bucket=_bucket(), Key=thumb, Body=b"\xff\xd8\xff\xe0jpeg")
        with db.transaction() as conn:
            segments.insert(
                conn,
                {
                    "camera_id": camera_id,
                    "city_id": city_id,
                    "start_at": start,
                    "end_at": start + SEG,
                    "duration_s": SEG.total_seconds(),
                    "s3_key": key,
                    "thumb_key": thumb,
                    "size_bytes": 100,
                    "container": "mp4",
                    "video_codec": "h264",
                    "width": 320,
                    "height": 180,
                },
            )
    return Recorded(camera_id, city_id, starts)


def objects_of(camera_id: str) -> set[str]:
    s3, keys = _s3(), set()
    for prefix in (f"recordings/{camera_id}/", f"thumbnails/{camera_id}/"):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=_bucket(), Prefix=prefix):
            keys |= {o["Key"] for o in page.get("Contents", [])}
    return keys


def rows_of(database_url: str, camera_id: str) -> list[dict[str, Any]]:
    with _db(database_url) as conn:
        return conn.execute(
            "SELECT start_at, s3_key, thumb_key FROM segments WHERE camera_id = %s ORDER BY start_at", (camera_id,)
        ).fetchall()


def keys_of_rows(rows: list[dict[str, Any]]) -> set[str]:
    return {k for r in rows for k in (r["s3_key"], r["thumb_key"]) if k}


def consistent(database_url: str, camera_id: str) -> bool:
    """No row without its objects, no object without its row."""
    return keys_of_rows(rows_of(database_url, camera_id)) == objects_of(camera_id)


def retention_days(api, world, city: str, days: int) -> None:
    r = api.call("PATCH", f"/v1/cities/{city}", {"retention_days": days}, world.admin)
    assert r.status == 200, r.text


def run(**kw: Any) -> Any:
    from gtvision.retention import service as retention

    return retention.run(**kw)


def hold_clip(database_url: str, rec: Recorded, starts: list[datetime]) -> str:
    """Given a held clip cut from `starts` of a recording (as the clips worker records it)."""
    with _db(database_url) as conn:
        clip = conn.execute(
            "INSERT INTO clips (camera_id, city_id, start_at, end_at, status, held, hold_reason, held_at)"
            " VALUES (%s, %s, %s, %s, 'ready', true, 'inquérito 123/2026', now()) RETURNING id",
            (rec.camera_id, rec.city_id, starts[0], starts[-1] + SEG),
        ).fetchone()
        assert clip is not None
        for s in starts:
            conn.execute(
                "INSERT INTO clip_segments (clip_id, camera_id, segment_start) VALUES (%s, %s, %s)",
                (clip["id"], rec.camera_id, s),
            )
    return str(clip["id"])


def row_phase_day(now: datetime, retention: int) -> list[datetime]:
    """Starts that are expired for `retention` days but sit in a day partition too young to drop whole."""
    cutoff = now - timedelta(days=retention)
    day0 = cutoff.replace(hour=0, minute=0, second=0, microsecond=0)
    return [max(day0, cutoff - timedelta(hours=2)) + i * SEG for i in range(3)]


@pytest.fixture()
def anchor(world, stack):
    """A 30-day city whose young rows share the old day partitions, so those days can't be dropped whole."""
    retention_days(world.api, world, world.city_b, 30)
    cam = world.camera(token=world.manager_b, city=world.city_b)
    now = datetime.now(UTC)
    starts = sorted(
        {(now - timedelta(days=d)).replace(hour=23, minute=59, second=0, microsecond=0) for d in range(6, 10)}
    )
    return record(cam["id"], world.city_b, [s for s in starts if s < now])


# ---------------------------------------------------------------- expiry


def test_expired_segments_vanish_from_storage_timeline_and_playback(world, api, stack, database_url, anchor):
    from gtvision.core import db
    from gtvision.recordings import store as segments

    now = datetime.now(UTC)
    cam = world.camera()
    old = record(cam["id"], world.city_a, row_phase_day(now, 7))
    young = record(cam["id"], world.city_a, [now - timedelta(hours=1)])
    assert len(objects_of(cam["id"])) == 8

    report = run()

    assert report.segments_deleted >= 3
    assert report.cities[world.city_a].segments_deleted == 3
    assert objects_of(cam["id"]) == keys_of_rows(rows_of(database_url, cam["id"]))
    assert [r["start_at"] for r in rows_of(database_url, cam["id"])] == young.starts
    with db.transaction() as conn:
        span = (old.starts[0] - timedelta(minutes=1), old.starts[-1] + timedelta(minutes=1))
        assert segments.in_range(conn, cam["id"], *span) == []
        assert segments.timeline(conn, cam["id"], *span).segments == 0
    if "/v1/cameras/{camera_id}/playback.m3u8" in api.app.routes:
        iso = [t.isoformat().replace("+00:00", "Z") for t in span]
        r = api.call(
            "GET", f"/v1/cameras/{cam['id']}/playback.m3u8", token=world.viewer_a, query={"from": iso[0], "to": iso[1]}
        )
        assert r.status == 404, r.text
    # The 30-day city's rows of the same days are untouched.
    assert len(rows_of(database_url, anchor.camera_id)) == len(anchor.starts)


def test_running_twice_is_a_no_op(world, stack, database_url, anchor):
    now = datetime.now(UTC)
    cam = world.camera()
    record(cam["id"], world.city_a, row_phase_day(now, 7))
    first = run()
    assert first.cities[world.city_a].segments_deleted == 3
    before = (rows_of(database_url, anchor.camera_id), objects_of(anchor.camera_id))

    second = run()

    assert second.segments_deleted == 0 and second.objects_deleted == 0 and second.partitions_dropped == 0
    assert (rows_of(database_url, anchor.camera_id), objects_of(anchor.camera_id)) == before


def test_objects_deleted_counts_only_objects_that_existed(world, stack, database_url, anchor):
    # Given three expired segments (six objects), two of which vanished from storage before the run
    now = datetime.now(UTC)
    cam = world.camera()
    rec = record(cam["id"], world.city_a, row_phase_day(now, 7))
    gone = sorted(objects_of(cam["id"]))[:2]
    for key in gone:
        _s3().delete_object(Bucket=_bucket(), Key=key)

    report = run()

    # Then the run reports the four objects it deleted (not six), and all three rows
    counts = report.cities[world.city_a]
    assert (counts.segments_deleted, counts.objects_deleted) == (3, 4)
    assert rows_of(database_url, cam["id"]) == [] and objects_of(cam["id"]) == set()
    assert len(rec.starts) == 3


def test_a_held_clip_keeps_its_source_segments(world, stack, database_url, anchor):
    now = datetime.now(UTC)
    cam = world.camera()
    rec = record(cam["id"], world.city_a, row_phase_day(now, 7))
    old_day = record(cam["id"], world.city_a, [now - timedelta(days=80) + i * SEG for i in range(3)])
    hold_clip(database_url, rec, rec.starts[1:2])
    hold_clip(database_url, old_day, old_day.starts[:1])

    report = run()

    kept = [r["start_at"] for r in rows_of(database_url, cam["id"])]
    assert kept == [old_day.starts[0], rec.starts[1]]
    assert consistent(database_url, cam["id"])
    assert report.cities[world.city_a].held_kept == 2
    # A day holding a held segment is never dropped whole.
    from gtvision.recordings.store import partition_name

    with _db(database_url) as conn:
        assert conn.execute("SELECT to_regclass(%s) AS t", (partition_name(old_day.starts[0].date()),)).fetchone()["t"]


def test_whole_expired_days_are_dropped_as_partitions(world, stack, database_url):
    from gtvision.recordings.store import partition_name

    now = datetime.now(UTC)
    cam = world.camera()
    day = (now - timedelta(days=120)).replace(hour=10, minute=0, second=0, microsecond=0)
    record(cam["id"], world.city_a, [day + i * SEG for i in range(5)])
    name = partition_name(day.date())

    report = run()

    assert report.partitions_dropped >= 1 and report.segments_deleted >= 5
    with _db(database_url) as conn:
        assert conn.execute("SELECT to_regclass(%s) AS t", (name,)).fetchone()["t"] is None
    assert rows_of(database_url, cam["id"]) == [] and objects_of(cam["id"]) == set()
    # A late upload for that day still registers (the day is recreated or lands in DEFAULT).
    record(cam["id"], world.city_a, [day + timedelta(minutes=5)])
    assert len(rows_of(database_url, cam["id"])) == 1
    run()
    assert rows_of(database_url, cam["id"]) == [] and objects_of(cam["id"]) == set()


def test_a_long_reader_makes_the_drop_give_up_quickly_and_rows_go_by_batches(world, stack, database_url):
    """Given a transaction reading `segments` (it holds its partitions), When retention runs, Then the partition
    drop gives up after its lock timeout instead of queueing readers behind it, and the rows still go."""
    import time

    from gtvision.recordings.store import partition_name

    now = datetime.now(UTC)
    cam = world.camera()
    day = (now - timedelta(days=500 + uuid.uuid4().int % 100)).replace(hour=6, minute=0, second=0, microsecond=0)
    record(cam["id"], world.city_a, [day + i * SEG for i in range(3)])
    with _db(database_url) as reader:
        reader.execute("SELECT count(*) FROM segments")  # keeps ACCESS SHARE on every partition until rollback
        started = time.monotonic()
        report = run()
        elapsed = time.monotonic() - started
        reader.rollback()
    assert elapsed < 20
    assert report.cities[world.city_a].segments_deleted == 3
    assert rows_of(database_url, cam["id"]) == [] and objects_of(cam["id"]) == set()
    with _db(database_url) as conn:
        assert conn.execute("SELECT to_regclass(%s) AS t", (partition_name(day.date()),)).fetchone()["t"]
    # With the reader gone, the next run drops the (now empty) day.
    assert run().partitions_dropped >= 1


@pytest.mark.parametrize("phase", ["segments", "partition"])
def test_a_crash_between_storage_and_row_delete_is_finished_by_the_next_run(world, stack, database_url, anchor, phase):
    from gtvision.retention.service import Hooks, SimulatedCrash

    now = datetime.now(UTC)
    cam = world.camera()
    if phase == "segments":
        rec = record(cam["id"], world.city_a, row_phase_day(now, 7))
    else:
        day = (now - timedelta(days=200 + uuid.uuid4().int % 100)).replace(hour=8, minute=0, second=0, microsecond=0)
        rec = record(cam["id"], world.city_a, [day + i * SEG for i in range(4)])

    from gtvision.recordings.store import partition_name

    mine = partition_name(rec.starts[0].date()) if phase == "partition" else cam["id"]

    def crash(p: str, keys: list[str]) -> None:
        if p == phase and any(mine in k for k in keys):
            raise SimulatedCrash(f"process died after deleting objects ({p})")

    with pytest.raises(SimulatedCrash):
        run(hooks=Hooks(after_storage_delete=crash))
    # Mid-crash state: the objects are gone, the rows (still expired) remain for the next run.
    assert objects_of(cam["id"]) == set()
    assert len(rows_of(database_url, cam["id"])) == len(rec.starts)
    with _db(database_url) as conn:
        failed = conn.execute("SELECT status FROM retention_runs ORDER BY id DESC LIMIT 1").fetchone()
    assert failed["status"] == "failed"

    run()

    assert rows_of(database_url, cam["id"]) == [] and objects_of(cam["id"]) == set()
    assert consistent(database_url, anchor.camera_id)


def test_lowering_a_plan_applies_on_the_next_run_and_raising_resurrects_nothing(world, api, stack, database_url):
    now = datetime.now(UTC)
    retention_days(api, world, world.city_a, 30)
    cam = world.camera()
    ten_days = record(cam["id"], world.city_a, [now - timedelta(days=10) + i * SEG for i in range(2)])
    record(cam["id"], world.city_a, [now - timedelta(days=2)])

    run()
    assert len(rows_of(database_url, cam["id"])) == 3

    retention_days(api, world, world.city_a, 7)
    run()
    assert [r["start_at"] for r in rows_of(database_url, cam["id"])] == [now - timedelta(days=2)]
    assert consistent(database_url, cam["id"])

    retention_days(api, world, world.city_a, 30)
    run()
    assert len(rows_of(database_url, cam["id"])) == 1
    assert not {k for k in objects_of(cam["id"]) if ten_days.starts[0].strftime("%Y-%m-%d") in k}


def test_concurrent_runs_do_no_double_work(world, stack, database_url, anchor):
    """Given a city locked by another run, When a run starts, Then it skips that city; the lock's holder finishes."""
    from gtvision.retention import store as dal

    now = datetime.now(UTC)
    cam = world.camera()
    record(cam["id"], world.city_a, row_phase_day(now, 7))
    with _db(database_url) as other:
        assert dal.try_lock(other, f"retention:city:{world.city_a}")
        skipped = run()
        assert skipped.cities[world.city_a].skipped and len(rows_of(database_url, cam["id"])) == 3
    done = run()
    assert done.cities[world.city_a].segments_deleted == 3 and consistent(database_url, cam["id"])


def test_a_run_out_of_time_stops_between_batches_and_the_next_run_continues(world, stack, database_url, anchor):
    import time

    now = datetime.now(UTC)
    cam = world.camera()
    record(cam["id"], world.city_a, row_phase_day(now, 7))

    stopped = run(deadline=time.monotonic())

    assert stopped.incomplete and stopped.segments_deleted == 0
    assert len(rows_of(database_url, cam["id"])) == 3 and consistent(database_url, cam["id"])
    finished = run()
    assert not finished.incomplete and finished.cities[world.city_a].segments_deleted == 3
    assert rows_of(database_url, cam["id"]) == [] and objects_of(cam["id"]) == set()


def test_every_run_is_recorded_and_audited_with_counts(world, stack, database_url):
    now = datetime.now(UTC)
    cam = world.camera()
    record(cam["id"], world.city_a, [now - timedelta(days=365) + i * SEG for i in range(2)])
    report = run()
    with _db(database_url) as conn:
        row = conn.execute("SELECT * FROM retention_runs WHERE id = %s", (report.run_id,)).fetchone()
        entries = conn.execute(
            "SELECT actor, action, city_id, detail FROM audit_log WHERE actor = 'system:retention'"
            " AND (resource = %s OR detail->>'run_id' = %s)",
            (f"retention_runs/{report.run_id}", str(report.run_id)),
        ).fetchall()
    assert row["status"] == "ok" and row["finished_at"] and row["segments_deleted"] == report.segments_deleted
    summary = [e for e in entries if e["action"] == "retention.run"]
    assert len(summary) == 1 and summary[0]["detail"]["segments_deleted"] == report.segments_deleted
    assert summary[0]["detail"]["status"] == "ok"
    assert any(e["action"] == "retention.city" and str(e["city_id"]) == world.city_a for e in entries)


# ---------------------------------------------------------------- the template and the schedule


def test_template_schedules_the_retention_function_hourly_and_sets_a_lifecycle_net():
    from gtvision_local.template import load_template

    tpl = load_template()
    fn = tpl.function("RetentionFunction")
    assert fn.handler == "handler.handler" and fn.timeout == 900
    assert fn.code_uri.name == "retention"
    from gtvision_local.template import ScheduleEvent

    assert [e.expression for e in fn.events_of(ScheduleEvent)] == ["rate(1 hour)"]
    rules = tpl.resources["RecordingsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    by_tag = {r["TagFilters"][0]["Value"]: r["ExpirationInDays"] for r in rules if r.get("TagFilters")}
    assert {k: v - int(k) for k, v in by_tag.items()} == {"7": 2, "15": 2, "30": 2}


def test_the_local_scheduler_fires_the_retention_handler(stack, database_url):
    from gtvision_local.runtime import Runtime
    from gtvision_local.template import load_template

    class Clock:
        def __init__(self) -> None:
            self.now = datetime(2026, 11, 23, 12, 0, 30, tzinfo=UTC)

        def __call__(self) -> datetime:
            return self.now

    clock = Clock()
    rt = Runtime(load_template(endpoint_url=stack["aws_endpoint"]), api_port=0, clock=clock)
    rt.scheduler.targets = [t for t in rt.scheduler.targets if t.function_id == "RetentionFunction"]
    assert rt.scheduler.targets, "RetentionFunction has no schedule the local runtime can fire"
    with _db(database_url) as conn:
        last = conn.execute("SELECT coalesce(max(id), 0) AS id FROM retention_runs").fetchone()["id"]

    assert rt.scheduler.tick() == []
    clock.now += timedelta(minutes=59, seconds=59)
    assert rt.scheduler.tick() == []
    clock.now += timedelta(seconds=1)
    fired = rt.scheduler.tick()

    assert [f for f, _ in fired] == ["RetentionFunction"]
    with _db(database_url) as conn:
        runs = conn.execute("SELECT status FROM retention_runs WHERE id > %s", (last,)).fetchall()
    assert [r["status"] for r in runs] == ["ok"]


# ---------------------------------------------------------------- LPR


def plate_read(camera_id: str, city_id: str, plate: str, at: datetime, *, image: bool = True) -> str:
    """Given: a plate read as the LPR ingest stores it (row through its DAL, image object in the bucket)."""
    from gtvision.core import db
    from gtvision.lpr import plates
    from gtvision.lpr import store as lpr

    read_id = str(uuid.uuid4())
    key = lpr.image_key(city_id, camera_id, read_id) if image else None
    if key:
        lpr.put_image(key, b"\xff\xd8\xff\xe0plate")
    with db.transaction() as conn:
        assert lpr.insert_read(
            conn,
            {
                "id": read_id,
                "city_id": city_id,
                "camera_id": camera_id,
                "event_id": uuid.uuid4().hex,
                "plate": plate,
                "plate_skeleton": plates.ocr_skeleton(plate),
                "plate_keys": plates.fuzzy_keys(plate),
                "confidence": 0.93,
                "captured_at": at,
                "image_key": key,
                "vehicle": {"color": "prata", "make": "Fiat"},
                "direction": "in",
            },
        )
    return read_id


def alert_on(city_id: str, plate: str, read_ids: list[str], status: str) -> None:
    from gtvision.core import db

    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO alerts (city_id, kind, plate, read_ids, dedup_key, status)"
            " VALUES (%s, 'watchlist', %s, %s::uuid[], %s, %s)",
            (city_id, plate, read_ids, uuid.uuid4().hex, status),
        )


def test_old_plate_reads_are_anonymised_except_under_investigation(world, api, stack, database_url):
    from gtvision.core.crypto import plate_pseudonym

    r = api.call("PATCH", f"/v1/cities/{world.city_a}", {"lpr_retention_days": 5}, world.admin)
    assert r.status == 200, r.text
    cam = world.camera(lpr_enabled=True)["id"]
    now = datetime.now(UTC)
    plate = f"QRT{uuid.uuid4().int % 10}E{uuid.uuid4().int % 100:02d}"
    old = plate_read(cam, world.city_a, plate, now - timedelta(days=10))
    investigated = plate_read(cam, world.city_a, plate, now - timedelta(days=9))
    closed = plate_read(cam, world.city_a, plate, now - timedelta(days=8))
    young = plate_read(cam, world.city_a, plate, now - timedelta(days=1))
    alert_on(world.city_a, plate, [investigated], "investigating")
    alert_on(world.city_a, plate, [closed], "closed")

    report = run()

    assert report.cities[world.city_a].reads_anonymised == 2
    with _db(database_url) as conn:
        rows = {
            str(r["id"]): r
            for r in conn.execute(
                "SELECT id, plate, plate_skeleton, plate_keys, image_key, vehicle, anonymised_at FROM plate_reads"
                " WHERE camera_id = %s",
                (cam,),
            ).fetchall()
        }
    for gone in (old, closed):
        row = rows[gone]
        assert row["plate"] == plate_pseudonym(plate) and row["plate"] != plate and row["anonymised_at"]
        assert row["plate_skeleton"] is None and row["plate_keys"] is None and row["image_key"] is None
        assert row["vehicle"] is None
    for kept in (investigated, young):
        assert rows[kept]["plate"] == plate and rows[kept]["image_key"] and rows[kept]["anonymised_at"] is None
    images = {
        o["Key"]
        for o in _s3().list_objects_v2(Bucket=_bucket(), Prefix=f"lpr/{world.city_a}/{cam}/").get("Contents", [])
    }
    assert images == {rows[investigated]["image_key"], rows[young]["image_key"]}

    # Searching the plate no longer finds the anonymised reads.
    if "/v1/lpr/events" in api.app.routes:
        found = api.call("GET", "/v1/lpr/events", token=world.viewer_a, query={"plate": plate}).json()["items"]
        assert {i["id"] for i in found} == {investigated, young}
    # The data subject's answer still counts them, without showing them.
    answer = api.call("GET", f"/v1/lgpd/plates/{plate}", token=world.admin).json()
    assert answer["reads_total"] == 2 and answer["anonymised_reads"] == 2
    assert {r["id"] for r in answer["reads"]} == {investigated, young}

    assert run().cities[world.city_a].reads_anonymised == 0
