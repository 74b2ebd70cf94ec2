"""The sharing screens of the console in a real browser (system Chromium, Playwright): a manager creates an
agreement and sees its secrets once with copy buttons, its status and delivery sparkline; uploads a hotlist
with a preview that shows the rows in error; reads the monthly report; answers a grant in the inbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_resources import iso
from console_browser import SKIP_REASON, Page, browser, chromium_missing, serve_api

pytestmark = pytest.mark.skipif(chromium_missing(), reason=SKIP_REASON)


@pytest.fixture(scope="module")
def site(api: Any) -> Iterator[str]:
    with serve_api(api) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as b:
        yield b


def _manager(api: Any, admin: str, city: str) -> tuple[str, str]:
    username = f"gestor-{uuid.uuid4().hex[:8]}"
    body = {"username": username, "password": "senha-forte-123", "role": "manager", "city_id": city}
    assert api.call("POST", "/v1/users", body, admin).status == 201
    return username, "senha-forte-123"


def test_manager_creates_an_agreement_uploads_a_hotlist_reads_the_report_and_answers_a_grant(
    chromium: Any, site: str, api: Any, world: Any
) -> None:
    user, password = _manager(api, world.admin, world.city_a)
    tab = Page(chromium, site, locale="pt-BR")
    tab.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    p = tab.page
    tab.login(user, password)

    # The agreements screen: create one; both secrets are shown once, each with a copy button
    p.goto(site + "/console#/convenios")
    p.wait_for_selector("#form-convenio")
    today = datetime.now(UTC).date()
    p.fill("#form-convenio [name=partner_name]", "Polícia Civil — DEIC")
    p.select_option("#form-convenio [name=partner_kind]", "policia_civil")
    p.fill("#form-convenio [name=purpose]", "Localizar veículos roubados")
    p.fill("#form-convenio [name=legal_basis]", "LGPD art. 7º, III")
    p.fill("#form-convenio [name=valid_from]", (today - timedelta(days=1)).isoformat())
    p.fill("#form-convenio [name=valid_until]", (today + timedelta(days=365)).isoformat())
    p.click("#form-convenio button[type=submit]")
    p.wait_for_selector("#convenio-segredos [data-secret]")
    secrets = p.locator("#convenio-segredos .secret-value").all_text_contents()
    assert len(secrets) == 2 and secrets[1].startswith("gtvhl_") and len(secrets[0]) == 64
    p.locator("#convenio-segredos [data-secret]").nth(1).get_by_role("button", name="Copiar").click()
    p.wait_for_function("() => document.querySelector('#convenio-segredos [role=status]') !== null")
    assert p.evaluate("() => navigator.clipboard.readText()") == secrets[1]
    # and the list shows it active, with its delivery sparkline (24 hours)
    row = p.locator("#convenios-lista tr", has_text="Polícia Civil — DEIC")
    assert row.locator(".badge").text_content() == "ativo"
    row.locator("svg.spark").wait_for()
    assert len(row.locator("svg.spark").get_attribute("data-values").split(",")) == 24
    # The secret is never shown again
    p.reload()
    p.wait_for_selector("#convenios-lista tr")
    assert secrets[1] not in p.content()

    # The agreement's page: a hotlist pasted with a bad row is previewed with the row in error, then sent
    p.locator("#convenios-lista tr", has_text="Polícia Civil — DEIC").locator("a").click()
    p.wait_for_selector("#lista-texto")
    p.fill("#lista-texto", "ABC1D23;roubo;BO 1/2026;\nnão é placa;furto;;\nXYZ9A88;furto;;31/12/2030\n")
    p.click("#lista-previsualizar")
    p.wait_for_selector("#lista-erros tr")
    assert p.locator("#lista-previa tr").count() == 2
    assert p.locator("#lista-erros tr td").first.text_content() == "2"
    assert "2 entradas válidas, 1 com erro" in p.locator("#lista-resumo").text_content()
    p.click("#lista-enviar")
    p.wait_for_function("() => document.querySelector('#lista-resumo').textContent.startsWith('Lista enviada')")
    # The monthly report counts what was received
    p.click("#relatorio-ver")
    p.wait_for_selector("#relatorio-linhas tr")
    cells = dict(
        zip(
            p.locator("#relatorio-linhas th").all_text_contents(),
            p.locator("#relatorio-linhas td").all_text_contents(),
            strict=True,
        )
    )
    assert cells["Entradas de lista recebidas"] == "2"

    # The grants inbox: city B asks city A; the manager of A approves it from the pending list
    now = datetime.now(UTC)
    body = {
        "requesting_city_id": world.city_b,
        "holding_city_id": world.city_a,
        "case_id": str(uuid.uuid4()),
        "plates": ["ABC1D23"],
        "from": iso(now - timedelta(days=1)),
        "to": iso(now),
        "justification": "Roubo na divisa, caso 12",
    }
    grant = api.call("POST", "/v1/grants", body, world.manager_b).json()
    p.goto(site + "/console#/concessoes")
    pending = p.locator(f"#concessoes-lista tr[data-grant='{grant['id']}']")
    pending.get_by_role("button", name="Aprovar").click()
    p.wait_for_selector(f"#concessoes-lista tr[data-grant='{grant['id']}']", state="detached")
    p.select_option("#concessoes-filtro", "approved")
    approved = p.locator(f"#concessoes-lista tr[data-grant='{grant['id']}']")
    assert approved.locator(".badge").text_content() == "aprovada (em vigor)"
    assert api.call("GET", f"/v1/grants/{grant['id']}", token=world.manager_b).json()["status"] == "approved"
    assert tab.errors == [] and tab.dialogs == []
    tab.close()


def test_the_trajectory_map_marks_the_other_citys_points_seen_through_a_grant(
    chromium: Any, site: str, api: Any, world: Any
) -> None:
    from sharing_support import webhook_read

    # Given a read of the plate in city A and one in city B, and an approved grant of B's reads to A
    now = datetime.now(UTC).replace(microsecond=0)
    cam_a = world.camera(name="Centro A", lpr_enabled=True, location={"lat": -23.55, "lon": -46.63})
    cam_b = world.camera(
        token=world.manager_b,
        city=world.city_b,
        name="Divisa B",
        lpr_enabled=True,
        location={"lat": -23.60, "lon": -46.70},
    )
    webhook_read(world, cam_b, "MAP1A23", now - timedelta(hours=2))
    webhook_read(world, cam_a, "MAP1A23", now - timedelta(hours=1))
    body = {
        "requesting_city_id": world.city_a,
        "holding_city_id": world.city_b,
        "case_id": str(uuid.uuid4()),
        "plates": ["MAP1A23"],
        "from": iso(now - timedelta(days=1)),
        "to": iso(now),
        "justification": "caso",
    }
    grant = api.call("POST", "/v1/grants", body, world.manager_a).json()
    assert api.call("PATCH", f"/v1/grants/{grant['id']}", {"status": "approved"}, world.manager_b).status == 200
    username = f"operador-{uuid.uuid4().hex[:8]}"
    user = {"username": username, "password": "senha-forte-123", "role": "operator", "city_id": world.city_a}
    assert api.call("POST", "/v1/users", user, world.admin).status == 201
    tab = Page(chromium, site, locale="pt-BR")
    p = tab.page
    tab.login(username, "senha-forte-123")
    # When the operator opens the plate's trajectory
    p.goto(site + "/console#/placas?placa=MAP1A23")
    p.wait_for_selector("#placas-lista tr")
    p.locator("#placas-lista tr").first.get_by_role("button").click()
    p.wait_for_selector("#trajeto-mapa .trajectory-point")
    # Then both points are on the map, B's marked as the other city's, in the list too
    assert p.locator("#trajeto-mapa .trajectory-point").count() == 2
    assert p.locator("#trajeto-mapa .trajectory-point.other-city").count() == 1
    assert p.locator("#trajeto-lista .other-city").count() == 1
    assert tab.errors == [] and tab.dialogs == []
    tab.close()
