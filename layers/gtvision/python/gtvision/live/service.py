"""Live events over the WebSocket API: who may connect, what they subscribe to, and the fan-out.

`connect` verifies the `?token=` exactly as the REST API does (HS256 or Cognito, account still
active); `message` answers the client's `subscribe`/`ping`; `fan_out` delivers one queued event to
the subscribed connections of its city (admins: every city) and forgets the ones API Gateway
reports gone.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

from gtvision.core import db
from gtvision.core.errors import Invalid, Malformed, Unauthorized
from gtvision.core.observability import logger
from gtvision.core.principal import Principal
from gtvision.live import store
from gtvision.live.publish import TOPICS
from gtvision.live.schemas import FanOut, Json, LiveEvent

ALL_TOPICS = ("alerts", "streams", "clips")
#: Clips are evidence exports: like GET /v1/clips, only operators and up see them.
ROLE_TOPICS = {
    "admin": ALL_TOPICS,
    "manager": ALL_TOPICS,
    "operator": ALL_TOPICS,
    "viewer": ("alerts", "streams"),
}
MAX_CAMERAS = 500
_POSTERS = 16  # concurrent PostToConnection calls per event


def connect(connection_id: str, token: str | None) -> Principal:
    """$connect: a missing, invalid or expired token raises Unauthorized (the connection is refused)."""
    # Only $connect checks a token: the notifier and the socket's other routes never load jwt/argon2/cryptography.
    from gtvision.tenancy.auth import verify_token
    from gtvision.tenancy.users import ensure_active

    if not token:
        raise Unauthorized("unauthorized", "autenticação necessária (?token=<token de acesso>)")
    principal = verify_token(token)
    ensure_active(principal)
    with db.transaction() as conn:
        store.insert_connection(
            conn,
            connection_id,
            principal.user_id,
            principal.username,
            principal.role,
            None if principal.is_admin else principal.city_id,
        )
    return principal


def disconnect(connection_id: str) -> None:
    with db.transaction() as conn:
        store.delete_connections(conn, [connection_id])


def _error(exc: Invalid | Malformed) -> Json:
    return {"type": "error", **exc.to_body()}


def message(connection_id: str, body: str | None) -> Json:
    """$default: the answer to one client message (`subscribe` → `subscribed`, `ping` → `pong`)."""
    try:
        doc = json.loads(body or "")
    except json.JSONDecodeError:
        return _error(Malformed("malformed_json", "mensagem não é JSON válido"))
    action = doc.get("action") if isinstance(doc, dict) else None
    if action == "ping":
        return {"type": "pong"}
    if action != "subscribe":
        return _error(Invalid("unknown_action", "ação desconhecida: use subscribe ou ping"))
    try:
        return subscribe(connection_id, doc.get("topics"), doc.get("camera_ids"))
    except Invalid as exc:
        return _error(exc)


def subscribe(connection_id: str, topics: object, camera_ids: object) -> Json:
    """Replace the connection's topics (those its role may see) and, optionally, its cameras."""
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise Invalid("invalid_topics", "topics deve ser uma lista com alerts, streams e/ou clips")
    unknown = sorted(set(topics) - set(ALL_TOPICS))
    if unknown:
        raise Invalid("invalid_topics", f"tópicos desconhecidos: {', '.join(unknown)}")
    cameras = _camera_ids(camera_ids)
    with db.transaction() as conn:
        row = store.get_connection(conn, connection_id)
        if row is None:
            raise Invalid("not_connected", "conexão desconhecida; conecte de novo")
        granted = [t for t in ALL_TOPICS if t in topics and t in ROLE_TOPICS[row.role]]
        store.set_subscription(conn, connection_id, granted, cameras)
    reply: Json = {"type": "subscribed", "topics": granted}
    if cameras:
        reply["camera_ids"] = cameras
    return reply


def _camera_ids(raw: object) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_CAMERAS:
        raise Invalid("invalid_camera_ids", f"camera_ids deve ser uma lista de até {MAX_CAMERAS} ids")
    out = []
    for item in raw:
        try:
            out.append(str(uuid.UUID(str(item))))
        except ValueError:
            raise Invalid("invalid_camera_ids", "camera_ids deve conter ids de câmera (UUID)") from None
    return sorted(set(out))


# ------------------------------------------------------------------------------------ fan-out


def parse_event(body: str) -> LiveEvent:
    """One events-queue message, checked (a malformed one fails alone and ends in the DLQ)."""
    doc = json.loads(body)
    if not isinstance(doc, dict) or doc.get("type") not in TOPICS or not doc.get("city_id"):
        raise ValueError("evento sem type/city_id válidos")
    data = doc.get("data")
    camera = doc.get("camera_id")
    return LiveEvent(
        type=str(doc["type"]),
        city_id=str(doc["city_id"]),
        camera_id=str(camera) if camera else None,
        data=data if isinstance(data, dict) else {},
    )


def fan_out(event: LiveEvent) -> FanOut:
    """Push `{"type", "data"}` to every subscribed connection; prune the ones that are gone."""
    with db.transaction() as conn:
        targets = store.subscribers(conn, event.city_id, TOPICS[event.type], event.camera_id)
    if not targets:
        return FanOut(0, 0, 0, 0)
    data = json.dumps({"type": event.type, "data": event.data}, ensure_ascii=False).encode()

    def post(connection_id: str) -> str:
        try:
            return "ok" if store.post_to_connection(connection_id, data) else "gone"
        except Exception as exc:  # noqa: BLE001 - one slow or failing connection never stops the others
            logger.warning("post to connection failed", extra={"connection_id": connection_id, "error": str(exc)})
            return "failed"

    with ThreadPoolExecutor(max_workers=min(_POSTERS, len(targets))) as pool:
        outcomes = list(pool.map(post, targets))
    gone = [c for c, o in zip(targets, outcomes, strict=True) if o == "gone"]
    if gone:
        with db.transaction() as conn:
            store.delete_connections(conn, gone)
    return FanOut(len(targets), outcomes.count("ok"), len(gone), outcomes.count("failed"))
