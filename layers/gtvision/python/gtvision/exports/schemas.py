"""Exports: the request (cameras, window, mode, redaction, overlay, lifted masks), the job messages, the rows
of `case_exports` and `export_parts`, and what the API answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gtvision.core.models import UUID_PATTERN, Out, Strict, UuidStr
from gtvision.core.timeutil import parse_rfc3339

Mode = Literal["fast", "exact"]
Status = Literal["queued", "processing", "packaging", "ready", "failed"]
PartStatus = Literal["queued", "processing", "ready", "failed"]
MAX_CAMERAS = 16

# ------------------------------------------------------------------------------------------ requests


class RedactIn(Strict):
    faces: bool = False
    plates: bool = False


class LiftMasksIn(Strict):
    reason: str = Field(min_length=5, max_length=1000)


class ExportIn(Strict):
    camera_ids: list[UuidStr] = Field(min_length=1, max_length=MAX_CAMERAS)
    start: datetime
    end: datetime
    mode: Mode = "exact"
    redact: RedactIn | None = None
    timestamp_overlay: bool = False
    lift_masks: LiftMasksIn | None = Field(default=None, description="só gestores; motivo auditado")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _rfc3339(cls, value: Any) -> datetime:
        return parse_rfc3339(value)

    @model_validator(mode="after")
    def _distinct(self) -> ExportIn:
        self.camera_ids = [c.lower() for c in self.camera_ids]
        if len(set(self.camera_ids)) != len(self.camera_ids):
            raise ValueError("camera_ids repetidos")
        return self


class ExportJob(BaseModel):
    """One message of an export queue: a camera's part, or (no camera) the package."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    export_id: str = Field(pattern=UUID_PATTERN)
    camera_id: str | None = Field(default=None, pattern=UUID_PATTERN)


# ---------------------------------------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class StalePart:
    export_id: UUID
    camera_id: UUID
    status: PartStatus
    attempts: int
    requeues: int


@dataclass(frozen=True, slots=True)
class StaleExport:
    id: UUID
    status: Status
    attempts: int
    requeues: int


# ------------------------------------------------------------------------------------------- answers


def _uuid() -> Any:
    return Field(json_schema_extra={"format": "uuid"})


class ExportQueued(Out):
    id: str = _uuid()
    status: Literal["queued"]


class ExportFileOut(Out):
    camera_id: str = _uuid()
    camera_name: str | None
    name: str = Field(description="nome do arquivo dentro do pacote")
    status: PartStatus
    sha256: str | None
    size_bytes: int | None
    start: datetime
    end: datetime
    duration_s: float | None
    starts_early_s: float | None = Field(description="modo fast: quanto o arquivo começa antes do início pedido")
    error: str | None


class ExportOut(Out):
    id: str = _uuid()
    case_id: str = _uuid()
    status: Status
    progress: float = Field(ge=0, le=1)
    mode: Mode
    start: datetime
    end: datetime
    redact: RedactIn
    timestamp_overlay: bool
    masks_lifted: bool
    files: list[ExportFileOut]
    package_url: str | None
    package_sha256: str | None
    package_size_bytes: int | None
    manifest: dict[str, Any] | None
    error: str | None
    requested_by_name: str | None
    created_at: datetime
    finished_at: datetime | None
