"""Privacy masks' API models: the request (polygons in 0–1 frame coordinates) and the answer. Apart from
`schemas` (the row, which the clip and export workers read) so that the workers do not build them (ADR 0029)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from gtvision.core.models import Out, Strict

MAX_MASKS = 32


MAX_POINTS = 64


class MaskIn(Strict):
    points: list[tuple[float, float]] = Field(min_length=3, max_length=MAX_POINTS)

    @field_validator("points")
    @classmethod
    def _unit_square(cls, value: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for x, y in value:
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError("as coordenadas vão de 0 a 1 (fração da largura e da altura)")
        return [(round(x, 5), round(y, 5)) for x, y in value]


class MasksIn(Strict):
    masks: list[MaskIn] = Field(max_length=MAX_MASKS)


class MaskOut(Out):
    points: list[tuple[float, float]]


class MasksOut(Out):
    camera_id: str = Field(json_schema_extra={"format": "uuid"})
    masks: list[MaskOut]
    updated_by_name: str | None
    updated_at: datetime | None
