"""LGPD data-subject rights: a user's own data (Art. 18 — access, portability, elimination) and the
answer to a person asking which plate reads of their vehicle the city holds (Art. 19: 15 days)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from gtvision.audit.store import queries as dal
from gtvision.core import db
from gtvision.core.crypto import plate_pseudonym
from gtvision.core.errors import Conflict, Invalid, Unauthorized
from gtvision.core.principal import Principal
from gtvision.live import service as live
from gtvision.lpr.plates import normalize_plate
from gtvision.tenancy.store import users as users_dal

#: The caller's audit entries in one export (a JSON reply must stay under Lambda's 6 MB).
EXPORT_AUDIT_MAX = 20_000
EXPORT_ROWS_MAX = 5_000
PLATE_READS_MAX = 20_000
ANSWER_DAYS = 15
_PROFILE = ("id", "username", "role", "city_id", "pseudonym", "created_at")
# What a person's export holds from other areas, when those tables exist in this deployment:
# (key in the export, table, column naming the user, columns exported).
_OWNED = (
    (
        "clips",
        "clips",
        "requested_by",
        ("id", "camera_id", "start_at", "end_at", "mode", "status", "held", "hold_reason", "created_at"),
    ),
    ("clip_holds", "clips", "held_by", ("id", "camera_id", "hold_reason", "held_at")),
    ("watchlist", "watchlist", "created_by", ("id", "plate", "reason", "created_at")),
)


def _current_user(conn: Any, principal: Principal) -> dict[str, Any]:
    """The caller's row; a token of an anonymised (or removed) account no longer opens anything here."""
    try:
        user = users_dal.get(conn, str(UUID(principal.user_id)))
    except ValueError:  # not a local account id (e.g. a foreign token subject)
        user = None
    if user is None:
        raise Unauthorized("account_gone", "conta inexistente ou anonimizada")
    return user


def profile(principal: Principal) -> dict[str, Any]:
    """The caller's own account, as they may see it."""
    with db.transaction() as conn:
        user = _current_user(conn, principal)
    return {k: user[k] for k in _PROFILE}


def export(principal: Principal) -> dict[str, Any]:
    """Everything held on the caller — their account, their audit trail, what they created — and nothing else."""
    with db.transaction() as conn:
        user = _current_user(conn, principal)
        entries = dal.entries(
            conn,
            city_id=None,
            from_=None,
            to=None,
            user_id=principal.user_id,
            action=None,
            limit=EXPORT_AUDIT_MAX,
            before=None,
        )
        total = dal.count_for_user(conn, principal.user_id)
        owned: dict[str, list[dict[str, Any]]] = {}
        for key, table, owner, wanted in _OWNED:
            present = dal.columns(conn, table)
            if owner in present and "created_at" in present:
                cols = [c for c in wanted if c in present]
                owned[key] = dal.rows_owned_by(conn, table, owner, principal.user_id, cols, EXPORT_ROWS_MAX)
    return {
        "generated_at": datetime.now(UTC),
        "controller_note": "Dados pessoais mantidos pelo GT-Vision sobre o titular (LGPD, art. 18, II e V).",
        "user": {k: user[k] for k in _PROFILE},
        "audit_entries": entries[:EXPORT_AUDIT_MAX],
        "audit_entries_total": total,
        "audit_entries_truncated": total > EXPORT_AUDIT_MAX,
        **owned,
    }


def delete(principal: Principal) -> None:
    """Anonymise the caller's account: the login disappears, the audit trail keeps only the pseudonym."""
    with db.transaction() as conn:
        user = _current_user(conn, principal)
        # Serialise with other admin removals so two admins can't each leave the other as the last one.
        users_dal.lock_admins(conn)
        if user["role"] == "admin" and users_dal.count_admins(conn) <= 1:
            raise Conflict("last_admin", "o último administrador não pode excluir a própria conta")
        users_dal.anonymise(conn, principal.user_id)
    live.close_user_sockets(principal.user_id)


def plate_request(principal: Principal, raw_plate: str) -> dict[str, Any]:
    """Admin: every read of a plate in every city (camera, time, whether an image is held), for the answer
    to its holder; reads already anonymised are counted, never shown."""
    principal.require("admin")
    try:
        plate = normalize_plate(raw_plate)
    except ValueError as exc:
        raise Invalid("invalid_plate", str(exc)) from None
    hashed = plate_pseudonym(plate)
    with db.transaction() as conn:
        if not dal.columns(conn, "plate_reads"):
            reads: list[dict[str, Any]] = []
            alerts: list[dict[str, Any]] = []
        else:
            reads = dal.plate_reads(conn, [plate, hashed], PLATE_READS_MAX)
            alerts = dal.alerts_for_reads(conn, [r["id"] for r in reads]) if dal.columns(conn, "alerts") else []
    identified = [r for r in reads if r["anonymised_at"] is None]
    now = datetime.now(UTC)
    return {
        "plate": plate,
        "generated_at": now,
        "answer_due_if_received_today": (now + timedelta(days=ANSWER_DAYS)).date(),
        "reads": [
            {
                k: r[k]
                for k in (
                    "id",
                    "camera_id",
                    "camera_name",
                    "city_id",
                    "city_name",
                    "captured_at",
                    "confidence",
                    "has_image",
                )
            }
            for r in identified
        ],
        "reads_total": len(identified),
        "anonymised_reads": len(reads) - len(identified),
        "cities": sorted({str(r["city_id"]) for r in identified}),
        "alerts": [
            {
                "id": a["id"],
                "kind": a["kind"],
                "status": a["status"],
                "created_at": a["created_at"],
                "read_ids": [str(i) for i in a["read_ids"] if any(str(i) == str(r["id"]) for r in identified)],
            }
            for a in alerts
        ],
        "truncated": len(reads) >= PLATE_READS_MAX,
    }
