"""gtvision.core.coldstart: the GC is paused for a handler's imports, restored afterwards, frozen only on Lambda."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from gtvision.core.coldstart import imports_without_gc


@pytest.fixture(autouse=True)
def _gc_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.unfreeze()
    if was:
        gc.enable()
    else:
        gc.disable()


def test_the_gc_is_paused_inside_and_back_on_after_without_freezing_off_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)
    gc.enable()
    frozen_before = gc.get_freeze_count()
    with imports_without_gc():
        assert gc.isenabled() is False
    assert gc.isenabled() is True
    assert gc.get_freeze_count() == frozen_before  # tests and the local runtime: nothing pinned for good


def test_on_lambda_what_exists_after_the_imports_is_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    gc.enable()
    gc.unfreeze()
    with imports_without_gc():
        made = [[i] for i in range(1000)]  # stands for the imported modules' objects
    assert gc.isenabled() is True
    assert gc.get_freeze_count() >= len(made)


def test_an_import_error_still_restores_the_gc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)
    gc.enable()
    with pytest.raises(ModuleNotFoundError), imports_without_gc():
        import gtvision_no_such_module  # noqa: F401
    assert gc.isenabled() is True


def test_a_gc_that_was_off_stays_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    gc.disable()
    gc.unfreeze()
    with imports_without_gc():
        pass
    assert gc.isenabled() is False
    assert gc.get_freeze_count() == 0  # whoever turned it off decides
