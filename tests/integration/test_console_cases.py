"""The Cases screen and the mask editor in a real browser (system Chromium through Playwright): an operator
opens a case, notes, exports two cameras with mark-in/mark-out and follows the package to ready, shares it
and revokes the link, and reads the custody timeline; a manager draws a privacy mask over the camera's video."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from console_browser import SKIP_REASON, Page, browser, chromium_missing, serve_api
from evidence_support import Workers, coded_segments, register, scratch, workers
from utils import World

__all__ = ["scratch", "workers"]
pytestmark = pytest.mark.skipif(chromium_missing(), reason=SKIP_REASON)
PASSWORD = "senha-forte-123"
CITY_ZONE = ZoneInfo("America/Sao_Paulo")


@pytest.fixture(scope="module")
def site(api: Any) -> Iterator[str]:
    with serve_api(api) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as b:
        yield b


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return coded_segments(str(tmp_path_factory.mktemp("console")), 0, 1, 2.0)


def user(world: World, role: str) -> str:
    name = f"{role}-{uuid.uuid4().hex[:8]}"
    body = {"username": name, "password": PASSWORD, "role": role, "city_id": world.city_a}
    assert world.api.call("POST", "/v1/users", body, world.admin).status == 201
    return name


def local(moment: datetime) -> str:
    return moment.astimezone(CITY_ZONE).strftime("%Y-%m-%dT%H:%M:%S")


def test_an_operator_works_a_case_from_export_to_revoked_link(
    chromium: Any, site: str, world: World, files: list[str], workers: Workers
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    cams = [world.camera(name="Portão"), world.camera(name="Estacionamento")]
    for cam in cams:
        register(cam, files, start, 2.0)
    tab = Page(chromium, site)
    p = tab.page
    tab.login(user(world, "operator"), PASSWORD)

    # The operator opens a case from the Cases screen
    p.goto(site + "/console#/casos")
    p.fill("#form-caso-novo [name=title]", "Furto de bicicleta")
    p.fill("#form-caso-novo [name=reference]", "BO 777/2026")
    p.select_option("#form-caso-novo [name=category]", "ocorrencia")
    p.click("#form-caso-novo button[type=submit]")
    p.wait_for_selector("#tela-caso:not([hidden]) #caso-titulo:text-is('Furto de bicicleta')")
    case_id = p.url.rsplit("/", 1)[1]

    # ... notes a witness
    p.fill("#form-caso-nota [name=text]", "testemunha viu dois suspeitos")
    p.click("#form-caso-nota button[type=submit]")
    p.wait_for_selector("#caso-itens tr:has-text('testemunha viu dois suspeitos')")

    # ... exports both cameras between mark-in and mark-out and follows the package to ready
    p.wait_for_selector(f"#exp-cameras option[value='{cams[1]['id']}']", state="attached")
    p.select_option("#exp-cameras", [c["id"] for c in cams])
    assert p.text_content("#exp-contagem") == "2 de 16 selecionadas"
    p.fill("#exp-entrada", local(start))
    p.fill("#exp-saida", local(start + timedelta(seconds=2)))
    p.click("#form-exportar button[type=submit]")
    p.wait_for_selector("#caso-pacotes li[data-export]")
    exports = world.api.call("GET", f"/v1/cases/{case_id}/exports", token=world.manager_a).json()["items"]
    assert len(exports) == 1 and len(exports[0]["files"]) == 2
    path = f"/v1/cases/{case_id}/exports/{exports[0]['id']}"
    workers.run_until(lambda: world.api.call("GET", path, token=world.manager_a).json()["status"] == "ready")
    p.wait_for_selector("#caso-pacotes li[data-status=ready] button:has-text('Baixar pacote')", timeout=20000)

    # ... shares it with a police station, copies the link shown once, then revokes it
    p.fill("#form-compartilhar [name=recipient_name]", "Delegada Ramos")
    p.fill("#form-compartilhar [name=organisation]", "Polícia Civil")
    p.fill("#form-compartilhar [name=legal_basis]", "Requisição do inquérito 9/2026")
    p.click("#form-compartilhar button[type=submit]")
    url = p.text_content("#caso-link .secret-value")
    assert url and "/v1/share?token=" in url
    p.wait_for_selector("#caso-links li[data-status=active]")
    revoke = p.locator("#caso-links li[data-status=active] button.danger")
    revoke.click()
    revoke.click()  # the first click arms it
    p.wait_for_selector("#caso-links li[data-status=revoked]")

    # ... and reads the chain of custody, in pt-BR, in order
    p.wait_for_selector("#caso-custodia li[data-kind='share.revoked']")
    kinds = p.eval_on_selector_all("#caso-custodia li", "items => items.map(i => i.dataset.kind)")
    assert kinds[0] == "case.created"
    assert {"item.added", "export.requested", "hold.placed", "export.ready", "share.created"} <= set(kinds)
    assert "Link revogado" in p.text_content("#caso-custodia")
    assert tab.errors == [] and tab.dialogs == []
    tab.close()


def test_a_manager_draws_a_privacy_mask_over_the_video(
    chromium: Any, site: str, world: World, files: list[str]
) -> None:
    camera = world.camera(name="Creche")
    register(camera, files, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1), 2.0)
    tab = Page(chromium, site)
    p = tab.page
    tab.login(user(world, "manager"), PASSWORD)
    p.goto(site + f"/console#/cameras/{camera['id']}")
    p.click("#mascaras-editar")
    layer = p.locator("svg.mask-layer.editing")
    box = layer.bounding_box()
    assert box is not None
    for fx, fy in ((0.2, 0.2), (0.5, 0.2), (0.35, 0.6)):
        layer.click(position={"x": box["width"] * fx, "y": box["height"] * fy})
    p.click("#mascara-fechar")
    p.click("#mascaras-salvar")
    p.wait_for_selector(".mask-tools [role=status]")
    saved = world.api.call("GET", f"/v1/cameras/{camera['id']}/privacy-masks", token=world.viewer_a).json()
    (polygon,) = [m["points"] for m in saved["masks"]]
    assert len(polygon) == 3 and all(0 <= x <= 1 and 0 <= y <= 1 for x, y in polygon)
    assert polygon[0][0] < polygon[1][0] and polygon[2][1] > polygon[0][1]
    assert p.locator("svg.mask-layer polygon.mask").count() == 1
    # A viewer sees the mask drawn, and no editor
    viewer = Page(chromium, site)
    viewer.login(user(world, "viewer"), PASSWORD)
    viewer.page.goto(site + f"/console#/cameras/{camera['id']}")
    viewer.page.wait_for_selector("svg.mask-layer polygon.mask", state="attached")
    assert viewer.page.locator("#mascaras-editar").count() == 0
    assert tab.errors == [] and viewer.errors == []
    tab.close()
    viewer.close()
