"""Reading the audit trail: admins see every city, managers their own, viewers nothing. Nothing writes here."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from gtvision.audit.store import queries as dal
from gtvision.core import db, pagination
from gtvision.core.errors import Malformed
from gtvision.core.principal import Principal
from gtvision.core.timeutil import format_rfc3339, query_time

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


@dataclass(frozen=True)
class Filters:
    from_: datetime | None
    to: datetime | None
    user_id: str | None
    action: str | None


def parse_filters(query: dict[str, str]) -> Filters:
    """`from`/`to` (RFC 3339, half-open), `user_id` (UUID) and `action`; 400 on anything malformed."""

    def when(name: str) -> datetime | None:
        return query_time(query.get(name), name)

    user_id = query.get("user_id") or None
    if user_id is not None:
        try:
            user_id = str(UUID(user_id))
        except ValueError:
            raise Malformed("invalid_user_id", "user_id deve ser um UUID") from None
    action = query.get("action") or None
    if action is not None and len(action) > 100:
        raise Malformed("invalid_action", "action longa demais")
    f = Filters(when("from"), when("to"), user_id, action)
    if f.from_ and f.to and f.to <= f.from_:
        raise Malformed("invalid_range", "to deve ser posterior a from")
    return f


def _scope(principal: Principal) -> str | None:
    principal.require("admin", "manager")
    return principal.scope


def list_(
    principal: Principal, filters: Filters, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page, newest first."""
    city = _scope(principal)
    with db.transaction() as conn:
        rows = dal.entries(
            conn,
            city_id=city,
            from_=filters.from_,
            to=filters.to,
            user_id=filters.user_id,
            action=filters.action,
            limit=limit,
            before=pagination.decode_keyset(cursor, ("time", "int")),
        )
    return pagination.page(rows, limit, ("at", "id"))


def export_csv(principal: Principal, filters: Filters, cursor: str | None) -> tuple[str, str | None]:
    """The same entries as CSV (UTF-8, header row) and the cursor of the next part, if any."""
    rows, nxt = list_(principal, filters, EXPORT_PAGE, cursor)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in CSV_COLUMNS])
    return out.getvalue(), nxt


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        text = format_rfc3339(value)
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
