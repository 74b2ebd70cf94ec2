"""The local stack's function environment: MediaMTX URLs are local, not the template's production host."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gtvision_local.stack import local_env
from gtvision_local.template import load_template

MEDIAMTX_VARS = ("GTV_MEDIAMTX_API_URL", "GTV_MEDIAMTX_HLS_URL", "GTV_MEDIAMTX_WEBRTC_URL", "GTV_MEDIAMTX_RTSP_URL")


def test_mediamtx_urls_are_left_to_the_environment_and_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the repository's template, whose MediaMTX URLs name the deployment's host
    template = load_template(endpoint_url="http://127.0.0.1:4566")
    deployed = {**template.globals_env(), **{k: v for fn in template.functions() for k, v in fn.env.items()}}
    assert "mediamtx.example.gov.br" in deployed["GTV_MEDIAMTX_HLS_URL"]

    # When the local environment is built without any MediaMTX variable set
    for name in MEDIAMTX_VARS:
        monkeypatch.delenv(name, raising=False)
    env = local_env(template, "postgresql://localhost/x", "http://127.0.0.1:4566", {})

    # Then none of the template's MediaMTX values reach the functions, so Settings' 127.0.0.1 defaults apply
    assert not set(MEDIAMTX_VARS) & set(env)
    from gtvision.core.settings import Settings

    for name in MEDIAMTX_VARS:
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.mediamtx_api_url == "http://127.0.0.1:9997"
    assert settings.mediamtx_hls_url == "http://127.0.0.1:8888"

    # and other template values (the emulator's resources) still do
    assert env["RECORDINGS_BUCKET"] and env["CLIP_QUEUE_URL"].startswith("http://127.0.0.1:4566")


def test_websocket_urls_are_the_local_gateway_not_execute_api(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the template, which gives the functions the AWS execute-api URLs of the events WebSocket API
    template = load_template(endpoint_url="http://127.0.0.1:4566")
    assert ".execute-api." in template.function("EventsNotifierFunction").env["GTV_WS_MANAGEMENT_URL"]

    # When the local environment is built with the WebSocket ports chosen
    monkeypatch.setenv("GTV_WS_PORT", "3901")
    monkeypatch.setenv("GTV_WS_MANAGEMENT_PORT", "3902")
    env = local_env(template, "postgresql://localhost/x", "http://127.0.0.1:4566", {})

    # Then the functions post to the local management endpoint and the console connects to the local socket
    assert env["GTV_WS_MANAGEMENT_URL"] == "http://127.0.0.1:3902"
    assert env["GTV_WS_URL"] == "ws://127.0.0.1:3901"
    assert env["EVENTS_QUEUE_URL"] == "http://127.0.0.1:4566/123456789012/gtvision-events"


def test_the_operators_environment_wins_over_every_documented_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the settings the README documents that the template sets to plain values (GTV_RECORDING_STALL_S...)
    template = load_template(endpoint_url="http://127.0.0.1:4566")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`((?:GTV|POWERTOOLS)_[A-Z0-9_]+)`", readme))
    settings = (documented & template.literal_env_names()) - set(MEDIAMTX_VARS) - {"GTV_MEDIAMTX_USER"}
    assert {"GTV_RECORDING_STALL_S", "GTV_STREAM_SAMPLE_RETENTION_DAYS"} <= settings

    # When the operator sets each of them, and also a resource name the template defines
    for name in settings:
        monkeypatch.setenv(name, f"operator-{name}")
    monkeypatch.setenv("RECORDINGS_BUCKET", "some-other-bucket")
    env = local_env(template, "postgresql://localhost/x", "http://127.0.0.1:4566", {})

    # Then every setting is the operator's, while the template's resources stay the stack's own
    assert {name: env[name] for name in settings} == {name: f"operator-{name}" for name in settings}
    assert env["RECORDINGS_BUCKET"] == "gtvision-recordings"
