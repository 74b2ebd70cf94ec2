"""Camera groups: named sets of a city's cameras ("Escola Municipal X", "Centro"). A user restricted to groups
(`PATCH /v1/users/{id} {"camera_group_ids"}`) sees only their cameras; changing a group's cameras changes
what its users see on their next request, and their live sockets are told (`tenancy.access`)."""

from __future__ import annotations

import psycopg

from gtvision.core import db, pagination
from gtvision.core.errors import Conflict, not_found
from gtvision.core.principal import Principal
from gtvision.tenancy import access
from gtvision.tenancy.account_schemas import CameraGroup
from gtvision.tenancy.api_schemas import CameraGroupIn, CameraGroupOut, CameraGroupPatch
from gtvision.tenancy.authz import in_callers_city
from gtvision.tenancy.schemas import City
from gtvision.tenancy.store import cameras as cameras_dal
from gtvision.tenancy.store import groups as dal


def public(group: CameraGroup) -> CameraGroupOut:
    return CameraGroupOut.model_validate(group)


def visible(principal: Principal, group_id: str) -> CameraGroup:
    """A group of the caller's city (admins: any); 404 otherwise."""
    with db.transaction() as conn:
        return in_callers_city(conn, principal, dal.get, group_id, "grupo de câmeras")


def _check_cameras(conn: db.Conn, city_id: str, camera_ids: list[str]) -> None:
    """Every camera of a group belongs to the group's city (another city's id is as unknown as a missing one)."""
    if camera_ids and cameras_dal.ids_in_city(conn, city_id, camera_ids) != set(camera_ids):
        raise not_found("câmera")


def _taken() -> Conflict:
    return Conflict("camera_group_exists", "já existe um grupo com este nome na cidade")


def create(city: City, data: CameraGroupIn) -> CameraGroupOut:
    """A new group of the city's cameras."""
    city_id = str(city.id)
    try:
        with db.transaction() as conn:
            _check_cameras(conn, city_id, data.camera_ids)
            group_id = dal.insert(conn, city_id, data.name)
            dal.set_members(conn, group_id, data.camera_ids)
            return public(dal.get_exactly(conn, group_id))
    except psycopg.errors.UniqueViolation:
        raise _taken() from None


def list_(city: City, limit: int, cursor: str | None) -> tuple[list[CameraGroupOut], str | None]:
    """The city's groups, a page at a time."""
    with db.transaction() as conn:
        rows = dal.list_page(conn, str(city.id), limit, pagination.decode_keyset(cursor))
    items, nxt = pagination.page(rows, limit, ("created_at", "id"))
    return [public(g) for g in items], nxt


def update(group: CameraGroup, patch: CameraGroupPatch) -> CameraGroupOut:
    """Rename a group or replace its cameras (its restricted users see the new set at once)."""
    group_id = str(group.id)
    try:
        with db.transaction() as conn:
            if patch.name is not None:
                dal.rename(conn, group_id, patch.name)
            if patch.camera_ids is not None:
                _check_cameras(conn, str(group.city_id), patch.camera_ids)
                dal.set_members(conn, group_id, patch.camera_ids)
            users = dal.members_of(conn, group_id) if patch.camera_ids is not None else []
            row = dal.get_exactly(conn, group_id)
    except psycopg.errors.UniqueViolation:
        raise _taken() from None
    for user_id in users:
        access.user_changed(user_id, "camera_groups")
    return public(row)


def delete(group: CameraGroup) -> None:
    """Remove a group; users restricted to it keep their other groups (or see no camera: never more)."""
    with db.transaction() as conn:
        users = dal.members_of(conn, str(group.id))
        if not dal.delete(conn, str(group.id)):
            raise not_found("grupo de câmeras")
    for user_id in users:
        access.user_changed(user_id, "camera_groups")
