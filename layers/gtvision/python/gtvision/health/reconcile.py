"""Paths MediaMTX forgot: a restart drops every path added through its control API, so cameras a manager
started would stay offline for good. Each poll re-adds the path of every camera that should stream and whose
path is missing from its node's list — with backoff per camera (1, 2, 4… minutes, at most 15) and a log line
— and the camera's status then recovers by itself on the next polls (no manager involved).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gtvision.core.observability import logger
from gtvision.core.rows import rowtype
from gtvision.health.schemas import StartedCamera
from gtvision.streams import paths as stream_paths
from gtvision.streams.mediamtx import MediaMTXClient, MediaMTXUnavailable, PathStatus

#: Wait after the first re-add of a camera's path before another; doubles with each try, capped.
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(minutes=15)


@rowtype(slots=False)
class Readd:
    """Paths of one camera to add again on its node (`attempt`: the how-many-th try since it went missing)."""

    camera_id: str
    paths: tuple[str, ...]
    attempt: int


@dataclass
class Outcome:
    readded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def backoff(attempt: int) -> timedelta:
    """How long after the `attempt`-th try the next one may come."""
    doubled: int = 2 ** min(max(attempt - 1, 0), 10)
    return min(MAX_BACKOFF, FIRST_BACKOFF * doubled)


def wanted_paths(cam: StartedCamera) -> tuple[str, ...]:
    """The MediaMTX paths a started camera must have (its sub-stream's too)."""
    return stream_paths.wanted_paths(str(cam.camera_id), cam.has_substream)


def plan(
    cam: StartedCamera, paths: dict[str, PathStatus] | None, now: datetime
) -> tuple[int, datetime | None, Readd | None]:
    """(tries so far, when the next may come, what to re-add now) of one camera for this poll.

    MediaMTX unreachable: nothing is known, the state stays. Every path present: the count starts over.
    """
    if paths is None:
        return cam.path_readds, cam.path_readd_after, None
    missing = tuple(p for p in wanted_paths(cam) if p not in paths)
    if not missing:
        return 0, None, None
    if cam.path_readd_after is not None and now < cam.path_readd_after:
        return cam.path_readds, cam.path_readd_after, None
    attempt = cam.path_readds + 1
    return attempt, now + backoff(attempt), Readd(str(cam.camera_id), missing, attempt)


def readd(client: MediaMTXClient, items: list[Readd], *, api_url_of: dict[str, str | None]) -> Outcome:
    """Add the missing paths again (after the poll's transaction committed), on the node that was listed.

    A camera placed on another MediaMTX node than the one the poll listed is left alone (`api_url_of`).
    """
    outcome = Outcome()
    for item in items:
        node = api_url_of.get(item.camera_id)
        if node is not None and node.rstrip("/") != client.api_url:
            continue
        try:
            stream_paths.readd_paths(client, item.camera_id, item.paths)
        except Exception as exc:  # noqa: BLE001 - one camera's failure must not stop the others
            outcome.failed.append(item.camera_id)
            reason = exc.message if isinstance(exc, MediaMTXUnavailable) else f"{type(exc).__name__}: {exc}"
            logger.warning(
                "mediamtx path missing: re-add failed",
                extra={
                    "camera_id": item.camera_id,
                    "paths": list(item.paths),
                    "attempt": item.attempt,
                    "retry_in_s": backoff(item.attempt).total_seconds(),
                    "reason": reason[:300],
                },
            )
            continue
        outcome.readded.append(item.camera_id)
        logger.warning(
            "mediamtx path missing: re-added",
            extra={"camera_id": item.camera_id, "paths": list(item.paths), "attempt": item.attempt},
        )
    return outcome
