"""Tokens, passwords and the caller's identity.

Locally issued tokens are HS256 JWTs (the algorithm is pinned; `exp`, `iss`, `aud` required). In AWS a
Cognito user pool's RS256 tokens are accepted too, through its JWKS, with the role and city taken from
the `custom:role` / `custom:city_id` claims.
"""

from __future__ import annotations

import time
import uuid
from functools import lru_cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gtvision.core.errors import Unauthorized
from gtvision.core.principal import ROLES, Principal
from gtvision.core.settings import get_settings

__all__ = ["ROLES", "Principal", "bearer", "hash_password", "issue_token", "verify_password", "verify_token"]


@lru_cache(maxsize=1)
def _hasher() -> tuple[PasswordHasher, str]:
    """argon2id, memory-hard: the slow KDF for login passwords (and a dummy hash for unknown users)."""
    s = get_settings()
    ph = PasswordHasher(time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_kib, parallelism=4)
    return ph, ph.hash("gtvision-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-ish time whether or not the user exists (a dummy hash is checked for unknown users)."""
    ph, dummy = _hasher()
    try:
        return ph.verify(password_hash or dummy, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def issue_token(
    user_id: str, username: str, role: str, city_id: str | None, session_id: str | None = None
) -> tuple[str, int]:
    """A signed access token (of login session `session_id`) and its lifetime in seconds."""
    s = get_settings()
    if not s.jwt_secret:
        raise Unauthorized("login_disabled", "login local desativado: GTV_JWT_SECRET não configurado")
    now = int(time.time())
    claims = {
        "sub": user_id,
        "username": username,
        "role": role,
        "city_id": city_id,
        "iss": s.jwt_issuer,
        "aud": s.jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + s.jwt_ttl_s,
        "jti": uuid.uuid4().hex,
    }
    if session_id is not None:
        claims["sid"] = session_id
    return jwt.encode(claims, s.jwt_secret, algorithm="HS256"), s.jwt_ttl_s


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)


def verify_token(token: str) -> Principal:
    """Decode and check a bearer token; anything wrong is a 401 without detail on which check failed."""
    s = get_settings()
    try:
        header = jwt.get_unverified_header(token)
        alg = header.get("alg")
        if alg == "HS256" and s.jwt_secret:
            claims = jwt.decode(
                token,
                s.jwt_secret,
                algorithms=["HS256"],
                audience=s.jwt_audience,
                issuer=s.jwt_issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
            role, city_id, username = claims.get("role"), claims.get("city_id"), claims.get("username", "")
            local = True
            if not isinstance(claims.get("jti", ""), str) or not _is_uuid(claims.get("sid", str(uuid.UUID(int=0)))):
                raise jwt.InvalidTokenError("sid must be a UUID and jti a string")
        elif alg == "RS256" and s.cognito_jwks_url:
            key = _jwks_client(s.cognito_jwks_url).get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=s.jwt_audience,
                options={"require": ["exp", "iss", "sub"]},
            )
            role, city_id = claims.get("custom:role"), claims.get("custom:city_id")
            username = claims.get("cognito:username", claims["sub"])
            local = False
        else:
            raise jwt.InvalidAlgorithmError(f"algorithm {alg!r} not accepted")
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid_token", "token inválido ou expirado") from exc
    if role not in ROLES or (role != "admin" and not city_id):
        raise Unauthorized("invalid_token", "token sem perfil válido")
    return Principal(
        user_id=str(claims["sub"]),
        username=str(username),
        role=str(role),
        city_id=city_id,
        local=local,
        token_id=claims.get("jti"),
        session_id=claims.get("sid") if local else None,
        expires_at=int(claims["exp"]),
    )


def bearer(authorization: str | None) -> Principal:
    """The Principal of an `Authorization: Bearer …` header."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("unauthorized", "autenticação necessária (Authorization: Bearer <token>)")
    return verify_token(authorization.split(" ", 1)[1].strip())
