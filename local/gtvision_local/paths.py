"""Where things are on disk: the repository checkout and the local stack's state directory."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """The repository holding ``template.yaml`` (this package lives in ``<repo>/local/gtvision_local``)."""
    here = Path(__file__).resolve().parents[2]
    if (here / "template.yaml").exists():
        return here
    return Path.cwd()


def state_dir(root: Path) -> Path:
    """Where the local stack keeps its data: ``GTV_LOCAL_DIR`` if set (tests), else ``<repo>/.local``."""
    path = Path(os.environ["GTV_LOCAL_DIR"]) if os.environ.get("GTV_LOCAL_DIR") else root / ".local"
    path.mkdir(parents=True, exist_ok=True)
    return path
