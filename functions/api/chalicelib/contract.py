"""What each route takes and answers: the source of `/v1/openapi.json`.

Request bodies are the models the views validate with (one definition, so the document cannot drift from
the validation); query parameters and responses are the models of `api.schemas`. `OPERATIONS` names every route of the
app — `tests/unit/test_openapi.py` fails when a route has no entry, so a new route is documented when it
is added.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from chalicelib.schemas import (
    OpenApiDoc,
    Query,
)

# ------------------------------------------------------------------------------------------ operations


@dataclass(frozen=True)
class Operation:
    """One route: its success status, body model, query model and response (a model, a media type, or None)."""

    status: int = 200
    body: type[BaseModel] | None = None
    query: type[Query] | None = None
    response: type[BaseModel] | str | None = None
    #: Other documented non-error answers (status → description), e.g. a redirect.
    also: tuple[tuple[int, str], ...] = ()


HLS = "application/vnd.apple.mpegurl"
CSV = "text/csv"

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/v1/openapi.json"): Operation(response=OpenApiDoc),
}
