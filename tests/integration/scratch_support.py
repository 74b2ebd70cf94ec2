"""A scratch directory of a fixed small size (a tmpfs mounted for the test), to fill up on purpose.

Lambda's /tmp is finite (512 MB by default); these fixtures make "the disk is full" or "the disk is read-only"
happen at an exact moment of a real run. Mounting needs root (the test suite runs as root here); elsewhere
the tests that need it are skipped, saying why.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PAGE = 4096


@contextmanager
def small_scratch(size_bytes: int, *, read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of `size_bytes` (read-only when asked), unmounted afterwards."""
    where = Path(tempfile.mkdtemp(prefix="gtv-small-scratch-"))
    options = f"size={size_bytes}" + (",ro" if read_only else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        where.rmdir()
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
        where.rmdir()


def free_bytes(where: Path) -> int:
    st = os.statvfs(where)
    return st.f_bavail * st.f_frsize


def fill(where: Path, leave_free: int) -> Path:
    """Write a filler file so that exactly `leave_free` bytes (rounded up to a page) stay free."""
    filler = where / "filler.bin"
    target = free_bytes(where) - -(-leave_free // PAGE) * PAGE
    with open(filler, "wb") as fh:
        chunk = b"\0" * (1 << 20)
        left = target
        while left > 0:
            left -= fh.write(chunk[: min(left, len(chunk))])
    assert free_bytes(where) <= leave_free + PAGE, "the filler did not leave the space asked"
    return filler
