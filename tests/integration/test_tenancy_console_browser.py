"""Access control in the console, in a real browser (system Chromium through Playwright): camera groups, a
user restricted to one, 2FA enrolment with the QR code the API draws, login with the second factor, and a
manager's view of each user's status (active, blocked, 2FA on) with reactivate and reset actions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from console_browser import SKIP_REASON, Page, browser, chromium_missing, serve_api

from gtvision.core import db

pytestmark = pytest.mark.skipif(chromium_missing(), reason=SKIP_REASON)

ADMIN = ("admin", "admin-test-password")
PASSWORD = "frase-longa-do-navegador-7"


@pytest.fixture(scope="module")
def site(api: Any) -> Iterator[str]:
    with serve_api(api) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as b:
        yield b


def _ok(r: Any, status: int) -> Any:
    assert r.status == status, r.text
    return r.json()


def _city_with_manager(api: Any) -> tuple[str, str, str, list[dict[str, Any]]]:
    """A city, its manager (username, token) and two cameras."""
    admin = api.login(*ADMIN)
    tag = uuid.uuid4().hex[:6]
    city = _ok(
        api.call("POST", "/v1/cities", {"name": f"Acesso {tag}", "state": "SP", "retention_days": 7}, admin), 201
    )
    manager = f"gestor-{tag}"
    body = {"username": manager, "password": PASSWORD, "role": "manager", "city_id": city["id"]}
    _ok(api.call("POST", "/v1/users", body, admin), 201)
    token = api.login(manager, PASSWORD)
    cameras = [
        _ok(api.call("POST", f"/v1/cities/{city['id']}/cameras", {"name": name, "source_url": src}, token), 201)
        for name, src in (("Escola Norte", "rtsp://192.168.50.1/s"), ("Praça Central", "rtsp://192.168.50.2/s"))
    ]
    return city["id"], manager, token, cameras


def _row(p: Any, table: str, text: str) -> Any:
    p.wait_for_selector(f"{table} tr", state="attached")
    row = p.locator(f"{table} tr", has_text=text)
    row.first.wait_for()
    return row.first


def _script_errors(tab: Page) -> list[str]:
    """Console errors but network ones: a refused request (the API's 403 to a limited session) and the live
    events socket (a server this test does not run; an earlier test of the suite may have configured it)."""
    return [e for e in tab.errors if not e.startswith("Failed to load resource") and "WebSocket connection" not in e]


def _twice(button: Any) -> None:
    """A destructive button: the first click arms it, the second acts."""
    button.click()
    button.click()


def test_groups_restriction_2fa_and_user_status_in_the_console(chromium: Any, site: str, api: Any) -> None:
    city_id, manager, manager_token, (school, square) = _city_with_manager(api)
    tab = Page(chromium, site)
    p = tab.page
    tab.login(manager, PASSWORD)

    # The manager groups the school's camera
    p.goto(site + "/console#/grupos")
    p.fill("#form-grupo-novo [name=name]", "Escola Municipal")
    p.select_option("#form-grupo-novo [name=camera_ids]", [school["id"]])
    p.click("#form-grupo-novo button[type=submit]")
    group_row = _row(p, "#grupos-lista", "Escola Municipal")
    group_row.locator("a", has_text="Escola Norte").wait_for()  # camera names are filled in as they arrive
    assert "Praça Central" not in group_row.text_content()

    # ... and creates the school's guard, restricted to that group
    guard = f"guarda-{uuid.uuid4().hex[:6]}"
    p.goto(site + "/console#/usuarios")
    p.fill("#form-usuario [name=username]", guard)
    p.fill("#form-usuario [name=password]", PASSWORD)
    p.select_option("#form-usuario [name=role]", "viewer")
    p.set_checked("#form-usuario [name=unrestricted]", False)
    p.select_option("#form-usuario [name=camera_group_ids]", label="Escola Municipal")
    p.click("#form-usuario button[type=submit]")
    row = _row(p, "#usuarios-lista", guard)
    assert row.locator(".badge").text_content() == "ativa" and "1 grupo(s)" in row.text_content()

    # The guard signs in and sees only the school's camera
    guard_tab = Page(chromium, site)
    g = guard_tab.page
    guard_tab.login(guard, PASSWORD)
    g.goto(f"{site}/console#/cidades/{city_id}")
    _row(g, "#cameras-lista", "Escola Norte")
    assert g.locator("#cameras-lista tr", has_text="Praça Central").count() == 0

    # ... enrols 2FA in "Meus dados": the QR code is an image the API drew, with the key and recovery codes
    g.goto(site + "/console#/meus-dados")
    g.click("#dois-fatores-ativar")
    g.wait_for_selector("#dois-fatores-qr")
    assert g.evaluate("() => document.getElementById('dois-fatores-qr').naturalWidth") > 0
    assert g.get_attribute("#dois-fatores-qr", "src").startswith("data:image/svg+xml")
    secret = g.text_content("#dois-fatores-chave")
    recovery = g.locator("#dois-fatores-recuperacao li").all_text_contents()
    assert len(recovery) == 10
    g.fill("#form-2fa-confirmar [name=code]", pyotp.TOTP(secret).now())
    g.click("#form-2fa-confirmar button[type=submit]")
    g.wait_for_selector("#dois-fatores-situacao:has-text('recuperação restante')")

    # ... and the next login asks for the second factor (a recovery code here)
    g.click("#sair")
    g.wait_for_selector("#tela-login:not([hidden])")
    g.fill("#login-usuario", guard)
    g.fill("#login-senha", PASSWORD)
    g.click("#form-login button[type=submit]")
    g.wait_for_selector("#login-otp-campo:not([hidden])")
    assert "código" in g.text_content("#erro-texto")
    g.fill("#login-otp", recovery[0])
    g.click("#form-login button[type=submit]")
    g.wait_for_selector("#sessao:not([hidden])")

    # The manager sees 2FA on, resets it, then finds the account blocked for inactivity and reactivates it
    p.goto(site + "/console#/inicio")
    p.goto(site + "/console#/usuarios")
    row = _row(p, "#usuarios-lista", guard)
    assert row.locator("td").nth(4).text_content() == "sim"
    _twice(row.locator("button:text('Redefinir 2FA')"))
    p.wait_for_function(
        "(u) => [...document.querySelectorAll('#usuarios-lista tr')].some("
        "r => r.dataset.user === u && r.children[4].textContent === 'não')",
        arg=guard,
    )
    with db.transaction() as conn:
        conn.execute(
            "UPDATE users SET last_login_at = now() - interval '120 days', created_at = now() - interval '120 days'"
            " WHERE username = %s",
            (guard,),
        )
    p.goto(site + "/console#/inicio")
    p.goto(site + "/console#/usuarios")
    row = _row(p, "#usuarios-lista", guard)
    assert "bloqueada por inatividade" in row.text_content()
    row.locator("button:text('Reativar')").click()
    p.wait_for_function(
        "(u) => [...document.querySelectorAll('#usuarios-lista tr')].some("
        "r => r.dataset.user === u && r.querySelector('.badge').textContent === 'ativa')",
        arg=guard,
    )
    assert api.call("POST", "/v1/auth/login", {"username": guard, "password": PASSWORD}).status == 200
    for t in (tab, guard_tab):
        assert not _script_errors(t), t.errors
        assert not t.dialogs
        t.close()


def test_a_city_requiring_2fa_sends_the_user_to_enrol_first(chromium: Any, site: str, api: Any) -> None:
    city_id, _, manager_token, _ = _city_with_manager(api)
    operator = f"operador-{uuid.uuid4().hex[:6]}"
    body = {"username": operator, "password": PASSWORD, "role": "operator", "city_id": city_id}
    _ok(api.call("POST", "/v1/users", body, manager_token), 201)
    admin = api.login(*ADMIN)
    _ok(api.call("PATCH", f"/v1/cities/{city_id}", {"require_2fa_roles": ["operator"]}, admin), 200)
    tab = Page(chromium, site)
    p = tab.page
    tab.login(operator, PASSWORD)
    p.wait_for_selector("#meus-dados-aviso")
    assert "exige verificação em duas etapas" in p.text_content("#meus-dados-aviso")
    assert p.url.endswith("#/meus-dados")
    # Enrolling opens the rest of the console in the same session
    p.click("#dois-fatores-ativar")
    secret = p.text_content("#dois-fatores-chave")
    p.fill("#form-2fa-confirmar [name=code]", pyotp.TOTP(secret).now())
    p.click("#form-2fa-confirmar button[type=submit]")
    p.wait_for_selector("#dois-fatores-situacao:has-text('recuperação restante')")
    p.goto(f"{site}/console#/cidades/{city_id}")
    _row(p, "#cameras-lista", "Escola Norte")
    assert not _script_errors(tab), tab.errors
    tab.close()
