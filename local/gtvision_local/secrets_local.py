"""Seed the emulator's KMS + Secrets Manager the way the template's secrets exist in AWS.

``gtvision local up`` stores the local JWT and data keys as Secrets Manager secrets encrypted under a KMS
key of the emulator, then gives the functions only their ARNs (``GTV_JWT_SECRET_ARN``,
``GTV_DATA_KEY_SECRET_ARN``), and so the MediaMTX password and hook key when the environment has them:
the functions read them through ``gtvision.core.secret_store`` exactly as in AWS.
"""

from __future__ import annotations

from typing import Any

from .resources import aws_client

# env name of the plain value -> (secret name, env name of the ARN the functions get)
SECRETS = {
    "GTV_JWT_SECRET": ("gtvision/jwt-signing", "GTV_JWT_SECRET_ARN"),
    "GTV_DATA_KEY": ("gtvision/data-key", "GTV_DATA_KEY_SECRET_ARN"),
    # when set (docker-compose's MediaMTX): its control-API password and the stream hooks' HMAC key
    "GTV_MEDIAMTX_PASSWORD": ("gtvision/mediamtx-api", "GTV_MEDIAMTX_PASSWORD_SECRET_ARN"),
    "GTV_MEDIAMTX_HOOK_SECRET": ("gtvision/mediamtx-hook", "GTV_MEDIAMTX_HOOK_SECRET_ARN"),
}


def _key_id(kms: Any) -> str:
    alias = "alias/gtvision-secrets"
    for entry in kms.list_aliases().get("Aliases", []):
        if entry["AliasName"] == alias and entry.get("TargetKeyId"):
            return str(entry["TargetKeyId"])
    key_id = str(kms.create_key(Description="GT-Vision local secrets")["KeyMetadata"]["KeyId"])
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return key_id


def seed_secrets(endpoint_url: str, values: dict[str, str]) -> dict[str, str]:
    """Create (or update) one secret per value in ``values``; returns ``{ARN env name: ARN}``."""
    sm = aws_client("secretsmanager", endpoint_url)
    key_id = _key_id(aws_client("kms", endpoint_url))
    out = {}
    for plain_env, (name, arn_env) in SECRETS.items():
        if plain_env not in values:
            continue
        try:
            arn = sm.create_secret(Name=name, SecretString=values[plain_env], KmsKeyId=key_id)["ARN"]
        except sm.exceptions.ResourceExistsException:
            arn = sm.put_secret_value(SecretId=name, SecretString=values[plain_env])["ARN"]
        out[arn_env] = str(arn)
    return out
