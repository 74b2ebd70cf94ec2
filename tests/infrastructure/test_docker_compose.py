"""docker-compose.yml offers the services, ports and environment names GT-Vision expects (Docker is not run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gtvision.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

HOST_ENV = {
    "DATABASE_URL",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "RECORDINGS_BUCKET",
    "GTV_MEDIAMTX_API_URL",
    "GTV_MEDIAMTX_HLS_URL",
    "GTV_MEDIAMTX_WEBRTC_URL",
    "GTV_MEDIAMTX_RTSP_URL",
    "GTV_MEDIAMTX_USER",
    "GTV_MEDIAMTX_PASSWORD",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _published(service: dict[str, Any]) -> dict[str, str]:
    """Container port (with /udp when so) -> host binding, from short-syntax port strings."""
    out = {}
    for entry in service.get("ports", []):
        spec, _, proto = str(entry).partition("/")
        parts = spec.split(":")
        container = parts[-1] + (f"/{proto}" if proto else "")
        out[container] = ":".join(parts[:-1])
    return out


def test_services_and_ports(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= {"localstack", "minio", "mediamtx", "postgres"}
    expected = {
        "localstack": {"4566"},
        "minio": {"9000", "9001"},
        "mediamtx": {"8554", "8888", "8889", "9997", "9996"},
        "postgres": {"5432"},
    }
    for name, ports in expected.items():
        published = _published(services[name])
        assert ports <= set(published), name
        for port in ports:  # host port = container port, so the URLs below work unchanged
            assert published[port].split(":")[-1] == port
    # State and control stay on loopback.
    assert _published(services["postgres"])["5432"].startswith("127.0.0.1:")
    assert _published(services["mediamtx"])["9997"].startswith("127.0.0.1:")
    assert "minio" in services["minio"]["profiles"]  # optional


def test_localstack_emulates_s3_sqs_sns(compose: dict[str, Any]) -> None:
    env = compose["services"]["localstack"]["environment"]
    assert set(env["SERVICES"].split(",")) >= {"s3", "sqs", "sns"}


def test_postgres_16_with_the_gtvision_database(compose: dict[str, Any]) -> None:
    pg = compose["services"]["postgres"]
    assert pg["image"].split(":")[1].startswith("16")
    assert pg["environment"]["POSTGRES_USER"] == pg["environment"]["POSTGRES_DB"] == "gtvision"
    url = compose["x-gtvision-env"]["DATABASE_URL"]
    assert url == (f"postgresql://gtvision:{pg['environment']['POSTGRES_PASSWORD']}@127.0.0.1:5432/gtvision")


def test_mediamtx_runs_the_repo_config_and_upload_hook(compose: dict[str, Any]) -> None:
    mtx = compose["services"]["mediamtx"]
    assert "./mediamtx.yml:/mediamtx.yml:ro" in mtx["volumes"]
    context = ROOT / mtx["build"]["context"]
    assert "FROM bluenviron/mediamtx:latest-ffmpeg" in (context / "Dockerfile").read_text()
    assert (context / "upload-segment.sh").is_file()
    env = mtx["environment"]
    assert env["TZ"] == "UTC"
    # Inside the compose network the hook reaches LocalStack by service name.
    assert env["AWS_ENDPOINT_URL"] == "http://localstack:4566"
    assert env["RECORDINGS_BUCKET"] == compose["x-gtvision-env"]["RECORDINGS_BUCKET"] == "gtvision-recordings"
    assert {"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(env)
    # The API user's password defaults to what the host env gives the client.
    assert env["MTX_AUTHINTERNALUSERS_1_PASS"].endswith(f":-{compose['x-gtvision-env']['GTV_MEDIAMTX_PASSWORD']}}}")


def test_host_environment_uses_the_runtime_names(compose: dict[str, Any]) -> None:
    env = compose["x-gtvision-env"]
    assert set(env) == HOST_ENV
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_ACCESS_KEY_ID"] == env["AWS_SECRET_ACCESS_KEY"] == "test"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    # Every name is one Settings reads, and the MediaMTX URLs equal its local defaults.
    aliases = {f.alias for f in Settings.model_fields.values()} | {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    assert HOST_ENV <= aliases
    # Field defaults, not Settings(): the latter reads the process env, which other tests' fixtures set.
    default = {name: field.default for name, field in Settings.model_fields.items()}
    assert env["GTV_MEDIAMTX_API_URL"] == default["mediamtx_api_url"] == "http://127.0.0.1:9997"
    assert env["GTV_MEDIAMTX_HLS_URL"] == default["mediamtx_hls_url"]
    assert env["GTV_MEDIAMTX_WEBRTC_URL"] == default["mediamtx_webrtc_url"]
    assert env["GTV_MEDIAMTX_RTSP_URL"] == default["mediamtx_rtsp_url"]
