"""Share links of a case for external requesters (police, prosecutors, courts), served without login.

A link's token is 256 random bits, shown once inside its URL and stored only as its SHA-256; it is never
logged (it travels in the query string, which neither the gateway's access log nor ours records). Until it
expires or is revoked (then 410), the link lists the case's finished packages; each download goes through
the API, which counts it against the link's limit and redirects to a presigned URL of a few minutes. Every
view and download — and every refused attempt — is a custody event of the case and an audit entry.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from gtvision.audit import service as audit
from gtvision.cases import custody, store
from gtvision.cases.api_schemas import SharedCase, SharedExport, ShareIn, ShareOut
from gtvision.cases.schemas import SHARE_MAX_DAYS, Case, Share
from gtvision.cases.service import Actor
from gtvision.core import db
from gtvision.core.errors import DomainError, Invalid, not_found
from gtvision.core.rows import rowtype
from gtvision.core.settings import get_settings
from gtvision.exports import service as exports

SHARE_PATH = "/v1/share"


class Gone(DomainError):
    """The link existed but serves nothing any more (revoked, expired, out of downloads)."""

    status = 410


@rowtype(slots=False)
class Visitor:
    """Who opens a link: no account, only an address and a user agent."""

    source_ip: str | None
    user_agent: str | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def status_of(row: Share, now: datetime | None = None) -> str:
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if row.expires_at <= (now or datetime.now(UTC)) else "active"


def public(row: Share) -> ShareOut:
    return ShareOut(
        id=str(row.id),
        case_id=str(row.case_id),
        recipient_name=row.recipient_name,
        organisation=row.organisation,
        legal_basis=row.legal_basis,
        expires_at=row.expires_at,
        max_downloads=row.max_downloads,
        downloads=row.downloads,
        views=row.views,
        created_by_name=row.created_by_name,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        status=status_of(row),  # type: ignore[arg-type]
    )


def link(base_url: str, token: str) -> str:
    """The link's URL under the API's public base URL."""
    return f"{base_url.rstrip('/')}{SHARE_PATH}?token={quote(token)}"


def create(actor: Actor, case: Case, data: ShareIn, base_url: str) -> tuple[ShareOut, str]:
    """A new link (expiry ≤ 30 days); returns it and its URL, which holds the token (shown this once)."""
    now = datetime.now(UTC)
    if data.expires_at <= now:
        raise Invalid("invalid_expiry", "a validade deve estar no futuro")
    if data.expires_at > now + timedelta(days=SHARE_MAX_DAYS):
        raise Invalid("invalid_expiry", f"a validade máxima de um link é de {SHARE_MAX_DAYS} dias")
    token = secrets.token_urlsafe(32)
    principal = actor.principal
    with db.transaction() as conn:
        row = store.insert_share(
            conn,
            {
                "case_id": case.id,
                "token_sha256": token_hash(token),
                "recipient_name": data.recipient_name,
                "organisation": data.organisation,
                "legal_basis": data.legal_basis,
                "expires_at": data.expires_at,
                "max_downloads": data.max_downloads,
                "created_by": principal.user_id if principal.local else None,
                "created_by_name": principal.username,
            },
        )
        custody.record(
            conn,
            str(case.id),
            "share.created",
            principal=principal,
            source_ip=actor.source_ip,
            user_agent=actor.user_agent,
            detail=_share_detail(row),
        )
    return public(row), link(base_url, token)


def _share_detail(row: Share) -> dict[str, object]:
    return {
        "share_id": str(row.id),
        "recipient_name": row.recipient_name,
        "organisation": row.organisation,
        "legal_basis": row.legal_basis,
        "expires_at": row.expires_at.isoformat(),
        "max_downloads": row.max_downloads,
    }


def visible(case: Case, share_id: str) -> Share:
    """A link of this case; 404 otherwise."""
    with db.transaction() as conn:
        row = store.get_share(conn, share_id)
    if row is None or row.case_id != case.id:
        raise not_found("link de compartilhamento")
    return row


def list_(case: Case) -> list[ShareOut]:
    with db.transaction() as conn:
        return [public(r) for r in store.shares(conn, str(case.id))]


def revoke(actor: Actor, case: Case, share_id: str) -> ShareOut:
    """Revoke a link: from now on it answers 410."""
    visible(case, share_id)
    with db.transaction() as conn:
        row = store.revoke_share(conn, share_id, actor.principal.user_id if actor.principal.local else None)
        custody.record(
            conn,
            str(case.id),
            "share.revoked",
            principal=actor.principal,
            source_ip=actor.source_ip,
            user_agent=actor.user_agent,
            detail={"share_id": share_id},
        )
    return public(row)


# ------------------------------------------------------------------------------------ the public side


def _open(token: str, visitor: Visitor, action: str) -> tuple[Share, Case]:
    """The link of `token` and its case; 404 for an unknown token, 410 (recorded) for a dead link."""
    if not token or len(token) > 200:
        raise not_found("link de compartilhamento")
    with db.transaction() as conn:
        row = store.share_by_token(conn, token_hash(token))
        case = store.get_case(conn, str(row.case_id)) if row else None
    if row is None or case is None:
        raise not_found("link de compartilhamento")
    state = status_of(row)
    if state != "active":
        message = "este link foi revogado" if state == "revoked" else "este link expirou"
        _refused(row, case, visitor, action, state)
        raise Gone(f"share_{state}", message)
    return row, case


def _actor(row: Share) -> str:
    return f"link: {row.recipient_name} ({row.organisation})"


def _audit(row: Share, case: Case, visitor: Visitor, action: str, status: int, detail: Mapping[str, object]) -> None:
    audit.record(
        None,
        action,
        f"/v1/cases/{case.id}/shares/{row.id}",
        status=status,
        source_ip=visitor.source_ip,
        city_id=str(case.city_id),
        actor=_actor(row),
        detail={"user_agent": visitor.user_agent, **detail},
    )


def _refused(row: Share, case: Case, visitor: Visitor, action: str, reason: str) -> None:
    with db.transaction() as conn:
        custody.record(
            conn,
            str(case.id),
            "share.refused",
            actor=_actor(row),
            source_ip=visitor.source_ip,
            user_agent=visitor.user_agent,
            detail={"share_id": str(row.id), "reason": reason},
        )
    _audit(row, case, visitor, action, 410, {"reason": reason})


def view(token: str, visitor: Visitor, base_url: str) -> SharedCase:
    """What the link shows: the case, the link's terms and its finished packages (a view is recorded)."""
    row, case = _open(token, visitor, "share.view")
    with db.transaction() as conn:
        store.count_view(conn, str(row.id))
        custody.record(
            conn,
            str(case.id),
            "share.viewed",
            actor=_actor(row),
            source_ip=visitor.source_ip,
            user_agent=visitor.user_agent,
            detail={"share_id": str(row.id)},
        )
        city = store.city_name(conn, str(case.city_id))
    _audit(row, case, visitor, "share.view", 200, {})
    base = base_url.rstrip("/")
    items = [
        SharedExport(
            id=str(e.id),
            created_at=e.created_at,
            start=e.start_at,
            end=e.end_at,
            cameras=len((e.manifest or {}).get("files", [])),
            size_bytes=e.package_size_bytes,
            sha256=e.package_sha256,
            download_url=f"{base}{SHARE_PATH}/exports/{e.id}?token={quote(token)}",
        )
        for e in exports.ready_of_case(str(case.id))
    ]
    left = None if row.max_downloads is None else max(0, row.max_downloads - row.downloads)
    return SharedCase(
        case_title=case.title,
        case_reference=case.reference,
        city_name=city,
        recipient_name=row.recipient_name,
        organisation=row.organisation,
        legal_basis=row.legal_basis,
        expires_at=row.expires_at,
        downloads_left=left,
        exports=items,
    )


def download(token: str, export_id: str, visitor: Visitor) -> str:
    """Count one download against the link and return a short-lived URL of the package (410 past the limit)."""
    row, case = _open(token, visitor, "share.download")
    export = next((e for e in exports.ready_of_case(str(case.id)) if str(e.id) == export_id), None)
    if export is None:
        raise not_found("pacote")
    with db.transaction() as conn:
        taken = store.take_download(conn, str(row.id))
    if taken is None:
        _refused(row, case, visitor, "share.download", "download_limit")
        raise Gone("download_limit_reached", "o limite de downloads deste link foi atingido")
    url = exports.package_download(export, get_settings().share_download_ttl_s)
    detail = {
        "share_id": str(row.id),
        "export_id": export_id,
        "file": f"pacote-{export_id[:8]}.zip",
        "sha256": export.package_sha256,
        "download": taken.downloads,
    }
    with db.transaction() as conn:
        custody.record(
            conn,
            str(case.id),
            "share.downloaded",
            actor=_actor(row),
            source_ip=visitor.source_ip,
            user_agent=visitor.user_agent,
            detail=detail,
        )
    _audit(row, case, visitor, "share.download", 302, detail)
    return url
