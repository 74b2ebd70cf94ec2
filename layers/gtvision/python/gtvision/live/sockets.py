"""The events WebSocket API's routes: who may connect, and the answers to a client's messages.

`connect` verifies the `?token=` exactly as the REST API does (HS256 or Cognito, account and session still
live) and binds the connection to the token's login session, so the session's end closes it
(`service.close_session_sockets`); `message` answers `subscribe`/`ping` — any frame, however malformed or
deeply nested, gets an answer and the socket stays open.
"""

from __future__ import annotations

import json
import re
import uuid

from gtvision.core import db
from gtvision.core.errors import Invalid, Malformed, Unauthorized
from gtvision.core.principal import Principal
from gtvision.live import store
from gtvision.live.schemas import Json

ALL_TOPICS = ("alerts", "streams", "clips")
#: Clips are evidence exports: like GET /v1/clips, only operators and up see them.
ROLE_TOPICS = {
    "admin": ALL_TOPICS,
    "manager": ALL_TOPICS,
    "operator": ALL_TOPICS,
    "viewer": ("alerts", "streams"),
}
MAX_CAMERAS = 500
#: A client message is `{"action", "topics", "camera_ids"}`: nothing deeper is ever needed (and a deep one
#: would exhaust the parser's recursion).
MAX_DEPTH = 8
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def connect(connection_id: str, token: str | None) -> Principal:
    """$connect: a missing, invalid or expired token, an ended session or a token that still owes its 2FA
    raises Unauthorized (refused).

    Camera groups restrict users (contract v1.2): the cameras a restricted user may see enter the live
    events here only (`tenancy.authz.camera_filter`), stored with the connection; a change of the user's
    groups closes the socket (`tenancy.access`), so they are never stale.
    """
    # Only $connect checks a token: the notifier and the socket's other routes never load jwt/argon2/cryptography.
    from gtvision.tenancy.auth import verify_token
    from gtvision.tenancy.authz import camera_filter
    from gtvision.tenancy.users import ensure_active

    if not token:
        raise Unauthorized("unauthorized", "autenticação necessária (?token=<token de acesso>)")
    principal = verify_token(token)
    # Stored first, reaching no camera, then checked: a logout or a change of rights that commits meanwhile
    # either is seen here or finds this row (the close reads the rows after committing), never neither.
    with db.transaction() as conn:
        store.insert_connection(
            conn,
            connection_id,
            principal.user_id,
            principal.username,
            principal.role,
            None if principal.is_admin else principal.city_id,
            principal.session_id,
            [],
        )
    try:
        principal = ensure_active(principal)
        if principal.limited:  # a token that owes its 2FA reaches only /v1/me (tenancy.authz.check_path)
            raise Unauthorized(
                "two_factor_required", "sua cidade exige verificação em duas etapas: ative-a em Meus dados"
            )
    except Exception:
        disconnect(connection_id)
        raise
    with db.transaction() as conn:
        store.set_allowed_cameras(conn, connection_id, camera_filter(principal))
    return principal


def disconnect(connection_id: str) -> None:
    with db.transaction() as conn:
        store.delete_connections(conn, [connection_id])


def _error(exc: Invalid | Malformed) -> Json:
    return {"type": "error", **exc.to_body()}


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether a JSON text nests arrays/objects deeper than `limit` (brackets inside strings don't count)."""
    depth = 0
    for token in _TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > limit:
                return True
        elif mark in "]}":
            depth -= 1
    return False


def parse_message(body: str | None) -> object:
    """A client frame as JSON; 400 `malformed_json` when it is not JSON or nests deeper than `MAX_DEPTH`."""
    text = body or ""
    if too_deep(text):
        raise Malformed("malformed_json", f"mensagem JSON aninhada demais (máximo {MAX_DEPTH} níveis)")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise Malformed("malformed_json", "mensagem não é JSON válido") from None


def message(connection_id: str, body: str | None) -> Json:
    """$default: the answer to one client message (`subscribe` → `subscribed`, `ping` → `pong`)."""
    try:
        doc = parse_message(body)
    except Malformed as exc:
        return _error(exc)
    action = doc.get("action") if isinstance(doc, dict) else None
    if action == "ping":
        return {"type": "pong"}
    if action != "subscribe" or not isinstance(doc, dict):
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
