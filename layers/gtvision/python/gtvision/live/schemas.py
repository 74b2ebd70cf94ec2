"""Live events: the queue message of one event, the rows of `ws_connections`, and the fan-out's tally."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from gtvision.core.rows import rowtype

#: A JSON object as the REST API shows a thing (an alert, a clip, a camera's status).
Json = dict[str, object]


@rowtype
class LiveEvent:
    """One message of the events queue: what happened (`type`), where (`city_id`, `camera_id`) and `data`."""

    type: str
    city_id: str
    camera_id: str | None
    data: Json


@rowtype
class Connection:
    """An open connection of the events WebSocket API (table `ws_connections`)."""

    connection_id: str
    user_id: str
    username: str
    role: str
    city_id: UUID | None
    #: alerts | streams | clips; nothing until subscribed.
    topics: list[str]
    #: Empty: every camera the caller may see.
    camera_ids: list[UUID]
    connected_at: datetime
    #: The login session that opened it (None: a token without one, e.g. Cognito's).
    session_id: str | None
    #: A restricted user's cameras (None: every camera of the city).
    allowed_camera_ids: list[UUID] | None


@rowtype
class Subscriber:
    """What the fan-out needs of a connection to decide whether an event reaches it, and in which form."""

    connection_id: str
    role: str
    topics: list[str]
    camera_ids: list[UUID]
    allowed_camera_ids: list[UUID] | None


@rowtype
class FanOut:
    """What one event's fan-out did: connections targeted, delivered, found gone (pruned) and failed."""

    targets: int
    delivered: int
    gone: int
    failed: int
