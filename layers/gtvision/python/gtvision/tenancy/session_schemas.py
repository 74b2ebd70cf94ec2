"""Login, sessions and the second factor: what their requests take and what the API answers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gtvision.core.models import Out, Strict


class Login(Strict):
    username: str = Field(min_length=1, max_length=256)
    password: str = Field(min_length=1, max_length=256)
    #: The TOTP code (6 digits) or a recovery code, when the account has 2FA on.
    otp: str | None = Field(default=None, min_length=1, max_length=64)


class RefreshIn(Strict):
    refresh_token: str = Field(min_length=1, max_length=256)


class OtpIn(Strict):
    """A current TOTP code (or, to turn 2FA off, a recovery code)."""

    code: str = Field(min_length=1, max_length=64)


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class Token(Out):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    refresh_token: str = Field(description="uso único: POST /v1/auth/refresh devolve o próximo")
    refresh_expires_in: int
    two_factor_required: bool = Field(
        default=False,
        description="a cidade exige 2FA deste perfil e ele ainda não foi ativado: o token só abre /v1/me*",
    )


class TwoFactorEnrolment(Out):
    """A new TOTP secret, waiting for its first code (POST /v1/me/2fa/confirm)."""

    secret: str = Field(description="base32 (RFC 6238: SHA-1, 30 s, 6 dígitos)")
    otpauth_uri: str
    recovery_codes: list[str] = Field(description="10 códigos de uso único; mostrados só agora")
    qr_svg: str = Field(description="o otpauth_uri como QR code (SVG em data URI), gerado no servidor")


class TwoFactorStatus(Out):
    totp_enabled: bool
    recovery_codes_left: int
