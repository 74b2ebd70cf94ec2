"""Reading the audit trail: admins see every city, managers their own, viewers nothing. Nothing writes here."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from gtvision.audit.schemas import AuditEntry, AuditExportQuery, AuditFilters
from gtvision.audit.store import queries as dal
from gtvision.core import db, pagination
from gtvision.core.principal import Principal
from gtvision.core.timeutil import format_rfc3339

#: Rows per CSV response; a longer range continues with the `X-Next-Cursor` header.
EXPORT_PAGE = 10_000
CSV_COLUMNS = (
    "id",
    "at",
    "user_id",
    "actor",
    "role",
    "city_id",
    "action",
    "resource",
    "status",
    "source_ip",
    "request_id",
    "detail",
)
# Spreadsheets run cells that start with these as formulas: an auditor opening the file must not.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def list_(
    principal: Principal, query: AuditFilters, limit: int, cursor: str | None
) -> tuple[list[AuditEntry], str | None]:
    """One page, newest first: admins every city's entries, managers their own city's."""
    with db.transaction() as conn:
        rows = dal.entries(
            conn,
            city_id=principal.scope,
            from_=query.from_,
            to=query.to,
            user_id=query.user_id,
            action=query.action,
            limit=limit,
            before=pagination.decode_keyset(cursor, ("time", "int")),
        )
    items, nxt = pagination.page(rows, limit, ("at", "id"))
    return [AuditEntry.model_validate(r) for r in items], nxt


def export_csv(principal: Principal, query: AuditExportQuery) -> tuple[str, str | None]:
    """The same entries as CSV (UTF-8, header row) and the cursor of the next part, if any."""
    rows, nxt = list_(principal, query, EXPORT_PAGE, query.cursor)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        data = row.model_dump()
        writer.writerow([_cell(data[c]) for c in CSV_COLUMNS])
    return out.getvalue(), nxt


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        text = format_rfc3339(value)
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
