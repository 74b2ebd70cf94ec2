"""Local log lines: ``HH:MM:SS.mmm LEVEL [Function] message``, naming the function that wrote them.

Every invocation runs with :data:`gtvision.core.observability.current_function` set (see ``Runtime.invoke``):
the same variable the layer's local log lines read.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gtvision.core.observability import current_function

log = logging.getLogger("gtvision_local")

LOG_FORMAT = "%(asctime)s.%(msecs)03d %(levelname)s [%(function)s] %(message)s"


@contextmanager
def as_function(logical_id: str) -> Iterator[None]:
    """Log lines written inside the block name ``logical_id``."""
    token = current_function.set(logical_id)
    try:
        yield
    finally:
        current_function.reset(token)


class FunctionFilter(logging.Filter):
    """Stamps each record with the function running in the current context."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.function = current_function.get()
        return True


class _ExactSuppressFilter(logging.Filter):
    """Rejects records of logger ``name`` and its children only (not ``name_local`` and the like)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.service = name

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == self.service or record.name.startswith(self.service + "."))


class _LocalHandler(logging.StreamHandler):
    """The root handler of local runs (a class of its own so :func:`configure_logging` is idempotent).

    It writes to whatever ``sys.stderr`` is when a record is emitted, not the one of when it was made: the
    stack's threads (scheduler, gateway) outlive a replaced stderr (pytest's capture, a closed pipe).
    """

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:  # StreamHandler.__init__ assigns it; stderr is read at emit
        pass

    def addFilter(self, filter: Any) -> None:  # noqa: A002, N802 - logging's signature
        # Powertools' Logger(service="gtvision") adds a SuppressFilter to root handlers that drops
        # every logger whose name *contains* "gtvision" (meant against duplicates of its own
        # records) - it would silence gtvision_local too. Keep the intent, match exactly.
        if type(filter).__name__ == "SuppressFilter" and isinstance(getattr(filter, "logger", None), str):
            filter = _ExactSuppressFilter(filter.logger)
        super().addFilter(filter)


def configure_logging(level: int | str = logging.INFO) -> None:
    """Give the root logger ``HH:MM:SS.mmm LEVEL [Function] message`` lines on stderr."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _LocalHandler)]:
        root.removeHandler(handler)
    handler = _LocalHandler()
    handler.addFilter(FunctionFilter())
    # The functions' Powertools logger prints its own (richer) line; it is created when gtvision is imported,
    # before this handler exists, so its duplicate-suppressing filter never reached it: add the same here.
    handler.addFilter(_ExactSuppressFilter(os.environ.get("POWERTOOLS_SERVICE_NAME", "gtvision")))
    handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(level)
    # The emulator and HTTP stacks are chatty at INFO; their problems still show as warnings.
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug", "s3transfer", "pgserver"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Powertools warns on every invocation that publishes no metric; locally that is every one.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
