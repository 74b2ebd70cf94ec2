"""Cases: the rows of `cases`, `case_items`, `custody_events` and `case_shares`. What the API takes (a case, an
item, a share link) and answers is in `api_schemas`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from gtvision.core.rows import rowtype

Category = Literal["ocorrencia", "requisicao_policial", "requisicao_judicial", "lgpd_titular", "interno"]
CaseStatus = Literal["open", "closed"]
ItemKind = Literal["clip", "lpr_read", "sighting", "bookmark", "note"]
STATUSES: tuple[CaseStatus, ...] = ("open", "closed")
#: Longest a share link may live (contract: expiry ≤ 30 days).
SHARE_MAX_DAYS = 30

# ---------------------------------------------------------------------------------------------- rows


@rowtype
class Case:
    """A case (table `cases`)."""

    id: UUID
    city_id: UUID
    title: str
    reference: str | None
    category: Category
    status: CaseStatus
    created_by: UUID | None
    created_by_name: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    closed_by: UUID | None
    keep_until: datetime | None


@rowtype
class CaseItem:
    """An item of a case (table `case_items`): what it refers to and the recordings it comes from."""

    id: UUID
    case_id: UUID
    kind: ItemKind
    ref_id: UUID | None
    text: str | None
    camera_id: UUID | None
    start_at: datetime | None
    end_at: datetime | None
    label: str | None
    added_by: UUID | None
    added_by_name: str | None
    created_at: datetime


@rowtype
class CustodyEvent:
    """One event of a case's chain of custody (table `custody_events`, append-only)."""

    id: int
    case_id: UUID
    at: datetime
    kind: str
    actor_id: UUID | None
    actor: str
    source_ip: str | None
    user_agent: str | None
    detail: dict[str, Any]


@rowtype
class Share:
    """A share link of a case (table `case_shares`); the token itself is never stored."""

    id: UUID
    case_id: UUID
    recipient_name: str
    organisation: str
    legal_basis: str
    expires_at: datetime
    max_downloads: int | None
    downloads: int
    views: int
    created_by: UUID | None
    created_by_name: str | None
    created_at: datetime
    revoked_at: datetime | None


@rowtype
class ItemSource:
    """Where an item's recordings are: the camera and the window the case holds."""

    camera_id: UUID
    start: datetime
    end: datetime
    label: str | None
