"""The audit trail seam: every audited action goes through `record` (the API decorator calls it)."""

from __future__ import annotations

from collections.abc import Mapping

from gtvision.audit.store import trail as dal
from gtvision.core import db
from gtvision.core.observability import logger
from gtvision.core.principal import Principal


def record(
    principal: Principal | None,
    action: str,
    resource: str | None,
    *,
    status: int | None = None,
    source_ip: str | None = None,
    request_id: str | None = None,
    city_id: str | None = None,
    detail: Mapping[str, object] | None = None,
    actor: str | None = None,
) -> None:
    """Append one entry. Failing to audit is logged loudly but never turns a served request into an error."""
    entry = {
        "user_id": principal.user_id if principal else None,
        "actor": actor or (principal.username if principal else "anonymous"),
        "role": principal.role if principal else None,
        "city_id": city_id or (principal.city_id if principal else None),
        "action": action,
        "resource": resource,
        "status": status,
        "source_ip": source_ip,
        "request_id": request_id,
        "detail": detail or {},
    }
    try:
        with db.transaction() as conn:
            dal.insert(conn, entry)
    except Exception:  # noqa: BLE001 - the request already happened; losing the entry must be visible
        logger.exception("audit entry could not be written", extra={"action": action, "resource": resource})
