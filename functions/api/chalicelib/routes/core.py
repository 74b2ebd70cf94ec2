"""Routes of the foundation: health, login, cities, users and cameras."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.http import Ctx, json_response, paged, route
from chalicelib.resolvers import ADMINS, MANAGERS
from gtvision.core.models import parse
from gtvision.health import checks as health
from gtvision.tenancy import cameras, cities, quotas, users
from gtvision.tenancy.schemas import CameraIn, CameraPatch, CityIn, CityPatch, Login, UserIn

bp = Blueprint(__name__)


@route(bp, "/v1/health", auth=False)
def get_health(ctx: Ctx) -> Any:
    result = health.check()
    return json_response(result, 200 if result["status"] == "ok" else 503)


@route(bp, "/v1/auth/login", ("POST",), auth=False)
def login(ctx: Ctx) -> Any:
    data = parse(Login, ctx.json())
    quotas.check_source(ctx.source_ip, "login")  # across usernames: password spraying from one address
    return users.login(data, ctx.source_ip, ctx.request_id)


def _user_out(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "username", "role", "city_id", "created_at")}


@route(bp, "/v1/users", ("POST",))
def create_user(ctx: Ctx) -> Any:
    return json_response(_user_out(users.create(ctx.user, parse(UserIn, ctx.json()))), 201)


@route(bp, "/v1/users", roles=MANAGERS)
def list_users(ctx: Ctx) -> Any:
    items, nxt = users.list_(ctx.user, ctx.limit(), ctx.cursor())
    return paged([_user_out(r) for r in items], nxt)


@route(bp, "/v1/users/{user_id}", ("DELETE",))
def delete_user(ctx: Ctx, user_id: str) -> Any:
    users.delete(ctx.user, user_id)
    return json_response(None, 204)


@route(bp, "/v1/cities", ("POST",), roles=ADMINS)
def create_city(ctx: Ctx) -> Any:
    return json_response(cities.create(ctx.user, parse(CityIn, ctx.json())), 201)


@route(bp, "/v1/cities")
def list_cities(ctx: Ctx) -> Any:
    items, nxt = cities.list_(ctx.user, ctx.limit(), ctx.cursor())
    return paged(items, nxt)


@route(bp, "/v1/cities/{city_id}")
def get_city(ctx: Ctx, city_id: str) -> Any:
    return cities.public(cities.get(ctx.user, city_id))


@route(bp, "/v1/cities/{city_id}", ("PATCH",), roles=ADMINS)
def update_city(ctx: Ctx, city_id: str) -> Any:
    return cities.update(ctx.user, city_id, parse(CityPatch, ctx.json()))


@route(bp, "/v1/cities/{city_id}", ("DELETE",), roles=ADMINS)
def delete_city(ctx: Ctx, city_id: str) -> Any:
    cities.delete(ctx.user, city_id)
    return json_response(None, 204)


@route(bp, "/v1/cities/{city_id}/cameras", ("POST",))
def create_camera(ctx: Ctx, city_id: str) -> Any:
    ctx.audit_city_id = city_id
    return json_response(cameras.create(ctx.user, city_id, parse(CameraIn, ctx.json())), 201)


@route(bp, "/v1/cities/{city_id}/cameras")
def list_cameras(ctx: Ctx, city_id: str) -> Any:
    items, nxt = cameras.list_(ctx.user, city_id, ctx.limit(), ctx.cursor())
    return paged(items, nxt)


@route(bp, "/v1/cameras/{camera_id}")
def get_camera(ctx: Ctx, camera_id: str) -> Any:
    return cameras.to_public(cameras.visible(ctx.user, camera_id))


@route(bp, "/v1/cameras/{camera_id}", ("PATCH",))
def update_camera(ctx: Ctx, camera_id: str) -> Any:
    return cameras.update(ctx.user, camera_id, parse(CameraPatch, ctx.json()))


@route(bp, "/v1/cameras/{camera_id}", ("DELETE",))
def delete_camera(ctx: Ctx, camera_id: str) -> Any:
    cameras.delete(ctx.user, camera_id)
    return json_response(None, 204)
