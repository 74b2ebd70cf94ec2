"""Routes of login sessions (additions to the contract): refresh tokens and server-side logout."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.http import Ctx, json_response, route
from chalicelib.resolvers import ANY
from gtvision.core.models import parse
from gtvision.tenancy import quotas, sessions
from gtvision.tenancy.session_schemas import RefreshIn

bp = Blueprint(__name__)


@route(bp, "/v1/auth/refresh", ("POST",), auth=False)
def refresh_session(ctx: Ctx) -> Any:
    """New access and refresh tokens for a refresh token (single use: each call returns the next one)."""
    quotas.check_source(ctx.source_ip, "refresh")
    return sessions.refresh(parse(RefreshIn, ctx.json()))


@route(bp, "/v1/auth/logout", ("POST",), roles=ANY, audit_action="auth.logout")
def logout(ctx: Ctx) -> Any:
    """End the caller's session: this token, every token of its session and its refresh token stop working."""
    sessions.logout(ctx.user)
    return json_response(None, 204)
