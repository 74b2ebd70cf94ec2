"""The recordings bucket's objects of a segment: thumbnails, renditions, the retention tag that is the
lifecycle safety net behind RetentionFunction, the storage class of each tier, and presigned reads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from gtvision.core import aws, presign
from gtvision.core.settings import get_settings

RETENTION_TAG = "retention-days"
#: The tag value no lifecycle rule matches: objects under legal hold never expire by lifecycle.
HELD = "held"


def put_thumbnail(bucket: str, key: str, path: str, retention: str) -> None:
    """Store a segment's JPEG thumbnail, tagged with its retention."""
    with open(path, "rb") as fh:
        aws.client("s3").put_object(
            Bucket=bucket, Key=key, Body=fh.read(), ContentType="image/jpeg", Tagging=f"{RETENTION_TAG}={retention}"
        )


def store_for_plan(bucket: str, key: str, retention: str, storage_class: str) -> None:
    """Tag ``key`` with the plan and move it to ``storage_class`` in one request (an in-place copy).

    Costs what the tagging PUT it replaces costs (one PUT-class request). The bucket notifies only
    ObjectCreated:Put/CompleteMultipartUpload, so the copy raises no second registration event.
    """
    aws.client("s3").copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": key},
        StorageClass=storage_class,
        MetadataDirective="COPY",
        TaggingDirective="REPLACE",
        Tagging=f"{RETENTION_TAG}={retention}",
    )


def put_rendition(bucket: str, key: str, path: str, retention: str) -> None:
    """Store a segment's playable (MPEG-TS) copy, tagged like the original."""
    aws.client("s3").upload_file(
        path, bucket, key, ExtraArgs={"ContentType": "video/mp2t", "Tagging": f"{RETENTION_TAG}={retention}"}
    )


def tag_retention(bucket: str, keys: list[str], retention: str) -> None:
    """Tag objects for the bucket's lifecycle safety net (`retention-days` = 7|15|30, or `held`)."""
    s3 = aws.client("s3")
    tagging = {"TagSet": [{"Key": RETENTION_TAG, "Value": retention}]}
    for key in keys:
        try:
            s3.put_object_tagging(Bucket=bucket, Key=key, Tagging=tagging)
        except s3.exceptions.NoSuchKey:
            continue  # already gone: nothing left for a lifecycle rule to expire


def presigned_urls(keys: list[str], expires_in: int) -> list[str]:
    """GET URLs of recordings-bucket objects, signed fast (gtvision.core.presign)."""
    return presign.for_bucket(aws.client("s3"), get_settings().recordings_bucket).urls(keys, expires_in)


#: The plans the bucket's lifecycle rules know (`retention-days` = 7 | 15 | 30).
LIFECYCLE_PLANS = (7, 15, 30)


def plan_tag(days: int) -> str:
    """The retention tag of objects kept `days`: the shortest lifecycle plan that keeps them that long
    (RetentionFunction deletes on time; the lifecycle rule is the safety net behind it)."""
    return str(next((p for p in LIFECYCLE_PLANS if p >= days), days))


_writers = ThreadPoolExecutor(max_workers=3, thread_name_prefix="gtv-segment-objects")


def store_segment(
    bucket: str,
    key: str,
    tag: str,
    storage_class: str | None,
    thumbnail: tuple[str, str],
    rendition: tuple[str, str] | None,
) -> None:
    """A registered segment's requests, at once: its thumbnail `(key, path)`, its plan (tag, and the tier's
    storage class in the same in-place copy) and its playable rendition `(key, path)` if any. Raises the first
    failure once all are done (the event is retried; every request is idempotent)."""
    jobs = [_writers.submit(put_thumbnail, bucket, thumbnail[0], thumbnail[1], tag)]
    if storage_class:
        jobs.append(_writers.submit(store_for_plan, bucket, key, tag, storage_class))
    else:
        jobs.append(_writers.submit(tag_retention, bucket, [key], tag))
    if rendition is not None:
        jobs.append(_writers.submit(put_rendition, bucket, rendition[0], rendition[1], tag))
    errors = [exc for exc in (job.exception() for job in jobs) if exc is not None]
    if errors:
        raise errors[0]
