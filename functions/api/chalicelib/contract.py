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
    Page,
    Query,
    RangePageQuery,
    RangeQuery,
    StreamOut,
    Thumbnail,
    Timeline,
)
from chalicelib.schemas_stream import CityHealthOut, HookAccepted, StreamMetricsOut, StreamMetricsQuery
from gtvision.streams import schemas as streams

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
    # recordings and live
    ("GET", "/v1/cameras/{camera_id}/timeline"): Operation(query=RangeQuery, response=Timeline),
    ("GET", "/v1/cameras/{camera_id}/thumbnails"): Operation(query=RangePageQuery, response=Page[Thumbnail]),
    ("GET", "/v1/cameras/{camera_id}/playback.m3u8"): Operation(query=RangeQuery, response=HLS),
    ("POST", "/v1/cameras/{camera_id}/stream/start"): Operation(response=StreamOut),
    ("POST", "/v1/cameras/{camera_id}/stream/stop"): Operation(response=StreamOut),
    ("GET", "/v1/cameras/{camera_id}/stream"): Operation(response=StreamOut),
    # stream and recording health
    ("GET", "/v1/cameras/{camera_id}/stream/metrics"): Operation(query=StreamMetricsQuery, response=StreamMetricsOut),
    ("GET", "/v1/cities/{city_id}/health"): Operation(response=CityHealthOut),
    ("POST", "/v1/hooks/mediamtx"): Operation(202, body=streams.MediaMTXEvent, response=HookAccepted),
}
