"""Secrets through Secrets Manager + KMS (moto over HTTP): the code path Lambda and `local up` use."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import psycopg
import pytest

from gtvision.core import crypto, secret_store
from gtvision.core.settings import get_settings
from gtvision_local.resources import aws_client
from gtvision_local.secrets_local import seed_secrets


@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    parameters.clear_caches()
    get_settings.cache_clear()


def test_local_seed_then_settings_read_the_secrets_by_arn(
    aws_endpoint: str, fresh_settings: pytest.MonkeyPatch
) -> None:
    key = base64.b64encode(b"k" * 32).decode()
    arns = seed_secrets(aws_endpoint, {"GTV_JWT_SECRET": "jwt-from-secrets-manager-0123456789", "GTV_DATA_KEY": key})
    assert set(arns) == {"GTV_JWT_SECRET_ARN", "GTV_DATA_KEY_SECRET_ARN"}
    sm = aws_client("secretsmanager", aws_endpoint)
    assert sm.describe_secret(SecretId=arns["GTV_DATA_KEY_SECRET_ARN"])["KmsKeyId"]  # wrapped by a KMS key
    for name, value in arns.items():
        fresh_settings.setenv(name, value)
    fresh_settings.delenv("GTV_JWT_SECRET", raising=False)
    fresh_settings.delenv("GTV_DATA_KEY", raising=False)
    settings = get_settings()
    assert settings.jwt_secret == "jwt-from-secrets-manager-0123456789"
    assert settings.data_key == key
    blob = crypto.encrypt("senha-da-camera", "cam-1")
    assert crypto.decrypt(blob, "cam-1") == "senha-da-camera"
    # The MediaMTX password and hook key (set for docker-compose's MediaMTX) go the same way
    mtx = seed_secrets(aws_endpoint, {"GTV_MEDIAMTX_PASSWORD": "mtx-api-pass", "GTV_MEDIAMTX_HOOK_SECRET": "hook-k"})
    assert set(mtx) == {"GTV_MEDIAMTX_PASSWORD_SECRET_ARN", "GTV_MEDIAMTX_HOOK_SECRET_ARN"}
    for name, value in mtx.items():
        fresh_settings.setenv(name, value)
    fresh_settings.setenv("GTV_MEDIAMTX_PASSWORD", "")
    fresh_settings.setenv("GTV_MEDIAMTX_HOOK_SECRET", "")
    get_settings.cache_clear()
    settings = get_settings()
    assert (settings.mediamtx_password, settings.mediamtx_hook_secret) == ("mtx-api-pass", "hook-k")
    assert settings.jwt_secret == "jwt-from-secrets-manager-0123456789"
    # Seeding again (a second `local up`) updates in place.
    assert seed_secrets(aws_endpoint, {"GTV_JWT_SECRET": "other"})["GTV_JWT_SECRET_ARN"] == arns["GTV_JWT_SECRET_ARN"]


def test_generated_secret_becomes_a_32_byte_data_key() -> None:
    derived = secret_store.data_key_from_secret("A" * 64)
    assert len(base64.b64decode(derived)) == 32
    assert derived != secret_store.data_key_from_secret("B" * 64)
    existing = base64.b64encode(b"x" * 32).decode()
    assert secret_store.data_key_from_secret(existing) == existing


def test_database_url_from_an_rds_managed_secret_connects(
    aws_endpoint: str, database_url: str, fresh_settings: pytest.MonkeyPatch
) -> None:
    info = psycopg.conninfo.conninfo_to_dict(database_url)
    sm = aws_client("secretsmanager", aws_endpoint)
    secret = {"username": info.get("user") or "postgres", "password": info.get("password") or ""}
    arn = sm.create_secret(Name="rds!db-test-managed", SecretString=json.dumps(secret))["ARN"]
    fresh_settings.setenv("DATABASE_SECRET_ARN", arn)
    fresh_settings.setenv("DATABASE_HOST", str(info.get("host") or "127.0.0.1"))
    fresh_settings.setenv("DATABASE_PORT", str(info.get("port") or "5432"))
    fresh_settings.setenv("DATABASE_NAME", str(info.get("dbname") or "postgres"))
    fresh_settings.delenv("DATABASE_URL", raising=False)
    url = get_settings().database_url
    assert url and url != database_url
    with psycopg.connect(url) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
