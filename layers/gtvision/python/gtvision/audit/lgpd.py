"""LGPD data-subject rights: a user's own data (Art. 18 — access, portability, elimination) and the
answer to a person asking which plate reads of their vehicle the city holds (Art. 19: 15 days)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from gtvision.audit.schemas import (
    AlertRow,
    AuditEntry,
    JsonObject,
    MyData,
    PlateAlertOut,
    PlateReadOut,
    PlateReadRow,
    PlateRequest,
    Profile,
)
from gtvision.audit.store import queries as dal
from gtvision.core import db
from gtvision.core.crypto import plate_pseudonym
from gtvision.core.errors import Invalid, Unauthorized
from gtvision.core.principal import Principal
from gtvision.lpr.plates import normalize_plate
from gtvision.tenancy import users
from gtvision.tenancy.account_schemas import User

#: The caller's audit entries in one export (a JSON reply must stay under Lambda's 6 MB).
EXPORT_AUDIT_MAX = 20_000
EXPORT_ROWS_MAX = 5_000
PLATE_READS_MAX = 20_000
ANSWER_DAYS = 15
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


def _current_user(principal: Principal) -> User:
    """The caller's account; a token of an anonymised (or removed) account no longer opens anything here."""
    try:
        user = users.get_user(str(UUID(principal.user_id)))
    except ValueError:  # not a local account id (e.g. a foreign token subject)
        user = None
    if user is None:
        raise Unauthorized("account_gone", "conta inexistente ou anonimizada")
    return user


def _profile(user: User) -> Profile:
    return Profile(
        id=str(user.id),
        username=user.username,
        role=user.role,
        city_id=None if user.city_id is None else str(user.city_id),
        pseudonym=user.pseudonym,
        created_at=user.created_at,
        totp_enabled=user.totp_enabled,
        camera_group_ids=None if user.camera_group_ids is None else [str(g) for g in user.camera_group_ids],
    )


def profile(principal: Principal) -> Profile:
    """The caller's own account, as they may see it."""
    return _profile(_current_user(principal))


def export(principal: Principal) -> MyData:
    """Everything held on the caller — their account, their audit trail, what they created — and nothing else."""
    user = _current_user(principal)
    with db.transaction() as conn:
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
        owned: dict[str, list[JsonObject]] = {}
        for key, table, owner, wanted in _OWNED:
            present = dal.columns(conn, table)
            if owner in present and "created_at" in present:
                cols = [c for c in wanted if c in present]
                owned[key] = dal.rows_owned_by(conn, table, owner, principal.user_id, cols, EXPORT_ROWS_MAX)
    return MyData(
        generated_at=datetime.now(UTC),
        controller_note="Dados pessoais mantidos pelo GT-Vision sobre o titular (LGPD, art. 18, II e V).",
        user=_profile(user),
        audit_entries=[AuditEntry.model_validate(e) for e in entries[:EXPORT_AUDIT_MAX]],
        audit_entries_total=total,
        audit_entries_truncated=total > EXPORT_AUDIT_MAX,
        clips=owned.get("clips", []),
        clip_holds=owned.get("clip_holds", []),
        watchlist=owned.get("watchlist", []),
    )


def delete(principal: Principal) -> None:
    """Anonymise the caller's account: the login disappears, the audit trail keeps only the pseudonym."""
    _current_user(principal)
    users.delete_own(principal)


def plate_request(raw_plate: str) -> PlateRequest:
    """Admin: every read of a plate in every city (camera, time, whether an image is held), for the answer
    to its holder; reads already anonymised are counted, never shown."""
    try:
        plate = normalize_plate(raw_plate)
    except ValueError as exc:
        raise Invalid("invalid_plate", str(exc)) from None
    hashed = plate_pseudonym(plate)
    with db.transaction() as conn:
        if not dal.columns(conn, "plate_reads"):
            reads: list[PlateReadRow] = []
            alerts: list[AlertRow] = []
        else:
            reads = dal.plate_reads(conn, [plate, hashed], PLATE_READS_MAX)
            alerts = dal.alerts_for_reads(conn, [r.id for r in reads]) if dal.columns(conn, "alerts") else []
    identified = [r for r in reads if r.anonymised_at is None]
    now = datetime.now(UTC)
    kept = {str(r.id) for r in identified}
    return PlateRequest(
        plate=plate,
        generated_at=now,
        answer_due_if_received_today=(now + timedelta(days=ANSWER_DAYS)).date(),
        reads=[PlateReadOut.model_validate(r) for r in identified],
        reads_total=len(identified),
        anonymised_reads=len(reads) - len(identified),
        cities=sorted({str(r.city_id) for r in identified}),
        alerts=[
            PlateAlertOut(
                id=str(a.id),
                kind=a.kind,
                status=a.status,
                created_at=a.created_at,
                read_ids=[str(i) for i in a.read_ids if str(i) in kept],
            )
            for a in alerts
        ],
        truncated=len(reads) >= PLATE_READS_MAX,
    )
