"""The retry schedule of SQS records and the redrive counts sized on it (ADR 0010)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gtvision.core.retries import backoff_s
from gtvision.core.settings import get_settings
from gtvision_local.template import load_template

REPO = Path(__file__).resolve().parents[2]
OUTAGE_S = 30 * 60


@pytest.fixture()
def default_backoff(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("GTV_RETRY_BASE_S", raising=False)
    monkeypatch.delenv("GTV_RETRY_MAX_S", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_backoff_grows_in_seconds_and_is_capped(default_backoff: None) -> None:
    # capped at 60 s: whatever the outage, a retry comes at most a minute after the dependency returns
    assert [backoff_s(n) for n in range(1, 9)] == [2, 4, 8, 16, 32, 60, 60, 60]
    assert backoff_s(0) == 2 and backoff_s(10_000) == 60


def test_no_queue_dead_letters_a_30_minute_outage(default_backoff: None) -> None:
    # Given the queues whose functions retry with backoff (gtvision.core.retries)
    retrying = {"SegmentUploadQueue", "ClipJobsQueue", "LprReadsQueue"}
    queues = [q for q in load_template(REPO / "template.yaml").queues() if q.logical_id in retrying]
    assert {q.logical_id for q in queues} == retrying
    for queue in queues:
        assert queue.redrive is not None
        # When a message fails on every receive, the last receive comes this long after the first
        last_receive_s = sum(backoff_s(n) for n in range(1, queue.redrive.max_receive_count))
        # Then a 30-minute outage is over before it (with ADR 0010's margin: 45 receives span 2,402 s)
        assert last_receive_s > OUTAGE_S, queue.logical_id
        assert last_receive_s == 2402
