"""When a session ends or a user's access changes, whatever keeps that access open elsewhere must drop it.

Live-event sockets outlive the REST request that opened them, so a logout, a refresh-token replay, a user's
deletion or deactivation, or a change of role, city or camera groups must reach them. Tenancy publishes
each such change here, after its transaction committed; the feature that owns the sockets subscribes
(`gtvision.live` closes them with code 4001). Tenancy cannot call live directly: live imports tenancy to
authenticate a socket, and imports never run in a circle (ADR 0022).

A listener that fails is logged and never fails the request that changed the access: the token checks on
every REST request and socket message stay the guarantee; this is the prompt close.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from gtvision.core.observability import logger
from gtvision.core.rows import rowtype

Reason = Literal[
    "logout", "refresh_reuse", "deleted", "deactivated", "role", "city", "camera_groups", "password", "2fa_reset"
]


@rowtype(slots=False)
class AccessChange:
    """One user's access changed: `session_id` alone ended (logout, replay) or, when None, all of them may
    have to be re-checked or closed (`reason` says why)."""

    user_id: str
    reason: Reason
    session_id: str | None = None


Listener = Callable[[AccessChange], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Be told of every access change (idempotent: subscribing twice calls once)."""
    if listener not in _listeners:
        _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def publish(change: AccessChange) -> None:
    """Tell every listener; their failures are logged, never raised."""
    for listener in list(_listeners):
        try:
            listener(change)
        except Exception:  # noqa: BLE001 - the access already changed; the listener's failure must not undo the answer
            logger.exception("access change listener failed", extra={"reason": change.reason})


def session_ended(user_id: str, session_id: str, reason: Reason) -> None:
    """One login session ended (logout, a replayed refresh token)."""
    publish(AccessChange(user_id=user_id, reason=reason, session_id=session_id))


def user_changed(user_id: str, reason: Reason) -> None:
    """Everything the user holds open must be re-checked or closed (deleted, deactivated, role, city, groups)."""
    publish(AccessChange(user_id=user_id, reason=reason))
