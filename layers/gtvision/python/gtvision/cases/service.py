"""Cases for the API: open, list, search, change and close cases; add items (which places the case's legal
holds on the recordings they come from).

Who sees a case: admins every case, managers (and viewers, who are then refused by role) their city's,
operators only the cases they opened — another's case is a 404, like another city's.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from gtvision.cases import custody, store
from gtvision.cases.schemas import Case, CaseItem, ItemSource
from gtvision.core import db, pagination
from gtvision.core.errors import Conflict, Invalid, not_found
from gtvision.core.principal import Principal
from gtvision.core.rows import rowtype
from gtvision.tenancy import cities

if TYPE_CHECKING:  # the API's models, imported where an answer is built (ADR 0029)
    from gtvision.cases.api_schemas import CaseIn, CaseOut, CasePatch, CasesQuery, ItemIn, ItemOut
    from gtvision.cases.holds import Held
    from gtvision.clips.api_schemas import ClipOut

# The features an item comes from (clips, plate reads, sightings, bookmarks) and the legal holds (`cases.holds`,
# over the recordings index) are imported by the functions that add items or change a case: the export packaging
# imports this module for `get_any` and needs none of them (ADR 0029).

#: Recordings around a plate read or a sighting that its item holds (before and after the instant).
AROUND_INSTANT = timedelta(seconds=30)
#: A bookmark without an end holds this much either side of its instant.
AROUND_BOOKMARK = timedelta(seconds=30)


@rowtype(slots=False)
class Actor:
    """Who acts on a case and from where (for the chain of custody)."""

    principal: Principal
    source_ip: str | None = None
    user_agent: str | None = None


def public(row: Case) -> CaseOut:
    from gtvision.cases.api_schemas import CaseOut

    return CaseOut(
        id=str(row.id),
        city_id=str(row.city_id),
        title=row.title,
        reference=row.reference,
        category=row.category,
        status=row.status,
        created_by=str(row.created_by) if row.created_by else None,
        created_by_name=row.created_by_name,
        created_at=row.created_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
        keep_until=row.keep_until,
    )


def item_public(row: CaseItem) -> ItemOut:
    from gtvision.cases.api_schemas import ItemOut

    return ItemOut(
        id=str(row.id),
        case_id=str(row.case_id),
        kind=row.kind,
        ref_id=str(row.ref_id) if row.ref_id else None,
        text=row.text,
        camera_id=str(row.camera_id) if row.camera_id else None,
        start=row.start_at,
        end=row.end_at,
        label=row.label,
        added_by_name=row.added_by_name,
        created_at=row.created_at,
    )


def _may_see(principal: Principal, row: Case) -> bool:
    if not principal.can_see_city(str(row.city_id)):
        return False
    return principal.role != "operator" or str(row.created_by) == principal.user_id


def visible(principal: Principal, case_id: str) -> Case:
    """The case if the caller may see it (see the module's docstring); 404 otherwise."""
    with db.transaction() as conn:
        row = store.get_case(conn, case_id, principal.scope)
    if row is None or not _may_see(principal, row):
        raise not_found("caso")
    return row


def get_any(case_id: str) -> Case | None:
    """A case whatever the caller (workers, which have none); None when it does not exist."""
    with db.transaction() as conn:
        return store.get_case(conn, case_id)


def create(actor: Actor, data: CaseIn) -> CaseOut:
    """Open a case in the caller's city (admins name the city)."""
    principal = actor.principal
    city_id = data.city_id.lower() if data.city_id else principal.city_id
    if principal.is_admin and not city_id:
        raise Invalid("city_required", "informe city_id: administradores abrem casos em nome de uma cidade")
    if city_id is None or not principal.can_see_city(city_id):
        raise not_found("cidade")
    if principal.is_admin:
        cities.get(principal, city_id)
    with db.transaction() as conn:
        row = store.insert_case(
            conn,
            {
                "city_id": city_id,
                "title": data.title,
                "reference": data.reference,
                "category": data.category,
                "created_by": principal.user_id if principal.local else None,
                "created_by_name": principal.username,
            },
        )
        custody.record(
            conn,
            str(row.id),
            "case.created",
            principal=principal,
            source_ip=actor.source_ip,
            user_agent=actor.user_agent,
            detail={"title": row.title, "category": row.category, "reference": row.reference},
        )
    return public(row)


def list_(principal: Principal, query: CasesQuery) -> tuple[list[CaseOut], str | None]:
    """The cases the caller may see, newest first (`status`, `q` filter)."""
    mine = principal.user_id if principal.role == "operator" else None
    after = pagination.decode_keyset(query.cursor)
    with db.transaction() as conn:
        rows = store.list_cases(conn, principal.scope, mine, query.status, query.q, query.limit, after)
    items, nxt = pagination.page(rows, query.limit, ("created_at", "id"))
    return [public(r) for r in items], nxt


def update(actor: Actor, case: Case, patch: CasePatch) -> CaseOut:
    """Change a case; `status` closes it (its holds end `GTV_CASE_KEEP_DAYS` later) or reopens it."""
    from gtvision.cases import holds

    changes = patch.model_dump(exclude_unset=True)
    case_id = str(case.id)
    with db.transaction() as conn:
        row = store.get_case(conn, case_id, lock=True)
        if row is None:
            raise not_found("caso")
        status = changes.pop("status", row.status)
        fields = {k: v for k, v in changes.items() if getattr(row, k) != v}
        if status == "closed" and row.status == "open":
            now = datetime.now(UTC)
            until = holds.keep_until(now)
            fields |= {"status": "closed", "closed_at": now, "closed_by": _user(actor), "keep_until": until}
        elif status == "open" and row.status == "closed":
            fields |= {
                "status": "open",
                "closed_at": None,
                "closed_by": None,
                "keep_until": None,
                "holds_released_at": None,
            }
        if not fields:
            return public(row)
        updated = store.update_case(conn, case_id, fields)
        _record_update(conn, actor, row, updated, fields)
        reheld = _reopen_holds(conn, updated) if row.status == "closed" and updated.status == "open" else []
        if updated.status == "closed" and row.status == "open":
            holds.set_end(conn, case_id, updated.keep_until)
    holds.tag(reheld)
    return public(updated)


def _user(actor: Actor) -> str | None:
    return actor.principal.user_id if actor.principal.local else None


def _record_update(conn: db.Conn, actor: Actor, before: Case, after: Case, fields: dict[str, object]) -> None:
    kind = "case.updated"
    if before.status != after.status:
        kind = "case.closed" if after.status == "closed" else "case.reopened"
    detail = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items() if k != "closed_by"}
    custody.record(
        conn,
        str(after.id),
        kind,
        principal=actor.principal,
        source_ip=actor.source_ip,
        user_agent=actor.user_agent,
        detail=detail,
    )


def _reopen_holds(conn: db.Conn, case: Case) -> list[Held]:
    """A reopened case holds again, without end, what its items come from (what is still recorded)."""
    from gtvision.cases import holds

    holds.set_end(conn, str(case.id), None)
    out = []
    for item in store.all_items(conn, str(case.id)):
        if item.camera_id and item.start_at and item.end_at:
            out.append(holds.hold_window(conn, case, str(item.camera_id), item.start_at, item.end_at))
    return out


def ensure_open(case: Case) -> None:
    """409 for a closed case (no new items or exports)."""
    if case.status != "open":
        raise Conflict("case_closed", "o caso está encerrado: reabra-o para incluir itens ou exportar")


# ---------------------------------------------------------------------------------------------- items


def _source(principal: Principal, data: ItemIn) -> ItemSource | None:
    """Where the item's recordings are (checked visible to the caller: 404 otherwise)."""
    from gtvision.bookmarks import service as bookmarks
    from gtvision.clips import service as clips
    from gtvision.lpr import search as lpr
    from gtvision.sentinela import service as sentinela

    ref = data.ref_id.lower() if data.ref_id else ""
    if data.kind == "clip":
        clip = clips.visible(principal, ref)
        return ItemSource(clip.camera_id, clip.start_at, clip.end_at, "Recorte")
    if data.kind == "lpr_read":
        camera_id, at, plate = lpr.read_ref(principal, ref)
        return ItemSource(uuid.UUID(camera_id), at - AROUND_INSTANT, at + AROUND_INSTANT, f"Placa {plate}")
    if data.kind == "sighting":
        seen_by, seen_at, seen = sentinela.result_ref(principal, ref)
        label = f"Avistamento {seen}" if seen else "Avistamento"
        return ItemSource(uuid.UUID(seen_by), seen_at - AROUND_INSTANT, seen_at + AROUND_INSTANT, label)
    if data.kind == "bookmark":
        mark = bookmarks.visible(principal, ref)
        end = mark.end_at or mark.at + AROUND_BOOKMARK
        return ItemSource(mark.camera_id, mark.at - AROUND_BOOKMARK, end, mark.label)
    return None


def add_item(actor: Actor, case: Case, data: ItemIn, *, hold_reason: str | None = None) -> ItemOut:
    """Add an item; the recordings it comes from are held for the case (a clip item holds the clip too).
    409 when the case is closed or already has it."""
    from gtvision.cases import holds

    ensure_open(case)
    principal = actor.principal
    source = _source(principal, data)
    case_id = str(case.id)
    with db.transaction() as conn:
        locked = store.get_case(conn, case_id, lock=True)
        if locked is None:
            raise not_found("caso")
        ensure_open(locked)
        row = store.insert_item(
            conn,
            {
                "case_id": case_id,
                "kind": data.kind,
                "ref_id": data.ref_id.lower() if data.ref_id else None,
                "text": data.text,
                "camera_id": source.camera_id if source else None,
                "start_at": source.start if source else None,
                "end_at": source.end if source else None,
                "label": source.label if source else None,
                "added_by": principal.user_id if principal.local else None,
                "added_by_name": principal.username,
            },
        )
        if row is None:
            raise Conflict("item_exists", "este item já faz parte do caso")
        held = holds.hold_window(conn, locked, str(source.camera_id), source.start, source.end) if source else None
        detail = {"item_id": str(row.id), "kind": row.kind, "ref_id": data.ref_id, "label": row.label}
        custody.record(
            conn,
            case_id,
            "item.added",
            principal=principal,
            source_ip=actor.source_ip,
            user_agent=actor.user_agent,
            detail=detail,
        )
        if held and held.new:
            custody.record(
                conn,
                case_id,
                "hold.placed",
                principal=principal,
                source_ip=actor.source_ip,
                detail={
                    "camera_id": str(source.camera_id) if source else None,
                    "segments": held.new,
                    "item_id": str(row.id),
                },
            )
    if held:
        holds.tag([held])
    if data.kind == "clip" and data.ref_id:
        from gtvision.clips import service as clips
        from gtvision.clips.api_schemas import HoldIn

        reason = hold_reason or f"Caso: {case.title}"
        clip = clips.visible(principal, data.ref_id.lower())
        clips.hold(principal, clip, HoldIn(reason=reason, case_id=case_id))
    return item_public(row)


def hold_clip(actor: Actor, case: Case, clip_id: str, reason: str) -> ClipOut:
    """A clip's legal hold for a case (`POST /v1/clips/{id}/hold` with `case_id`): the clip becomes an item of
    the case (or already is one) and is held with the given reason."""
    from gtvision.cases.api_schemas import ItemIn
    from gtvision.clips import service as clips
    from gtvision.clips.api_schemas import HoldIn

    try:
        add_item(actor, case, ItemIn(kind="clip", ref_id=clip_id), hold_reason=reason)
    except Conflict as exc:
        if exc.code != "item_exists":
            raise
        clip = clips.visible(actor.principal, clip_id)
        clips.hold(actor.principal, clip, HoldIn(reason=reason, case_id=str(case.id)))
    return clips.public(clips.visible(actor.principal, clip_id))


def ensure_clip_hold_can_lift(clip_hold_case_id: object) -> None:
    """409 when a clip's hold belongs to a case that is open or still in its keep period."""
    if clip_hold_case_id is None:
        return
    with db.transaction() as conn:
        row = store.get_case(conn, str(clip_hold_case_id))
    if row is not None and (row.status == "open" or (row.keep_until and row.keep_until > datetime.now(UTC))):
        raise Conflict("clip_held_by_case", "a retenção deste recorte pertence a um caso: encerre o caso")


def items(case: Case, limit: int, cursor: str | None) -> tuple[list[ItemOut], str | None]:
    """A case's items, oldest first."""
    after = pagination.decode_keyset(cursor)
    with db.transaction() as conn:
        rows = store.items(conn, str(case.id), limit, after)
    page_, nxt = pagination.page(rows, limit, ("created_at", "id"))
    return [item_public(r) for r in page_], nxt
