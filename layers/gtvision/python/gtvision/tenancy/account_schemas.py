"""Tenancy's accounts: the rows of `users` (`User`), a caller's standing on a request (`Standing`) and the camera
groups that restrict users (`CameraGroup`). Apart from `schemas` (cities and cameras, which the workers read) so
that the workers do not define them (ADR 0029)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from gtvision.core.rows import rowtype


@rowtype
class CameraGroup:
    """A named set of a city's cameras (tables `camera_groups`, `camera_group_members`)."""

    id: UUID
    city_id: UUID
    name: str
    camera_ids: list[UUID]
    created_at: datetime
    updated_at: datetime


@rowtype
class User:
    """An account (table `users`) without its password hash; `totp_enabled` and `camera_group_ids` are
    read from `user_totp` and `user_camera_groups` (None: not restricted to groups)."""

    id: UUID
    username: str
    role: str
    city_id: UUID | None
    pseudonym: str
    created_at: datetime
    last_login_at: datetime | None
    reactivated_at: datetime | None
    deactivated_at: datetime | None
    #: Not used for GTV_INACTIVE_DAYS (admins never are: nobody above them could reactivate them).
    inactive: bool
    totp_enabled: bool
    camera_group_ids: list[UUID] | None


@rowtype
class Standing:
    """What a request needs to know about its caller now (one query per request): whether the token still
    opens anything, and the camera restriction and 2FA obligation in force."""

    role: str
    city_id: UUID | None
    blocked: bool
    token_revoked: bool
    session_live: bool
    totp_enabled: bool
    totp_required: bool
    #: None when the user is not restricted to camera groups.
    camera_ids: list[UUID] | None
