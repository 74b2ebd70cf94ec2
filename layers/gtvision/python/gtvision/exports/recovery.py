"""The export reconciler: no export stays unfinished for good, and case holds end when they should.

A part's or a package's job can be lost (a restart, a DLQ after the last receive, a worker killed after its
message was deleted) and the workers only act when a message arrives. Every minute the reconciler re-queues
the parts and packages nobody is working on (untouched for `GTV_EXPORT_STALE_S`, or claimed with an expired
lease), fails those out of budget with a reason (the export fails naming the camera), runs the fan-in that a
lost transition missed, and releases the holds of closed cases whose keep period ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gtvision.cases import holds as case_holds
from gtvision.core import db
from gtvision.core.observability import logger, metrics
from gtvision.core.settings import get_settings
from gtvision.exports import package, store
from gtvision.exports.schemas import MAX_ATTEMPTS, StaleExport, StalePart
from gtvision.exports.status import announce

#: How often the reconciler re-queues one part (or package) before failing it.
MAX_REQUEUES = 3


@dataclass
class Reconciled:
    requeued_parts: list[str] = field(default_factory=list)
    failed_parts: list[str] = field(default_factory=list)
    requeued_packages: list[str] = field(default_factory=list)
    failed_exports: list[str] = field(default_factory=list)
    fanned_in: list[str] = field(default_factory=list)
    cases_released: list[str] = field(default_factory=list)


def reconcile(stale_s: int | None = None) -> Reconciled:
    """One pass; safe to run concurrently (stale rows are locked, SKIP LOCKED)."""
    stale_s = stale_s or get_settings().export_stale_s
    out = Reconciled()
    _parts(stale_s, out)
    _packages(stale_s, out)
    with db.transaction() as conn:
        missed = store.unfinished_with_parts_done(conn)
    for export_id in missed:
        with db.transaction() as conn:
            moved = store.fan_in(conn, export_id)
        if moved == "packaging":
            store.enqueue_package(export_id)
        if moved:
            out.fanned_in.append(export_id)
            announce(export_id)
    out.cases_released = case_holds.release_expired()
    metrics.add_metric(
        name="ExportJobsRequeued", unit="Count", value=len(out.requeued_parts) + len(out.requeued_packages)
    )
    metrics.add_metric(name="ExportsFailedStale", unit="Count", value=len(out.failed_parts) + len(out.failed_exports))
    if out.requeued_parts or out.failed_parts or out.requeued_packages or out.failed_exports or out.fanned_in:
        logger.warning("stale exports reconciled", extra={"result": out.__dict__})
    return out


def _parts(stale_s: int, out: Reconciled) -> None:
    with db.transaction() as conn:
        stale = store.stale_parts(conn, stale_s)
        requeue = [p for p in stale if p.requeues < MAX_REQUEUES and p.attempts < MAX_ATTEMPTS]
        for p in requeue:
            store.requeue_part(conn, str(p.export_id), str(p.camera_id))
        image = {str(p.export_id): _in_image(conn, str(p.export_id)) for p in requeue}
    for p in requeue:  # after the commit: the worker must find the part queued
        try:
            store.enqueue_part(str(p.export_id), str(p.camera_id), image[str(p.export_id)])
            out.requeued_parts.append(f"{p.export_id}/{p.camera_id}")
        except Exception:  # noqa: BLE001 - still queued and stale again later: the next run retries
            logger.exception("stale export part not re-queued", extra={"export_id": str(p.export_id)})
    failed = [p for p in stale if p not in requeue]
    if failed:  # rare: parts out of retries fail through the worker's fan-in, imported only then (ADR 0029)
        from gtvision.exports.worker import finish_and_fan_in

        for p in failed:
            error = _part_reason(p)
            finish_and_fan_in(str(p.export_id), str(p.camera_id), None, {"status": "failed", "error": error})
            out.failed_parts.append(f"{p.export_id}/{p.camera_id}")
            announce(str(p.export_id))
    for export_id in {str(p.export_id) for p in requeue}:
        announce(export_id)


def _in_image(conn: db.Conn, export_id: str) -> bool:
    row = store.get(conn, export_id)
    return bool(row and row.in_image)


def _packages(stale_s: int, out: Reconciled) -> None:
    with db.transaction() as conn:
        stale = store.stale_packages(conn, stale_s)
        requeue = [e for e in stale if e.requeues < MAX_REQUEUES and e.attempts < MAX_ATTEMPTS]
        for e in requeue:
            store.requeue_package(conn, str(e.id))
    for e in requeue:
        try:
            store.enqueue_package(str(e.id))
            out.requeued_packages.append(str(e.id))
        except Exception:  # noqa: BLE001
            logger.exception("stale package not re-queued", extra={"export_id": str(e.id)})
    for e in stale:
        if e in requeue:
            continue
        with db.transaction() as conn:
            row = store.get(conn, str(e.id))
        if row is not None:
            package.fail(row, _package_reason(e))
            out.failed_exports.append(str(e.id))


def _part_reason(p: StalePart) -> str:
    if p.status == "processing":
        return (
            f"o processamento foi interrompido (tentativa {p.attempts} de {MAX_ATTEMPTS}) e não pode ser "
            "retomado; peça a exportação de novo"
        )
    return f"a tarefa ficou parada na fila e foi reenfileirada {p.requeues} vezes sem ser processada"


def _package_reason(e: StaleExport) -> str:
    return (
        f"a montagem do pacote foi interrompida {e.attempts} vez(es) e reenfileirada {e.requeues} vez(es); "
        "peça a exportação de novo"
    )
