"""Routes of signing in: login (password and second factor), refresh tokens, logout, and the caller's own
2FA enrolment and password."""

from __future__ import annotations

from chalicelib.routing import Api, Request
from gtvision.tenancy import login as login_service
from gtvision.tenancy import quotas, sessions, totp, users
from gtvision.tenancy.session_schemas import (
    Login,
    OtpIn,
    PasswordChange,
    RefreshIn,
    Token,
    TwoFactorEnrolment,
    TwoFactorStatus,
)

api = Api(__name__)


@api.route("POST", "/v1/auth/login", role=None, body=Login, response=Token)
def login(req: Request[Login, None]) -> Token:
    """Access and refresh tokens; with 2FA on, `otp` is required (401 `otp_required` without it)."""
    quotas.check_source(req.source_ip, "login")  # across usernames: password spraying from one address
    return login_service.login(req.body, req.source_ip, req.request_id)


@api.route("POST", "/v1/auth/refresh", role=None, body=RefreshIn, response=Token)
def refresh_session(req: Request[RefreshIn, None]) -> Token:
    """New access and refresh tokens for a refresh token (single use: each call returns the next one)."""
    quotas.check_source(req.source_ip, "refresh")
    return sessions.refresh(req.body)


@api.route("POST", "/v1/auth/logout", status=204, audit="auth.logout")
def logout(req: Request[None, None]) -> None:
    """End the caller's session: this token, every token of its session and its refresh token stop working."""
    sessions.logout(req.user)


@api.route("POST", "/v1/me/2fa", response=TwoFactorEnrolment, audit="auth.2fa_enrol")
def enrol_2fa(req: Request[None, None]) -> TwoFactorEnrolment:
    """Start 2FA: a new TOTP secret (with its QR code) and 10 recovery codes, active once confirmed."""
    import segno  # the API's only QR code: rendered here, never by a third party

    enrolment = totp.enrol(req.user)
    qr = segno.make(enrolment.otpauth_uri, error="m").svg_data_uri(scale=4, border=2)
    return TwoFactorEnrolment(
        secret=enrolment.secret,
        otpauth_uri=enrolment.otpauth_uri,
        recovery_codes=enrolment.recovery_codes,
        qr_svg=qr,
    )


@api.route("POST", "/v1/me/2fa/confirm", body=OtpIn, response=TwoFactorStatus, audit="auth.2fa_enable")
def confirm_2fa(req: Request[OtpIn, None]) -> TwoFactorStatus:
    """Turn 2FA on with the first code of the new secret."""
    return totp.confirm(req.user, req.body.code)


@api.route("DELETE", "/v1/me/2fa", body=OtpIn, status=204, audit="auth.2fa_disable")
def disable_2fa(req: Request[OtpIn, None]) -> None:
    """Turn 2FA off, proving it with a current code or a recovery code."""
    totp.disable(req.user, req.body.code)


@api.route("GET", "/v1/me/2fa", response=TwoFactorStatus)
def get_2fa(req: Request[None, None]) -> TwoFactorStatus:
    """Whether the caller has 2FA on and how many recovery codes are left."""
    return totp.status(req.user.user_id)


@api.route("POST", "/v1/me/password", body=PasswordChange, status=204, audit="auth.password_change")
def change_password(req: Request[PasswordChange, None]) -> None:
    """Set a new password (≥ 12 characters, not common); the caller's other sessions end."""
    users.change_password(req.user, req.body.current_password, req.body.new_password)
