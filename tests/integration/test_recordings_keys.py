"""Only the contract's canonical segment key registers; every other key is recorded as rejected, not retried.

Real video uploaded to moto, its real S3 events from SQS, SegmentUploadFunction's handler, PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import recording_support as rs

from gtvision.core import aws
from gtvision.recordings.service import segment_key
from gtvision_local.testmedia import make_video

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.fixture()
def camera(world: Any) -> str:
    return str(world.camera()["id"])


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> str:
    return make_video(str(tmp_path_factory.mktemp("keys") / "seg.ts"), 1, fmt="ts")


def thumbnails_of(camera: str) -> list[str]:
    listing = aws.client("s3").list_objects_v2(Bucket=rs.bucket(), Prefix=f"thumbnails/{camera}/")
    return [o["Key"] for o in listing.get("Contents", [])]


def test_a_key_dated_9999_12_31_is_recorded_as_rejected_not_retried(camera: str, video: str) -> None:
    # Given a readable segment uploaded under a key dated at the end of time
    key = segment_key(camera, datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "ts")
    rs.upload(key, video)
    # When its event is handled: no failure (so no retries, no DLQ)
    assert rs.deliver({key}) == {"batchItemFailures": []}
    # Then it is recorded as rejected, with nothing half-written (no row, no thumbnail), the object kept
    assert [r["reason"] for r in rs.rejections(key)] == ["start_out_of_range"]
    assert rs.segment_rows(camera) == [] and thumbnails_of(camera) == []
    assert aws.client("s3").head_object(Bucket=rs.bucket(), Key=key)["ContentLength"] > 0


@pytest.mark.parametrize("variant", ["fullwidth-digits", "upper-case-camera"])
def test_non_canonical_keys_are_rejected_and_the_canonical_key_registers(camera: str, video: str, variant: str) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    canonical = segment_key(camera, start, "ts")
    if variant == "fullwidth-digits":
        stamp = canonical.rsplit("/", 1)[1]
        other = canonical.replace(stamp, stamp[:4].translate(FULLWIDTH) + stamp[4:])  # "２０２６-…"
    else:
        other = canonical.replace(camera, camera.upper())
    assert other != canonical
    # Given the same segment uploaded under a variant of the key, then under the canonical key
    rs.upload(other, video)
    assert rs.deliver({other}) == {"batchItemFailures": []}
    # Then the variant is recorded as rejected and nothing is registered for it
    (rejection,) = rs.rejections(other)
    assert (rejection["reason"], rejection["detail"]["canonical"]) == ("non_canonical_key", canonical)
    assert rs.segment_rows(camera) == []
    # and the canonical key is registered (not silently a duplicate of the variant) and tagged for retention
    rs.upload(canonical, video)
    assert rs.deliver({canonical}) == {"batchItemFailures": []}
    assert [r["s3_key"] for r in rs.segment_rows(camera)] == [canonical]
    tags = aws.client("s3").get_object_tagging(Bucket=rs.bucket(), Key=canonical)["TagSet"]
    assert tags == [{"Key": "retention-days", "Value": "7"}]
