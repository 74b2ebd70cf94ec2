"""The console's alarm panel in the system Chromium (Playwright), against the local runtime as `make run` serves
it (HTTP gateway, WebSocket API, events queue and notifier): an alarm raised by a signed LPR webhook appears
with its counter and sound, one operator acknowledges and closes it with a note, and another operator's
console follows every step live; the home dashboard redraws on the event."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from console_browser import SKIP_REASON, Page, browser, chromium_missing
from test_live_events import _connection_rows, _plate, _post_plate, _wait_for, live  # noqa: F401 - a fixture

from gtvision.core.settings import get_settings

pytestmark = pytest.mark.skipif(chromium_missing(), reason=SKIP_REASON)
PASSWORD = "senha-forte-123"


@pytest.fixture(autouse=True)
def _websocket_urls_forgotten() -> Iterator[None]:
    """The local runtime writes its WebSocket URLs into os.environ (and the `live` fixture does not take them
    back): forget them afterwards, so later console tests see no live-events endpoint."""
    yield
    for name in ("GTV_WS_URL", "GTV_WS_MANAGEMENT_URL"):
        os.environ.pop(name, None)
    get_settings.cache_clear()


def operator(world: Any) -> tuple[str, str]:
    """A new operator of city A: (id, username)."""
    name = f"op-{uuid.uuid4().hex[:8]}"
    body = {"username": name, "password": PASSWORD, "role": "operator", "city_id": world.city_a}
    r = world.api.call("POST", "/v1/users", body, world.admin)
    assert r.status == 201, r.text
    return str(r.json()["id"]), name


def subscribed(*usernames: str) -> bool:
    return all(any(r["topics"] for r in _connection_rows(username=u)) for u in usernames)


def test_an_alarm_is_handled_from_the_panel_and_the_other_console_follows_live(
    world: Any,
    live: Any,  # noqa: F811 - the fixture imported above
) -> None:
    from playwright.sync_api import expect

    # Given a watched plate, an LPR camera, and two operators of the city with the console open
    plate = _plate("ALM")
    assert world.api.call("POST", "/v1/watchlist", {"plate": plate, "reason": "roubo"}, world.manager_a).status == 201
    camera = world.camera(name="Portal Norte", lpr_enabled=True)
    first_id, first_name = operator(world)
    _, second_name = operator(world)
    with browser() as chromium:
        a, b = Page(chromium, live.api_url, locale="pt-BR"), Page(chromium, live.api_url, locale="pt-BR")
        a.login(first_name, PASSWORD)
        b.login(second_name, PASSWORD)
        _wait_for(lambda: subscribed(first_name, second_name), timeout=15)
        panel_a, panel_b = a.page.locator("#alarmes"), b.page.locator("#alarmes")
        expect(panel_a).to_be_visible()
        expect(panel_b.locator("#alarmes-nao-lidos")).to_have_text("0")
        b.page.goto(f"{live.api_url}/console#/inicio")
        expect(b.page.locator("#inicio-conteudo")).to_contain_text("Nenhum alerta aberto")
        b.page.evaluate("window.__sameDocument = true")

        # When the camera posts a signed read of the plate
        _post_plate(live, camera, plate)

        # Then both panels show the alarm, high priority, with the unread counter at 1; the first console beeped
        item_a = panel_a.locator("li.alarm", has_text=plate)
        item_b = panel_b.locator("li.alarm", has_text=plate)
        expect(item_a).to_be_visible(timeout=5000)
        expect(item_b).to_be_visible(timeout=5000)
        expect(item_a).to_have_attribute("data-priority", "high")
        expect(panel_a.locator("#alarmes-nao-lidos")).to_have_text("1")
        expect(panel_b.locator("#alarmes-nao-lidos")).to_have_text("1")
        assert panel_a.get_attribute("data-sound") == "1" and panel_a.get_attribute("data-muted") == "false"
        # and the second operator's home dashboard redrew on the event (no reload, no timer)
        expect(b.page.locator("#inicio-conteudo")).to_contain_text(plate, timeout=5000)
        assert b.page.evaluate("window.__sameDocument") is True
        # and the alarm opens its camera at the alert's instant
        link = item_a.get_by_role("link", name="Abrir câmera no instante do alerta")
        assert link.get_attribute("href").startswith(f"#/cameras/{camera['id']}?em=")

        # When the first operator acknowledges it
        item_a.get_by_role("button", name="Reconhecer").click()
        # Then the second console shows who did, and neither counts it as unread any more
        expect(item_b).to_have_attribute("data-status", "acknowledged", timeout=5000)
        expect(item_b).to_contain_text(f"reconhecido por {first_name}")
        expect(panel_b.locator("#alarmes-nao-lidos")).to_have_text("0")
        expect(panel_a.locator("#alarmes-nao-lidos")).to_have_text("0")

        # When the first operator closes it: a note is required, then it is closed
        item_a.get_by_role("button", name="Encerrar", exact=True).click()
        item_a.get_by_role("button", name="Encerrar alarme").click()
        expect(item_a).to_contain_text("Descreva o que foi feito")
        note = "Viatura 7 abordou o veículo na Av. Brasil"
        item_a.locator("textarea").fill(note)
        item_a.get_by_role("button", name="Encerrar alarme").click()
        # Then it leaves both panels (they list what is still to handle) and the API says who closed it and why
        expect(item_a).to_have_count(0, timeout=5000)
        expect(item_b).to_have_count(0, timeout=5000)
        [closed] = world.api.call(
            "GET", "/v1/alerts", token=world.manager_a, query={"camera_id": camera["id"], "status": "closed"}
        ).json()["items"]
        assert (closed["note"], closed["closed_by"], closed["acknowledged_by"]) == (note, first_id, first_id)
        # and the closed filter shows it with its note
        panel_b.locator("#alarmes-f-status").select_option("closed")
        expect(item_b).to_contain_text(note, timeout=5000)

        # When the first operator mutes the sound and another alarm comes
        panel_a.get_by_role("button", name="Som ligado").click()
        assert panel_a.get_attribute("data-muted") == "true"
        _post_plate(live, camera, plate)
        # Then it is listed and counted, silently
        expect(panel_a.locator("li.alarm", has_text=plate)).to_have_count(1, timeout=5000)
        expect(panel_a.locator("#alarmes-nao-lidos")).to_have_text("1")
        assert panel_a.get_attribute("data-sound") == "1"
        assert a.errors == [] and b.errors == []
        a.close()
        b.close()
