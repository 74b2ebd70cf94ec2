"""RedactionFunction (container image, ADR 0026): export part jobs that blur faces and plates → one camera's file."""

from __future__ import annotations

from gtvision.core.coldstart import imports_without_gc

with imports_without_gc():
    from gtvision.exports import jobs

handler = jobs.part_handler("RedactedParts")
