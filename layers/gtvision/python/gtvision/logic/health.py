"""Health: really touch the database, the bucket and the queue."""

from __future__ import annotations

from gtvision import db
from gtvision.dal import health as dal


def check() -> dict[str, object]:
    checks: dict[str, str] = {}
    try:
        with db.transaction() as conn:
            conn.execute("SELECT 1")
        checks["db"] = "ok"
    except Exception as exc:  # noqa: BLE001 - health reports, never raises
        checks["db"] = f"error: {type(exc).__name__}"
    checks["storage"] = dal.storage_status()
    checks["queue"] = dal.queue_status()
    return {"status": "ok" if all(v == "ok" for v in checks.values()) else "degraded", "checks": checks}
