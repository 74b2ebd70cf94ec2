"""A clip's objects in the recordings bucket: deterministic keys, so a redelivered job overwrites rather than adds,
and retention finds every object a clip may have (it imports this, not the clips service: ADR 0029)."""

from __future__ import annotations


def clip_key(clip_id: str) -> str:
    """Deterministic object key: a redelivered job overwrites, never adds, a clip."""
    return f"clips/{clip_id}.mp4"


def manifest_key(clip_id: str) -> str:
    """The S3 key of a clip's signed evidence manifest."""
    return f"clips/{clip_id}.manifest.json"


def object_keys(clip_id: str, s3_key: str | None, manifest: str | None) -> list[str]:
    """Every object a clip may have in storage: the row's keys and the deterministic ones (a worker that
    died after uploading left them without recording them)."""
    keys = {clip_key(clip_id), manifest_key(clip_id), s3_key, manifest}
    return sorted(k for k in keys if k)
