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
    AlertOut,
    AlertsQuery,
    BulkAccepted,
    CityFilterQuery,
    LprSearchQuery,
    OpenApiDoc,
    Page,
    PageQuery,
    PlateRead,
    Query,
    RangePageQuery,
    RangeQuery,
    ReadId,
    StreamOut,
    Thumbnail,
    Timeline,
    Trajectory,
    TrajectoryQuery,
    WatchOut,
)
from chalicelib.schemas_sentinela import ItsAnswer, SearchOut, SightingOut
from chalicelib.schemas_stream import CityHealthOut, HookAccepted, StreamMetricsOut, StreamMetricsQuery
from gtvision.alerts import schemas as alerts
from gtvision.lpr import intelbras_schemas as intelbras
from gtvision.lpr import schemas as lpr
from gtvision.sentinela import schemas as sentinela
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
    # LPR
    ("POST", "/v1/lpr/events"): Operation(202, body=lpr.WebhookRead, response=ReadId),
    ("POST", "/v1/lpr/batch"): Operation(202, body=lpr.BulkIn, response=BulkAccepted),
    ("GET", "/v1/lpr/events"): Operation(query=LprSearchQuery, response=Page[PlateRead]),
    ("GET", "/v1/lpr/trajectory"): Operation(query=TrajectoryQuery, response=Trajectory),
    ("POST", "/v1/watchlist"): Operation(201, body=alerts.WatchIn, response=WatchOut),
    ("GET", "/v1/watchlist"): Operation(query=CityFilterQuery, response=Page[WatchOut]),
    ("DELETE", "/v1/watchlist/{watchlist_id}"): Operation(204),
    ("GET", "/v1/alerts"): Operation(query=AlertsQuery, response=Page[AlertOut]),
    ("PATCH", "/v1/alerts/{alert_id}"): Operation(body=alerts.AlertPatch, response=AlertOut),
    # Sentinela and Intelbras/Dahua cameras
    ("POST", "/v1/lpr/intelbras/{camera_id}/NotificationInfo/{notification}"): Operation(
        body=intelbras.TollgateInfo, response=ItsAnswer
    ),
    ("POST", "/v1/sentinela/searches"): Operation(202, body=sentinela.SearchIn, response=SearchOut),
    ("GET", "/v1/sentinela/searches"): Operation(query=PageQuery, response=Page[SearchOut]),
    ("GET", "/v1/sentinela/searches/{search_id}"): Operation(response=SearchOut),
    ("DELETE", "/v1/sentinela/searches/{search_id}"): Operation(response=SearchOut),
    ("GET", "/v1/sentinela/searches/{search_id}/results"): Operation(query=PageQuery, response=Page[SightingOut]),
}
