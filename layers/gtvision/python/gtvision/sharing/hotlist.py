"""Inbound hotlists: a partner (with its key) or a manager pushes entries as JSON or `text/csv`
(`placa;motivo;referencia;validade`); each becomes a watchlist entry of the agreement's city with the agreement
as source. Bad rows are reported with their line numbers; `replace` swaps the agreement's whole list in one
transaction (and, when any row is bad, changes nothing). Expired entries stop matching at once (the watchlist
match ignores them) and are purged by the maintenance run."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from gtvision.core import db
from gtvision.core.errors import Invalid, Malformed, TooLarge
from gtvision.core.observability import logger, metrics
from gtvision.core.timeutil import parse_rfc3339
from gtvision.lpr import plates
from gtvision.sharing.api_schemas import HotlistEntryOut, HotlistError, HotlistIn, HotlistResult
from gtvision.sharing.schemas import MAX_HOTLIST_ENTRIES, Agreement
from gtvision.sharing.store import agreements as agreements_store
from gtvision.sharing.store import hotlist as store
from gtvision.tenancy import cities

#: Lambda takes at most 6 MB of request: a 200k-plate CSV with short references fits.
MAX_BYTES = 6 * 1024 * 1024
MAX_ERRORS = 200
#: A replace of 200k entries needs more than the API's statement timeout.
MERGE_LIMIT_S = 60.0
Mode = Literal["upsert", "replace"]
Row = tuple[str, str, str | None, datetime | None]


def _expiry(text: str, zone: ZoneInfo) -> datetime | None:
    """`validade`: empty (no expiry), `dd/mm/aaaa` (valid through that day in the city) or RFC 3339."""
    text = text.strip()
    if not text:
        return None
    if "/" in text:
        day = datetime.strptime(text, "%d/%m/%Y").replace(tzinfo=zone)
        return (day + timedelta(days=1)).astimezone(UTC)
    return parse_rfc3339(text)


def _storable(text: str) -> bool:
    """PostgreSQL text holds neither NUL nor lone surrogates."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _entry(plate: Any, reason: Any, ref: Any, expiry: Any, zone: ZoneInfo) -> Row:
    """One row checked; ValueError with the pt-BR reason otherwise."""
    if any(isinstance(v, str) and not _storable(v) for v in (plate, reason, ref, expiry)):
        raise ValueError("caracteres inválidos (nulo ou fora do UTF-8)")
    if ref is not None and not isinstance(ref, str):
        raise ValueError("referência deve ser texto")
    if expiry is not None and not isinstance(expiry, str):
        raise ValueError("validade deve ser texto: vazia, dd/mm/aaaa ou RFC 3339")
    if not isinstance(plate, str) or not plate.strip():
        raise ValueError("placa ausente")
    normal = plates.normalize_plate(plate)
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("motivo ausente")
    if len(reason.strip()) > 500:
        raise ValueError("motivo com mais de 500 caracteres")
    ref_text = None if ref in (None, "") else str(ref).strip()
    if ref_text is not None and len(ref_text) > 200:
        raise ValueError("referência com mais de 200 caracteres")
    try:
        expires = _expiry(expiry or "", zone)
    except ValueError:
        raise ValueError("validade deve ser vazia, dd/mm/aaaa ou RFC 3339") from None
    return normal, reason.strip(), ref_text or None, expires


def parse_csv(text: str, zone: ZoneInfo) -> tuple[list[Row], list[HotlistError]]:
    """`placa;motivo;referencia;validade` rows (a header line is skipped); line numbers as in the file."""
    rows: list[Row] = []
    errors: list[HotlistError] = []
    for number, fields in enumerate(csv.reader(io.StringIO(text), delimiter=";"), start=1):
        if not fields or all(not f.strip() for f in fields):
            continue
        if number == 1 and fields[0].strip().lower() in ("placa", "plate"):
            continue
        if len(fields) not in (3, 4):
            errors.append(HotlistError(line=number, error="esperados 4 campos: placa;motivo;referencia;validade"))
            continue
        try:
            rows.append(_entry(fields[0], fields[1], fields[2], fields[3] if len(fields) == 4 else "", zone))
        except ValueError as exc:
            errors.append(HotlistError(line=number, error=str(exc)))
    return rows, errors


def parse_json(doc: HotlistIn, zone: ZoneInfo) -> tuple[list[Row], list[HotlistError]]:
    """`entries[i]` is reported as line i + 1."""
    rows: list[Row] = []
    errors: list[HotlistError] = []
    allowed = {"plate", "reason", "source_ref", "expires_at"}
    for number, item in enumerate(doc.entries, start=1):
        try:
            if not isinstance(item, dict) or set(item) - allowed:
                raise ValueError("entrada deve ter apenas plate, reason, source_ref e expires_at")
            rows.append(
                _entry(item.get("plate"), item.get("reason"), item.get("source_ref"), item.get("expires_at"), zone)
            )
        except ValueError as exc:
            errors.append(HotlistError(line=number, error=str(exc)))
    return rows, errors


def _not_json(name: str) -> Any:
    """NaN and Infinity are not JSON (RFC 8259)."""
    raise ValueError(name)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # spreadsheets on Windows save CSV in Windows-1252


def push(
    agreement: Agreement,
    raw: bytes,
    content_type: str | None,
    mode: str | None,
    actor: str,
    dry_run: bool = False,
) -> HotlistResult:
    """Parse and apply a push; `dry_run` only checks it (the console's preview)."""
    if len(raw) > MAX_BYTES:
        raise TooLarge("payload_too_large", "lista maior que 6 MB: envie em partes (mode=upsert)")
    city = cities.find(str(agreement.city_id))
    zone = ZoneInfo(city.timezone if city else "America/Sao_Paulo")
    if (content_type or "").split(";")[0].strip().lower() == "text/csv":
        chosen: Mode = "replace" if mode == "replace" else "upsert"
        if mode not in (None, "", "upsert", "replace"):
            raise Invalid("invalid_mode", "mode deve ser upsert ou replace")
        rows, errors = parse_csv(_decode(raw), zone)
    else:
        try:
            data = json.loads(raw, parse_constant=_not_json) if raw else None
        except (ValueError, RecursionError):
            raise Malformed("malformed_json", "corpo não é JSON válido (ou envie text/csv)") from None
        if not isinstance(data, dict):
            raise Malformed("malformed_body", "o corpo deve ser um objeto JSON com entries")
        try:
            doc = HotlistIn.model_validate(data)
        except ValueError as exc:
            raise Invalid("validation_error", f"dados inválidos — {str(exc).splitlines()[0]}") from None
        chosen = doc.mode
        rows, errors = parse_json(doc, zone)
    if len(rows) > MAX_HOTLIST_ENTRIES:
        raise TooLarge("too_many_entries", f"no máximo {MAX_HOTLIST_ENTRIES} entradas por lista")
    unique = list({r[0]: r for r in rows}.values())  # the last row of a plate wins
    applied = not dry_run and not (chosen == "replace" and errors)
    written = removed = 0
    if applied:
        with db.transaction(limit_s=MERGE_LIMIT_S + 5) as conn:
            conn.execute(f"SET LOCAL statement_timeout = {int(MERGE_LIMIT_S * 1000)}")
            written, removed = store.merge(conn, agreement.id, agreement.city_id, unique, chosen == "replace")
            agreements_store.log(
                conn,
                str(agreement.id),
                "hotlist_push",
                actor,
                len(unique),
                {"mode": chosen, "rejected": len(errors), "removed": removed},
            )
        metrics.add_metric(name="HotlistEntriesReceived", unit="Count", value=len(unique))
        extra = {"agreement_id": str(agreement.id), "mode": chosen, "entries": len(unique), "removed": removed}
        logger.info("hotlist pushed", extra={**extra, "changed": written})
    return HotlistResult(
        mode=chosen,
        applied=applied,
        accepted=len(unique),
        rejected=len(errors),
        errors=errors[:MAX_ERRORS],
        removed=removed,
        preview=[_preview(r) for r in unique[:20]],
    )


def _preview(row: Row) -> HotlistEntryOut:
    plate, reason, ref, expires = row
    return HotlistEntryOut(plate=plate, reason=reason, source_ref=ref, expires_at=expires)
