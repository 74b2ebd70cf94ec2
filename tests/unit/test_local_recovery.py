"""What the local stack says at start when its saved emulator state is missing but the database is not."""

from __future__ import annotations

import logging

import pytest

from gtvision_local import recovery


@pytest.mark.parametrize(("segments", "unfinished", "warned"), [(True, 2, True), (False, 1, True), (False, 0, False)])
def test_a_missing_emulator_state_is_announced_when_the_database_indexes_recordings(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, segments: bool, unfinished: int, warned: bool
) -> None:
    # Given an emulator that started without saved state, and a database that indexes what it holds (or not)
    monkeypatch.setattr(recovery.inventory, "any_registered", lambda: segments)
    monkeypatch.setattr(recovery.clips, "count_unfinished", lambda: unfinished)

    # When the stack announces it
    with caplog.at_level(logging.WARNING, logger="gtvision_local"):
        said = recovery.announce_lost_emulator_state()

    # Then it warns only when the database has something the empty bucket and queues lack
    assert said is warned
    assert ("bucket e filas começaram VAZIOS" in caplog.text) is warned
    assert (f"{unfinished} recorte(s) pendente(s)" in caplog.text) is (warned and unfinished > 0)
