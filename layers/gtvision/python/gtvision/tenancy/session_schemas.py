"""Request models of login sessions (refresh)."""

from __future__ import annotations

from pydantic import Field

from gtvision.core.models import Strict


class RefreshIn(Strict):
    refresh_token: str = Field(min_length=1, max_length=256)
