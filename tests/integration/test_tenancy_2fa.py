"""Two-factor sign-in (contract v1.2): TOTP enrolment with a QR code, login requiring the code, recovery codes
working once, a manager's reset (audited), and the city setting that requires 2FA of some roles."""

from __future__ import annotations

import base64
import time
import uuid

import pyotp
from utils import World

from gtvision.core import db

PASSWORD = "frase-longa-do-teste-42"


def _user(world: World, role: str = "viewer") -> dict[str, str]:
    name = f"f-{uuid.uuid4().hex[:10]}"
    body = {"username": name, "password": PASSWORD, "role": role, "city_id": world.city_a}
    r = world.api.call("POST", "/v1/users", body, world.admin)
    assert r.status == 201, r.text
    return {"id": r.json()["id"], "username": name}


def _login(world: World, username: str, otp: str | None = None) -> tuple[int, dict]:
    body = {"username": username, "password": PASSWORD}
    if otp is not None:
        body["otp"] = otp
    r = world.api.call("POST", "/v1/auth/login", body)
    return r.status, r.json() or {}


def _enrol(world: World, token: str) -> dict:
    r = world.api.call("POST", "/v1/me/2fa", token=token)
    assert r.status == 200, r.text
    return dict(r.json())


def _next_code(secret: str) -> str:
    """The authenticator app's current code."""
    totp = pyotp.TOTP(secret)
    return totp.at(time.time())


def test_enrol_confirm_then_login_needs_the_code_and_a_recovery_code_works_once(world: World) -> None:
    user = _user(world)
    token = world.api.login(user["username"], PASSWORD)
    # Given an enrolment: secret, otpauth URI, ten recovery codes and a QR code drawn by the server
    enrolment = _enrol(world, token)
    assert enrolment["otpauth_uri"].startswith("otpauth://totp/GT-Vision:")
    assert f"secret={enrolment['secret']}" in enrolment["otpauth_uri"]
    assert len(enrolment["recovery_codes"]) == 10 and len(set(enrolment["recovery_codes"])) == 10
    assert enrolment["qr_svg"].startswith("data:image/svg+xml")
    # Until it is confirmed, login needs no code
    assert _login(world, user["username"])[0] == 200
    # A wrong first code does not enable it; the right one does
    wrong = world.api.call("POST", "/v1/me/2fa/confirm", {"code": "000000"}, token)
    assert wrong.status == 422 and wrong.json()["error"]["code"] == "invalid_otp"
    first = _next_code(enrolment["secret"])
    ok = world.api.call("POST", "/v1/me/2fa/confirm", {"code": first}, token)
    assert ok.status == 200 and ok.json() == {"totp_enabled": True, "recovery_codes_left": 10}, ok.text
    # Then login without "otp" is 401 otp_required, with a wrong one 401
    status, body = _login(world, user["username"])
    assert status == 401 and body["error"]["code"] == "otp_required"
    assert _login(world, user["username"], "123456")[0] == 401
    # The code confirmed with was spent: it does not sign in again (a replayed code)
    assert _login(world, user["username"], first)[0] == 401
    # A recovery code signs in once
    code = enrolment["recovery_codes"][0]
    assert _login(world, user["username"], code.upper())[0] == 200
    assert _login(world, user["username"], code)[0] == 401
    assert world.api.call("GET", "/v1/me/2fa", token=token).json()["recovery_codes_left"] == 9
    # Managers see it in the user's status; the profile shows it too
    listed = world.api.call("GET", "/v1/users", token=world.manager_a, query={"limit": "500"}).json()["items"]
    assert next(u for u in listed if u["id"] == user["id"])["totp_enabled"] is True
    assert world.api.call("GET", "/v1/me", token=token).json()["totp_enabled"] is True


def test_the_secret_is_encrypted_at_rest_and_bound_to_the_user(world: World) -> None:
    user = _user(world)
    token = world.api.login(user["username"], PASSWORD)
    enrolment = _enrol(world, token)
    with db.transaction() as conn:
        row = conn.execute("SELECT * FROM user_totp WHERE user_id = %s", (user["id"],)).fetchone()
    assert row is not None
    stored = bytes(row["pending_secret_enc"])
    assert enrolment["secret"].encode() not in stored and base64.b32decode(enrolment["secret"]) not in stored
    assert all(code not in str(row) for code in enrolment["recovery_codes"])


def test_turning_2fa_off_needs_a_code(world: World) -> None:
    user = _user(world)
    token = world.api.login(user["username"], PASSWORD)
    enrolment = _enrol(world, token)
    world.api.call("POST", "/v1/me/2fa/confirm", {"code": _next_code(enrolment["secret"])}, token)
    assert world.api.call("DELETE", "/v1/me/2fa", {"code": "999999"}, token).status == 422
    assert world.api.call("DELETE", "/v1/me/2fa", {"code": enrolment["recovery_codes"][3]}, token).status == 204
    assert _login(world, user["username"])[0] == 200


def test_a_manager_resets_a_lost_second_factor_and_it_is_audited(world: World) -> None:
    user = _user(world)
    token = world.api.login(user["username"], PASSWORD)
    enrolment = _enrol(world, token)
    world.api.call("POST", "/v1/me/2fa/confirm", {"code": _next_code(enrolment["secret"])}, token)
    # A viewer may not; another city's manager does not even see the user
    assert world.api.call("DELETE", f"/v1/users/{user['id']}/2fa", token=world.viewer_a).status == 403
    assert world.api.call("DELETE", f"/v1/users/{user['id']}/2fa", token=world.manager_b).status == 404
    r = world.api.call("DELETE", f"/v1/users/{user['id']}/2fa", token=world.manager_a)
    assert r.status == 200 and r.json()["totp_enabled"] is False, r.text
    assert world.api.call("GET", "/v1/me", token=token).status == 401  # its sessions ended
    assert _login(world, user["username"])[0] == 200
    with db.transaction() as conn:
        entry = conn.execute(
            "SELECT role, status FROM audit_log WHERE action = 'user.2fa_reset' AND resource = %s ORDER BY id DESC",
            (f"/v1/users/{user['id']}/2fa",),
        ).fetchone()
    assert entry is not None and entry["role"] == "manager" and entry["status"] == 200


def test_a_city_requiring_2fa_of_a_role_limits_its_users_to_their_own_data_until_they_enrol(world: World) -> None:
    user = _user(world, role="operator")
    # Given the city requires 2FA of operators
    r = world.api.call("PATCH", f"/v1/cities/{world.city_a}", {"require_2fa_roles": ["operator"]}, world.admin)
    assert r.status == 200 and r.json()["require_2fa_roles"] == ["operator"], r.text
    try:
        # Then an operator without 2FA gets a token marked so, which opens only /v1/me*
        status, tokens = _login(world, user["username"])
        assert status == 200 and tokens["two_factor_required"] is True
        token = tokens["access_token"]
        blocked = world.api.call("GET", f"/v1/cities/{world.city_a}/cameras", token=token)
        assert blocked.status == 403 and blocked.json()["error"]["code"] == "two_factor_required"
        assert world.api.call("GET", "/v1/clips", token=token).status == 403
        assert world.api.call("GET", "/v1/me", token=token).status == 200
        # Other roles of the city are not concerned
        assert world.api.call("GET", f"/v1/cities/{world.city_a}/cameras", token=world.viewer_a).status == 200
        # When it enrols, the same session reaches everything its role may
        enrolment = _enrol(world, token)
        world.api.call("POST", "/v1/me/2fa/confirm", {"code": _next_code(enrolment["secret"])}, token)
        assert world.api.call("GET", f"/v1/cities/{world.city_a}/cameras", token=token).status == 200
    finally:
        world.api.call("PATCH", f"/v1/cities/{world.city_a}", {"require_2fa_roles": []}, world.admin)
