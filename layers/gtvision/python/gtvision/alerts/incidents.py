"""Camera incidents raised outside the LPR rules: health (`camera_offline`, `recording_stalled`), evidence
(`recording_changed`) and tamper (`camera_tampered`), for the features that detect them (health poll,
segment registration).

An incident of a health or tamper kind is open at most once per camera (partial unique indexes
`alerts_health_open_uq`, `alerts_tamper_open_uq`): opening one that is open already does nothing, and it is
resolved (`resolved_at`) when the camera recovers. The rows returned are what `alerts.service.publish`
announces once the caller's transaction has committed. Kept apart from `alerts.store`, whose insert serves
the LPR rules' own dedup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from gtvision.alerts.schemas import NewAlert
from gtvision.alerts.store import ALERT_COLS, insert_alerts
from gtvision.core.db import Conn

#: An alert as `alerts.store` returns it and `alerts.service.publish` takes it.
AlertRow = dict[str, Any]
#: An incident to open: city_id, kind, camera_id, captured_at, dedup_key, detail.
NewIncident = Mapping[str, Any]

#: Kinds opened once per camera and resolved on recovery.
CAMERA_KINDS = ("camera_offline", "recording_stalled", "camera_tampered")


def raise_alerts(conn: Conn, alerts: Sequence[NewIncident]) -> list[Any]:
    """Insert evidence alerts (each `(kind, dedup_key)` once); returns the new rows to publish."""
    return list(insert_alerts(conn, [NewAlert(**dict(alert)) for alert in alerts]))


def open_incidents(conn: Conn, alerts: Sequence[NewIncident]) -> list[AlertRow]:
    """Open camera incidents; one already open for (kind, camera) is skipped. Returns those opened now."""
    created: list[AlertRow] = []
    for a in alerts:
        row = conn.execute(
            "INSERT INTO alerts (city_id, kind, plate, camera_id, captured_at, dedup_key, detail)"
            " VALUES (%s, %s, NULL, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
            f" RETURNING {ALERT_COLS}",
            (a["city_id"], a["kind"], a["camera_id"], a["captured_at"], a["dedup_key"], Jsonb(dict(a["detail"]))),
        ).fetchone()
        if row is not None:
            created.append(row)
    return created


def resolve_incidents(conn: Conn, kind: str, camera_ids: Sequence[object], at: datetime) -> list[AlertRow]:
    """Resolve the open incidents of `kind` of these cameras at `at`; returns the resolved alerts."""
    if not camera_ids:
        return []
    return conn.execute(
        f"UPDATE alerts SET resolved_at = %s WHERE kind = %s AND camera_id = ANY(%s::uuid[])"
        f" AND resolved_at IS NULL RETURNING {ALERT_COLS}",
        (at, kind, [str(c) for c in camera_ids]),
    ).fetchall()


def open_incident(conn: Conn, kind: str, camera_id: str) -> AlertRow | None:
    """The open incident of `kind` of a camera, if any."""
    return conn.execute(
        f"SELECT {ALERT_COLS} FROM alerts WHERE kind = %s AND camera_id = %s AND resolved_at IS NULL",
        (kind, camera_id),
    ).fetchone()
