"""S3 objects read whole: one streamed download that hashes as it writes."""

from __future__ import annotations

import hashlib

from botocore.exceptions import ClientError

from gtvision import aws


class ObjectMissing(Exception):
    """The object is not in the bucket (deleted, expired, or never uploaded)."""


def download(bucket: str, key: str, dst: str) -> tuple[str, int]:
    """Stream an object to `dst`, hashing as it goes; returns (sha256 hex, bytes). `ObjectMissing` if absent."""
    try:
        body = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            raise ObjectMissing(key) from exc
        raise
    digest = hashlib.sha256()
    size = 0
    with open(dst, "wb") as fh:
        for chunk in body.iter_chunks(1 << 20):
            digest.update(chunk)
            fh.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
