"""The ffmpeg time of one segment registration, bounded below the function's timeout (ADR 0010)."""

from __future__ import annotations

import time

#: ffmpeg time one registration may use at most (the function's timeout is 120 s; see ADR 0010).
MAX_FFMPEG_S = 90.0
#: Below this much ffmpeg time left, a registration is not started (nor its next ffmpeg run): retried later.
MIN_FFMPEG_S = 3.0


class RegistrationInterrupted(Exception):
    """Too little time left to register a segment safely: transient, the event is retried."""


class FfmpegBudget:
    """The ffmpeg budget of one registration: each run gets what is left, the total never exceeds it."""

    def __init__(self, budget_s: float) -> None:
        self._end = time.monotonic() + budget_s

    def left(self) -> float:
        remaining = self._end - time.monotonic()
        if remaining < MIN_FFMPEG_S:
            raise RegistrationInterrupted(f"restam {max(remaining, 0):.1f} s de ffmpeg para este registro")
        return remaining
