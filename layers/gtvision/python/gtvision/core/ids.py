"""Ids as the contract writes them: the canonical UUID pattern, the check and the query-parameter parser. Apart from
`core.models` (the pydantic bases of requests and answers) so that a worker checking an id does not build those
(ADR 0029)."""

from __future__ import annotations

import re
import uuid
from typing import TypeGuard

from gtvision.core.errors import Invalid

#: A UUID in its canonical hyphenated form (any case), unanchored, for use inside other patterns.
UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
UUID_PATTERN = rf"^{UUID_RE}$"
_UUID = re.compile(UUID_PATTERN)


def is_uuid(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a string holding one canonical UUID."""
    return isinstance(value, str) and _UUID.match(value) is not None


def query_uuid(value: str | None, name: str) -> str | None:
    """A UUID query parameter (None when absent); 422 when it is not a UUID."""
    if not value:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise Invalid(f"invalid_{name}", f"{name} deve ser um UUID") from None
