"""boto3 clients that honour AWS_ENDPOINT_URL (the local emulator) — only the DAL uses them."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

from gtvision.core.settings import get_settings

_lock = threading.Lock()
_clients: dict[tuple[str, str | None], Any] = {}


def client(service: str) -> Any:
    """A cached client for `service`, pointed at the emulator when AWS_ENDPOINT_URL is set."""
    settings = get_settings()
    key = (service, settings.aws_endpoint_url)
    with _lock:
        if key not in _clients:
            cfg = Config(
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": "path"} if settings.aws_endpoint_url else None,
                signature_version="s3v4" if service == "s3" else None,
            )
            _clients[key] = boto3.client(
                service, endpoint_url=settings.aws_endpoint_url, region_name=settings.aws_region, config=cfg
            )
        return _clients[key]


def reset() -> None:
    """Forget cached clients (tests that switch endpoints)."""
    with _lock:
        _clients.clear()
