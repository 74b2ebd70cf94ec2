"""GTV_PORT_BASE moves every port of a local stack at once, MediaMTX's included, so two stacks share nothing."""

from __future__ import annotations

import json
import os
import socket
import urllib.request

import pytest

from gtvision.core.settings import Settings
from gtvision_local import live_edge, ports
from gtvision_local.ports import apply_port_base, free_port

MOVED = (
    *("GTV_API_PORT", "GTV_WS_PORT", "GTV_WS_MANAGEMENT_PORT", "AWS_ENDPOINT_URL"),
    *("GTV_MEDIAMTX_API_URL", "GTV_MEDIAMTX_HLS_URL", "GTV_MEDIAMTX_WEBRTC_URL", "GTV_MEDIAMTX_RTSP_URL"),
)


@pytest.fixture()
def clean(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*MOVED, "GTV_PORT_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(ports, "derived", set())
    return monkeypatch


def _stack_env(monkeypatch: pytest.MonkeyPatch, base: int) -> dict[str, str]:
    for name in MOVED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GTV_PORT_BASE", str(base))
    apply_port_base()
    return {name: os.environ[name] for name in MOVED}


def test_two_stacks_get_their_own_ports_and_their_own_mediamtx(clean: pytest.MonkeyPatch) -> None:
    # Given two stacks started with different port bases
    first = _stack_env(clean, 4100)
    first_mediamtx = Settings().mediamtx_api_url
    second = _stack_env(clean, 4200)

    # Then every port differs, and each stack's functions talk to their own MediaMTX
    assert first["GTV_API_PORT"] == "4100" and first["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4103"
    assert (first_mediamtx, Settings().mediamtx_api_url) == ("http://127.0.0.1:4104", "http://127.0.0.1:4204")
    assert second["GTV_MEDIAMTX_RTSP_URL"] == "rtsp://127.0.0.1:4207"
    assert not set(first.values()) & set(second.values())


def test_an_explicit_variable_wins_over_the_base(clean: pytest.MonkeyPatch) -> None:
    clean.setenv("GTV_MEDIAMTX_API_URL", "http://10.0.0.9:9997")
    clean.setenv("GTV_PORT_BASE", "4300")
    apply_port_base()
    assert Settings().mediamtx_api_url == "http://10.0.0.9:9997"
    assert "GTV_MEDIAMTX_API_URL" not in ports.derived


def _free_base() -> int:
    """A port base whose eight ports are all free now (the stand-in binds several of them; another process may
    hold one next to a single free port)."""
    for _ in range(50):
        base = free_port()
        if base + 7 > 65535:
            continue
        free = True
        for port in range(base, base + 8):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    free = False
                    break
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    free = False
                    break
        if free:
            return base
    raise AssertionError("no run of 8 free ports found")


def test_the_mediamtx_stand_in_serves_the_stacks_mediamtx_port(clean: pytest.MonkeyPatch) -> None:
    # Given a stack whose base puts its MediaMTX on a free port, and no MediaMTX binary
    base = _free_base()
    mediamtx_port = base + 4
    clean.setenv("GTV_PORT_BASE", str(base))
    clean.setenv("PATH", "/nonexistent")
    clean.delenv("GTV_MEDIAMTX_BIN", raising=False)
    apply_port_base()
    # The derived URL is the stack's own to serve, not a configured MediaMTX elsewhere
    assert live_edge.choose_edge().kind == "standin"

    # When the stack starts its live edge (the demo's stand-in)
    edge = live_edge.start_edge("http://127.0.0.1:1", {"cam-demo": "testsrc2=size=320x240:rate=5"})
    try:
        # Then it answers on the stack's MediaMTX port, where the functions look for it
        with urllib.request.urlopen(f"http://127.0.0.1:{mediamtx_port}/v3/paths/list", timeout=5) as resp:
            assert resp.status == 200 and "items" in json.load(resp)
        assert Settings().mediamtx_api_url == f"http://127.0.0.1:{mediamtx_port}"
    finally:
        assert edge is not None
        edge.stop()
