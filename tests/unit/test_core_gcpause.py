"""`core.gcpause.cyclic_gc_paused`: the collector is off inside, back as it was after (errors and nesting too),
and batch ingest runs inside it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from gtvision.core.gcpause import cyclic_gc_paused
from gtvision.lpr import batch


@pytest.fixture(autouse=True)
def _gc_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_paused_inside_and_restored_after_even_on_error() -> None:
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), cyclic_gc_paused():
        raise ValueError("x")
    assert gc.isenabled()


def test_nested_blocks_leave_it_paused_until_the_outer_one_ends() -> None:
    with cyclic_gc_paused():
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    with cyclic_gc_paused():
        pass
    assert not gc.isenabled()


def test_batch_ingest_runs_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    monkeypatch.setattr(batch, "_ingest_batch", lambda messages, now: seen.append(gc.isenabled()))
    batch.ingest_batch(["{}"])
    assert seen == [False] and gc.isenabled()
