"""S3 objects read whole: one streamed download that hashes as it writes, and a header probe."""

from __future__ import annotations

import hashlib

from botocore.exceptions import ClientError

from gtvision.core import aws


class ObjectMissing(Exception):
    """The object is not in the bucket (deleted, expired, overwritten away, or never uploaded)."""


def _missing(exc: Exception) -> bool:
    code = exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else None
    return code in ("NoSuchKey", "404", "NotFound")


def head(bucket: str, key: str) -> tuple[int, str] | None:
    """(size, ETag) of the object now at `key`; None when there is none."""
    try:
        meta = aws.client("s3").head_object(Bucket=bucket, Key=key)
    except Exception as exc:
        if _missing(exc):
            return None
        raise
    return int(meta["ContentLength"]), str(meta.get("ETag") or "")


def download(bucket: str, key: str, dst: str) -> tuple[str, int, str]:
    """Stream an object to `dst`, hashing as it goes; returns (sha256 hex, bytes, ETag). `ObjectMissing` if absent."""
    try:
        response = aws.client("s3").get_object(Bucket=bucket, Key=key)
    except Exception as exc:
        if _missing(exc):
            raise ObjectMissing(key) from exc
        raise
    digest = hashlib.sha256()
    size = 0
    with open(dst, "wb") as fh:
        for chunk in response["Body"].iter_chunks(1 << 20):
            digest.update(chunk)
            fh.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size, str(response.get("ETag") or "")
