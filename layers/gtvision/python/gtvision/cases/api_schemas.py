"""Cases' API models: what the routes take (a case, an item, a share link) and answer. Apart from `schemas` (the rows
of `cases`, `case_items`, `custody_events` and `case_shares`, which the export workers read) so that the workers
do not build them (ADR 0029)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from gtvision.cases.schemas import STATUSES, CaseStatus, Category, ItemKind
from gtvision.core.errors import Invalid
from gtvision.core.ids import UUID_PATTERN
from gtvision.core.models import Out, PageQuery, Query, Strict
from gtvision.core.timeutil import parse_rfc3339

# ------------------------------------------------------------------------------------------ requests


class CaseIn(Strict):
    city_id: str | None = Field(default=None, pattern=UUID_PATTERN, description="só administradores escolhem")
    title: str = Field(min_length=1, max_length=200)
    reference: str | None = Field(default=None, max_length=200, description="número do BO, do processo…")
    category: Category


class CasePatch(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    reference: str | None = Field(default=None, max_length=200, description="null apaga a referência")
    category: Category | None = None
    status: CaseStatus | None = None

    @field_validator("title", "category", "status", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("não pode ser null")
        return value


class CasesQuery(PageQuery):
    """`GET /v1/cases?status&q`: newest first; `q` searches the title and the reference."""

    status: CaseStatus | None = None
    q: str | None = Field(default=None, max_length=200)

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        if value not in STATUSES:
            raise Invalid("invalid_status", "status deve ser open ou closed")
        return str(value)


class ItemIn(Strict):
    kind: ItemKind
    ref_id: str | None = Field(default=None, pattern=UUID_PATTERN)
    text: str | None = Field(default=None, min_length=1, max_length=4000)

    @model_validator(mode="after")
    def _ref_or_text(self) -> ItemIn:
        if self.kind == "note" and not self.text:
            raise ValueError("uma anotação precisa de text")
        if self.kind != "note" and not self.ref_id:
            raise ValueError(f"um item {self.kind} precisa de ref_id")
        return self


class ShareIn(Strict):
    recipient_name: str = Field(min_length=1, max_length=200)
    organisation: str = Field(min_length=1, max_length=200)
    legal_basis: str = Field(min_length=1, max_length=1000)
    expires_at: datetime
    max_downloads: int | None = Field(default=None, ge=1, le=10_000)

    @field_validator("expires_at", mode="before")
    @classmethod
    def _rfc3339(cls, value: Any) -> datetime:
        return parse_rfc3339(value)


class ShareQuery(Query):
    """The public share page: the link's token (high-entropy; never logged, stored hashed)."""

    token: str = Field(default="", max_length=200)


# ------------------------------------------------------------------------------------------- answers


def _uuid() -> Any:
    return Field(json_schema_extra={"format": "uuid"})


class CaseOut(Out):
    id: str = _uuid()
    city_id: str = _uuid()
    title: str
    reference: str | None
    category: Category
    status: CaseStatus
    created_by: str | None = _uuid()
    created_by_name: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    keep_until: datetime | None = Field(description="fechado: a retenção legal vale até esta data")


class ItemOut(Out):
    id: str = _uuid()
    case_id: str = _uuid()
    kind: ItemKind
    ref_id: str | None = _uuid()
    text: str | None
    camera_id: str | None = _uuid()
    start: datetime | None
    end: datetime | None
    label: str | None
    added_by_name: str | None
    created_at: datetime


class CustodyOut(Out):
    id: int
    at: datetime
    kind: str
    actor: str
    source_ip: str | None
    user_agent: str | None
    detail: dict[str, Any]


class ShareOut(Out):
    id: str = _uuid()
    case_id: str = _uuid()
    recipient_name: str
    organisation: str
    legal_basis: str
    expires_at: datetime
    max_downloads: int | None
    downloads: int
    views: int
    created_by_name: str | None
    created_at: datetime
    revoked_at: datetime | None
    status: Literal["active", "expired", "revoked"]


class ShareCreated(ShareOut):
    """The link, with its token inside `url`: shown in this answer only."""

    url: str


class SharedExport(Out):
    id: str = _uuid()
    created_at: datetime
    start: datetime
    end: datetime
    cameras: int
    size_bytes: int | None
    sha256: str | None
    download_url: str = Field(description="passa pela API: registra o acesso e redireciona ao arquivo")


class SharedCase(Out):
    """What an external requester sees through a share link (no login)."""

    case_title: str
    case_reference: str | None
    city_name: str | None
    recipient_name: str
    organisation: str
    legal_basis: str
    expires_at: datetime
    downloads_left: int | None
    exports: list[SharedExport]
