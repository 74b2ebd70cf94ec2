"""What the segment index holds, in the large: questions about recordings as a whole, not one camera's."""

from __future__ import annotations

from gtvision.core import db
from gtvision.recordings import store


def any_registered() -> bool:
    """Whether any segment was ever registered (the local stack's start compares it with its storage)."""
    with db.transaction() as conn:
        return store.any_registered(conn)
