"""Stream and recording health: what MediaMTX and the segment index say about every started camera.

`poll` (StreamHealthFunction, once a minute) reads every page of MediaMTX's path list and, per camera a
manager started, stores a sample (online, inbound kbps, frames in error, readers, fps, recording lag),
the latest state, the status changes and the health incidents (`camera_offline`, `recording_stalled`),
opened once and resolved on recovery. MediaMTX hooks (`apply_hook`) record a change within seconds.

MediaMTX unreachable is not evidence that cameras are down: statuses become `unknown`, no alert moves.
A camera a manager stopped is not polled, so it never raises anything (`stopped` resolves its incidents).

Every status change goes through `events.committed_changes` after its transaction commits (logs, live events).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from gtvision.alerts import incidents
from gtvision.alerts import service as alerts
from gtvision.alerts.incidents import NewIncident
from gtvision.core import db
from gtvision.core.observability import logger, metrics
from gtvision.core.settings import get_settings
from gtvision.health import reconcile
from gtvision.health import store as dal
from gtvision.health.events import committed_changes, incident
from gtvision.health.measure import fps_of, frames_in_error, inbound_kbps, video_track
from gtvision.health.schemas import CameraHealth, NewSample, StatusChange
from gtvision.streams import placement
from gtvision.streams.mediamtx import MediaMTXClient, MediaMTXUnavailable, PathStatus

#: Metrics that are a snapshot of the fleet each run (the rest of GT-Vision's metrics count events): the
#: local Prometheus view keeps their last value instead of adding them up.
FLEET_GAUGES = (
    "CamerasOnline",
    "CamerasOffline",
    "CamerasUnknown",
    "CamerasOfflinePercent",
    "StreamsActive",
    "Viewers",
    "RecordingLagMaxSeconds",
    "RecordingsStalled",
    "MediaMtxUnreachable",
)


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
    #: Cameras whose MediaMTX path was missing and added again (and those whose re-add failed).
    paths_readded: int = 0
    paths_readd_failed: int = 0
    partitions_dropped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The poll's counts, for the log and the handler's result."""
        return dict(self.__dict__)


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

    health: list[CameraHealth] = []
    samples: list[NewSample] = []
    changes: list[StatusChange] = []
    to_open: list[NewIncident] = []
    resolve: dict[str, list[str]] = {"camera_offline": [], "recording_stalled": []}
    readds: list[reconcile.Readd] = []
    with db.transaction() as conn:
        dal.ensure_sample_partitions(conn, [now.date(), (now + timedelta(days=1)).date()])
        cams = dal.started_cameras(conn, now)
        for cam in cams:
            cid = str(cam.camera_id)
            path = paths.get(cid) if paths is not None else None
            status = "unknown" if paths is None else ("online" if path is not None and path.source_ready else "offline")
            previous = cam.status or "unknown"
            since = cam.since if cam.status == status and cam.since else now
            if status != previous or cam.status is None:
                changes.append(StatusChange(cid, str(cam.city_id), status, previous, now, "poll"))
            started_at = cam.started_at or now
            last_end = cam.segment_end or cam.stored_segment_end
            lag = max(0.0, (now - last_end).total_seconds()) if last_end else None
            online = status == "online"
            kbps = errors = None
            readers, by_type = 0, dict[str, int]()
            codec = width = height = None
            if path is not None:
                kbps, errors = inbound_kbps(cam, path, now), frames_in_error(cam, path)
                readers, by_type = path.readers, dict(path.readers_by_type)
                if online:
                    codec, width, height = video_track(path)
            fps = fps_of(cam)
            kbps = round(kbps, 3) if kbps is not None else None
            readds_so_far, next_readd, readd = reconcile.plan(cam, paths, now)
            if readd is not None:
                readds.append(readd)
            health.append(
                CameraHealth(
                    camera_id=cid,
                    city_id=cam.city_id,
                    status=status,
                    since=since,
                    started_at=started_at,
                    sampled_at=now,
                    online_time=path.online_time if path else None,
                    inbound_bytes=path.inbound_bytes if path else None,
                    frames_in_error_total=path.inbound_frames_in_error if path else None,
                    inbound_kbps=kbps,
                    frames_in_error=errors,
                    readers=readers,
                    readers_by_type=by_type,
                    codec=codec,
                    width=width,
                    height=height,
                    fps=fps,
                    last_segment_end=last_end,
                    recording_lag_s=lag,
                    path_readds=readds_so_far,
                    path_readd_after=next_readd,
                )
            )
            samples.append(NewSample(cid, cam.city_id, now, online, kbps, errors, readers, fps, lag))
            _count(report, status, readers, lag, online)
            if paths is None:
                continue  # MediaMTX unreachable: no incident opens or resolves on no information
            if status == "offline" and not cam.offline_open:
                to_open.append(
                    incident(cid, cam.city_id, cam.name, "camera_offline", now, reason="path ausente ou sem sinal")
                )
            elif status == "online" and cam.offline_open:
                resolve["camera_offline"].append(cid)
            stalled = now - max(t for t in (last_end, started_at) if t is not None) > stall
            report.recordings_stalled += 1 if stalled and online else 0
            if stalled and online and not cam.stalled_open:
                to_open.append(
                    incident(
                        cid,
                        cam.city_id,
                        cam.name,
                        "recording_stalled",
                        now,
                        last_segment_end=last_end.isoformat() if last_end else None,
                        threshold_s=settings.recording_stall_s,
                    )
                )
            elif not stalled and cam.stalled_open:
                resolve["recording_stalled"].append(cid)
        dal.save_health(conn, health)
        report.samples_written = dal.insert_samples(conn, samples)
        dal.insert_status_changes(conn, changes)
        opened = incidents.open_incidents(conn, to_open)
        resolved = [r for kind, ids in resolve.items() for r in incidents.resolve_incidents(conn, kind, ids, now)]
        keep_from = (now - timedelta(days=settings.stream_sample_retention_days)).date()
        report.partitions_dropped = dal.drop_sample_partitions_before(conn, keep_from)
    report.cameras, report.changes = len(cams), len(changes)
    report.alerts_opened, report.alerts_resolved = len(opened), len(resolved)
    committed_changes(changes)
    alerts.publish(opened + resolved)
    if readds:
        nodes = placement.nodes_of([r.camera_id for r in readds])
        api_urls = {cid: (node.api_url if node else None) for cid, node in (nodes or {}).items()}
        outcome = reconcile.readd(client, readds, api_url_of=api_urls)
        report.paths_readded, report.paths_readd_failed = len(outcome.readded), len(outcome.failed)
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
    metrics.add_metric(name="MediaMtxPathsReadded", unit=MetricUnit.Count, value=report.paths_readded)
