"""Storage class per plan (docs/cost.md): 30-day segments move to Standard-IA at registration, others stay Standard."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import recording_support as rs

from gtvision.core import aws
from gtvision.core.settings import get_settings
from gtvision.recordings.service import segment_key
from gtvision_local.testmedia import make_segments


@pytest.fixture
def plan_classes(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GTV_STORAGE_CLASS_BY_PLAN", "30:STANDARD_IA")  # what template.yaml gives the function
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_thirty_day_segments_go_to_standard_ia_and_raise_no_second_event(world, plan_classes, tmp_path) -> None:
    r = world.api.call(
        "POST",
        "/v1/cities",
        {"name": f"Plano 30 {uuid.uuid4().hex[:8]}", "state": "SP", "retention_days": 30},
        world.admin,
    )
    assert r.status == 201, r.text
    cam30 = str(world.camera(token=world.admin, city=r.json()["id"])["id"])
    cam7 = str(world.camera()["id"])  # world's cities are 7-day plans
    start = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    (seg,) = make_segments(str(tmp_path), 1, 2, start=start, fmt="ts")
    keys = {cam: segment_key(cam, seg.start, "ts") for cam in (cam30, cam7)}
    for key in keys.values():
        rs.upload(key, seg.url_or_path)

    assert rs.deliver(set(keys.values())) == {"batchItemFailures": []}

    s3 = aws.client("s3")
    head30 = s3.head_object(Bucket=rs.bucket(), Key=keys[cam30])
    head7 = s3.head_object(Bucket=rs.bucket(), Key=keys[cam7])
    assert head30.get("StorageClass") == "STANDARD_IA"
    assert head7.get("StorageClass", "STANDARD") == "STANDARD"
    assert s3.get_object_tagging(Bucket=rs.bucket(), Key=keys[cam30])["TagSet"] == [
        {"Key": "retention-days", "Value": "30"}
    ]
    assert [r["s3_key"] for r in rs.segment_rows(cam30)] == [keys[cam30]]
    # The in-place copy is not an upload: no event for it reaches the queue.
    with pytest.raises(AssertionError, match="S3 events missing"):
        rs.receive_events({keys[cam30]}, timeout=2.0)
