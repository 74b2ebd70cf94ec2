"""The API's own answer models, beside the features' (`gtvision.<feature>.schemas`): the error shape every route
shares and the OpenAPI document.

Response models list the fields always present and allow more (adding a field is not a breaking change).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    """A response object: the fields listed are always present; more may be added (not a breaking change)."""

    model_config = ConfigDict(defer_build=True, extra="allow")


class ErrorDetail(Out):
    code: str = Field(description="snake_case")
    message: str = Field(description="texto para pessoas (pt-BR)")


class ErrorOut(Out):
    error: ErrorDetail


class OpenApiDoc(Out):
    openapi: str
    paths: dict[str, Any]
