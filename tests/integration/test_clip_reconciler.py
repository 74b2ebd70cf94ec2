"""ClipReconcilerFunction: clips whose job message was lost end `ready` — or `failed` with a reason (issue 10)."""

from __future__ import annotations

from typing import Any

import pytest
from test_clips import (  # noqa: F401 - fixtures
    WorkerContext,
    clip,
    drain,
    recorded,
    request_clip,
    run_until,
    scratch,
    segment_files,
    status_is,
    worker,
)
from utils import load_function

from gtvision.core import db
from gtvision.core.settings import get_settings

# Only clips aged past this are stale in these tests: others' unfinished clips (a long suite) stay untouched.
TEN_DAYS_S = 10 * 24 * 3600


@pytest.fixture()
def reconciler(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("GTV_CLIP_STALE_S", str(TEN_DAYS_S))
    get_settings.cache_clear()
    handler = load_function("clip_reconciler", "handler").handler
    yield lambda: handler({"source": "aws.events", "detail-type": "Scheduled Event"}, WorkerContext(60))
    monkeypatch.delenv("GTV_CLIP_STALE_S")
    get_settings.cache_clear()


def age(clip_id: str, **columns: Any) -> None:
    """Make a clip look untouched for eleven days (and set `columns`)."""
    sets = "".join(f", {c} = %({c})s" for c in columns)
    with db.transaction() as conn:
        conn.execute(
            f"UPDATE clips SET updated_at = now() - interval '11 days'{sets} WHERE id = %(id)s",
            {**columns, "id": clip_id},
        )


def test_a_clip_whose_message_was_purged_ends_ready(world, recorded, worker, reconciler) -> None:  # noqa: F811 - fixtures of test_clips
    # Given a queued clip whose job message was lost (the queue purged) and that nobody touched since
    clip_id = request_clip(world, recorded, 0.0, 2.0)
    drain(worker.queue.url)
    age(clip_id)
    assert worker.poll_once() == 0  # nothing left to deliver: the clip would stay queued for good

    # When the reconciler runs
    result = reconciler()

    # Then it queued the job again and the worker makes the clip
    assert result == {"requeued": [clip_id], "failed": []}
    run_until(worker, status_is(world, clip_id, "ready", "failed"))
    assert clip(world, clip_id)["status"] == "ready"
    with db.transaction() as conn:
        assert conn.execute("SELECT requeues FROM clips WHERE id = %s", (clip_id,)).fetchone() == {"requeues": 1}


def test_a_clip_of_a_killed_worker_is_taken_over_after_its_lease(world, recorded, worker, reconciler) -> None:  # noqa: F811 - fixtures of test_clips
    # Given a clip left `processing` by a worker killed mid-cut: its lease ran out, its message is gone
    clip_id = request_clip(world, recorded, 2.0, 4.0)
    drain(worker.queue.url)
    with db.transaction() as conn:
        conn.execute(
            "UPDATE clips SET status = 'processing', attempts = 1, claim_token = gen_random_uuid(),"
            " lease_until = now() - interval '1 second' WHERE id = %s",
            (clip_id,),
        )

    # When the reconciler runs, then the worker
    assert reconciler() == {"requeued": [clip_id], "failed": []}
    run_until(worker, status_is(world, clip_id, "ready", "failed"))

    # Then the clip is ready
    assert clip(world, clip_id)["status"] == "ready"


def test_clips_out_of_retries_fail_with_a_reason(world, recorded, worker, reconciler) -> None:  # noqa: F811 - fixtures of test_clips
    # Given a queued clip re-queued three times already, and one whose last attempt's worker died
    queued = request_clip(world, recorded, 0.0, 1.0)
    processing = request_clip(world, recorded, 1.0, 2.0)
    drain(worker.queue.url)
    age(queued, requeues=3)
    age(processing, status="processing", attempts=3)

    # When the reconciler runs
    result = reconciler()

    # Then both are failed with a readable reason, and nothing was queued for them
    assert sorted(result["failed"]) == sorted([queued, processing]) and result["requeued"] == []
    for clip_id, words in ((queued, "reenfileirado 3 vezes"), (processing, "interrompido (tentativa 3 de 3)")):
        out = clip(world, clip_id)
        assert out["status"] == "failed" and words in out["error"] and "peça o recorte de novo" in out["error"]
    assert worker.poll_once() == 0
