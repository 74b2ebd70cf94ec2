"""Two-factor sign-in: TOTP (RFC 6238: SHA-1, 30 s steps, 6 digits — what every authenticator app reads)
and ten single-use recovery codes.

The secret is encrypted with the data key bound to the user (`totp:{user_id}`); recovery codes are kept as
SHA-256 (each holds 50 random bits). A code is accepted once: the step it matched is stored and any code of
that step or an earlier one is refused afterwards. Enrolment is two-step: `enrol` makes a pending secret,
`confirm` with its first code turns it on (an enabled factor stays on until then).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from gtvision.core import crypto, db
from gtvision.core.errors import Conflict, Invalid
from gtvision.core.principal import Principal
from gtvision.core.rows import rowtype
from gtvision.tenancy.session_schemas import TwoFactorStatus
from gtvision.tenancy.store import totp as dal

ISSUER = "GT-Vision"
STEP_S = 30
DIGITS = 6
#: Codes of the step before and after the current one are accepted (clock drift of a phone).
DRIFT_STEPS = 1
RECOVERY_CODES = 10


@rowtype(slots=False)
class Enrolment:
    """A pending secret, its otpauth URI (for the QR code) and the recovery codes (shown once)."""

    secret: str
    otpauth_uri: str
    recovery_codes: list[str]


def _context(user_id: str) -> str:
    return f"totp:{user_id}"


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _recovery_sha(code: str) -> str:
    return hashlib.sha256(("gtvision-recovery:" + _normalise(code)).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(7)).decode().lower()[:10]  # 50 bits
    return f"{raw[:5]}-{raw[5:]}"


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code is `code` (within the drift), or None."""
    import pyotp  # only sign-ins with 2FA pay for the import

    if not (len(code) == DIGITS and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)
    current = int(now // STEP_S)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_S), code):
            return step
    return None


def enrol(principal: Principal) -> Enrolment:
    """A new pending secret and recovery codes for the caller (confirmed by its first code)."""
    import pyotp

    secret = pyotp.random_base32()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(
        name=principal.username, issuer_name=ISSUER
    )
    sealed = crypto.encrypt(secret, _context(principal.user_id))
    with db.transaction() as conn:
        dal.set_pending(conn, principal.user_id, sealed, [_recovery_sha(c) for c in codes])
    return Enrolment(secret=secret, otpauth_uri=uri, recovery_codes=codes)


def confirm(principal: Principal, code: str, now: float | None = None) -> TwoFactorStatus:
    """Turn 2FA on with the first code of the pending secret; 422 `invalid_otp` for a wrong code."""
    with db.transaction() as conn:
        row = dal.get(conn, principal.user_id, for_update=True)
        if row is None or row.pending_secret_enc is None:
            raise Conflict("no_pending_2fa", "nenhum cadastro de 2FA pendente: comece por POST /v1/me/2fa")
        secret = crypto.decrypt(row.pending_secret_enc, _context(principal.user_id))
        step = _matching_step(secret, _normalise(code), time.time() if now is None else now)
        if step is None:
            raise Invalid("invalid_otp", "código inválido ou expirado")
        dal.confirm(conn, principal.user_id, step)
    return status(principal.user_id)


def status(user_id: str) -> TwoFactorStatus:
    """Whether the user has 2FA on, and how many recovery codes are left."""
    with db.transaction() as conn:
        row = dal.get(conn, user_id)
        left = dal.remaining_recovery(conn, user_id) if row is not None and row.enabled_at else 0
    return TwoFactorStatus(totp_enabled=bool(row and row.enabled_at), recovery_codes_left=left)


def is_enabled(conn: db.Conn, user_id: str) -> bool:
    """Whether the user's second factor is on (inside the caller's transaction)."""
    row = dal.get(conn, user_id)
    return bool(row and row.enabled_at and row.secret_enc)


def verify(conn: db.Conn, user_id: str, code: str, now: float | None = None) -> bool:
    """Whether `code` is a current TOTP code (never accepted before) or an unused recovery code of the user's
    enabled factor; spends it when so (inside the caller's transaction)."""
    row = dal.get(conn, user_id, for_update=True)
    if row is None or row.enabled_at is None or row.secret_enc is None:
        return False
    normalised = _normalise(code)
    secret = crypto.decrypt(row.secret_enc, _context(user_id))
    step = _matching_step(secret, normalised, time.time() if now is None else now)
    if step is not None:
        return dal.accept_step(conn, user_id, step)
    return len(normalised) == 10 and dal.use_recovery(conn, user_id, _recovery_sha(normalised))


def disable(principal: Principal, code: str) -> None:
    """The caller turns 2FA off, proving it with a current code or a recovery code (422 otherwise)."""
    with db.transaction() as conn:
        if not is_enabled(conn, principal.user_id):
            raise Conflict("2fa_not_enabled", "a verificação em duas etapas não está ativa")
        if not verify(conn, principal.user_id, code):
            raise Invalid("invalid_otp", "código inválido ou expirado")
        dal.delete(conn, principal.user_id)


def reset(user_id: str) -> bool:
    """A manager turns a user's 2FA off (a lost phone); whether there was anything to reset."""
    with db.transaction() as conn:
        return dal.delete(conn, user_id)
