"""Cities: the tenants. Only admins create or delete them; managers and viewers see their own."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg

from gtvision.core import db, pagination
from gtvision.core.errors import Conflict, Invalid, not_found
from gtvision.core.principal import Principal
from gtvision.tenancy.schemas import City
from gtvision.tenancy.store import cities as dal

if TYPE_CHECKING:  # the API's models are built where an answer is: the workers reading cities never do (ADR 0029)
    from gtvision.tenancy.api_schemas import CityIn, CityOut, CityPatch


#: The Brazilian states (a city's `state`).
BR_STATES = frozenset(
    {
        "AC",
        "AL",
        "AP",
        "AM",
        "BA",
        "CE",
        "DF",
        "ES",
        "GO",
        "MA",
        "MT",
        "MS",
        "MG",
        "PA",
        "PB",
        "PR",
        "PE",
        "PI",
        "RJ",
        "RN",
        "RS",
        "RO",
        "RR",
        "SC",
        "SP",
        "SE",
        "TO",
    }
)


def _check_state(state: str | None) -> str | None:
    if state is None:
        return None
    state = state.upper()
    if state not in BR_STATES:
        raise Invalid("invalid_state", "state deve ser a sigla de uma UF (ex.: SP)")
    return state


def _check_timezone(name: str | None) -> str | None:
    """An IANA zone name (`America/Manaus`); 422 otherwise (camera local times are read in it)."""
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("invalid_timezone", "timezone deve ser um fuso IANA (ex.: America/Sao_Paulo)") from None
    return name


def public(city: City) -> CityOut:
    """The city as the API shows it (every column; `full_quality_days` as it applies: at most retention_days)."""
    from gtvision.tenancy.api_schemas import CityOut

    applied = min(city.full_quality_days or city.retention_days, city.retention_days)
    return CityOut.model_validate(city).model_copy(update={"full_quality_days": applied})


def _check_full_quality(full_quality_days: int | None, retention_days: int) -> None:
    """Two-tier recording: the main stream is kept at most as long as the plan."""
    if full_quality_days is not None and full_quality_days > retention_days:
        raise Invalid("invalid_full_quality_days", "full_quality_days deve ser no máximo retention_days")


def create(data: CityIn) -> CityOut:
    """Admins register a city (a tenant) with its retention plan and camera limit."""
    values = data.model_dump()
    values["require_2fa_roles"] = sorted(set(data.require_2fa_roles))
    values["state"] = _check_state(data.state)
    values["timezone"] = _check_timezone(data.timezone)
    _check_full_quality(data.full_quality_days, data.retention_days)
    try:
        with db.transaction() as conn:
            return public(dal.insert(conn, values))
    except psycopg.errors.UniqueViolation:
        raise Conflict("city_exists", "já existe uma cidade com este nome nesta UF") from None


def get(principal: Principal, city_id: str) -> City:
    """A city the caller can see; 404 for any other."""
    city_id = city_id.lower()
    if not principal.can_see_city(city_id):
        raise not_found("cidade")
    with db.transaction() as conn:
        city = dal.get(conn, city_id)
    if city is None:
        raise not_found("cidade")
    return city


def list_(principal: Principal, limit: int, cursor: str | None) -> tuple[list[CityOut], str | None]:
    """The cities the caller can see (admins: all; others: their own), a page at a time."""
    with db.transaction() as conn:
        rows = dal.list_page(conn, limit, pagination.decode_keyset(cursor), principal.scope)
    items, nxt = pagination.page(rows, limit, ("created_at", "id"))
    return [public(c) for c in items], nxt


def update(city: City, patch: CityPatch) -> CityOut:
    """Admins change a city's name, state, plans, camera limit or 2FA requirement."""
    city_id = str(city.id)
    changes = patch.model_dump(exclude_none=True)
    if "full_quality_days" in changes:
        _check_full_quality(patch.full_quality_days, patch.retention_days or city.retention_days)
    if "require_2fa_roles" in changes:
        changes["require_2fa_roles"] = sorted(set(changes["require_2fa_roles"]))
    if "state" in changes:
        changes["state"] = _check_state(changes["state"])
    if "timezone" in changes:
        changes["timezone"] = _check_timezone(changes["timezone"])
    try:
        with db.transaction() as conn:
            row = dal.update(conn, city_id, changes) if changes else dal.get(conn, city_id)
    except psycopg.errors.UniqueViolation:
        raise Conflict("city_exists", "já existe uma cidade com este nome nesta UF") from None
    if row is None:
        raise not_found("cidade")
    return public(row)


def exists(city_id: str) -> bool:
    """Whether the city exists (for features that take a city id from a body or query)."""
    with db.transaction() as conn:
        return dal.get(conn, city_id) is not None


def find(city_id: str) -> City | None:
    """The city whatever the caller (workers, webhooks); None when it does not exist."""
    with db.transaction() as conn:
        return dal.get(conn, city_id)


def delete(city: City) -> None:
    """Admins remove a city that has no cameras, users, recordings or plate reads left."""
    city_id = str(city.id)
    with db.transaction() as conn:
        if dal.has_dependents(conn, city_id):
            raise Conflict(
                "city_not_empty", "a cidade ainda tem câmeras, usuários ou casos; remova-os antes de excluí-la"
            )
        # Retention walks cities: a deleted city's recordings and plate reads would never expire.
        if dal.holds_personal_data(conn, city_id):
            raise Conflict(
                "city_has_recordings",
                "a cidade ainda tem gravações ou leituras de placas; a retenção as elimina no prazo da cidade"
                " (reduza retention_days e lpr_retention_days para antecipar) e então ela pode ser excluída",
            )
        if not dal.delete(conn, city_id):
            raise not_found("cidade")
