"""Secrets from AWS Secrets Manager, read once per Lambda environment (cold start) and cached.

In AWS no secret is in the environment: functions get ``GTV_JWT_SECRET_ARN``, ``GTV_DATA_KEY_SECRET_ARN``
(secrets encrypted under the deployment's KMS key — Secrets Manager's envelope encryption: a data key per
secret version, wrapped by that CMK) and ``DATABASE_SECRET_ARN`` (the RDS-managed master secret: JSON with
``username``/``password``), plus the non-secret ``DATABASE_HOST``/``DATABASE_PORT``/``DATABASE_NAME`` (the
RDS Proxy endpoint). :func:`resolve_into` fills the settings from them with Powertools Parameters (cached
``max_age`` seconds). Locally ``gtvision local up`` seeds moto's Secrets Manager/KMS and sets the same ARNs,
so the same code runs; a plain value already in the environment (tests, one-off tools) wins.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any
from urllib.parse import quote

CACHE_S = 300


def get_secret(arn: str) -> str:
    """The secret's string value (Powertools' SecretsProvider: cached ``CACHE_S`` seconds per environment)."""
    from aws_lambda_powertools.utilities import parameters

    value: Any = parameters.get_secret(arn, max_age=CACHE_S)
    return value.decode() if isinstance(value, bytes) else str(value)


def data_key_from_secret(value: str) -> str:
    """GTV_DATA_KEY (base64 of 32 bytes) from a secret value.

    A value that is already base64 of 32 bytes is used as is (keys moved from the old ``DataKey`` parameter,
    the local stack's); a generated password (CloudFormation ``GenerateSecretString``) becomes 32 bytes by
    SHA-256 — it has ≥ 64 random characters, so the derived key keeps 256 bits of entropy.
    """
    try:
        raw = base64.b64decode(value, validate=True)
        if len(raw) == 32:
            return value
    except ValueError:
        pass
    return base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()


def database_url_from_secret(value: str, host: str, port: str, name: str) -> str:
    """A PostgreSQL URL from an RDS-managed secret (``username``/``password``) and the proxy endpoint.

    ``host`` may be a directory (a Unix socket, as the local embedded server uses).
    """
    creds = json.loads(value)
    user = quote(str(creds["username"]), safe="")
    password = quote(str(creds.get("password") or ""), safe="")
    auth = f"{user}:{password}@" if password else f"{user}@"
    host = str(creds.get("host") or host)
    port = str(creds.get("port") or port or "5432")
    name = str(creds.get("dbname") or name or "postgres")
    if host.startswith("/"):
        return f"postgresql://{auth}/{name}?host={quote(host, safe='/')}&port={port}"
    return f"postgresql://{auth}{host}:{port}/{name}?sslmode=require"


def resolve_into(values: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    """``values`` (Settings fields by alias) with every secret whose plain value is empty read from its ARN."""
    env = dict(os.environ) if env is None else env
    out = dict(values)
    if not out.get("GTV_JWT_SECRET") and env.get("GTV_JWT_SECRET_ARN"):
        out["GTV_JWT_SECRET"] = get_secret(env["GTV_JWT_SECRET_ARN"])
    if not out.get("GTV_DATA_KEY") and env.get("GTV_DATA_KEY_SECRET_ARN"):
        out["GTV_DATA_KEY"] = data_key_from_secret(get_secret(env["GTV_DATA_KEY_SECRET_ARN"]))
    if not out.get("GTV_MEDIAMTX_HOOK_SECRET") and env.get("GTV_MEDIAMTX_HOOK_SECRET_ARN"):
        out["GTV_MEDIAMTX_HOOK_SECRET"] = get_secret(env["GTV_MEDIAMTX_HOOK_SECRET_ARN"])
    if not out.get("GTV_MEDIAMTX_PASSWORD") and env.get("GTV_MEDIAMTX_PASSWORD_SECRET_ARN"):
        out["GTV_MEDIAMTX_PASSWORD"] = get_secret(env["GTV_MEDIAMTX_PASSWORD_SECRET_ARN"])
    if not out.get("DATABASE_URL") and env.get("DATABASE_SECRET_ARN"):
        out["DATABASE_URL"] = database_url_from_secret(
            get_secret(env["DATABASE_SECRET_ARN"]),
            env.get("DATABASE_HOST", ""),
            env.get("DATABASE_PORT", ""),
            env.get("DATABASE_NAME", ""),
        )
    return out
