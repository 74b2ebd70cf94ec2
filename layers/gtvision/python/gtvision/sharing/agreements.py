"""Agreements (convênios) for the API: create with secrets shown once, read, change, suspend/resume, rotate,
delete, and the partner's key check. Managers manage their city's; admins any city's."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from gtvision.core import crypto, db, pagination, urls
from gtvision.core.errors import Invalid, Unauthorized, not_found
from gtvision.core.observability import logger
from gtvision.core.principal import Principal
from gtvision.core.settings import get_settings
from gtvision.sharing import feed
from gtvision.sharing.schemas import Agreement
from gtvision.sharing.store import agreements as store
from gtvision.sharing.store import deliveries
from gtvision.tenancy import cameras, cities
from gtvision.tenancy.authz import in_callers_city

if TYPE_CHECKING:  # the API's models, imported where an answer is built (ADR 0029)
    from gtvision.sharing.api_schemas import (
        AgreementIn,
        AgreementOut,
        AgreementPatch,
        AgreementSecrets,
        AgreementsQuery,
        DeliveriesOut,
        Scope,
    )

HOTLIST_KEY_PREFIX = "gtvhl_"
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def public(row: Agreement, now: datetime | None = None) -> AgreementOut:
    from gtvision.sharing.api_schemas import AgreementOut, ScopeOut

    now = now or datetime.now(UTC)
    return AgreementOut(
        id=str(row.id),
        city_id=str(row.city_id),
        partner_name=row.partner_name,
        partner_kind=row.partner_kind,
        purpose=row.purpose,
        legal_basis=row.legal_basis,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        scope=ScopeOut(
            lpr_reads=row.share_reads,
            alerts=row.share_alerts,
            camera_ids=[str(c) for c in row.camera_ids] if row.camera_ids is not None else None,
        ),
        feed_url=row.feed_url,
        status=row.status,
        flowing=row.flowing(now) and row.feed_stopped_at is None,
        feed_stopped_at=row.feed_stopped_at,
        feed_stopped_reason=row.feed_stopped_reason,
        last_delivered_at=row.last_delivered_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


# ------------------------------------------------------------------------------------------ secrets


def _secret_context(agreement_id: Any) -> str:
    return f"agreement:{agreement_id}:feed_secret"


def feed_secret(row: Agreement) -> str:
    """The secret the feed is signed with (stored encrypted, bound to the agreement)."""
    return crypto.decrypt(row.feed_secret_enc, _secret_context(row.id))


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_secrets(agreement_id: Any) -> tuple[str, bytes, str, str]:
    """(feed secret, its ciphertext, hotlist key, its hash)."""
    secret = secrets.token_hex(32)
    key = HOTLIST_KEY_PREFIX + secrets.token_urlsafe(32)
    return secret, crypto.encrypt(secret, _secret_context(agreement_id)), key, _hash_key(key)


def _canonical(agreement_id: object) -> str | None:
    """The id in its canonical spelling (any spelling `uuid.UUID` reads); None when it is no UUID."""
    try:
        return str(uuid.UUID(str(agreement_id)))
    except (ValueError, TypeError, AttributeError):
        return None


def is_hotlist_key(token: str | None) -> bool:
    """Whether a bearer token is a partner's hotlist key (not a user's JWT)."""
    return bool(token) and str(token).startswith(HOTLIST_KEY_PREFIX)


def partner(agreement_id: str, key: str) -> Agreement:
    """The agreement whose hotlist key this is; one 401 for an unknown (or malformed) agreement id or a wrong key."""
    canonical = _canonical(agreement_id)
    with db.transaction() as conn:
        row = store.get(conn, canonical) if canonical is not None else None
    expected = row.hotlist_key_hash if row is not None else _hash_key(uuid.uuid4().hex)
    if not hmac.compare_digest(expected, _hash_key(key)) or row is None:
        raise Unauthorized("invalid_hotlist_key", "chave de lista inválida")
    return row


# ------------------------------------------------------------------------------------------ feed_url


def _refuse(reason: str) -> Invalid:
    return Invalid("invalid_feed_url", f"feed_url recusada: {reason}")


def check_feed_url(raw: str, resolve: bool = True) -> str:
    """https, never loopback, link-local or metadata (the SSRF rules of camera URLs); the local stack also
    takes http and loopback so a receiver on the same machine works."""
    if any(c in raw for c in "\r\n\t\x00 "):
        raise _refuse("caracteres inválidos")
    try:
        parts = urlsplit(raw.strip())
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise _refuse("URL malformada") from None
    local = get_settings().local
    scheme = parts.scheme.lower()
    if scheme != "https" and not (local and scheme == "http"):
        raise _refuse("use https")
    if parts.username or parts.password:
        raise _refuse("credenciais na URL não são aceitas (o feed é assinado)")
    host = (parts.hostname or "").lower()
    if local and _is_loopback(host):
        return raw.strip()
    try:
        urls.check_host(host)
        if resolve:
            urls.check_resolved(host)
    except Invalid as exc:
        raise _refuse(exc.message.split(": ", 1)[-1]) from None
    return raw.strip()


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# ------------------------------------------------------------------------------------------ API


def _city_for(principal: Principal, city_id: str | None) -> str:
    """The city an agreement is made in: the caller's own; admins must say which."""
    if principal.is_admin:
        if not city_id:
            raise Invalid("city_required", "informe city_id")
        city = city_id
    else:
        if city_id and city_id != principal.city_id:
            raise not_found("cidade")
        city = str(principal.city_id)
    if not cities.exists(city):
        raise not_found("cidade")
    return city


def _scope_cameras(principal: Principal, city_id: str, scope: Scope) -> list[str] | None:
    if scope.camera_ids is None:
        return None
    ids = sorted({c.lower() for c in scope.camera_ids})
    for camera_id in ids:
        camera = cameras.visible(principal, camera_id)
        if str(camera.city_id) != city_id:
            raise not_found("câmera")
    return ids


def create(principal: Principal, data: AgreementIn) -> AgreementSecrets:
    from gtvision.sharing.api_schemas import AgreementSecrets

    city_id = _city_for(principal, data.city_id)
    agreement_id = uuid.uuid4()
    secret, secret_enc, key, key_hash = _new_secrets(agreement_id)
    values = {
        "id": agreement_id,
        "city_id": city_id,
        "partner_name": data.partner_name,
        "partner_kind": data.partner_kind,
        "purpose": data.purpose,
        "legal_basis": data.legal_basis,
        "valid_from": data.valid_from,
        "valid_until": data.valid_until,
        "share_reads": data.scope.lpr_reads,
        "share_alerts": data.scope.alerts,
        "camera_ids": _scope_cameras(principal, city_id, data.scope),
        "feed_url": check_feed_url(data.feed_url) if data.feed_url else None,
        "feed_secret_enc": secret_enc,
        "hotlist_key_hash": key_hash,
        "created_by": principal.user_id,
    }
    with db.transaction() as conn:
        row = store.insert(conn, values)
        store.log(conn, str(row.id), "status", principal.username, detail={"status": "created"})
    logger.info("agreement created", extra={"agreement_id": str(row.id), "city_id": city_id})
    return AgreementSecrets.model_validate({**public(row).model_dump(), "feed_secret": secret, "hotlist_key": key})


def visible(principal: Principal, agreement_id: str) -> Agreement:
    """The agreement if the caller's city made it (admins: any); 404 otherwise (a malformed id too)."""
    canonical = _canonical(agreement_id)
    if canonical is None:
        raise not_found("convênio")
    with db.transaction() as conn:
        return in_callers_city(conn, principal, store.get, canonical, "convênio")


def list_(principal: Principal, query: AgreementsQuery) -> tuple[list[AgreementOut], str | None]:
    if not principal.is_admin and query.city_id and query.city_id != principal.city_id:
        raise not_found("cidade")
    city = query.city_id if principal.is_admin else principal.city_id
    with db.transaction() as conn:
        rows = store.list_page(conn, city, query.limit, pagination.decode_keyset(query.cursor))
    items, nxt = pagination.page(rows, query.limit, ("created_at", "id"))
    now = datetime.now(UTC)
    return [public(r, now) for r in items], nxt


def change(principal: Principal, agreement: Agreement, data: AgreementPatch) -> AgreementSecrets:
    """Apply a PATCH: fields, status (a resume also clears a stopped feed and re-announces what waited) and
    secret rotation (the new secrets are in the answer, this once)."""
    from gtvision.sharing.api_schemas import AgreementSecrets

    changes: dict[str, Any] = {}
    for name in ("partner_name", "purpose", "legal_basis", "valid_from", "valid_until"):
        value = getattr(data, name)
        if value is not None:
            changes[name] = value
    if "feed_url" in data.model_fields_set:
        changes["feed_url"] = check_feed_url(data.feed_url) if data.feed_url else None
    if data.scope is not None:
        changes["share_reads"] = data.scope.lpr_reads
        changes["share_alerts"] = data.scope.alerts
        changes["camera_ids"] = _scope_cameras(principal, str(agreement.city_id), data.scope)
    resumed = data.status == "active" and (agreement.status != "active" or agreement.feed_stopped_at is not None)
    if data.status is not None:
        changes["status"] = data.status
    if data.status == "active":
        changes["feed_stopped_at"] = None
        changes["feed_stopped_reason"] = None
    start, end = changes.get("valid_from", agreement.valid_from), changes.get("valid_until", agreement.valid_until)
    if end <= start:
        raise Invalid("invalid_range", "valid_until deve ser posterior a valid_from")
    fresh: dict[str, str] = {}
    if data.rotate:
        secret, secret_enc, key, key_hash = _new_secrets(agreement.id)
        if "feed_secret" in data.rotate:
            changes["feed_secret_enc"], fresh["feed_secret"] = secret_enc, secret
        if "hotlist_key" in data.rotate:
            changes["hotlist_key_hash"], fresh["hotlist_key"] = key_hash, key
    with db.transaction() as conn:
        row = store.update(conn, str(agreement.id), changes) if changes else store.get(conn, str(agreement.id))
        if row is None:
            raise not_found("convênio")
        if data.status is not None:
            store.log(conn, str(row.id), "status", principal.username, detail={"status": data.status})
        if fresh:
            store.log(conn, str(row.id), "rotate", principal.username, detail={"rotated": sorted(fresh)})
        waiting = deliveries.pending_ids(conn, str(row.id), None, 10_000) if resumed else []
    feed.announce(waiting)
    return AgreementSecrets.model_validate({**public(row).model_dump(), **fresh})


def delete(agreement: Agreement) -> None:
    """Delete an agreement with its pending deliveries and its hotlist entries (they stop matching)."""
    with db.transaction() as conn:
        if not store.delete(conn, str(agreement.id)):
            raise not_found("convênio")


def deliveries_of(agreement: Agreement) -> DeliveriesOut:
    from gtvision.sharing.api_schemas import DeliveriesOut

    with db.transaction() as conn:
        stats = deliveries.stats(conn, agreement.id)
        hourly = deliveries.hourly(conn, agreement.id, 24)
    lag = (datetime.now(UTC) - stats.oldest_pending).total_seconds() if stats.oldest_pending else 0.0
    return DeliveriesOut(
        pending=stats.pending,
        delivered=stats.delivered,
        failed=stats.failed,
        lag_s=round(max(lag, 0.0), 3),
        last_error=stats.last_error,
        hourly=hourly,
    )


def record_access(agreement: Agreement, actor: str, what: str) -> None:
    """An access to the agreement's data (the monthly report's "accesses")."""
    with db.transaction() as conn:
        store.log(conn, str(agreement.id), "access", actor, detail={"what": what})
