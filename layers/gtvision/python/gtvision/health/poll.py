"""Stream and recording health: what MediaMTX and the segment index say about every started camera.

`poll` (StreamHealthFunction, once a minute) reads every page of MediaMTX's path list and, per camera a
manager started, stores a sample (online, inbound kbps, frames in error, readers, fps, recording lag),
the latest state, the status changes and the health incidents (`camera_offline`, `recording_stalled`),
opened once and resolved on recovery. MediaMTX hooks (`apply_hook`) record a change within seconds.

MediaMTX unreachable is not evidence that cameras are down: statuses become `unknown`, no alert moves.
A camera a manager stopped is not polled, so it never raises anything (`stopped` resolves its incidents).

Every status change goes through `_committed_changes` after its transaction commits: the one place to
hang consumers of status changes (logs and metrics today; live events next).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from gtvision.alerts import service as alerts
from gtvision.core import db
from gtvision.core.observability import logger, metrics
from gtvision.core.settings import get_settings
from gtvision.health import store as dal
from gtvision.live import publish as events
from gtvision.streams.mediamtx import MediaMTXClient, MediaMTXUnavailable, PathStatus, _parse_time
from gtvision.streams.schemas import MediaMTXEvent
from gtvision.tenancy.schemas import Camera

#: tracks2 codecs that are video (the first one gives the camera's codec and size).
VIDEO_CODECS = {"AV1", "VP9", "VP8", "H265", "H264", "MPEG-4 Video", "MPEG-1/2 Video", "M-JPEG"}
#: Metrics that are a snapshot of the fleet each run (the rest of GT-Vision's metrics count events): the
#: local Prometheus view keeps their last value instead of adding them up.
FLEET_GAUGES = (
    "CamerasOnline", "CamerasOffline", "CamerasUnknown", "CamerasOfflinePercent", "StreamsActive", "Viewers",
    "RecordingLagMaxSeconds", "RecordingsStalled", "MediaMtxUnreachable",
)  # fmt: skip


@dataclass(frozen=True)
class StatusChange:
    """A camera's status moved from `previous` to `status` at `at` (seen by `source`)."""

    camera_id: str
    city_id: str
    status: str
    previous: str | None
    at: datetime
    source: str  # poll | hook | manager

    def row(self) -> dict[str, Any]:
        """The change as a `camera_status_changes` row."""
        return {
            "camera_id": self.camera_id, "city_id": self.city_id, "status": self.status,
            "previous": self.previous, "at": self.at, "source": self.source,
        }  # fmt: skip


def _live_events(changes: list[StatusChange]) -> None:
    """Each committed change as a `stream.status` live event (poll, MediaMTX hook, start/stop)."""
    for change in changes:
        events.stream_status(change.city_id, change.camera_id, change.status, change.at)


#: Called with the committed changes of every transaction that recorded some (live events plug in here).
status_listeners: list[Callable[[list[StatusChange]], None]] = [_live_events]


def _committed_changes(changes: list[StatusChange]) -> None:
    """The single place a committed status change is announced. Never raises into the caller."""
    for change in changes:
        logger.info(
            "camera status changed",
            extra={"camera_id": change.camera_id, "status": change.status, "previous": change.previous,
                   "source": change.source},
        )  # fmt: skip
    for listener in list(status_listeners):
        try:
            listener(changes)
        except Exception:  # noqa: BLE001 - the change is committed; a consumer failing must not undo it
            logger.exception("status listener failed")


@dataclass
class PollReport:
    """What one run did (returned by the function and used by the benchmark)."""

    mediamtx: str = "ok"  # ok | unreachable
    paths: int = 0
    cameras: int = 0
    online: int = 0
    offline: int = 0
    unknown: int = 0
    viewers: int = 0
    streams_active: int = 0
    recordings_stalled: int = 0
    max_recording_lag_s: float | None = None
    samples_written: int = 0
    changes: int = 0
    alerts_opened: int = 0
    alerts_resolved: int = 0
    partitions_dropped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The poll's counts, for the log and the handler's result."""
        return dict(self.__dict__)


# ---------------------------------------------------------------------------------- measurement


def inbound_kbps(prev: dict[str, Any], path: PathStatus, now: datetime) -> float | None:
    """Inbound kbit/s since the previous sample, from MediaMTX's cumulative `inboundBytes`.

    The counter restarts when the source reconnects (`onlineTime` changes) and can only grow otherwise;
    after a restart the rate is taken since `onlineTime` when that is after the previous sample, and is
    unknown (None) when nothing sound can be said — never negative, never a counter wrap.
    """
    if not path.source_ready:
        return None
    prev_at, prev_bytes = prev.get("sampled_at"), prev.get("inbound_bytes")
    same_session = prev.get("online_time") is not None and prev.get("online_time") == path.online_time
    if prev_at is not None and prev_bytes is not None and same_session and path.inbound_bytes >= prev_bytes:
        seconds = (now - prev_at).total_seconds()
        return (path.inbound_bytes - prev_bytes) * 8 / 1000 / seconds if seconds > 0 else None
    start = _parse_time(path.online_time)
    if start is not None and start < now and (prev_at is None or start >= prev_at):
        return path.inbound_bytes * 8 / 1000 / (now - start).total_seconds()
    return None


def frames_in_error(prev: dict[str, Any], path: PathStatus) -> int | None:
    """Frames that arrived broken since the previous sample (after a counter restart: since it)."""
    if not path.source_ready:
        return None
    total, prev_total = path.inbound_frames_in_error, prev.get("frames_in_error_total")
    same_session = prev.get("online_time") is not None and prev.get("online_time") == path.online_time
    if same_session and prev_total is not None and total >= prev_total:
        return total - prev_total
    return total


def video_track(path: PathStatus) -> tuple[str | None, int | None, int | None]:
    """(codec, width, height) of the path's first video track; Nones when it has none."""
    for track in path.tracks:
        if track.codec in VIDEO_CODECS:
            return track.codec, track.width, track.height
    return None, None, None


def fps_of(cam: dict[str, Any]) -> float | None:
    """Frames per second of the camera's last segment, when known."""
    frames, duration = cam.get("segment_frames"), cam.get("segment_duration_s")
    if not frames or not duration or duration <= 0:
        return None
    return round(frames / duration, 2)


def _alert(cam: dict[str, Any], kind: str, at: datetime, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "city_id": cam["city_id"],
        "kind": kind,
        "camera_id": cam["camera_id"],
        "captured_at": at,
        "dedup_key": f"{cam['camera_id']}:{at.isoformat()}",
        "detail": {"camera_name": cam.get("name"), **detail},
    }


# ---------------------------------------------------------------------------------- the poller


def poll(now: datetime | None = None, client: MediaMTXClient | None = None) -> PollReport:
    """One health run over every started camera (see the module docstring)."""
    now = now or datetime.now(UTC)
    settings = get_settings()
    client = client or MediaMTXClient.from_settings()
    report = PollReport()
    paths: dict[str, PathStatus] | None
    try:
        paths = client.list_paths()
        report.paths = len(paths)
    except MediaMTXUnavailable as exc:
        logger.warning("mediamtx unreachable: camera statuses unknown", extra={"reason": exc.message})
        paths, report.mediamtx = None, "unreachable"
    stall = timedelta(seconds=settings.recording_stall_s)

    health: list[dict[str, Any]] = []
    samples: list[dict[str, Any]] = []
    changes: list[StatusChange] = []
    to_open: list[dict[str, Any]] = []
    resolve: dict[str, list[Any]] = {"camera_offline": [], "recording_stalled": []}
    with db.transaction() as conn:
        dal.ensure_sample_partitions(conn, [now.date(), (now + timedelta(days=1)).date()])
        cams = dal.started_cameras(conn, now)
        for cam in cams:
            cid = str(cam["camera_id"])
            path = paths.get(cid) if paths is not None else None
            status = "unknown" if paths is None else ("online" if path is not None and path.source_ready else "offline")
            previous = cam["status"] or "unknown"
            since = cam["since"] if cam["status"] == status and cam["since"] else now
            if status != previous or cam["status"] is None:
                changes.append(StatusChange(cid, str(cam["city_id"]), status, previous, now, "poll"))
            started_at = cam["started_at"] or now
            last_end = cam["segment_end"] or cam["stored_segment_end"]
            lag = max(0.0, (now - last_end).total_seconds()) if last_end else None
            online = status == "online"
            kbps = errors = None
            readers, by_type = 0, {}
            codec = width = height = None
            if path is not None:
                kbps, errors = inbound_kbps(cam, path, now), frames_in_error(cam, path)
                readers, by_type = path.readers, dict(path.readers_by_type)
                if online:
                    codec, width, height = video_track(path)
            fps = fps_of(cam)
            health.append({
                "camera_id": cid, "city_id": cam["city_id"], "status": status, "since": since,
                "started_at": started_at, "sampled_at": now,
                "online_time": path.online_time if path else None,
                "inbound_bytes": path.inbound_bytes if path else None,
                "frames_in_error_total": path.inbound_frames_in_error if path else None,
                "inbound_kbps": round(kbps, 3) if kbps is not None else None, "frames_in_error": errors,
                "readers": readers, "readers_by_type": by_type, "codec": codec, "width": width, "height": height,
                "fps": fps, "last_segment_end": last_end, "recording_lag_s": lag,
            })  # fmt: skip
            samples.append({
                "camera_id": cid, "city_id": cam["city_id"], "at": now, "online": online,
                "inbound_kbps": round(kbps, 3) if kbps is not None else None, "frames_in_error": errors,
                "readers": readers, "fps": fps, "recording_lag_s": lag,
            })  # fmt: skip
            _count(report, status, readers, lag, online)
            if paths is None:
                continue  # MediaMTX unreachable: no incident opens or resolves on no information
            if status == "offline" and not cam["offline_open"]:
                to_open.append(_alert(cam, "camera_offline", now, {"reason": "path ausente ou sem sinal"}))
            elif status == "online" and cam["offline_open"]:
                resolve["camera_offline"].append(cid)
            stalled = now - max(t for t in (last_end, started_at) if t is not None) > stall
            report.recordings_stalled += 1 if stalled and online else 0
            if stalled and online and not cam["stalled_open"]:
                to_open.append(_alert(cam, "recording_stalled", now, {
                    "last_segment_end": last_end.isoformat() if last_end else None,
                    "threshold_s": settings.recording_stall_s,
                }))  # fmt: skip
            elif not stalled and cam["stalled_open"]:
                resolve["recording_stalled"].append(cid)
        dal.save_health(conn, health)
        report.samples_written = dal.insert_samples(conn, samples)
        dal.insert_status_changes(conn, [c.row() for c in changes])
        opened = dal.open_alerts(conn, to_open)
        resolved = [r for kind, ids in resolve.items() for r in dal.resolve_alerts(conn, kind, ids, now)]
        keep_from = (now - timedelta(days=settings.stream_sample_retention_days)).date()
        report.partitions_dropped = dal.drop_sample_partitions_before(conn, keep_from)
    report.cameras, report.changes = len(cams), len(changes)
    report.alerts_opened, report.alerts_resolved = len(opened), len(resolved)
    _committed_changes(changes)
    alerts.publish(opened + resolved)
    _emit(report)
    return report


def _count(report: PollReport, status: str, readers: int, lag: float | None, online: bool) -> None:
    setattr(report, status, getattr(report, status) + 1)
    report.viewers += readers
    report.streams_active += 1 if online else 0
    if lag is not None and online:
        report.max_recording_lag_s = max(lag, report.max_recording_lag_s or 0.0)


def _emit(report: PollReport) -> None:
    """Fleet totals only (no per-camera dimension: CloudWatch cardinality); detail stays in PostgreSQL."""
    metrics.add_metric(name="CamerasOnline", unit=MetricUnit.Count, value=report.online)
    metrics.add_metric(name="CamerasOffline", unit=MetricUnit.Count, value=report.offline)
    metrics.add_metric(name="CamerasUnknown", unit=MetricUnit.Count, value=report.unknown)
    share = report.offline / report.cameras * 100 if report.cameras else 0.0
    metrics.add_metric(name="CamerasOfflinePercent", unit=MetricUnit.Percent, value=share)
    metrics.add_metric(name="StreamsActive", unit=MetricUnit.Count, value=report.streams_active)
    metrics.add_metric(name="Viewers", unit=MetricUnit.Count, value=report.viewers)
    metrics.add_metric(name="RecordingLagMaxSeconds", unit=MetricUnit.Seconds, value=report.max_recording_lag_s or 0.0)
    metrics.add_metric(name="RecordingsStalled", unit=MetricUnit.Count, value=report.recordings_stalled)
    metrics.add_metric(name="HealthAlertsOpened", unit=MetricUnit.Count, value=report.alerts_opened)
    metrics.add_metric(name="MediaMtxUnreachable", unit=MetricUnit.Count, value=int(report.mediamtx != "ok"))


# ---------------------------------------------------------------------------------- events from managers and hooks


def _transition(cam: Camera, status: str, at: datetime, source: str, started: bool = False) -> None:
    """Set one camera's status now (hook, manager), with its change and offline incident, then announce."""
    cid, city = str(cam.id), str(cam.city_id)
    opened: list[dict[str, Any]] = []
    resolved: list[dict[str, Any]] = []
    changes: list[StatusChange] = []
    with db.transaction() as conn:
        previous = dal.set_status(conn, cid, city, status, at, started=started)
        if previous is not None:
            changes.append(StatusChange(cid, city, status, previous, at, source))
            dal.insert_status_changes(conn, [c.row() for c in changes])
        if source == "manager":  # stopped on purpose: every open incident of the camera ends now
            for kind in dal.HEALTH_KINDS:
                resolved += dal.resolve_alerts(conn, kind, [cid], at)
        elif status == "offline":
            base = {"camera_id": cid, "city_id": city, "name": cam.name}
            opened = dal.open_alerts(conn, [_alert(base, "camera_offline", at, {"reason": "MediaMTX: fonte offline"})])
        elif status == "online":
            resolved = dal.resolve_alerts(conn, "camera_offline", [cid], at)
    _committed_changes(changes)
    alerts.publish(opened + resolved)


def started(camera: Camera) -> None:
    """A manager started the camera: the stall clock restarts now; its state is `unknown` until seen."""
    _transition(camera, "unknown", datetime.now(UTC), "manager", started=True)


def stopped(camera: Camera) -> None:
    """A manager stopped the camera on purpose: offline, and no incident stays open for it."""
    _transition(camera, "offline", datetime.now(UTC), "manager")


def apply_hook(event: MediaMTXEvent, now: datetime) -> dict[str, Any]:
    """A MediaMTX runOnOnline/runOnOffline event (already authenticated and parsed)."""
    from gtvision.tenancy import cameras

    path = event.path
    cam = cameras.get_any(path) if _is_uuid(path) else None  # MediaMTX may have paths that are not ours
    if cam is None or cam.status != "streaming":
        # A path we do not manage, or a camera stopped on purpose (its path going offline is expected).
        return {"status": "ignored"}
    _transition(cam, event.event, now, "hook")
    return {"status": "recorded"}


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
