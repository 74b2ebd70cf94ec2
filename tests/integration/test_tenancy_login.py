"""Signing in (contract v1.2): failed logins slow down and lock per (username, address) and per address —
never per username alone — with `Retry-After` on every 429; inactive accounts are blocked until a manager
reactivates them; passwords follow the policy; usernames cannot be enumerated across cities."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import pytest
from utils import ApiClient, World

from gtvision.core import db
from gtvision.core.settings import get_settings
from gtvision.tenancy import login

PASSWORD = "frase-longa-do-teste-42"


@pytest.fixture()
def real_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The deployed limits (tests otherwise run with every limit ×100)."""
    monkeypatch.setenv("GTV_QUOTA_SCALE", "1")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def _user(world: World, role: str = "viewer", city: str | None = None, password: str = PASSWORD) -> dict[str, str]:
    name = f"l-{uuid.uuid4().hex[:10]}"
    body = {"username": name, "password": password, "role": role, "city_id": city or world.city_a}
    # The city's own manager (fresh in every test): user creations count against a per-user quota
    manager = world.manager_b if city == world.city_b else world.manager_a
    r = world.api.call("POST", "/v1/users", body, manager)
    assert r.status == 201, r.text
    return {"id": r.json()["id"], "username": name}


def _login(
    api: ApiClient, username: str, password: str, source: str = "203.0.113.7"
) -> tuple[int, dict[str, str], dict]:
    r = api.call("POST", "/v1/auth/login", {"username": username, "password": password}, source_ip=source)
    return r.status, r.headers, r.json() or {}


_SOURCES = itertools.count(uuid.uuid4().int % (1 << 20))


def _source() -> str:
    """An address no other call of this process gets (a lock on one must never meet another test's login)."""
    n = next(_SOURCES)
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def _retry_after(headers: dict[str, str]) -> int:
    value = int(headers["retry-after"])
    assert value >= 1
    return value


def test_failures_slow_down_one_username_from_one_address_and_say_when_to_retry(
    world: World, real_limits: None
) -> None:
    user, here, there = _user(world), _source(), _source()
    # Given three wrong passwords from one address
    for _ in range(login.FREE_FAILURES):
        assert _login(world.api, user["username"], "errada", here)[0] == 401
    # Then the next attempt from there must wait (429 with Retry-After), even with the right password
    status, headers, body = _login(world.api, user["username"], PASSWORD, here)
    assert status == 429 and body["error"]["code"] == "too_many_attempts"
    assert _retry_after(headers) <= login.MAX_DELAY_S
    # And the owner signs in from anywhere else
    assert _login(world.api, user["username"], PASSWORD, there)[0] == 200


def test_ten_wrong_passwords_lock_only_that_address_never_the_account(
    world: World, real_limits: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (The delays between attempts are switched off so ten failures happen now.)
    monkeypatch.setattr(login, "FREE_FAILURES", login.LOCK_FAILURES)
    attacker, owner = _source(), _source()
    # Given ten wrong passwords for the admin from one address
    for _ in range(login.LOCK_FAILURES):
        assert _login(world.api, "admin", "chute-errado", attacker)[0] == 401
    # Then that address is locked for 15 minutes, with Retry-After
    status, headers, _ = _login(world.api, "admin", "admin-test-password", attacker)
    assert status == 429
    assert login.WINDOW.total_seconds() - 60 <= _retry_after(headers) <= login.WINDOW.total_seconds()
    # And the admin signs in from elsewhere (before: 429 for everyone for 15 min)
    assert _login(world.api, "admin", "admin-test-password", owner)[0] == 200


def test_password_spraying_from_one_address_locks_the_address(world: World, real_limits: None) -> None:
    from gtvision.tenancy.store import sessions as failures

    user, sprayer = _user(world), _source()
    with db.transaction() as conn:  # 100 failures of as many usernames from one address in the window
        for i in range(login.SOURCE_LOCK_FAILURES):
            failures.record_failure(conn, f"{i:032x}", sprayer)
    status, headers, _ = _login(world.api, user["username"], PASSWORD, sprayer)
    assert status == 429 and _retry_after(headers) <= login.WINDOW.total_seconds()
    assert _login(world.api, user["username"], PASSWORD, _source())[0] == 200


def test_a_successful_login_forgets_the_failures_of_that_address(world: World, real_limits: None) -> None:
    user, here = _user(world), _source()
    for _ in range(login.FREE_FAILURES - 1):
        assert _login(world.api, user["username"], "errada", here)[0] == 401
    assert _login(world.api, user["username"], PASSWORD, here)[0] == 200
    for _ in range(login.FREE_FAILURES - 1):
        assert _login(world.api, user["username"], "errada", here)[0] == 401
    assert _login(world.api, user["username"], PASSWORD, here)[0] == 200


def _age(user_id: str, days: int) -> None:
    with db.transaction() as conn:
        conn.execute(
            "UPDATE users SET last_login_at = now() - make_interval(days => %s), created_at = now() - make_interval("
            "days => %s), reactivated_at = NULL WHERE id = %s",
            (days, days, user_id),
        )


def _listed(world: World, user_id: str) -> dict:
    items = world.api.call("GET", "/v1/users", token=world.manager_a, query={"limit": "500"}).json()["items"]
    return next(u for u in items if u["id"] == user_id)


def test_accounts_unused_for_90_days_are_blocked_until_a_manager_reactivates_them(world: World) -> None:
    user = _user(world)
    _age(user["id"], 91)
    # Given an account unused for 91 days: the right password answers 403 account_inactive
    status, _, body = _login(world.api, user["username"], PASSWORD)
    assert status == 403 and body["error"]["code"] == "account_inactive"
    # A wrong password says nothing about it
    assert _login(world.api, user["username"], "errada")[0] == 401
    listed = _listed(world, user["id"])
    assert listed["status"] == "inactive" and listed["active"] is False
    # When a manager of its city reactivates it
    r = world.api.call("PATCH", f"/v1/users/{user['id']}", {"active": True}, world.manager_a)
    assert r.status == 200 and r.json()["active"] is True and r.json()["status"] == "active", r.text
    # Then it signs in again
    assert _login(world.api, user["username"], PASSWORD)[0] == 200


def test_the_inactivity_period_comes_from_gtv_inactive_days(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    user = _user(world)
    _age(user["id"], 10)
    assert _login(world.api, user["username"], PASSWORD)[0] == 200
    _age(user["id"], 10)
    monkeypatch.setenv("GTV_INACTIVE_DAYS", "7")
    get_settings.cache_clear()
    try:
        assert _login(world.api, user["username"], PASSWORD)[0] == 403
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_a_deactivated_account_loses_its_sessions_and_cannot_sign_in(world: World) -> None:
    user = _user(world)
    token = world.api.login(user["username"], PASSWORD)
    r = world.api.call("PATCH", f"/v1/users/{user['id']}", {"active": False}, world.manager_a)
    assert r.status == 200 and r.json()["status"] == "disabled"
    assert world.api.call("GET", "/v1/me", token=token).status == 401
    assert _login(world.api, user["username"], PASSWORD)[0] == 403
    # Admins are never blocked for inactivity (nobody above could reactivate them)
    with db.transaction() as conn:
        conn.execute(
            "UPDATE users SET last_login_at = now() - interval '400 days' WHERE username = %s",
            (get_settings().admin_user,),
        )
    assert _login(world.api, "admin", "admin-test-password")[0] == 200


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("curta-11-ch", "12 caracteres"),
        ("flamengo2025!", "comum"),
        ("Senha123456789", "comum"),
        ("123456789012", "comum"),
        ("qwertyuiop123", "comum"),
    ],
)
def test_weak_passwords_are_refused(world: World, password: str, why: str) -> None:
    body = {"username": f"p-{uuid.uuid4().hex[:8]}", "password": password, "role": "viewer", "city_id": world.city_a}
    r = world.api.call("POST", "/v1/users", body, world.manager_a)
    assert r.status == 422 and r.json()["error"]["code"] == "weak_password", r.text
    assert why in r.json()["error"]["message"]


def test_a_password_may_not_contain_the_username(world: World) -> None:
    name = f"joaquim{uuid.uuid4().hex[:4]}"
    body = {"username": name, "password": f"{name}-seguro-2026", "role": "viewer", "city_id": world.city_a}
    r = world.api.call("POST", "/v1/users", body, world.manager_a)
    assert r.status == 422 and r.json()["error"]["code"] == "weak_password"


def test_existing_passwords_keep_working_and_a_new_one_follows_the_policy(world: World) -> None:
    from gtvision.tenancy import auth

    user = _user(world)
    with db.transaction() as conn:  # an account from before the policy, with an 8-character password
        conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (auth.hash_password("antiga12"), user["id"]))
    token = world.api.login(user["username"], "antiga12")
    weak = world.api.call("POST", "/v1/me/password", {"current_password": "antiga12", "new_password": "curta"}, token)
    assert weak.status == 422 and weak.json()["error"]["code"] == "weak_password"
    wrong = world.api.call("POST", "/v1/me/password", {"current_password": "x", "new_password": PASSWORD + "!"}, token)
    assert wrong.status == 422 and wrong.json()["error"]["code"] == "invalid_password"
    ok = world.api.call(
        "POST", "/v1/me/password", {"current_password": "antiga12", "new_password": PASSWORD + "!"}, token
    )
    assert ok.status == 204, ok.text
    assert _login(world.api, user["username"], "antiga12")[0] == 401
    assert _login(world.api, user["username"], PASSWORD + "!")[0] == 200
    assert world.api.call("GET", "/v1/me", token=token).status == 200  # the caller's own session stays


def test_usernames_of_other_cities_cannot_be_told_from_taken_ones_in_ones_own(world: World) -> None:
    # Given a username in city A, and one in city B
    taken_a, taken_b = _user(world, city=world.city_a), _user(world, city=world.city_b)
    # When city B's manager creates each name again
    answers = []
    for name in (taken_a["username"], taken_b["username"]):
        body = {"username": name.upper(), "password": PASSWORD, "role": "viewer", "city_id": world.city_b}
        answers.append(world.api.call("POST", "/v1/users", body, world.manager_b))
    # Then both answers are the same generic conflict (no "taken elsewhere", no "username_taken")
    assert [a.status for a in answers] == [409, 409]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["error"]["code"] == "username_unavailable"


def test_a_manager_changes_a_role_and_the_old_token_stops_while_refresh_carries_the_new_role(world: World) -> None:
    user = _user(world)
    tokens = world.api.call("POST", "/v1/auth/login", {"username": user["username"], "password": PASSWORD}).json()
    r = world.api.call("PATCH", f"/v1/users/{user['id']}", {"role": "operator"}, world.manager_a)
    assert r.status == 200 and r.json()["role"] == "operator"
    assert world.api.call("GET", "/v1/me", token=tokens["access_token"]).status == 401
    fresh = world.api.call("POST", "/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert fresh.status == 401  # the role change ended the sessions: sign in again
    token = world.api.login(user["username"], PASSWORD)
    assert world.api.call("GET", "/v1/me", token=token).json()["role"] == "operator"
    # A manager grants at most their own role, and never changes their own account
    assert world.api.call("PATCH", f"/v1/users/{user['id']}", {"role": "admin"}, world.manager_a).status == 422
    me = world.api.call("GET", "/v1/me", token=world.manager_a).json()
    assert world.api.call("PATCH", f"/v1/users/{me['id']}", {"role": "viewer"}, world.manager_a).status == 409
