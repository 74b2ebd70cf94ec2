"""The web console in a real browser (system Chromium driven by Playwright): the API app is served over
HTTP in process; every page error, console error and dialog fails the test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from console_browser import SKIP_REASON, browser, chromium_missing, serve_api

pytestmark = pytest.mark.skipif(chromium_missing(), reason=SKIP_REASON)

ADMIN = ("admin", "admin-test-password")
DATE = r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}"


@pytest.fixture(scope="module")
def site(api: Any) -> Iterator[str]:
    with serve_api(api) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as b:
        yield b


class Page:
    """A browser tab on the console that records page errors and dialogs (a dialog means script ran)."""

    def __init__(self, chromium: Any, site: str, locale: str = "en-US") -> None:
        self.context = chromium.new_context(locale=locale, timezone_id="America/New_York")
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.site = site

    def login(self, username: str, password: str) -> None:
        p = self.page
        p.goto(self.site + "/console")
        p.fill("#login-usuario", username)
        p.fill("#login-senha", password)
        p.click("#form-login button[type=submit]")
        p.wait_for_selector("#sessao:not([hidden])")

    def close(self) -> None:
        self.context.close()


def test_root_lands_on_the_console_and_admin_logs_in_and_out(chromium: Any, site: str, api: Any) -> None:
    tab = Page(chromium, site)
    p = tab.page
    # GET / in a browser ends on the console's login screen
    p.goto(site + "/")
    assert p.url == site + "/console"
    p.wait_for_selector("#tela-login:not([hidden])")

    admin = api.login(*ADMIN)
    city = api.call("POST", "/v1/cities", {"name": "Cidade Navegador", "state": "SP", "retention_days": 7}, token=admin)
    assert city.status == 201, city.text
    tab.login(*ADMIN)
    p.goto(site + "/console#/cidades")
    p.wait_for_selector("#cidades-lista a:text('Cidade Navegador')")
    assert p.evaluate("sessionStorage.getItem('gtv.token')")

    # Logout drops the token from the page and on the server
    token = p.evaluate("sessionStorage.getItem('gtv.token')")
    p.click("#sair")
    p.wait_for_selector("#tela-login:not([hidden])")
    assert p.evaluate("sessionStorage.getItem('gtv.token')") is None
    assert api.call("GET", "/v1/me", token=token).status == 401
    assert not tab.errors and not tab.dialogs
    tab.close()
