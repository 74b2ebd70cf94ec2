"""Legal holds placed by a case: the recording segments its items and exports come from.

While the case is open its holds have no end (`segment_holds.until` NULL); closing it sets their end to
`keep_until` (`GTV_CASE_KEEP_DAYS` after closing) and reopening removes it again. Retention skips every
segment with a hold in force. The objects are tagged `held` (out of the bucket's lifecycle safety net) when
held; once the keep period is over, `release_expired` gives them back their city's plan.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from gtvision.cases import custody, store
from gtvision.cases.schemas import Case
from gtvision.core import db
from gtvision.core.db import Conn
from gtvision.core.observability import logger
from gtvision.core.rows import rowtype
from gtvision.core.settings import get_settings
from gtvision.recordings import holds as recording_holds
from gtvision.recordings.schemas import Segment


@rowtype(slots=False)
class Held:
    """What one hold covers: the segments (to tag once committed) and how many holds are new."""

    segments: list[Segment]
    new: int


def keep_until(closed_at: datetime) -> datetime:
    """When the holds of a case closed at `closed_at` end."""
    return closed_at + timedelta(days=get_settings().case_keep_days)


def hold_window(conn: Conn, case: Case, camera_id: str, start: datetime, end: datetime) -> Held:
    """Hold the camera's segments overlapping [start, end) for the case (inside the caller's transaction)."""
    segments = recording_holds.in_range(conn, camera_id, start, end)
    until = None if case.status == "open" else case.keep_until
    new = store.hold_segments(conn, str(case.id), camera_id, [s.start_at for s in segments], until)
    return Held(segments, new)


def tag(held: list[Held]) -> None:
    """After the commit: take the held segments' objects out of the lifecycle safety net."""
    segments = [s for h in held for s in h.segments]
    if segments:
        recording_holds.protect_segments(segments)


def set_end(conn: Conn, case_id: str, until: datetime | None) -> int:
    """The case's holds end at `until` (closing) or never while it is open (`None`: reopening)."""
    return store.set_holds_until(conn, case_id, until)


def release_expired(limit: int = 100) -> list[str]:
    """Closed cases past their keep period: drop their segment holds, lift their clips' holds and retag what
    nothing else holds.

    Returns the cases released. Each case in its own transaction (a failure leaves the others done).
    """
    with db.transaction() as conn:
        due = store.expired_holds(conn, limit)
    released = []
    for case_id in due:
        sources = recording_holds.release_case_sources(case_id)
        with db.transaction() as conn:
            case = store.get_case(conn, case_id, lock=True)
            if case is None or case.status != "closed":
                continue  # reopened meanwhile
            dropped = store.drop_holds(conn, case_id)
            custody.record(conn, case_id, "hold.released", detail={"segments": dropped})
        from gtvision.clips import service as clips  # only when a case is released (rare; ADR 0029)

        clips.release_case_holds(case_id)
        try:
            recording_holds.retag(sources)
        except Exception:  # noqa: BLE001 - retention deletes them on plan anyway; the tag is the safety net
            logger.exception("case sources not retagged", extra={"case_id": case_id})
        released.append(case_id)
    return released
