"""Tamper detection: is the camera covered, defocused or moved? (docs/adr/0027-tamper-detection.md)

Computed from the views segment registration already decodes (`media.keyframes`: the first keyframes of each
main-stream segment as 64×36 luma and detail grids) against the camera's reference view — the first recorded
view, or one a manager took. Pure Python on a few kilobytes (no numpy in the Lambda layer): the sums are
`sum()` over `bytes` and a `map(operator.mul, …)` for the correlation, well under a millisecond a segment.

The rule, in this order, on the median of the segment's keyframes:
- **covered**: the picture is nearly uniform — contrast (standard deviation of the luma grid) below
  `COVERED_CONTRAST` grey levels: a lens cap, tape, paint, a hand, a black picture. Contrast, not brightness:
  a scene at dusk keeps its structure at a fifth of the light (testsrc2 at 20 %: contrast ≈ 11).
- **moved**: the luma grid no longer correlates with the reference's (normalised cross-correlation below
  `MOVED_NCC`): another scene, a turned or flipped camera. Correlation is blind to gain and offset, so dusk
  and exposure changes do not move a camera.
- **defocused**: the detail (high-frequency energy per unit of contrast) fell below `DEFOCUS_RATIO` of the
  reference's: the same scene, blurred. Dividing by contrast keeps it blind to the light level too.
A segment that looks wrong makes the camera *suspect*; the second consecutive one raises `camera_tampered`
(once per incident: one open per camera) — no later than the second segment after the fault, since each
segment is judged by its first keyframes. The first segment that looks right resolves it.
"""

from __future__ import annotations

import math
import operator
import statistics
from typing import Literal

from gtvision.core.rows import rowtype
from gtvision.media.keyframes import View
from gtvision.recordings.upload_schemas import ViewState

Reason = Literal["covered", "defocused", "moved"]

COVERED_CONTRAST = 4.0
MOVED_NCC = 0.5
DEFOCUS_RATIO = 0.55
#: Consecutive suspect segments that make an incident.
CONFIRM = 2


@rowtype(slots=False)
class Features:
    """What the rule reads of a segment's views."""

    luma: bytes  # the first keyframe's luma grid (what "moved" compares)
    mean: float
    contrast: float
    sharpness: float


def _mean_std(grid: bytes) -> tuple[float, float]:
    n = len(grid)
    mean = sum(grid) / n
    var = float(sum(map(operator.mul, grid, grid))) / n - mean * mean
    return mean, math.sqrt(max(var, 0.0))


def features(views: list[View]) -> Features | None:
    """The segment's features (medians over its keyframes); None without a usable view."""
    if not views:
        return None
    means, contrasts, sharpness = [], [], []
    for view in views:
        mean, contrast = _mean_std(view.luma)
        means.append(mean)
        contrasts.append(contrast)
        sharpness.append(sum(view.detail) / len(view.detail) / max(contrast, 1.0))
    return Features(
        luma=bytes(views[0].luma),
        mean=statistics.median(means),
        contrast=statistics.median(contrasts),
        sharpness=statistics.median(sharpness),
    )


def ncc(a: bytes, b: bytes) -> float:
    """Normalised cross-correlation of two grids of the same size (1: same picture up to gain and offset)."""
    ma, sa = _mean_std(a)
    mb, sb = _mean_std(b)
    if sa < 1e-6 or sb < 1e-6:
        return 0.0
    cov = float(sum(map(operator.mul, a, b))) / len(a) - ma * mb
    return cov / (sa * sb)


def classify(view: Features, reference_luma: bytes, reference_sharpness: float) -> Reason | None:
    """What looks wrong with `view` against the reference, if anything (see the module's docstring)."""
    if view.contrast < COVERED_CONTRAST:
        return "covered"
    if ncc(view.luma, reference_luma) < MOVED_NCC:
        return "moved"
    if reference_sharpness > 0 and view.sharpness < DEFOCUS_RATIO * reference_sharpness:
        return "defocused"
    return None


@rowtype(slots=False)
class Step:
    """What one segment does to the camera's state: the new suspect state, and an incident to open/resolve."""

    reason: Reason | None
    suspect_count: int
    open: bool
    resolve: bool


def step(state: ViewState, reason: Reason | None) -> Step:
    """The next state after a segment judged `reason` (None: the picture looks right)."""
    if reason is None:
        return Step(None, 0, open=False, resolve=state.suspect_count >= CONFIRM)
    count = state.suspect_count + 1
    return Step(reason, count, open=count >= CONFIRM, resolve=False)
