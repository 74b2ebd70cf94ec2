"""Retention: expire recordings past each city's plan and anonymise plate reads past its LPR plan.

Crash safety comes from the order of the steps, never from bookkeeping: a batch of expired rows is
locked (`FOR UPDATE SKIP LOCKED`), their objects are deleted, then the rows, then the batch commits.
A crash in between rolls the row delete back, so the rows are still there, still expired, and the
next run deletes their (already gone) objects again and then the rows. After any complete run no row
points at a deleted object and no expired object is left without its row being gone too.

Whole daily partitions are dropped when every row in them is past its own city's retention and no
held clip was cut from them (the cheap database path for a backlog or a lowered plan); otherwise rows
go in batches. A per-city advisory lock keeps concurrent runs from doing the same work twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gtvision.audit import service as audit
from gtvision.clips import keys as clip_keys
from gtvision.core.crypto import plate_pseudonym
from gtvision.core.observability import logger, metrics
from gtvision.core.settings import get_settings
from gtvision.recordings import service as recordings
from gtvision.retention import store as dal
from gtvision.retention.schemas import CityPlan

ACTOR = "system:retention"
#: Segments per batch: with a thumbnail each, one full DeleteObjects call.
SEGMENT_BATCH = 500
#: Rows listed per query when emptying a partition's objects.
PARTITION_LIST_BATCH = 5000
READ_BATCH = 1000
CLIP_BATCH = 200
REJECTION_BATCH = 500
#: Refused uploads whose key names no known camera expire after the longest plan offered (7/15/30 days).
REJECTED_DEFAULT_DAYS = 30
#: How long dropping a partition may wait for readers before it gives up until the next run.
PARTITION_LOCK_TIMEOUT_MS = 2000


class SimulatedCrash(RuntimeError):
    """Raised by test hooks to stand for the process dying at that point."""


@dataclass
class Hooks:
    """Injection points for tests: called after objects are deleted and before their rows are."""

    after_storage_delete: Callable[[str, list[str]], None] | None = None

    def storage_deleted(self, phase: str, keys: list[str]) -> None:
        """Called after each storage delete (tests inject a crash here)."""
        if self.after_storage_delete is not None:
            self.after_storage_delete(phase, keys)


@dataclass
class CityCounts:
    segments_deleted: int = 0
    objects_deleted: int = 0
    held_kept: int = 0
    reads_anonymised: int = 0
    clips_deleted: int = 0
    skipped: bool = False


@dataclass
class Report:
    """What one run did (also written to `retention_runs` and the audit trail)."""

    run_id: int = 0
    segments_deleted: int = 0
    objects_deleted: int = 0
    partitions_dropped: int = 0
    reads_anonymised: int = 0
    cities_skipped: int = 0
    clips_deleted: int = 0
    rejected_uploads_deleted: int = 0
    #: The run stopped before its deadline with work left (the next run continues it).
    incomplete: bool = False
    cities: dict[str, CityCounts] = field(default_factory=dict)

    def add(self, city_id: str, counts: CityCounts) -> None:
        """Fold one city's row-phase counts into the city's entry (which may hold partition drops) and the totals."""
        mine = self.cities.setdefault(city_id, CityCounts())
        mine.segments_deleted += counts.segments_deleted
        mine.objects_deleted += counts.objects_deleted
        mine.reads_anonymised += counts.reads_anonymised
        mine.clips_deleted += counts.clips_deleted
        mine.held_kept = counts.held_kept
        mine.skipped = counts.skipped
        self.segments_deleted += counts.segments_deleted
        self.objects_deleted += counts.objects_deleted
        self.reads_anonymised += counts.reads_anonymised
        self.clips_deleted += counts.clips_deleted
        self.cities_skipped += counts.skipped

    def counts(self) -> dict[str, Any]:
        """The run's totals, as stored in its run row and audit entry."""
        return {
            "segments_deleted": self.segments_deleted,
            "objects_deleted": self.objects_deleted,
            "partitions_dropped": self.partitions_dropped,
            "reads_anonymised": self.reads_anonymised,
            "cities_skipped": self.cities_skipped,
            "clips_deleted": self.clips_deleted,
            "rejected_uploads_deleted": self.rejected_uploads_deleted,
            "incomplete": self.incomplete,
            "detail": {"cities": {c: asdict(v) for c, v in self.cities.items()}},
        }


def run(now: datetime | None = None, *, hooks: Hooks | None = None, deadline: float | None = None) -> Report:
    """One retention run over every city; always records itself (run row + audit entry), even when it fails.

    `deadline` (a `time.monotonic()` value) stops the run between batches, so a Lambda near its timeout ends
    cleanly and reports `incomplete`; the next run picks up where it stopped.
    """
    report = Report()
    status = "failed"
    with dal.session() as conn:
        report.run_id = dal.start_run(conn)
        conn.commit()
        try:
            r = _Run(
                conn, now or datetime.now(UTC), get_settings().recordings_bucket, report, hooks or Hooks(), deadline
            )
            cities = dal.cities(conn)
            conn.commit()
            has_segments = dal.table_exists(conn, "segments") and dal.table_exists(conn, "clip_segments")
            has_reads = dal.table_exists(conn, "plate_reads") and dal.table_exists(conn, "alerts")
            if has_segments and cities:
                _drop_expired_partitions(r, min(c.full_quality_days for c in cities))
            for city in cities:
                _expire_city(r, city, has_segments, has_reads)
            if has_segments:
                _expire_rejections(r, REJECTED_DEFAULT_DAYS)
            status = "ok"
        finally:
            conn.rollback()
            dal.finish_run(conn, report.run_id, status, report.counts())
            conn.commit()
            _audit(report, status)
    metrics.add_metric(name="RetentionSegmentsDeleted", unit="Count", value=report.segments_deleted)
    metrics.add_metric(name="RetentionReadsAnonymised", unit="Count", value=report.reads_anonymised)
    return report


@dataclass
class _Run:
    conn: Any
    now: datetime
    bucket: str
    report: Report
    hooks: Hooks
    deadline: float | None

    def out_of_time(self) -> bool:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.report.incomplete = True
            return True
        return False


def _audit(report: Report, status: str) -> None:
    counts = report.counts()
    cities = counts.pop("detail")["cities"]
    audit.record(
        None,
        "retention.run",
        f"retention_runs/{report.run_id}",
        status=200 if status == "ok" else 500,
        actor=ACTOR,
        detail={"status": status, **counts},
    )
    # Each city's own trail shows what was deleted from it (managers see their city's entries).
    for city_id, c in cities.items():
        if c["segments_deleted"] or c["reads_anonymised"] or c["objects_deleted"] or c["clips_deleted"]:
            audit.record(
                None,
                "retention.city",
                f"cities/{city_id}",
                status=200,
                actor=ACTOR,
                city_id=city_id,
                detail={"run_id": report.run_id, **c},
            )


def _drop_expired_partitions(r: _Run, min_retention_days: int) -> None:
    """Drop daily partitions whose every row has expired for its city and none is held."""
    conn, report = r.conn, r.report
    if not dal.try_lock(conn, "retention:partitions"):
        conn.commit()
        return
    try:
        for part in dal.expired_partition_candidates(conn, r.now - timedelta(days=min_retention_days)):
            if r.out_of_time():
                break
            if not dal.partition_fully_expired(conn, part, r.now):
                conn.commit()
                continue
            listed_from = dal.db_clock(conn)
            rows = objects = 0
            for keys, n in dal.partition_keys(conn, part.name, PARTITION_LIST_BATCH):
                objects += dal.delete_objects(keys, r.bucket)
                rows += n
            conn.commit()
            r.hooks.storage_deleted("partition", [part.name])
            # Short exclusive section: nothing new may have landed since the listing, then drop.
            if not dal.lock_partition(conn, part.name, PARTITION_LOCK_TIMEOUT_MS):
                conn.rollback()
                continue
            per_city, newest = dal.partition_stats(conn, part.name)
            late = newest is not None and newest > listed_from
            if sum(per_city.values()) != rows or late or not dal.partition_fully_expired(conn, part, r.now):
                # Rows that arrived meanwhile are expired too; the row phase below removes them.
                conn.rollback()
                continue
            if not dal.drop_partition(conn, part.name):
                conn.rollback()
                continue
            conn.commit()
            recordings.forget_partitions()  # a later insert for that day in this process recreates it
            logger.info("partition dropped", extra={"partition": part.name, "rows": rows, "objects": objects})
            report.partitions_dropped += 1
            report.segments_deleted += rows
            report.objects_deleted += objects
            for city_id, n in per_city.items():
                report.cities.setdefault(city_id, CityCounts()).segments_deleted += n
    finally:
        conn.rollback()
        dal.unlock(conn, "retention:partitions")
        conn.commit()


def _expire_city(r: _Run, city: CityPlan, has_segments: bool, has_reads: bool) -> None:
    conn = r.conn
    city_id = str(city.id)
    counts = CityCounts()
    lock = f"retention:city:{city_id}"
    if not dal.try_lock(conn, lock):
        conn.commit()
        counts.skipped = True
        r.report.add(city_id, counts)
        return
    try:
        if has_segments:
            main_cutoff = r.now - timedelta(days=city.full_quality_days)
            _expire_segments(r, city_id, main_cutoff, r.now - timedelta(days=city.retention_days), counts)
            _expire_clips(r, city_id, r.now - timedelta(days=city.retention_days), counts)
        if has_reads:
            _anonymise_reads(r, city_id, r.now - timedelta(days=city.lpr_retention_days), counts)
    finally:
        conn.rollback()
        dal.unlock(conn, lock)
        conn.commit()
        r.report.add(city_id, counts)


def _expire_segments(r: _Run, city_id: str, main_cutoff: datetime, sub_cutoff: datetime, counts: CityCounts) -> None:
    """Main-stream segments past the city's full-quality days, sub-stream ones past its retention days."""
    conn = r.conn
    while not r.out_of_time():
        rows = dal.claim_expired_segments(conn, city_id, main_cutoff, sub_cutoff, SEGMENT_BATCH)
        if not rows:
            break
        keys = [k for row in rows for k in row.object_keys]
        deleted = dal.delete_objects(keys, r.bucket)
        r.hooks.storage_deleted("segments", keys)
        counts.segments_deleted += dal.delete_segments(conn, city_id, main_cutoff, rows)
        conn.commit()
        counts.objects_deleted += deleted
    counts.held_kept = dal.count_held_expired(conn, city_id, main_cutoff, sub_cutoff)
    conn.commit()


def _expire_clips(r: _Run, city_id: str, cutoff: datetime, counts: CityCounts) -> None:
    """Clips made more than the city's retention ago, unless held: their objects, then their rows."""
    conn = r.conn
    while not r.out_of_time():
        rows = dal.claim_expired_clips(conn, city_id, cutoff, CLIP_BATCH)
        if not rows:
            break
        keys = [k for row in rows for k in clip_keys.object_keys(str(row.id), row.s3_key, row.manifest_key)]
        deleted = dal.delete_objects(keys, r.bucket)
        r.hooks.storage_deleted("clips", keys)
        counts.clips_deleted += dal.delete_clips(conn, [row.id for row in rows])
        conn.commit()
        counts.objects_deleted += deleted


def _expire_rejections(r: _Run, default_days: int) -> None:
    """Refused uploads expire with their camera's city plan (the longest plan when no camera is known):
    the object left in the bucket, then the row that said why. An object whose key was later registered
    as a segment (re-uploaded readable) belongs to that segment and is left to it."""
    conn = r.conn
    while not r.out_of_time():
        rows = dal.claim_expired_rejections(conn, r.now, default_days, REJECTION_BATCH)
        if not rows:
            break
        keys = [row.s3_key for row in rows if not recordings.is_registered(row.s3_key)]
        deleted = dal.delete_objects(keys, r.bucket)
        r.hooks.storage_deleted("rejected_uploads", keys)
        r.report.rejected_uploads_deleted += dal.delete_rejections(conn, [row.id for row in rows])
        conn.commit()
        r.report.objects_deleted += deleted


def _anonymise_reads(r: _Run, city_id: str, cutoff: datetime, counts: CityCounts) -> None:
    conn = r.conn
    while not r.out_of_time():
        rows = dal.claim_expired_reads(conn, city_id, cutoff, READ_BATCH)
        if not rows:
            break
        keys = [row.image_key for row in rows if row.image_key]
        deleted = dal.delete_objects(keys, r.bucket)
        r.hooks.storage_deleted("plate_reads", keys)
        hashed = [(row.id, plate_pseudonym(row.plate)) for row in rows]
        counts.reads_anonymised += dal.anonymise_reads(conn, hashed)
        conn.commit()
        counts.objects_deleted += deleted
