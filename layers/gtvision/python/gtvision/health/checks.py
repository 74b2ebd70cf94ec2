"""Health: really touch the database, the bucket and the queue."""

from __future__ import annotations

from gtvision.health import probes as dal


def check() -> dict[str, object]:
    """Whether the database, the recordings bucket and the clip queue answer: ok or degraded."""
    checks = {"db": dal.database_status(), "storage": dal.storage_status()}
    checks["queue"] = dal.queue_status()
    return {"status": "ok" if all(v == "ok" for v in checks.values()) else "degraded", "checks": checks}
