"""Routes of tenancy (contract: Cities and cameras; Roles, camera groups, sessions, 2FA): cities, cameras,
camera groups and users."""

from __future__ import annotations

from chalicelib.routing import Api, Request, page
from gtvision.core.models import Page, PageQuery
from gtvision.tenancy import cameras, cities, groups, quotas, users
from gtvision.tenancy.account_schemas import CameraGroup, User
from gtvision.tenancy.api_schemas import (
    CameraGroupIn,
    CameraGroupOut,
    CameraGroupPatch,
    CameraIn,
    CameraOut,
    CameraPatch,
    CityIn,
    CityOut,
    CityPatch,
    UserIn,
    UserOut,
    UserPatch,
)
from gtvision.tenancy.schemas import Camera, City

api = Api(__name__)

# ------------------------------------------------------------------------------------------- cities


@api.route("POST", "/v1/cities", role="admin", status=201, body=CityIn, response=CityOut)
def create_city(req: Request[CityIn, None]) -> CityOut:
    """Register a city (a tenant) with its retention plan, camera limit and 2FA requirement."""
    return cities.create(req.body)


@api.route("GET", "/v1/cities", query=PageQuery, response=Page[CityOut])
def list_cities(req: Request[None, PageQuery]) -> Page[CityOut]:
    """The cities the caller can see (admins: all; others: their own)."""
    return page(*cities.list_(req.user, req.query.limit, req.query.cursor))


@api.route("GET", "/v1/cities/{city_id}", response=CityOut)
def get_city(req: Request[None, None], city: City) -> CityOut:
    """One city."""
    return cities.public(city)


@api.route("PATCH", "/v1/cities/{city_id}", role="admin", body=CityPatch, response=CityOut)
def update_city(req: Request[CityPatch, None], city: City) -> CityOut:
    """Change a city's name, state, plans, camera limit or `require_2fa_roles`."""
    return cities.update(city, req.body)


@api.route("DELETE", "/v1/cities/{city_id}", role="admin", status=204)
def delete_city(req: Request[None, None], city: City) -> None:
    """Remove a city with no cameras, users, recordings or plate reads left."""
    cities.delete(city)


# ------------------------------------------------------------------------------------------ cameras


@api.route("POST", "/v1/cities/{city_id}/cameras", role="manager", status=201, body=CameraIn, response=CameraOut)
def create_camera(req: Request[CameraIn, None], city: City) -> CameraOut:
    """Register a camera (credentials in the URL are moved to the encrypted fields)."""
    return cameras.create(req.user, city, req.body)


@api.route("GET", "/v1/cities/{city_id}/cameras", query=PageQuery, response=Page[CameraOut])
def list_cameras(req: Request[None, PageQuery], city: City) -> Page[CameraOut]:
    """The city's cameras (a user restricted to camera groups: only theirs)."""
    return page(*cameras.list_(req.user, city, req.query.limit, req.query.cursor))


@api.route("GET", "/v1/cameras/{camera_id}", response=CameraOut)
def get_camera(req: Request[None, None], camera: Camera) -> CameraOut:
    """One camera: never a password or a secret."""
    return cameras.public(camera)


@api.route("PATCH", "/v1/cameras/{camera_id}", role="manager", body=CameraPatch, response=CameraOut)
def update_camera(req: Request[CameraPatch, None], camera: Camera) -> CameraOut:
    """Change a camera (name, source, credentials, location, LPR, webhook secret rotation, Digest pair)."""
    return cameras.update(req.user, camera, req.body)


@api.route("DELETE", "/v1/cameras/{camera_id}", role="manager", status=204)
def delete_camera(req: Request[None, None], camera: Camera) -> None:
    """Remove a camera."""
    cameras.delete(camera)


# ------------------------------------------------------------------------------------ camera groups


@api.route(
    "POST",
    "/v1/cities/{city_id}/camera-groups",
    role="manager",
    status=201,
    body=CameraGroupIn,
    response=CameraGroupOut,
    audit="camera_group.create",
)
def create_camera_group(req: Request[CameraGroupIn, None], city: City) -> CameraGroupOut:
    """A named set of the city's cameras, to restrict users to (`PATCH /v1/users/{id}`)."""
    return groups.create(city, req.body)


@api.route("GET", "/v1/cities/{city_id}/camera-groups", role="manager", query=PageQuery, response=Page[CameraGroupOut])
def list_camera_groups(req: Request[None, PageQuery], city: City) -> Page[CameraGroupOut]:
    """The city's camera groups."""
    return page(*groups.list_(city, req.query.limit, req.query.cursor))


@api.route("GET", "/v1/camera-groups/{camera_group_id}", role="manager", response=CameraGroupOut)
def get_camera_group(req: Request[None, None], camera_group: CameraGroup) -> CameraGroupOut:
    """One camera group with its cameras."""
    return groups.public(camera_group)


@api.route(
    "PATCH",
    "/v1/camera-groups/{camera_group_id}",
    role="manager",
    body=CameraGroupPatch,
    response=CameraGroupOut,
    audit="camera_group.update",
)
def update_camera_group(req: Request[CameraGroupPatch, None], camera_group: CameraGroup) -> CameraGroupOut:
    """Rename a group or replace its cameras (its users see the new set at once)."""
    return groups.update(camera_group, req.body)


@api.route("DELETE", "/v1/camera-groups/{camera_group_id}", role="manager", status=204, audit="camera_group.delete")
def delete_camera_group(req: Request[None, None], camera_group: CameraGroup) -> None:
    """Remove a group (users restricted to it never see more because of it)."""
    groups.delete(camera_group)


# -------------------------------------------------------------------------------------------- users


@api.route("POST", "/v1/users", role="manager", status=201, body=UserIn, response=UserOut)
def create_user(req: Request[UserIn, None]) -> UserOut:
    """Create a user (managers: of their city, up to manager; password: ≥ 12 characters, not common)."""
    quotas.check(req.user, "user_create")
    req.audit_detail = {"username": req.body.username, "role": req.body.role}
    return users.create(req.user, req.body)


@api.route("GET", "/v1/users", role="manager", query=PageQuery, response=Page[UserOut])
def list_users(req: Request[None, PageQuery]) -> Page[UserOut]:
    """Users the caller manages, with status (active, inactive, disabled), 2FA and camera restriction."""
    return page(*users.list_(req.user, req.query.limit, req.query.cursor))


@api.route("PATCH", "/v1/users/{user_id}", role="manager", body=UserPatch, response=UserOut, audit="user.update")
def update_user(req: Request[UserPatch, None], user: User) -> UserOut:
    """Change a user's role, reactivate or deactivate them, or restrict them to camera groups (null: none)."""
    req.audit_detail = req.body.model_dump(exclude_unset=True)
    return users.update(req.user, user, req.body)


@api.route("DELETE", "/v1/users/{user_id}", role="manager", status=204)
def delete_user(req: Request[None, None], user: User) -> None:
    """Remove (anonymise) a user; their sessions and live sockets end."""
    users.delete(req.user, user)


@api.route("DELETE", "/v1/users/{user_id}/2fa", role="manager", response=UserOut, audit="user.2fa_reset")
def reset_user_2fa(req: Request[None, None], user: User) -> UserOut:
    """Turn a user's second factor off (a lost phone): they enrol again; their sessions end."""
    return users.reset_2fa(user)
