"""Who is calling: the caller's identity every layer passes around (tokens and passwords are in `auth`).

Kept apart from `auth` so the functions that only need the type (the workers) don't import the JWT and
password-hashing libraries at cold start.
"""

from __future__ import annotations

from gtvision.core.errors import Forbidden
from gtvision.core.rows import rowtype

ROLES = ("admin", "manager", "operator", "viewer")


@rowtype(slots=False)
class Principal:
    """Who is calling: a user with a role, scoped to a city unless admin."""

    user_id: str
    username: str
    role: str
    city_id: str | None
    #: True for tokens this deployment issued (the user has a row in `users`); False for Cognito users.
    local: bool = True
    #: The token's id (`jti`), its login session (`sid`, absent in tokens issued before sessions) and expiry.
    token_id: str | None = None
    session_id: str | None = None
    expires_at: int | None = None
    #: The only cameras this caller may see (a user restricted to camera groups); None: every camera of
    #: their scope. Set from the account on every request (`tenancy.users.ensure_active`).
    camera_ids: frozenset[str] | None = None
    #: A city requires 2FA of this role and the user has not enabled it yet: only `/v1/me*` is open.
    limited: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def scope(self) -> str | None:
        """The city this caller's lookups are limited to: None for admins (every city), else their own."""
        return None if self.is_admin else self.city_id

    def require(self, *roles: str) -> None:
        """403 unless the caller has one of `roles`."""
        if self.role not in roles:
            raise Forbidden("forbidden", "seu perfil não permite esta operação")

    def can_see_city(self, city_id: str) -> bool:
        return self.is_admin or self.city_id == str(city_id)

    def can_see_camera(self, camera_id: str) -> bool:
        """Within the caller's camera restriction (the city is checked apart)."""
        return self.camera_ids is None or str(camera_id).lower() in self.camera_ids
