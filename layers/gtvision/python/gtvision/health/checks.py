"""Health: really touch the database, the bucket and the queue (`GET /v1/health`, no token)."""

from __future__ import annotations

from typing import Literal

from gtvision.core.models import Out
from gtvision.health import probes


class HealthOut(Out):
    status: Literal["ok", "degraded"]
    checks: dict[str, str]


def check() -> HealthOut:
    """Whether the database, the recordings bucket and the clip queue answer: ok or degraded."""
    checks = {"db": probes.database_status(), "storage": probes.storage_status(), "queue": probes.queue_status()}
    return HealthOut(status="ok" if all(v == "ok" for v in checks.values()) else "degraded", checks=checks)
