"""Exports' API models: the request (cameras, window, mode, redaction, overlay, lifted masks) and what the API
answers. Apart from `schemas` (the job messages and the rows of `case_exports` and `export_parts`, which the
export workers read) so that the workers do not build them (ADR 0029)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from gtvision.core.models import Out, Strict, UuidStr
from gtvision.core.timeutil import parse_rfc3339
from gtvision.exports.schemas import MAX_CAMERAS, Mode, PartStatus, Status

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
