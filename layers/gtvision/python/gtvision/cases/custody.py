"""The chain of custody of a case: one append-only event for everything done with it or its evidence.

Events are written in the same transaction as the change they record (a case created, an item added, an
export requested...), so the chain never claims what did not happen; external accesses through a share link
carry the requester's address and user agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gtvision.cases import store
from gtvision.cases.schemas import CustodyEvent
from gtvision.core import db, pagination
from gtvision.core.db import Conn
from gtvision.core.principal import Principal

if TYPE_CHECKING:  # the API's models, imported where an answer is built (ADR 0029)
    from gtvision.cases.api_schemas import CustodyOut

#: Event kinds, and how the custody document and the console call them.
KINDS: dict[str, str] = {
    "case.created": "Caso aberto",
    "case.updated": "Caso alterado",
    "case.closed": "Caso encerrado",
    "case.reopened": "Caso reaberto",
    "item.added": "Item incluído",
    "hold.placed": "Retenção legal aplicada",
    "hold.released": "Retenção legal encerrada",
    "export.requested": "Exportação solicitada",
    "export.ready": "Pacote de exportação pronto",
    "export.failed": "Exportação falhou",
    "export.accessed": "Pacote acessado",
    "masks.lifted": "Máscaras de privacidade retiradas na exportação",
    "share.created": "Link de compartilhamento criado",
    "share.revoked": "Link de compartilhamento revogado",
    "share.viewed": "Link de compartilhamento visualizado",
    "share.downloaded": "Download por link de compartilhamento",
    "share.refused": "Acesso recusado pelo link de compartilhamento",
}
_TEXT = 500


def record(
    conn: Conn,
    case_id: str,
    kind: str,
    *,
    principal: Principal | None = None,
    actor: str | None = None,
    source_ip: str | None = None,
    user_agent: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event (inside the caller's transaction)."""
    if kind not in KINDS:
        raise ValueError(f"unknown custody event {kind!r}")
    store.add_custody(
        conn,
        {
            "case_id": case_id,
            "kind": kind,
            "actor_id": principal.user_id if principal and principal.local else None,
            "actor": actor or (principal.username if principal else "sistema"),
            "source_ip": source_ip,
            "user_agent": (user_agent or "")[:_TEXT] or None,
            "detail": detail or {},
        },
    )


def public(row: CustodyEvent) -> CustodyOut:
    from gtvision.cases.api_schemas import CustodyOut

    return CustodyOut.model_validate(row)


def page(case_id: str, limit: int, cursor: str | None) -> tuple[list[CustodyOut], str | None]:
    """A case's events in the order they happened."""
    after = pagination.decode_keyset(cursor, ("time", "int"))
    with db.transaction() as conn:
        rows = store.custody(conn, case_id, limit, after[1] if after else None)
    items, nxt = pagination.page(rows, limit, ("at", "id"))
    return [public(r) for r in items], nxt


def every(conn: Conn, case_id: str) -> list[CustodyEvent]:
    """Every event of a case (for its custody document), oldest first."""
    out: list[CustodyEvent] = []
    after = 0
    while True:
        rows = store.custody(conn, case_id, 1000, after)
        out += rows[:1000]
        if len(rows) <= 1000:
            return out
        after = rows[999].id
