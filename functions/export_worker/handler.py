"""ExportWorkerFunction: SQS export part jobs → one camera's file of a case's package (partial batch failures)."""

from __future__ import annotations

from gtvision.core.coldstart import imports_without_gc

with imports_without_gc():
    from gtvision.exports import jobs

handler = jobs.part_handler("ExportParts")
