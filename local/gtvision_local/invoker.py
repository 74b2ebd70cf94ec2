"""What the local event sources need of the runtime: a way to run one function with one event.

The API gateway, the SQS pollers, the scheduler and the WebSocket gateway depend on this protocol, not on
:class:`~gtvision_local.runtime.Runtime`, so the runtime can own them without an import cycle and a test
can drive any of them with a stand-in (ADR 0022).
"""

from __future__ import annotations

from typing import Any, Protocol


class Invoker(Protocol):
    """Runs functions of the template by logical id, as Lambda's Invoke does."""

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Run one invocation of ``logical_id`` with ``event``; its result, or its exception raised."""
        ...
