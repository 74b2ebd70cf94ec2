"""Ports of the local stack: a free one for what a test or benchmark starts, and ``GTV_PORT_BASE``, which moves
every port of a stack at once so a second ``gtvision local up`` shares nothing with the first — MediaMTX
included (before it, every stack talked to the one MediaMTX on 9997 whatever its other ports).

With ``GTV_PORT_BASE=N``: API ``N``, WebSocket API ``N+1``, its management endpoint ``N+2``, the AWS emulator
``N+3``, and the stack's MediaMTX — a real one started there, or the demo's stand-in — control API ``N+4``,
HLS ``N+5``, WebRTC ``N+6``, RTSP ``N+7``. A variable set explicitly always wins over its derived value.
"""

from __future__ import annotations

import os
import socket

#: The variables GTV_PORT_BASE moves: (offset, URL template with the port as {port}, or None for a bare port).
_DERIVED = {
    "GTV_API_PORT": (0, None),
    "GTV_WS_PORT": (1, None),
    "GTV_WS_MANAGEMENT_PORT": (2, None),
    "AWS_ENDPOINT_URL": (3, "http://127.0.0.1:{port}"),
    "GTV_MEDIAMTX_API_URL": (4, "http://127.0.0.1:{port}"),
    "GTV_MEDIAMTX_HLS_URL": (5, "http://127.0.0.1:{port}"),
    "GTV_MEDIAMTX_WEBRTC_URL": (6, "http://127.0.0.1:{port}"),
    "GTV_MEDIAMTX_RTSP_URL": (7, "rtsp://127.0.0.1:{port}"),
}
#: What :func:`apply_port_base` set in this process (so the demo knows its MediaMTX port is the stack's own).
derived: set[str] = set()


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it; another process could still take it first)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_base_env() -> dict[str, str]:
    """The variables ``GTV_PORT_BASE`` derives that the environment does not set itself (empty without it)."""
    raw = os.environ.get("GTV_PORT_BASE")
    if not raw:
        return {}
    base = int(raw)
    if not 1024 <= base <= 65535 - 7:
        raise ValueError(f"GTV_PORT_BASE={raw}: use a port from 1024 to 65528 (the stack takes 8 from it)")
    values = {
        name: template.format(port=base + offset) if template else str(base + offset)
        for name, (offset, template) in _DERIVED.items()
    }
    return {name: value for name, value in values.items() if not os.environ.get(name)}


def apply_port_base() -> dict[str, str]:
    """Put the values ``GTV_PORT_BASE`` derives into this process's environment; returns them."""
    values = port_base_env()
    os.environ.update(values)
    derived.update(values)
    return values
