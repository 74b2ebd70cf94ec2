"""Request models of watchlists and alerts, and of the ops alerts Alertmanager posts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from gtvision.core.models import Out, UuidStr


class WatchIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", str_strip_whitespace=True)

    plate: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=500)
    fuzzy: bool = False
    city_id: UuidStr | None = None  # admins say which city; others get their own


class AlertPatch(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    status: Literal["open", "investigating", "closed"]


# ---------------------------------------------------------------------------------- ops (Alertmanager)


def _utf8(value: str) -> str:
    """PostgreSQL stores UTF-8: a lone surrogate (which JSON can carry) is refused here, a 422, not at the INSERT."""
    value.encode("utf-8")  # UnicodeEncodeError is a ValueError: pydantic reports it
    return value


Text = Annotated[str, AfterValidator(_utf8)]


class AlertmanagerAlert(BaseModel):
    """One alert of Alertmanager's webhook (payload version 4)."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[Text, Text]
    annotations: dict[Text, Text] = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    #: Alertmanager sends 0001-01-01T00:00:00Z while the alert fires.
    ends_at: datetime | None = Field(default=None, alias="endsAt")
    fingerprint: Text = Field(min_length=1, max_length=64)


class AlertmanagerWebhook(BaseModel):
    """`POST /v1/hooks/alertmanager`: what Alertmanager's webhook receiver sends (group fields ignored)."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    version: str
    status: Literal["firing", "resolved"]
    alerts: list[AlertmanagerAlert] = Field(max_length=1000)


class OpsHookAnswer(Out):
    """How many alerts the notification carried, and how many ops alerts it opened and resolved."""

    received: int
    opened: int
    resolved: int
