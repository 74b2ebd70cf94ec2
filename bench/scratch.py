"""The environment the benchmarks' functions see, set before anything of gtvision reads its settings: fake AWS
credentials (a scratch emulator, never a real account), a fixed data key, quiet Powertools logs."""

from __future__ import annotations

import os

DEFAULTS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_REGION": "us-east-1",
    "GTV_DATA_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def scratch_env(**extra: str) -> None:
    """Set each of DEFAULTS (and `extra`) that the environment does not set already."""
    for name, value in {**DEFAULTS, **extra}.items():
        os.environ.setdefault(name, value)
