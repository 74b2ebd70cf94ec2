"""Inter-city grants for a case: one city's manager asks another city for its reads of some plates in a
window; the holding city's manager approves or denies; while approved and unexpired (30 days at most) the
requesting city's operators see exactly those reads — and each such read is audited in both cities.

`granted_scope` and `granted_scopes` are what LPR search and trajectory ask before showing another city's
reads; they read the grant on every request, so expiry and revocation take effect at once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gtvision.audit import service as audit
from gtvision.core import db, pagination
from gtvision.core.errors import Conflict, Forbidden, Invalid, not_found
from gtvision.core.ids import query_uuid
from gtvision.core.principal import Principal
from gtvision.core.rows import rowtype
from gtvision.lpr import plates
from gtvision.sharing.api_schemas import GrantIn, GrantOut, GrantPatch, GrantsQuery
from gtvision.sharing.schemas import Grant
from gtvision.sharing.store import grants as store
from gtvision.tenancy import cities
from gtvision.tenancy.authz import in_callers_city, roles_from

MAX_WINDOW = timedelta(days=30)
VALIDITY = timedelta(days=30)


@rowtype(slots=False)
class GrantScope:
    """What a grant lets the caller see of another city: one plate's reads in [from_, to)."""

    grant_id: str
    holding_city_id: str
    requesting_city_id: str
    plate: str
    from_: datetime
    to: datetime


def public(row: Grant, now: datetime | None = None) -> GrantOut:
    now = now or datetime.now(UTC)
    return GrantOut(
        id=str(row.id),
        requesting_city_id=str(row.requesting_city_id),
        holding_city_id=str(row.holding_city_id),
        case_id=str(row.case_id),
        plates=list(row.plates),
        **{"from": row.from_at},
        to=row.to_at,
        justification=row.justification,
        status=row.status,
        in_force=row.status == "approved" and row.expires_at is not None and row.expires_at > now,
        requested_by=str(row.requested_by) if row.requested_by else None,
        answered_by=str(row.answered_by) if row.answered_by else None,
        answered_at=row.answered_at,
        expires_at=row.expires_at,
        created_at=row.created_at,
    )


def create(principal: Principal, data: GrantIn) -> GrantOut:
    """A manager of the requesting city asks (admins for any city): 201 `pending`."""
    if not principal.can_see_city(data.requesting_city_id):
        raise not_found("cidade")
    if data.requesting_city_id == data.holding_city_id:
        raise Invalid("same_city", "a cidade detentora deve ser outra cidade")
    if not cities.exists(data.holding_city_id) or not cities.exists(data.requesting_city_id):
        raise not_found("cidade")
    if data.to <= data.from_:
        raise Invalid("invalid_range", "from deve ser anterior a to")
    if data.to - data.from_ > MAX_WINDOW:
        raise Invalid("range_too_long", "a janela de uma concessão é de no máximo 30 dias")
    try:
        wanted = sorted({plates.normalize_plate(p) for p in data.plates})
    except ValueError as exc:
        raise Invalid("invalid_plate", str(exc)) from None
    with db.transaction() as conn:
        row = store.insert(
            conn,
            {
                "requesting_city_id": data.requesting_city_id,
                "holding_city_id": data.holding_city_id,
                "case_id": data.case_id,
                "plates": wanted,
                "from_at": data.from_,
                "to_at": data.to,
                "justification": data.justification,
                "requested_by": principal.user_id,
            },
        )
    return public(row)


def visible(principal: Principal, grant_id: str) -> Grant:
    """The grant if the caller's city asked for it or holds the reads (admins: any); 404 otherwise."""
    with db.transaction() as conn:
        return in_callers_city(conn, principal, store.get, grant_id, "concessão")


def list_(principal: Principal, query: GrantsQuery) -> tuple[list[GrantOut], str | None]:
    after = pagination.decode_keyset(query.cursor)
    with db.transaction() as conn:
        rows = store.list_page(conn, principal.scope, query.status, query.limit, after)
    items, nxt = pagination.page(rows, query.limit, ("created_at", "id"))
    now = datetime.now(UTC)
    return [public(r, now) for r in items], nxt


def answer(principal: Principal, grant: Grant, data: GrantPatch) -> GrantOut:
    """The holding city approves or denies a pending grant; either city revokes an approved one."""
    holding, requesting = str(grant.holding_city_id), str(grant.requesting_city_id)
    if data.status in ("approved", "denied"):
        if not principal.can_see_city(holding):
            raise Forbidden("forbidden", "só a cidade detentora das leituras responde a uma concessão")
        source = "pending"
    else:
        if not (principal.can_see_city(holding) or principal.can_see_city(requesting)):
            raise Forbidden("forbidden", "seu perfil não permite esta operação")
        source = "approved"
    expires = datetime.now(UTC) + VALIDITY if data.status == "approved" else None
    with db.transaction() as conn:
        row = store.answer(conn, str(grant.id), data.status, principal.user_id, expires, source)
    if row is None:
        raise Conflict(
            "grant_not_" + source, f"a concessão não está {'pendente' if source == 'pending' else 'aprovada'}"
        )
    return public(row)


# ------------------------------------------------------------------------------------- LPR's questions


def _may_use_grants(principal: Principal) -> bool:
    return principal.city_id is not None and principal.role in roles_from("operator")


def _clamp(grant: Grant, plate: str, from_: datetime | None, to: datetime | None) -> GrantScope | None:
    start = max(from_, grant.from_at) if from_ else grant.from_at
    end = min(to, grant.to_at) if to else grant.to_at
    if end <= start:
        return None
    return GrantScope(str(grant.id), str(grant.holding_city_id), str(grant.requesting_city_id), plate, start, end)


def granted_scope(
    principal: Principal, city_id: str | None, plate: str | None, from_: datetime | None, to: datetime | None
) -> GrantScope | None:
    """What the caller may see of `city_id`'s reads of `plate` in [from_, to) through a grant in force; None
    when the city is the caller's own (admins: any), or no grant covers it (the caller then gets the usual 404)."""
    city_id = query_uuid(city_id, "city_id")  # 422 for a malformed one, as without a grant
    if not city_id or not plate or principal.can_see_city(city_id) or not _may_use_grants(principal):
        return None
    with db.transaction() as conn:
        found = store.in_force(conn, str(principal.city_id), city_id, [plate])
    scopes = [s for g in found if (s := _clamp(g, plate, from_, to)) is not None]
    return max(scopes, key=lambda s: s.to - s.from_) if scopes else None


def granted_scopes(principal: Principal, plate: str, from_: datetime, to: datetime) -> list[GrantScope]:
    """Every other city's reads of `plate` in [from_, to) the caller sees through grants in force (the
    trajectory across cities)."""
    if not _may_use_grants(principal):
        return []
    with db.transaction() as conn:
        found = store.in_force_for_plate(conn, str(principal.city_id), plate)
    return [s for g in found if (s := _clamp(g, plate, from_, to)) is not None]


def audit_access(principal: Principal, scope: GrantScope, read_ids: list[Any], action: str) -> None:
    """Every read seen through a grant is audited in both cities."""
    detail = {
        "grant_id": scope.grant_id,
        "plate": scope.plate,
        "read_ids": [str(i) for i in read_ids],
        "holding_city_id": scope.holding_city_id,
        "requesting_city_id": scope.requesting_city_id,
    }
    for city in (scope.holding_city_id, scope.requesting_city_id):
        audit.record(principal, action, f"/v1/grants/{scope.grant_id}", status=200, city_id=city, detail=detail)
