"""Exports: the job messages and the rows of `case_exports` and `export_parts`. The request (cameras, window, mode,
redaction, overlay, lifted masks) and what the API answers are in `api_schemas`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gtvision.core import errors
from gtvision.core.ids import UUID_PATTERN
from gtvision.core.rows import rowtype

Mode = Literal["fast", "exact"]
Status = Literal["queued", "processing", "packaging", "ready", "failed"]
PartStatus = Literal["queued", "processing", "ready", "failed"]
MAX_CAMERAS = 16
#: Claims of a part or a package (real attempts at making it): the last one fails it instead of retrying.
MAX_ATTEMPTS = 3


class ExportJob(BaseModel):
    """One message of an export queue: a camera's part, or (no camera) the package."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    export_id: str = Field(pattern=UUID_PATTERN)
    camera_id: str | None = Field(default=None, pattern=UUID_PATTERN)


class PoisonMessage(errors.PoisonMessage):
    """A job message that can never succeed (not JSON, no ids, unknown export or part)."""


def parse_message(body: str) -> ExportJob:
    """The ids of a job message, or `PoisonMessage` (the part workers and the packaging job read the same one)."""
    try:
        return ExportJob.model_validate_json(body)
    except ValidationError as exc:
        not_json = any(e["type"] == "json_invalid" for e in exc.errors(include_input=False))
        raise PoisonMessage("mensagem não é JSON" if not_json else "mensagem sem export_id válido") from None


# ---------------------------------------------------------------------------------------------- rows


@rowtype
class Export:
    """An export package of a case (table `case_exports`)."""

    id: UUID
    case_id: UUID
    city_id: UUID
    start_at: datetime
    end_at: datetime
    mode: Mode
    redact_faces: bool
    redact_plates: bool
    timestamp_overlay: bool
    lift_masks_reason: str | None
    status: Status
    package_key: str | None
    package_sha256: str | None
    package_size_bytes: int | None
    manifest: dict[str, Any] | None
    error: str | None
    requested_by: UUID | None
    requested_by_name: str | None
    attempts: int
    requeues: int
    lease_until: datetime | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def redacts(self) -> bool:
        return self.redact_faces or self.redact_plates

    @property
    def in_image(self) -> bool:
        """Its parts run in RedactionFunction's image: redaction needs OpenCV, the burned-in clock a font (the
        image installs DejaVu; the zip functions have no fonts)."""
        return self.redacts or self.timestamp_overlay


@rowtype
class ExportPart:
    """One camera's file of an export (table `export_parts`)."""

    export_id: UUID
    camera_id: UUID
    position: int
    status: PartStatus
    attempts: int
    requeues: int
    lease_until: datetime | None
    s3_key: str | None
    sha256: str | None
    size_bytes: int | None
    duration_s: float | None
    lead_s: float | None
    detail: dict[str, Any]
    error: str | None
    updated_at: datetime


@rowtype
class StalePart:
    export_id: UUID
    camera_id: UUID
    status: PartStatus
    attempts: int
    requeues: int


@rowtype
class StaleExport:
    id: UUID
    status: Status
    attempts: int
    requeues: int
